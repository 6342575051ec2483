"""Monthly, Variance and Refresh log sheets written by `costsheet run` into real workbooks."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.inputs import FAMILIES
from costsheet.model.refresh_log import FIXED_COLUMNS, FORECAST_TOTAL
from costsheet.model.timeline import build_timeline
from costsheet.model.variance import ActualLine
from costsheet.workbook.actuals import fill_actuals, read_actuals
from costsheet.workbook.run import run_workbook
from costsheet.workbook.template import workbook_bytes
from make_samples import write_monthly_sample
from openpyxl import load_workbook
from sample_budgets import MONTHLY_FX, monthly_actuals, monthly_budget

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_monthly_sample(tmp_path / "monthly.xlsx")


def values(path: Path, sheet: str) -> list[tuple]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def table(rows: list[tuple], first_header: str) -> tuple[tuple, list[tuple]]:
    """The header row whose first cell is ``first_header`` and the rows below it (to a gap)."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    body = []
    for r in rows[start + 1:]:
        if not r or r[0] is None:
            break
        body.append(r)
    return rows[start], body


def typed(row: tuple) -> list[tuple[str, object]]:
    return [(type(v).__name__, v) for v in row]


def add_actual(path: Path, line: ActualLine) -> None:
    """What a user does between refreshes: type one more row on the Actuals sheet and save."""
    wb = load_workbook(path)
    fill_actuals(wb, [line])
    wb.save(path)


# --- the sample and its sheets ----------------------------------------------------------------


def test_committed_sample_is_current() -> None:
    assert (ROOT / "samples" / "monthly-actuals.xlsx").read_bytes() == workbook_bytes(
        monthly_budget(), fill=lambda wb: fill_actuals(wb, monthly_actuals(), MONTHLY_FX))


def test_sample_has_three_months_of_actuals_in_two_currencies(sample: Path) -> None:
    budget = monthly_budget()
    read = read_actuals(sample, budget.currency, budget.fx_rates)
    assert read.report.ok, [str(e) for e in read.report.errors]
    assert sorted({a.month for a in read.actuals}) == ["2026-01", "2026-02", "2026-03"]
    assert {a.currency for a in read.actuals} == {"USD", "EUR"}
    assert read.monthly_fx == MONTHLY_FX
    assert read.cells[0]["amount"] == "Actuals!D6"


def test_monthly_sheet_totals_sum_to_the_cash_total(sample: Path) -> None:
    result = run_workbook(sample)
    assert {"Monthly", "Variance", "Refresh log"} <= set(result.owned_sheets)
    rows = values(sample, "Monthly")
    header, body = table(rows, "Month")
    months = [r for r in body if r[0] != "Total"]
    tl = build_timeline(monthly_budget(), view="cash")
    assert [r[0] for r in months] == tl.months
    total_col = header.index("Total")
    plan = result.monthly
    assert plan is not None and plan.as_of == "2026-03"
    # closed months show what was booked; the rest, the budget (issue 12)
    shown = tl.view_total + plan.actuals_instead_of_budget
    assert math.fsum(r[total_col] for r in months) == pytest.approx(shown, rel=1e-9)
    assert months[-1][header.index("Cumulative")] == pytest.approx(shown, rel=1e-9)
    assert shown == pytest.approx(plan.variance.latest_estimate_without_reserve, rel=1e-9)
    booked = {mo: math.fsum(r.actual for r in plan.variance.monthly_rows if r.month == mo)
              for mo in ("2026-01", "2026-02", "2026-03")}
    for r in months:  # families add up to the month's total
        assert math.fsum(r[1:1 + len(FAMILIES)]) == pytest.approx(r[total_col], rel=1e-9)
        if r[0] in booked:
            assert r[total_col] == pytest.approx(booked[r[0]], rel=1e-9)
    # the lines below the table reconcile it with the model's total
    steps = rows[rows.index(header) + len(body) + 2:]
    assert steps[0][0] == "From the model's total (Summary) to this table's"
    assert steps[1][0] == "the model's total (Summary)"
    assert steps[1][total_col] == pytest.approx(tl.model_total)
    done = next(r for r in steps if r[0] == "= this table's total")
    assert done[total_col] == pytest.approx(shown, rel=1e-9)
    # P&L table below: the model's total for a pool held for the whole horizon
    _h, pnl = table(rows[rows.index(done):], "Month")
    pnl_total = math.fsum(r[total_col] for r in pnl if r[0] != "Total")
    assert pnl_total == pytest.approx(build_timeline(monthly_budget(), view="pnl").total)


