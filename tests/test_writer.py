"""The writer: owned sheets (Summary, Line items, Checks) built from computed budgets.

Budgets are built in Python here (``sample_budgets``, also used by test_run.py and
test_run_libreoffice.py), so these tests do not depend on the workbook reader.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from costsheet.inputs import (
    FAMILIES,
    FAMILY_LABELS,
    Budget,
    CostLine,
    Drivers,
    GpuPool,
    StaffLine,
    TrainingRun,
)
from costsheet.model.budget import compute_budget
from costsheet.model.items import BudgetResult
from costsheet.model.scenarios import apply_scenario
from costsheet.workbook.writer import (
    KEY_FIGURES,
    LINE_ITEM_HEADERS,
    OWNED_SHEETS,
    Check,
    money_format,
    write_scratch,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RUN_TIME = datetime(2025, 3, 1, 9, 30)


def small_budget() -> Budget:
    """A 7B-parameter run on rented H100s with a small team."""
    return Budget(
        name="small-7b",
        drivers=Drivers(mfu="40%", experiment_multiplier=0.5),
        pools=[GpuPool(name="h100-cloud", gpu_type="H100", gpu_count=256,
                       price_per_gpu_hour="$2.50")],
        runs=[TrainingRun(name="7b-final", params="7B", tokens="2T")],
        data=[CostLine(name="web crawl storage", quantity=40, unit="TB", unit_cost=23,
                       months=6)],
        staff=[StaffLine(role="ML engineer", headcount=3, annual_salary="180k", months=6)],
        scenarios={"Low": {"mfu": 0.5}, "High": {"mfu": 0.3,
                                                 "pools.h100-cloud.price_per_gpu_hour": 3.5}},
    )


def deepseek_budget() -> Budget:
    """DeepSeek-V3-like: 2,048 H800s, 2.788M GPU-hours at $2 → $5.576M final-run compute."""
    return Budget(
        name="deepseek-v3-like",
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="v3", params="671B", active_params="37B", tokens="14.8T",
                          gpu_hours="2.788M", precision="fp8")],
        scenarios={"High": {"pools.h800.price_per_gpu_hour": 2.5}},
    )


def frontier_budget() -> Budget:
    """An owned cluster, a large team, bought and labelled data, experiments, three scenarios."""
    return Budget(
        name="frontier",
        drivers=Drivers(kwh_price=0.07, pue=1.15, experiment_multiplier=1.0,
                        interruption_rate_per_1000_gpu_days=0.47, restart_probability=0.1,
                        colocation_per_kw_month=150, currency="USD"),
        pools=[GpuPool(name="main", gpu_type="H100", gpu_count=16384, ownership="own",
                       purchase_price_per_gpu="30k", term_months=12)],
        runs=[TrainingRun(name="frontier-405b", params="405B", tokens="15.6T", mfu="40%"),
              TrainingRun(name="ablation-8b", kind="experiment", params="8B", tokens="1T",
                          count=20)],
        data=[CostLine(name="licensed corpus", quantity=1, unit="licence", unit_cost="12M"),
              CostLine(name="human labelling", kind="labelling", quantity="2M", unit="item",
                       unit_cost=1.5, overhead="15%")],
        staff=[StaffLine(role="research scientist", headcount=60, annual_salary="450k"),
               StaffLine(role="infrastructure engineer", headcount=25, annual_salary="300k")],
        other=[CostLine(name="=SUM(A1:A9)", family="power_facilities", quantity=1,
                        unit_cost=50000)],
        scenarios={"Low": {"mfu": 0.45, "kwh_price": 0.05},
                   "High": {"mfu": 0.32, "experiment_multiplier": 2.0},
                   "Copy": {}},
    )


def sample_budgets() -> dict[str, Budget]:
    return {"small-7b": small_budget(), "deepseek-v3-like": deepseek_budget(),
            "frontier": frontier_budget()}


def compute_all(budget: Budget) -> list[BudgetResult]:
    return [compute_budget(apply_scenario(budget, s), scenario=s) for s in budget.scenario_names]


@pytest.fixture(scope="module")
def frontier_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[BudgetResult]]:
    results = compute_all(frontier_budget())
    path = tmp_path_factory.mktemp("writer") / "owned.xlsx"
    write_scratch(path, results, [Check("warning", "High", "MFU is low")],
                  title="Training budget: frontier", source_name="frontier.xlsx",
                  run_time=RUN_TIME, version="9.9")
    return path, results


def _rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _first_by_label(rows: list[tuple]) -> dict:
    """Rows by their first cell; the first occurrence wins (the split table repeats labels)."""
    out: dict = {}
    for r in rows:
        if r[0] and r[0] not in out:
            out[r[0]] = r
    return out


def test_owned_sheets_in_order(frontier_file):
    path, _ = frontier_file
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(OWNED_SHEETS)


def test_summary_totals_equal_model(frontier_file):
    path, results = frontier_file
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = _rows(ws)
    header = next(r for r in rows if r[0] == "Cost by family (USD)")
    assert list(header[1:1 + len(results)]) == [r.scenario for r in results]
    by_label = _first_by_label(rows)
    for fam in FAMILIES:
        got = by_label[FAMILY_LABELS[fam]][1:1 + len(results)]
        assert got == pytest.approx([float(r.totals[fam]) for r in results], rel=1e-12)
    assert by_label["Total"][1:1 + len(results)] == pytest.approx(
        [float(r.total) for r in results], rel=1e-12)
    assert rows[1][0] == "From frontier.xlsx · computed 2025-03-01 09:30 · costsheet 9.9"


def test_summary_key_figures(frontier_file):
    path, results = frontier_file
    by_label = _first_by_label(_rows(openpyxl.load_workbook(path)["Summary"]))
    for key, label, _fmt, scale in KEY_FIGURES:
        want = [float(r.metrics[key]) * scale for r in results]
        assert by_label[label][1:1 + len(results)] == pytest.approx(want, rel=1e-12), key
    base = results[0]
    cpm = by_label["Cost per million training tokens (whole budget)"][1]
    assert cpm == pytest.approx(float(base.total) / 15.6e6, rel=1e-12)


def test_summary_formats_widths_panes_print(frontier_file):
    path, _ = frontier_file
    ws = openpyxl.load_workbook(path)["Summary"]
    total_row = next(r for r in ws.iter_rows() if r[0].value == "Total")
    assert total_row[1].number_format == money_format("USD")
    assert total_row[1].font.b
    assert ws.freeze_panes is not None
    assert ws.page_setup.orientation == "landscape"
    assert 73 <= ws.page_setup.scale <= 100  # type of 8 pt or more (see test_print.py)
    # every value column is wide enough for its longest shown number (no ###)
    for col in "BCDE":
        width = ws.column_dimensions[col].width
        longest = max(len(f"${c.value:,.0f}") for c in ws[col] if isinstance(c.value, float)
                      and c.number_format == money_format("USD"))
        assert width >= longest + 2, col


def test_line_items_every_line_every_scenario(frontier_file):
    path, results = frontier_file
    ws = openpyxl.load_workbook(path)["Line items"]
    rows = _rows(ws)
    assert rows[0] == LINE_ITEM_HEADERS
    assert len(rows) - 1 == sum(len(r.items) for r in results)
    first = results[0].items[0]
    r1 = dict(zip(LINE_ITEM_HEADERS, rows[1], strict=True))
    assert r1["Scenario"] == "Base"
    assert r1["Family"] == FAMILY_LABELS[first.family]
    assert r1["Item"] == first.item
    assert r1["Amount"] == pytest.approx(float(first.amount))
    assert r1["Basis"] == first.basis
    assert r1["Source key"] == first.source
    for scen in results:
        amounts = [r[6] for r in rows[1:] if r[0] == scen.scenario]
        assert sum(amounts) == pytest.approx(float(scen.total), rel=1e-12)
    assert ws.auto_filter.ref == f"A1:K{len(rows)}"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["K"].width >= 60  # the basis column is wide


def test_user_text_is_text_never_a_formula(frontier_file):
    path, _ = frontier_file
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in zf.read(name).decode(), name
    ws = openpyxl.load_workbook(path)["Line items"]
    items = [r[2] for r in _rows(ws)]
    assert "=SUM(A1:A9)" in items


def test_checks_sheet(frontier_file, tmp_path):
    path, results = frontier_file
    rows = _rows(openpyxl.load_workbook(path)["Checks"])
    assert rows[0] == ("Severity", "Scenario", "Where", "Message")
    assert rows[1] == ("warning", "High", None, "MFU is low")
    empty = write_scratch(tmp_path / "empty.xlsx", results[:1], [])
    rows = _rows(openpyxl.load_workbook(empty)["Checks"])
    assert rows[1][0] == "ok"


def _chart_refs(path: Path) -> list[tuple[str, str]]:
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if re.match(r"xl/charts/chart\d+\.xml$", name):
                xml = zf.read(name).decode()
                out += [(name, f) for f in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)]
    return out


def _ref_values(wb: openpyxl.Workbook, ref: str) -> list:
    sheet, _, cells = ref.rpartition("!")
    ws = wb[sheet.strip("'").replace("''", "'")]
    rng = ws[cells.replace("$", "")]
    if not isinstance(rng, tuple):
        return [rng.value]
    flat = []
    for row in rng:
        flat += [c.value for c in (row if isinstance(row, tuple) else (row,))]
    return flat


def test_charts_reference_summary_cells_with_values(frontier_file):
    path, results = frontier_file
    refs = _chart_refs(path)
    charts = {name for name, _ in refs}
    assert len(charts) == 2  # stacked columns + Base split
    wb = openpyxl.load_workbook(path)
    numeric = 0
    for _name, ref in refs:
        assert ref.startswith("'Summary'!") or ref.startswith("Summary!"), ref
        values = _ref_values(wb, ref)
        assert values and all(v not in (None, "") for v in values), ref
        numeric += all(isinstance(v, float) for v in values)
    assert numeric >= 2
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/"))
    assert "Cost by family and scenario" in xml
    assert 'grouping val="stacked"' in xml
    assert re.search(r"<(c:)?pieChart>", xml)
    assert re.search(r"<(c:)?cat><(c:)?strRef>", xml)  # scenario and family names are text


def test_money_format_currencies():
    assert money_format("USD") == '"$"#,##0;-"$"#,##0'
    assert money_format("EUR", 2) == '"€"#,##0.00;-"€"#,##0.00'
    assert money_format("CHF") == '#,##0 "CHF";-#,##0 "CHF"'


def test_non_usd_currency_and_single_scenario(tmp_path):
    budget = deepseek_budget().model_copy(update={
        "drivers": Drivers(currency="EUR"), "scenarios": {}})
    results = compute_all(budget)
    path = write_scratch(tmp_path / "eur.xlsx", results)
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = _rows(ws)
    assert any(r[0] == "Cost by family (EUR)" for r in rows)
    compute = next(c for c in ws["B"] if c.value == pytest.approx(5_576_000.0))
    assert compute.number_format == money_format("EUR")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML: dropped
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda s: _CONTROL.sub("", s).strip() != "")


def _as_read(text: str) -> str:
    """What a reader gets back: control characters dropped, line ends normalised by XML."""
    return _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=_TEXT, scenario=_TEXT)
def test_any_user_text_round_trips_as_text(tmp_path, item, scenario):
    scenario = scenario.strip()
    if scenario.casefold() == "base":
        scenario = "Base2"
    budget = Budget(
        pools=[GpuPool(name="p", gpu_type="H100", gpu_count=8, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="r", gpu_hours=1000)],
        data=[CostLine(name=item, quantity=1, unit_cost=10)],
        scenarios={scenario: {"mfu": 0.5}},
    )
    results = compute_all(budget)
    path = write_scratch(tmp_path / "t.xlsx", results)
    with zipfile.ZipFile(path) as zf:
        assert all("<f>" not in zf.read(n).decode() for n in zf.namelist()
                   if n.startswith("xl/worksheets/"))
    wb = openpyxl.load_workbook(path)
    items = [r[2] for r in _rows(wb["Line items"])]
    cleaned = _as_read(item.strip())
    assert cleaned in items
    header = next(r for r in _rows(wb["Summary"]) if r[0] == "Cost by family (USD)")
    assert header[2] == _as_read(scenario)
