"""`costsheet run`: compute every scenario and write owned sheets back, safely.

Real workbooks throughout: the committed samples (copied to a temporary folder) and, for budgets
built in Python, a user workbook with a sheet of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.errors import CostsheetError, InputError
from costsheet.inputs import FAMILIES, Budget, GpuPool, TrainingRun
from costsheet.workbook.ooxml import SHARED_PARTS, list_sheets, read_owned_sheets
from costsheet.workbook.run import (
    RunResult,
    compute_scenarios,
    run_budget,
    run_workbook,
    scenario_checks,
)
from costsheet.workbook.safety import BACKUP_DIR
from costsheet.workbook.writer import OWNED_SHEETS
from test_writer import deepseek_budget, frontier_budget, small_budget

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx"))
NOW = datetime(2025, 3, 1, 9, 30)
#: Sheets whose content is a pure function of the inputs (the Refresh log appends by design).
STABLE_SHEETS = ("Summary", "Line items", "Checks")


def _copy(src: Path, folder: Path, name: str | None = None) -> Path:
    dst = folder / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _values(path: Path, sheet: str) -> list[tuple]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _user_workbook(path: Path, extra_sheet: str = "Notes") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = extra_sheet
    ws["A1"] = "our own notes"
    ws["B2"] = 42
    wb.save(path)
    return path


@pytest.fixture(params=[p.name for p in SAMPLES] or ["none"])
def sample(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "none":
        pytest.skip("no samples/*.xlsx yet")
    return _copy(ROOT / "samples" / request.param, tmp_path)


# ---- samples, end to end


def test_sample_runs_in_place_twice_same_owned_sheets_user_parts_untouched(sample: Path):
    original = _parts(sample)
    user_sheets = list_sheets(sample)
    first = run_workbook(sample, now=NOW)
    after_first = {s: _values(sample, s) for s in STABLE_SHEETS}
    second = run_workbook(sample, now=NOW)
    sheets = list_sheets(sample)
    assert sheets == user_sheets + second.owned_sheets  # no duplicates, user sheets first
    assert len({s.casefold() for s in sheets}) == len(sheets)
    assert read_owned_sheets(sample) == second.owned_sheets
    assert first.to_dict()["scenarios"] == second.to_dict()["scenarios"]
    for s in STABLE_SHEETS:
        assert _values(sample, s) == after_first[s], s
    final = _parts(sample)
    for name, data in original.items():  # every part of the user's file kept its bytes
        if name in SHARED_PARTS or name == "docProps/app.xml":
            continue
        assert final.get(name) == data, name


def test_sample_to_out_leaves_source_untouched(sample: Path, tmp_path: Path):
    before = sample.read_bytes()
    out = tmp_path / "result.xlsx"
    result = run_workbook(sample, out=out, now=NOW)
    assert sample.read_bytes() == before
    assert result.output == out and result.backup is None
    assert read_owned_sheets(out) == result.owned_sheets
    assert not (sample.parent / BACKUP_DIR).exists()


def test_json_totals_match_summary_sheet(sample: Path):
    result = run_workbook(sample, now=NOW)
    data = result.to_dict()
    rows = _values(sample, "Summary")
    header = next(r for r in rows if r and str(r[0]).startswith("Cost by family"))
    names = [h for h in header[1:] if h]
    assert names == list(data["scenarios"])
    total = next(r for r in rows if r and r[0] == "Total")
    for i, name in enumerate(names, start=1):
        assert total[i] == pytest.approx(data["scenarios"][name]["total"], rel=1e-12)
        assert data["scenarios"][name]["total"] == pytest.approx(
            sum(data["scenarios"][name]["families"][f] for f in FAMILIES), rel=1e-12)


def test_deepseek_sample_final_run_line(tmp_path: Path):
    src = ROOT / "samples" / "deepseek-v3-like.xlsx"
    if not src.exists():
        pytest.skip("sample not there yet")
    path = _copy(src, tmp_path)
    run_workbook(path, now=NOW)
    rows = _values(path, "Line items")
    final = [r for r in rows if r and r[0] == "Base" and str(r[2]).startswith("Final run")]
    assert final and final[0][6] == pytest.approx(5_576_000)
    assert final[0][3] == pytest.approx(2_788_000)


def test_backup_of_previous_version(sample: Path):
    before = sample.read_bytes()
    result = run_workbook(sample, now=NOW)
    assert result.backup is not None and result.backup.parent.name == BACKUP_DIR
    assert result.backup.read_bytes() == before


# ---- refusals: the file is never touched


def test_refuses_when_open_in_excel(sample: Path):
    lock = sample.with_name("~$" + sample.name)
    lock.write_bytes(b"owner")
    before = sample.read_bytes()
    with pytest.raises(CostsheetError, match="open in Excel"):
        run_workbook(sample)
    assert sample.read_bytes() == before
    assert not (sample.parent / BACKUP_DIR).exists()


def test_refuses_user_sheet_named_like_an_owned_one(sample: Path, tmp_path: Path):
    wb = openpyxl.load_workbook(sample)
    wb.create_sheet("summary")["A1"] = "my own summary"
    path = tmp_path / "with-summary.xlsx"
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(CostsheetError, match="'summary' is not one of costsheet's"):
        run_workbook(path)
    assert path.read_bytes() == before


def test_refuses_user_sheet_named_like_an_owned_one_python_budget(tmp_path: Path):
    path = _user_workbook(tmp_path / "book.xlsx", extra_sheet="Line items")
    before = path.read_bytes()
    with pytest.raises(CostsheetError, match="Line items"):
        run_budget(path, small_budget())
    assert path.read_bytes() == before


def test_refuses_read_only_file(tmp_path: Path):
    path = _user_workbook(tmp_path / "book.xlsx")
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)
    try:
        before = path.read_bytes()
        with pytest.raises(CostsheetError, match="read-only"):
            run_budget(path, small_budget())
        assert path.read_bytes() == before
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_input_errors_raise_with_cells_and_leave_file(tmp_path: Path):
    src = ROOT / "samples" / "deepseek-v3-like.xlsx"
    if not src.exists():
        pytest.skip("sample not there yet")
    sample = _copy(src, tmp_path)
    wb = openpyxl.load_workbook(sample)
    ws = wb["Runs"]
    assert ws["F3"].value == "tokens" and ws["H3"].value == "mfu"
    ws["F6"] = "abc"
    ws["H6"] = 40
    wb.save(sample)
    before = sample.read_bytes()
    with pytest.raises(InputError) as info:
        run_workbook(sample)
    where = {e.location for e in info.value.report.problems}
    assert {"Runs!F6", "Runs!H6"} <= where
    assert sample.read_bytes() == before
    result = CliRunner().invoke(main, ["run", str(sample)])
    assert result.exit_code == 2
    assert "error: Runs!F6: tokens:" in result.output
    assert "tip:" in result.output
    assert sample.read_bytes() == before


# ---- Python budgets into a user's own workbook


def test_python_budget_into_user_workbook_twice(tmp_path: Path):
    path = _user_workbook(tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as zf:
        notes = zf.read("xl/worksheets/sheet1.xml")
    run_budget(path, frontier_budget(), now=NOW)
    first = {s: _values(path, s) for s in STABLE_SHEETS}
    result = run_budget(path, frontier_budget(), now=NOW)
    assert list_sheets(path) == ["Notes", *result.owned_sheets]
    assert {s: _values(path, s) for s in STABLE_SHEETS} == first
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/worksheets/sheet1.xml") == notes
    # user text in owned sheets stays text
    items = [r[2] for r in _values(path, "Line items")]
    assert "=SUM(A1:A9)" in items


def test_scenarios_subset_and_unknown(tmp_path: Path):
    budget = small_budget()
    got = compute_scenarios(budget, ["high", "Base"])
    assert list(got) == ["High", "Base"]
    with pytest.raises(InputError, match="unknown scenario 'Medium'"):
        compute_scenarios(budget, ["Medium"])


def test_checks_identical_scenario_and_grouped_warnings():
    budget = frontier_budget()  # has a "Copy" scenario with no overrides
    results = compute_scenarios(budget)
    checks = scenario_checks(budget, results)
    copy = [c for c in checks if c.scenario == "Copy" and "identical to Base" in c.message]
    assert copy and copy[0].severity == "warning"
    hot = Budget(
        pools=[GpuPool(name="p", gpu_type="H100", gpu_count=64, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="r", params="1B", tokens="20B", mfu="70%")],
        scenarios={"Cheap": {"pools.p.price_per_gpu_hour": 1.0}, "Power": {"kwh_price": 0.2}},
    )
    checks = scenario_checks(hot, compute_scenarios(hot))
    mfu = [c for c in checks if "MFU" in c.message]
    assert len(mfu) == 1 and mfu[0].scenario == "all"  # one row, not one per scenario
    info = [c for c in checks if c.scenario == "Power"]
    assert info and info[0].severity == "info"  # electricity price does not reach rented GPUs


# ---- the CLI


def test_cli_run_table_and_json(sample: Path, tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(sample)])
    assert result.exit_code == 0, result.output
    assert "Total" in result.output and "Wrote Summary" in result.output
    out = tmp_path / "o.xlsx"
    result = runner.invoke(main, ["run", str(sample), "-o", str(out), "--json",
                                  "--scenario", "Base"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data["scenarios"]) == ["Base"]
    base = data["scenarios"]["Base"]
    assert set(base["families"]) == set(FAMILIES)
    assert base["total"] == pytest.approx(sum(base["families"].values()))
    for key in ("flops", "gpu_hours", "wall_clock_days", "energy_kwh", "co2_kg",
                "cost_per_million_tokens"):
        assert key in base["metrics"]


def test_cli_lock_file_exit_2(tmp_path: Path):
    path = _user_workbook(tmp_path / "book.xlsx")
    (tmp_path / "~$book.xlsx").write_bytes(b"x")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: book.xlsx is open in Excel")
    assert "Traceback" not in result.output


def test_run_result_to_dict_is_json(tmp_path: Path):
    path = _user_workbook(tmp_path / "book.xlsx")
    result = run_budget(path, deepseek_budget(), now=NOW)
    assert isinstance(result, RunResult)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["scenarios"]["Base"]["families"]["compute"] == pytest.approx(5_576_000)
    assert data["owned_sheets"][:3] == list(OWNED_SHEETS)


def test_run_reads_the_source_package_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One `costsheet run` reads the source file once: pre-flight, the owned-sheet check, the
    reader (every input sheet, the saved results of formulas, hidden rows and merges, Actuals,
    FX, Uncertainty), the Refresh log and the graft share one package object, and openpyxl reads
    its bytes, never the file. The only other read of the file is the backup copy."""
    import builtins
    import io

    from costsheet.workbook import readonly_workbook
    from costsheet.workbook.ooxml import Package

    path = _copy(ROOT / "samples" / "monthly-actuals.xlsx", tmp_path)
    run_workbook(path, now=NOW)  # owned sheets and a Refresh log for the second run to read
    opened: list[str] = []
    real_open = Package.open.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Package], p: Path, **kw: object) -> Package:
        opened.append(Path(p).name)
        return real_open(cls, p, **kw)

    reads: list[str] = []  # every open of the source file, by whom
    real_io_open = io.open

    def spying(file: object, mode: str = "r", *args: object, **kw: object) -> object:
        if isinstance(file, str | os.PathLike) and Path(file).resolve() == path.resolve():
            reads.append(mode)
        return real_io_open(file, mode, *args, **kw)  # type: ignore[call-overload]

    views: list[object] = []  # what openpyxl was given to read
    real_view = readonly_workbook.open_read_only

    def viewing(source: object, *, data_only: bool = False) -> object:
        views.append(source)
        return real_view(source, data_only=data_only)  # type: ignore[arg-type]

    monkeypatch.setattr(Package, "open", classmethod(counting))
    monkeypatch.setattr(io, "open", spying)
    monkeypatch.setattr(builtins, "open", spying)
    monkeypatch.setattr(readonly_workbook, "open_read_only", viewing)
    second = run_workbook(path, now=NOW)
    monkeypatch.undo()
    assert [n for n in opened if n == path.name] == [path.name]
    # the package; its digest, proving it unchanged before a backup rotates; the backup copy;
    # the digest again just before the replace
    assert reads == ["rb", "rb", "rb", "rb"], reads
    assert views and all(isinstance(v, io.BytesIO) for v in views), views
    assert second.monthly is not None and len(second.monthly.log_rows) == 1
    assert second.monthly.as_of is not None  # the Actuals sheet was read, from the package