def test_variance_sheet_fx_split_and_latest_estimate(sample: Path) -> None:
    run_workbook(sample)
    rows = values(sample, "Variance")
    assert rows[1][0].startswith("As of 2026-03")
    header, ytd = table(rows, "Family")
    assert header[:7] == ("Family", "Budget", "Actual", "Variance", "Variance %", "FX effect",
                          "Real variance")
    for r in ytd:  # FX effect + real variance = variance, on the sheet too
        assert r[5] + r[6] == pytest.approx(r[3], abs=1e-6)
    staff = next(r for r in ytd if r[0] == "R&D staff")
    eur = {"2026-01": 101_000, "2026-02": 104_500, "2026-03": 104_500}
    assert staff[2] == pytest.approx(sum(a * MONTHLY_FX["EUR"][m] for m, a in eur.items()))
    assert staff[5] == pytest.approx(sum(a * (MONTHLY_FX["EUR"][m] - 1.08)
                                         for m, a in eur.items()))
    total = ytd[-1]
    assert total[0] == "Total"
    assert total[3] == pytest.approx(total[2] - total[1])
    le_header, le = table(rows[rows.index(header) + len(ytd) + 2:], "Family")
    assert le_header[3] == "Latest estimate"
    for r in le:
        assert r[3] == pytest.approx(r[1] + r[2])  # actual to date + remaining budget
    movers_header, movers = table(rows[rows.index(le_header) + len(le) + 2:], "Family")
    assert movers_header[1] == "Line"
    assert ("Data", "licensed corpus") in {(r[0], r[1]) for r in movers}


# --- the refresh log --------------------------------------------------------------------------


def test_refreshing_twice_keeps_both_rows_byte_for_byte(sample: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["run", str(sample)])
    assert first.exit_code == 0, first.output
    assert "refresh log: row 1 added" in first.output
    log1 = values(sample, "Refresh log")
    assert log1[0][: len(FIXED_COLUMNS)] == FIXED_COLUMNS
    assert len(log1) == 2

    add_actual(sample, ActualLine(month="2026-04", family="staff", amount=106_000,
                                  currency="EUR"))
    wb = load_workbook(sample)
    fx = wb["FX"]
    fx.append([None])  # keep the workbook as a user would: add April's EUR rate
    r = next(i for i in range(6, 60) if fx.cell(i, 1).value is None)
    fx.cell(r, 1).value, fx.cell(r, 2).value, fx.cell(r, 3).value = "EUR", 1.10, "2026-04"
    wb.save(sample)

    second = runner.invoke(main, ["run", str(sample)])
    assert second.exit_code == 0, second.output
    assert "refresh log: row 2 added" in second.output
    log2 = values(sample, "Refresh log")
    assert len(log2) == 3
    assert typed(log2[0]) == typed(log1[0])  # header: same cells
    assert typed(log2[1]) == typed(log1[1])  # the earlier row: the same values, same types
    head = log2[0]
    assert log2[2][head.index("As of")] == "2026-04"
    staff_change = log2[2][head.index("Change: R&D staff")]
    assert staff_change == pytest.approx(106_000 * 1.10 - 100_125, abs=0.01)
    assert log2[2][head.index(FORECAST_TOTAL)] != log2[1][head.index(FORECAST_TOTAL)]

    third = runner.invoke(main, ["run", str(sample)])
    assert third.exit_code == 0, third.output
    assert "unchanged" in third.output and "no row added" in third.output
    log3 = values(sample, "Refresh log")
    assert [typed(r) for r in log3] == [typed(r) for r in log2]


def test_as_of_option_and_scenario(sample: Path) -> None:
    out = sample.with_name("out.xlsx")
    res = CliRunner().invoke(main, ["run", str(sample), "-o", str(out), "--as-of", "2026-02"])
    assert res.exit_code == 0, res.output
    assert values(out, "Variance")[1][0].startswith("As of 2026-02")
    bad = CliRunner().invoke(main, ["run", str(sample), "--as-of", "March"])
    assert bad.exit_code == 2
    assert "error: --as-of: not a month" in bad.output
    assert "Traceback" not in bad.output
    nope = CliRunner().invoke(main, ["run", str(sample), "--scenario", "Nope"])
    assert nope.exit_code == 2 and "unknown scenario" in nope.output


