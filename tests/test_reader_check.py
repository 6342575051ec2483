"""Reading a budget workbook and `costsheet check`: every bad cell at once, file untouched."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import FORMULA_NO_VALUE, read_budget
from costsheet.workbook.template import workbook_bytes
from support.fixtures import REAL_WORKBOOKS, real_workbook_names

REAL = REAL_WORKBOOKS


def _example(tmp_path: Path, name: str = "budget.xlsx", lang: str = "en") -> Path:
    path = tmp_path / name
    path.write_bytes(workbook_bytes(worked_example(), lang=lang))
    return path


def _edit(path: Path, edits: dict[str, object]) -> None:
    """Set cells ``{"Sheet!A1": value}`` in a workbook we generated ourselves."""
    wb = openpyxl.load_workbook(path)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    wb.save(path)


# every planted error: Sheet!Cell → (field, words the message must contain)
PLANTED: dict[str, tuple[str, str]] = {
    "Drivers!E5": ("mfu", "percentage typed as 40"),
    "Pools!C6": ("gpu_count", "must not be negative"),
    "Pools!B7": ("gpu_type", "unknown GPU type"),
    "Pools!A8": ("name", "duplicate pool name"),
    "Runs!D6": ("params", "not a number"),
    "Runs!C7": ("pool", "unknown pool"),
    "Runs!B8": ("kind", "must be one of"),
    "Runs!L8": ("start_month", "not a month"),
    "Runs!E9": ("active_params", "more active parameters than parameters"),
    "Data!E6": ("unit_cost", FORMULA_NO_VALUE),
    "Data!I8": ("currency", "no exchange rate from GBP"),
    "Staff!C6": ("annual_salary", "is required"),
    "Staff!E7": ("allocation", "must be a fraction"),
    "FX!A7": ("currency", "unknown currency code"),
    "Overrides!A7": ("scenario", "unknown scenario"),
    "Overrides!B8": ("key", "unknown pool"),
    "GPU catalog!F7": ("bf16_dense_tflops", "required for a new GPU type"),
}


@pytest.fixture()
def planted(tmp_path: Path) -> Path:
    path = _example(tmp_path)
    _edit(path, {
        "Drivers!E5": 40,                      # fraction typed as 40
        "Pools!C6": -5,                        # negative count
        "Pools!B7": "H1000",                   # unknown GPU
        "Pools!A8": "H100-cloud", "Pools!B8": "H100", "Pools!C8": 8,  # duplicate name
        "Runs!D6": "abc",                      # text in a number
        "Runs!C7": "nope",                     # unknown pool
        "Runs!A8": "bad-run", "Runs!B8": "finale", "Runs!C8": "h100-cloud",
        "Runs!D8": "7B", "Runs!F8": "1T", "Runs!L8": "March",
        "Runs!A9": "moe", "Runs!C9": "h100-cloud", "Runs!D9": "7B", "Runs!E9": "8B",
        "Runs!F9": "1T",
        "Data!E6": '=INDIRECT("B2")*2',        # a formula with no saved value (volatile)
        "Data!A8": "UK data", "Data!C8": 1, "Data!E8": 1000, "Data!I8": "GBP",
        "Staff!C6": None,                      # blank required cell
        "Staff!E7": 150,                       # not a fraction
        "FX!A7": "XYZ", "FX!B7": 2,            # unknown currency code
        "Overrides!A7": "Hgh", "Overrides!B7": "mfu", "Overrides!C7": 0.3,
        "Overrides!A8": "High", "Overrides!B8": "pools.nope.price_per_gpu_hour",
        "Overrides!C8": 3,
        "GPU catalog!A7": "X9000", "GPU catalog!H7": 500,  # new GPU without BF16 peak
    })
    return path


def test_every_planted_error_is_reported_once_at_its_cell(planted: Path) -> None:
    before = planted.read_bytes()
    mtime = os.stat(planted).st_mtime_ns
    result = read_budget(planted)
    assert result.budget is None
    assert not result.report.ok
    found: dict[str, list] = {}
    for err in result.report.problems:
        found.setdefault(err.location, []).append(err)
    assert sorted(found) == sorted(PLANTED), [str(e) for e in result.report.problems]
    for location, (field, words) in PLANTED.items():
        assert len(found[location]) == 1, found[location]
        err = found[location][0]
        assert err.field == field, str(err)
        assert words in err.message, str(err)
    assert planted.read_bytes() == before
    assert os.stat(planted).st_mtime_ns == mtime


def test_messages_name_the_value_and_known_choices(planted: Path) -> None:
    result = read_budget(planted)
    by_loc = {e.location: e for e in result.report.problems}
    gpu = by_loc["Pools!B7"]
    assert gpu.value == "H1000"
    assert "H100" in gpu.message and "H800" in gpu.message and "MI300X" in gpu.message
    assert str(by_loc["Runs!D6"]) == "Runs!D6: params: not a number (got 'abc')"
    assert "write 40% or 0.4" in by_loc["Drivers!E5"].message
    assert "h100-cloud" in by_loc["Runs!C7"].message  # lists the known pools


def test_check_cli_prints_errors_and_tip_and_leaves_file(planted: Path) -> None:
    before = planted.read_bytes()
    mtime = os.stat(planted).st_mtime_ns
    res = CliRunner().invoke(main, ["check", str(planted)])
    assert res.exit_code == 2
    lines = res.output.splitlines()
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert errors[0] == f"error: {planted.name}: {len(PLANTED)} problems found"  # names the file
    assert "error: Runs!D6: params: not a number (got 'abc')" in lines
    assert len(errors) == len(PLANTED) + 1
    assert lines[-1] == (f"tip: fix these {len(PLANTED)} problems and run `costsheet check "
                         f"{planted}` again (the cost model and the monthly plan are checked "
                         "once the inputs read without errors); the file was not changed")
    assert "Traceback" not in res.output
    assert planted.read_bytes() == before
    assert os.stat(planted).st_mtime_ns == mtime


def test_check_json_is_the_same_report_as_data(planted: Path) -> None:
    res = CliRunner().invoke(main, ["check", "--json", str(planted)])
    assert res.exit_code == 2
    data = json.loads(res.output)
    assert set(data) == {"source", "ok", "errors", "warnings", "scenarios", "checks"}
    assert data["ok"] is False
    assert data["scenarios"] == ["Base", "Low", "High"]
    assert len(data["errors"]) == len(PLANTED)
    first = data["errors"][0]
    assert set(first) == {"sheet", "cell", "field", "value", "message", "severity", "code",
                          "text"}
    locs = {f"{e['sheet']}!{e['cell']}" for e in data["errors"]}
    assert locs == set(PLANTED)


def test_check_ok_line(tmp_path: Path) -> None:
    path = _example(tmp_path)
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 0, res.output
    *warnings, ok = res.output.strip().splitlines()
    assert ok == (
        "ok: 2 pools, 2 runs, 4 data lines, 3 staff lines, 2 other lines, 1 GPU catalog row, "
        "1 FX budget rate; scenarios Base, Low, High")
    # the warning `run` gives for this workbook (its High scenario overfills a pool)
    assert warnings == ["warning: [High] pool 'a100-owned': runs need 300,481 GPU-hours but "
                        "the pool holds 280,320 (107%); the excess is charged at the same rate"]
    res = CliRunner().invoke(main, ["check", "--json", str(path)])
    assert res.exit_code == 0
    assert json.loads(res.output)["ok"] is True


def test_check_counts_budget_and_monthly_fx_rates(tmp_path: Path) -> None:
    """Four FX rows (one budget rate, three months of actual rates) are not "1 FX rate"."""
    from costsheet.workbook.actuals import fill_actuals
    from sample_budgets import MONTHLY_FX, monthly_actuals, monthly_budget

    path = tmp_path / "monthly.xlsx"
    path.write_bytes(workbook_bytes(monthly_budget(), fill=lambda wb: fill_actuals(
        wb, monthly_actuals(), MONTHLY_FX)))
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert "1 FX budget rate, 3 monthly FX rates;" in res.output


def test_missing_sheet_and_missing_column(tmp_path: Path) -> None:
    path = _example(tmp_path)
    wb = openpyxl.load_workbook(path)
    del wb["Staff"]
    wb["Data"]["E3"] = None        # the key of the required column unit_cost
    wb["Pools"]["H3"] = None       # an optional column: a warning, defaults apply
    wb.save(path)
    result = read_budget(path)
    problems = {(e.sheet, e.cell, e.field): e.message for e in result.report.problems}
    assert problems[("Staff", "", "sheet")].startswith("missing sheet 'Staff'")
    assert problems[("Data", "3:3", "unit_cost")] == (
        "missing column 'Unit cost' (key 'unit_cost' in row 3)")
    warnings = {(e.sheet, e.cell, e.field) for e in result.report.warnings}
    assert ("Pools", "3:3", "power_w") in warnings


def test_columns_added_later_are_not_missed_in_an_older_workbook(tmp_path: Path) -> None:
    # a workbook written before the stage and memory columns (issue 16) existed: its Runs sheet
    # ends at start_month. Columns marked quiet_if_missing read as their defaults, silently; a
    # column every version had still warns when it is gone
    from costsheet.workbook.template import SHEETS

    quiet = [c.key for c in SHEETS["runs"].columns if c.quiet_if_missing]
    assert "stage" in quiet and "decode_mfu" in quiet and "count" not in quiet
    path = _example(tmp_path)
    before = read_budget(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Runs"]
    for col in range(ws.max_column, 0, -1):
        if ws.cell(3, col).value in quiet:
            ws.delete_cols(col)
    wb.save(path)
    result = read_budget(path)
    assert result.ok
    assert not [w for w in result.report.warnings if "missing column" in w.message]
    assert result.budget.runs == before.budget.runs
    ws = wb["Runs"]
    [count] = [c for c in range(1, ws.max_column + 1) if ws.cell(3, c).value == "count"]
    ws.cell(3, count).value = None
    wb.save(path)
    warnings = {(e.sheet, e.field) for e in read_budget(path).report.warnings
                if "missing column" in e.message}
    assert warnings == {("Runs", "count")}


def test_zh_template_reads_identically(tmp_path: Path) -> None:
    en = read_budget(_example(tmp_path, "en.xlsx"))
    zh = read_budget(_example(tmp_path, "zh.xlsx", lang="zh"))
    assert en.ok and zh.ok
    assert zh.budget.model_dump(exclude={"name"}) == en.budget.model_dump(exclude={"name"})
    assert zh.cells == en.cells
    ws = openpyxl.load_workbook(tmp_path / "zh.xlsx")["Pools"]
    assert ws["B4"].value == "GPU 型号" and ws["B3"].value == "gpu_type"


def test_example_round_trips_and_maps_cells(tmp_path: Path) -> None:
    result = read_budget(_example(tmp_path))
    assert result.ok
    assert result.budget.model_dump(exclude={"name"}) == worked_example().model_dump(
        exclude={"name"})
    assert result.scenarios == ["Base", "Low", "High"]
    cells = result.cells
    assert cells["pools.h100-cloud.price_per_gpu_hour"] == "Pools!E6"
    assert cells["pools.h100-cloud"] == "Pools!A6"
    assert cells["drivers.mfu"] == "Drivers!E5"
    assert cells["drivers.mfu@High"] == "Drivers!G5"
    assert cells["pools.h100-cloud.price_per_gpu_hour@High"] == "Overrides!C6"
    assert cells["staff.ML engineer.annual_salary"] == "Staff!C7"
    assert cells["fx_rates.EUR"] == "FX!B6"


def test_scenarios_blank_inherits_and_new_columns(tmp_path: Path) -> None:
    path = _example(tmp_path)
    _edit(path, {"Drivers!F6": "1.3 ", "Drivers!H4": "Stress", "Drivers!H5": "30%",
                 "Drivers!G5": None})
    result = read_budget(path)
    assert result.ok, [str(e) for e in result.report.errors]
    scen = result.budget.scenarios
    assert result.scenarios == ["Base", "Low", "High", "Stress"]
    assert scen["Low"] == {"mfu": 0.45, "experiment_multiplier": 0.3, "pue": 1.3}
    assert scen["High"] == {"experiment_multiplier": 1.0,
                            "pools.h100-cloud.price_per_gpu_hour": 2.8}
    assert scen["Stress"] == {"mfu": 0.3}
    assert result.cells["drivers.mfu@Stress"] == "Drivers!H5"


def test_blank_rows_label_rows_and_whitespace(tmp_path: Path) -> None:
    path = _example(tmp_path)
    _edit(path, {
        "Data!A11": "Crawling (heading only)",     # a label with no values: skipped
        "Data!A13": "  extra crawl  ", "Data!C13": "2k", "Data!D13": "TB ",
        "Data!E13": " $1.50 ",                     # trailing whitespace tolerated
        "Runs!C6": "H100-Cloud ",                  # pool names are case-insensitive
    })
    result = read_budget(path)
    assert result.ok, [str(e) for e in result.report.errors]
    data = result.budget.data
    assert [d.name for d in data][-1] == "extra crawl"
    assert data[-1].quantity == 2000 and data[-1].unit_cost == 1.5 and data[-1].unit == "TB"
    assert len(data) == 5


def test_formula_with_saved_value_is_read(tmp_path: Path) -> None:
    """A formula whose result was saved (as Excel does) is read as its value."""
    path = _example(tmp_path)
    _edit(path, {"Data!E6": "=B2*2"})
    # add the cached value the way Excel saves it: <f> and <v> in the same cell
    import zipfile

    src = path.read_bytes()
    out = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet5.xml":
                data = data.replace(b"<f>B2*2</f><v /></c>", b"<f>B2*2</f><v>55</v></c>")
                assert b"<v>55</v>" in data
            zout.writestr(info, data)
    result = read_budget(out)
    assert result.ok, [str(e) for e in result.report.errors]
    assert result.budget.data[0].unit_cost == 55
    assert path.read_bytes() == src


def test_hidden_rows_and_merged_cells_are_warnings(tmp_path: Path) -> None:
    path = _example(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Staff"].row_dimensions[7].hidden = True
    wb["Other"].merge_cells("F6:G6")
    wb.save(path)
    result = read_budget(path)
    assert result.ok
    warnings = {(w.location, w.field) for w in result.report.warnings}
    assert ("Staff!A7", "row") in warnings
    assert ("Other!F6", "cells") in warnings


def test_refused_packages_are_file_errors(tmp_path: Path) -> None:
    csv = tmp_path / "budget.xlsx"
    csv.write_text("a,b\n1,2\n")
    result = read_budget(csv)
    assert result.budget is None and result.fatal is not None
    assert result.report.problems[0].field == "file"
    res = CliRunner().invoke(main, ["check", str(csv)])
    assert res.exit_code == 2
    assert "not an Excel workbook" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("name", real_workbook_names())
def test_real_workbooks_are_read_without_crashing(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(REAL / name, path)
    before = path.read_bytes()
    result = read_budget(path)
    # not budgets: the missing input sheets are reported, nothing raises
    assert result.budget is None
    sheets = {e.sheet for e in result.report.problems if e.field == "sheet"}
    assert {"Drivers", "Pools", "Runs"} <= sheets
    assert path.read_bytes() == before
