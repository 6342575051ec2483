"""The workbook side of the scenario engine: Uncertainty sheet, driver ranges, `run --trials`,
the Scenarios / Sensitivity / Risk sheets (opened in LibreOffice, charts with data) and
`costsheet solve` on a workbook."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.errors import InputError
from costsheet.model.budget import compute_budget
from costsheet.model.montecarlo import DEFAULT_SEED, parse_interval
from costsheet.model.scenarios import apply_overrides
from costsheet.workbook.reader import read_budget
from costsheet.workbook.risk_sheets import RISK_SHEETS
from costsheet.workbook.run import run_workbook
from costsheet.workbook.uncertainty import COLUMNS, read_uncertainty
from openpyxl import load_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
POOL = "pools.h100-ondemand.price_per_gpu_hour"


def with_uncertainty(tmp_path: Path, rows: list[list[object]], mfu: object = "0.35 to 0.45",
                     name: str = "budget.xlsx") -> Path:
    """The small rented sample with a range in the MFU Base cell and an Uncertainty sheet."""
    path = tmp_path / name
    shutil.copy(SAMPLES / "small-7b-rented.xlsx", path)
    wb = load_workbook(path)
    ws = wb["Drivers"]
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        if row[0].value == "mfu":
            row[4].value = mfu
    if "Uncertainty" in wb.sheetnames:  # the template's sheet: keys in row 3, lines from row 6
        us = wb["Uncertainty"]
        assert [us.cell(3, j).value for j in range(1, len(COLUMNS) + 1)] == [
            k for k, *_ in COLUMNS]
    else:
        us = wb.create_sheet("Uncertainty")
        us.append(["Uncertainty"])
        us.append(["One uncertain input per row."])
        us.append([k for k, *_ in COLUMNS])
        us.append([label for _k, label, *_ in COLUMNS])
        us.append([unit for _k, _l, unit, *_ in COLUMNS])
    for i, r in enumerate(rows):
        for j, v in enumerate(r, start=1):
            us.cell(6 + i, j).value = v
    wb.save(path)
    return path


GOOD_ROWS: list[list[object]] = [
    [POOL, "triangular", 2.49, 2.99, 3.99],
    ["experiment_multiplier", "PERT", 0.1, 0.3, 0.8],
    ["staff.research engineer.headcount", "normal", None, None, None, 4, 0.5],
]


def test_driver_range_and_uncertainty_sheet_are_read(tmp_path: Path) -> None:
    path = with_uncertainty(tmp_path, GOOD_ROWS)
    read = read_budget(path)
    assert read.ok, [str(e) for e in read.report.errors]
    assert read.budget is not None and read.budget.drivers.mfu == pytest.approx(0.40)
    assert read.intervals["mfu"][0] == "0.35 to 0.45"
    assert re.fullmatch(r"Drivers!E\d+", read.intervals["mfu"][1])
    unc = read_uncertainty(path, read.budget)
    assert unc.report.ok and unc.present
    assert unc.uncertainties[POOL].kind == "triangular"
    assert unc.uncertainties[POOL].params == (2.49, 2.99, 3.99)
    assert unc.uncertainties["experiment_multiplier"].kind == "pert"
    assert unc.uncertainties["staff.research engineer.headcount"].params == (4.0, 0.5)


def test_bad_uncertainty_cells_are_reported_with_sheet_and_cell(tmp_path: Path) -> None:
    path = with_uncertainty(tmp_path, [
        ["pools.nope.price_per_gpu_hour", "uniform", 1, None, 2],
        ["kwh_price", "gamma", 0.05, None, 0.1],
        ["mfu", "uniform", 30, None, 45],
        ["pue", "triangular", 1.1, None, 1.4],
        ["currency", "uniform", 1, None, 2],
        ["kwh_price", "uniform", 0.1, None, 0.05],
    ], mfu=0.4)
    read = read_budget(path)
    assert read.budget is not None
    errors = {f"{e.location}": e.message for e in read_uncertainty(path, read.budget).report.errors}
    assert "unknown pool" in errors["Uncertainty!A6"]
    assert "unknown distribution" in errors["Uncertainty!B7"]
    assert "looks like a percentage typed as 30" in errors["Uncertainty!C8"]
    assert "needs mode" in errors["Uncertainty!D9"]
    assert "not a numeric input" in errors["Uncertainty!A10"]
    assert "out of order" in errors["Uncertainty!C11"]
    with pytest.raises(InputError) as exc:
        run_workbook(path, out=tmp_path / "out.xlsx")
    assert exc.value.report is not None
    assert {"Uncertainty!A6", "Uncertainty!C8"} <= {e.location for e in exc.value.report.errors}
    assert not (tmp_path / "out.xlsx").exists()
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["check", str(path)])  # check reads the Uncertainty sheet too
    assert res.exit_code == 2, res.output
    assert "error: Uncertainty!A6: " in res.output and "error: Uncertainty!C8: " in res.output
    assert path.read_bytes() == before


def test_bad_range_in_a_driver_cell(tmp_path: Path) -> None:
    read = read_budget(with_uncertainty(tmp_path, [], mfu="0.45 to 0.35"))
    assert not read.ok
    (err,) = [e for e in read.report.problems if e.field == "mfu"]
    assert re.fullmatch(r"Drivers!E\d+", err.location) and "reversed" in err.message


def test_run_writes_reproducible_risk_from_the_workbook(tmp_path: Path) -> None:
    path = with_uncertainty(tmp_path, GOOD_ROWS)
    a = run_workbook(path, out=tmp_path / "a.xlsx", trials=4_000, seed=11)
    b = run_workbook(path, out=tmp_path / "b.xlsx", trials=4_000, seed=11)
    assert a.risk is not None and b.risk is not None
    assert np.array_equal(a.risk.risk.total, b.risk.risk.total)
    assert set(a.risk.risk.uncertainties) == {"mfu", POOL, "experiment_multiplier",
                                              "staff.research engineer.headcount"}
    assert a.risk.risk.uncertainties["mfu"].params == parse_interval("0.35 to 0.45").params
    assert set(RISK_SHEETS) <= set(a.owned_sheets)
    wb = load_workbook(tmp_path / "a.xlsx", read_only=True)
    assert set(RISK_SHEETS) <= set(wb.sheetnames)
    text = " ".join(str(c) for row in wb["Risk"].iter_rows(max_row=3, values_only=True)
                    for c in row if c)
    wb.close()
    assert "4,000 trials, seed 11" in text
    data = a.to_dict()["risk"]
    assert data["risk"]["seed"] == 11 and data["risk"]["trials"] == 4_000
    st = data["risk"]["stats"]["total"]
    assert st["p10"] <= st["p50"] <= st["p80"] <= st["p90"]


def test_without_stated_uncertainty_the_scenarios_give_the_ranges(tmp_path: Path) -> None:
    from costsheet.workbook.uncertainty import SCENARIO_RANGE_NOTE, scenario_uncertainties

    path = tmp_path / "d.xlsx"
    shutil.copy(SAMPLES / "deepseek-v3-like.xlsx", path)
    budget = read_budget(path).budget
    assert budget is not None
    dists = scenario_uncertainties(budget)
    moved = {k for ov in budget.scenarios.values() for k in ov}
    assert dists and set(dists) <= moved
    for key, d in dists.items():  # triangular(lowest, Base, highest) over Base and scenarios
        from costsheet.model.scenarios import get_value

        seen = [ov[key] for ov in budget.scenarios.values() if key in ov]
        base = get_value(budget, key)
        assert d.kind == "triangular"
        assert d.params == (min(*seen, base), base, max(*seen, base))
    res = run_workbook(path, out=tmp_path / "out.xlsx", trials=2_000, seed=3)
    assert res.risk is not None
    assert set(res.risk.risk.uncertainties) == set(dists)
    st = res.to_dict()["risk"]["risk"]["stats"]["total"]
    assert st["p10"] < st["p50"] < st["p90"]  # a real spread, not one number
    assert res.to_dict()["risk"]["risk"]["note"] == SCENARIO_RANGE_NOTE
    wb = load_workbook(tmp_path / "out.xlsx", read_only=True)
    notes = [c for row in wb["Risk"].iter_rows(max_row=4, values_only=True) for c in row if c]
    wb.close()
    assert SCENARIO_RANGE_NOTE in notes
    # once the workbook states its own uncertainty, the scenarios are not used for it
    stated = run_workbook(with_uncertainty(tmp_path, GOOD_ROWS), out=tmp_path / "s.xlsx",
                          trials=500)
    assert stated.risk is not None and stated.risk.note == ""


def test_default_seed_is_fixed_and_written(tmp_path: Path) -> None:
    path = with_uncertainty(tmp_path, GOOD_ROWS)
    res = run_workbook(path, out=tmp_path / "a.xlsx", trials=500)
    assert res.risk is not None and res.risk.risk.seed == DEFAULT_SEED


def test_cli_run_trials_seed_json(tmp_path: Path) -> None:
    path = with_uncertainty(tmp_path, GOOD_ROWS)
    out = tmp_path / "cli.xlsx"
    res = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--trials", "3000",
                                    "--seed", "5", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["risk"]["risk"]["seed"] == 5
    res = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--trials", "3000"])
    assert res.exit_code == 0, res.output
    assert re.search(r"Risk \(3,000 trials, seed \d+\): P10 \$[\d,]+ · P50", res.output)


def _chart_refs(path: Path) -> dict[str, list[str]]:
    """Chart part → the cell ranges its series read."""
    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if re.match(r"xl/charts/chart\d+\.xml$", name):
                xml = zf.read(name).decode()
                out[name] = re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)
    return out


def test_risk_sheets_open_in_libreoffice_with_charts_that_have_data(tmp_path: Path) -> None:
    from support.libreoffice import convert_sheet_csvs, render_png, require_soffice

    require_soffice()
    path = with_uncertainty(tmp_path, GOOD_ROWS)
    out = tmp_path / "out.xlsx"
    run_workbook(path, out=out, trials=5_000, seed=3)
    csvs = convert_sheet_csvs(out, tmp_path / "csv")
    risk = csvs["Risk"]
    assert risk[0][0] == "Risk: the budget as a range of outcomes"
    total_row = next(r for r in risk if r and r[0] == "Total")
    numbers = [float(x) for x in total_row[1:7]]
    assert numbers[2] <= numbers[3] <= numbers[4] <= numbers[5]  # P10 <= P50 <= P80 <= P90
    sens = csvs["Sensitivity"]
    swings = [float(r[9]) for r in sens if r and r[0].isdigit()]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    scen = csvs["Scenarios"]
    assert any(r and r[0] == "What explains the difference" for r in scen)
    # every chart of the three sheets reads cells that hold numbers
    refs = [f for fs in _chart_refs(out).values() for f in fs
            if any(f"'{s}'!" in f or f"{s}!" in f for s in RISK_SHEETS)]
    assert len(refs) >= 8
    for f in refs:
        sheet, _, rng = f.partition("!")
        sheet = sheet.strip("'")
        cells = re.findall(r"\$([A-Z]+)\$(\d+)", rng)
        (c1, r1), (c2, r2) = cells[0], cells[-1]
        col1, col2 = _col(c1), _col(c2)
        values = [csvs[sheet][r - 1][c - 1] for r in range(int(r1), int(r2) + 1)
                  for c in range(col1, col2 + 1)]
        assert any(v.strip() for v in values), f
    for sheet in RISK_SHEETS:
        pngs = render_png(out, tmp_path / "png" / sheet, sheet=sheet)
        assert pngs and pngs[0].stat().st_size > 20_000, sheet  # tables and charts drawn


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def test_solve_on_a_workbook_hits_the_target(tmp_path: Path) -> None:
    path = SAMPLES / "small-7b-rented.xlsx"
    res = CliRunner().invoke(main, ["solve", str(path), "--target", "total=1.2M", "--vary",
                                    "mfu", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    budget = read_budget(path).budget
    assert budget is not None
    got = compute_budget(apply_overrides(budget, {data["key"]: data["value"]})).total
    assert got == pytest.approx(1.2e6, rel=1e-3)
    res = CliRunner().invoke(main, ["solve", "chinchilla", str(path), "--budget", "100k"])
    assert res.exit_code == 0, res.output
    assert "compute-optimal run of" in res.output
    res = CliRunner().invoke(main, ["solve", str(path), "--target", "total=1.2M", "--vary",
                                    "mfu", "--gpu", "H100"])
    assert res.exit_code == 2 and "with a workbook" in res.output