def test_unknown_currency_and_missing_month_rate_are_cell_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    bad = [ActualLine(month="2026-01", family="data", amount=10, currency="GBP"),
           ActualLine(month="2026-05", family="staff", amount=10, currency="EUR")]
    path.write_bytes(workbook_bytes(monthly_budget(), fill=lambda wb: fill_actuals(
        wb, [*monthly_actuals(), *bad], MONTHLY_FX)))
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["run", str(path)])
    assert res.exit_code == 2, res.output
    assert "error: Actuals!E21: currency: unknown currency GBP" in res.output
    assert "error: Actuals!E22: currency: no FX rate for EUR in 2026-05" in res.output
    assert path.read_bytes() == before  # nothing written
    # `check` validates the same sheets as `run`: the Actuals problems show there too
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2, res.output
    assert "error: Actuals!E21: currency: unknown currency GBP" in res.output
    assert "error: Actuals!E22: currency: no FX rate for EUR in 2026-05" in res.output
    assert path.read_bytes() == before


def test_bad_actual_cells_are_reported_at_their_cell(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"

    def fill(wb) -> None:
        ws = wb["Actuals"]
        ws["A6"], ws["B6"], ws["D6"] = "March", "staff", "abc"
        ws["A7"], ws["B7"], ws["D7"] = "2026-01", "nonsense", 5

    path.write_bytes(workbook_bytes(monthly_budget(), fill=fill))
    read = read_actuals(path, "USD", {"EUR": 1.08})
    where = {(e.location, e.field) for e in read.report.problems}
    assert where == {("Actuals!A6", "month"), ("Actuals!D6", "amount"),
                     ("Actuals!B7", "family")}


# --- LibreOffice: the sheets open, the charts are drawn ------------------------------------


def _ppm_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6"
    return int(parts[1]), int(parts[2]), parts[4]


def _colour_share(ppm: Path, rgb: tuple[int, int, int], x_from: float) -> float:
    """Share of pixels right of ``x_from`` (a fraction of the width) close to ``rgb``."""
    w, h, px = _ppm_pixels(ppm)
    hits = total = 0
    for y in range(h):
        row = px[y * w * 3:(y + 1) * w * 3]
        for x in range(int(w * x_from), w):
            r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            total += 1
            if abs(r - rgb[0]) + abs(g - rgb[1]) + abs(b - rgb[2]) < 40:
                hits += 1
    return hits / total


def test_sheets_open_in_libreoffice_and_charts_have_data(sample: Path, tmp_path: Path) -> None:
    from support.libreoffice import convert_sheet_csvs, render_png, require_soffice

    require_soffice()
    run_workbook(sample)
    csvs = convert_sheet_csvs(sample, tmp_path / "csv")
    monthly = csvs["Monthly"]
    assert any(r and r[0] == "2026-01" for r in monthly)
    assert any(r and r[0] == "Total" for r in csvs["Variance"])
    assert len(csvs["Refresh log"]) == 2
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing")
    blue = (0x2F, 0x55, 0x97)  # compute bars (Monthly) ...
    orange = (0xC5, 0x5A, 0x11)  # ... and the actual bars / latest-estimate line (Variance)
    for sheet, colour in (("Monthly", blue), ("Variance", orange)):
        pngs = render_png(sample, tmp_path / sheet, sheet=sheet)
        assert pngs, sheet
        pdf = next((tmp_path / sheet / "pdf").glob("*.pdf"))
        subprocess.run(["pdftoppm", "-r", "40", str(pdf), str(tmp_path / sheet / "page")],
                       check=True, timeout=120)
        # the charts sit right of the tables and print on pages of their own (print_plan.py):
        # coloured bars / lines must be drawn on one of the pages
        shares = [_colour_share(ppm, colour, 0.0)
                  for ppm in sorted((tmp_path / sheet).glob("page*.ppm"))]
        assert max(shares) > 0.0005, (sheet, shares)
