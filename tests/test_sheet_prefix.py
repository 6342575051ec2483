"""Sheet-name clashes: costsheet's sheets beside a team's own ``Data`` and ``Summary``.

Real workbooks (../shared/fixtures/real-workbooks, made by Excel, Excel for Mac and LibreOffice)
with sheets renamed inside the package to ``Data`` and ``Summary`` (only the parts that name a
sheet change: :func:`support.fixtures.renamed_sheets`). ``new --into`` refuses them and points
at ``--prefix``; with ``--prefix "LLM "`` every sheet costsheet adds or writes starts with it,
``check`` and ``run`` find them, two runs keep every part of the user's byte for byte.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.add_inputs import input_sheet_names
from costsheet.workbook.ooxml import SHARED_PARTS, Package, list_sheets
from costsheet.workbook.ownership import RESULT_SHEETS, assess
from costsheet.workbook.reader import read_budget
from costsheet.workbook.sheet_names import PREFIX_PROPERTY, sheet_prefix
from support.fixtures import REAL_WORKBOOKS, renamed_sheets
from support.hostile import write_example
from support.user_parts import assert_parts_kept

TRIALS = "300"
PREFIX = "LLM "
#: real workbook -> its sheets renamed to the finance team's most common sheet names
CASES = {
    "excel-tables.xlsx": {"Sheet1": "Data", "Sheet2": "Summary"},
    "pivot-tables.xlsx": {"PivotSheet1": "Summary", "DataSheet2": "Data"},
    "macros.xlsm": {"Sheet1": "Data", "Sheet2": "Summary"},
    "date-1904.xlsx": {"Sheet1": "Data"},
}
RENAMING_PARTS = {"xl/workbook.xml", "docProps/app.xml", "xl/pivotCache/pivotCacheDefinition2.xml"}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _run_json(path: Path) -> dict:
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_workbook_with_data_and_summary_takes_prefixed_sheets(name: str,
                                                                   tmp_path: Path) -> None:
    path = renamed_sheets(name, tmp_path, CASES[name])
    original = _parts(path)
    # the fixture is the real workbook with only the renaming parts changed
    real = _parts(REAL_WORKBOOKS / name)
    assert {p for p in real if real[p] != original[p]} <= RENAMING_PARTS
    user_sheets = list_sheets(path)
    assert set(CASES[name].values()) <= set(user_sheets)

    # by default: refused, nothing changed, and the message points at --prefix
    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example"])
    assert res.exit_code == 2
    assert "named like costsheet's sheets" in res.output
    assert f'--prefix "{PREFIX}"' in res.output
    assert _parts(path) == original

    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example", "--prefix", PREFIX])
    assert res.exit_code == 0, res.output
    inputs = [PREFIX + n for n in ("README", *input_sheet_names())]
    assert list_sheets(path) == user_sheets + inputs
    assert sheet_prefix(Package.open(path)) == PREFIX
    res = CliRunner().invoke(main, ["check", str(path)])
    # the example's High scenario oversubscribes a pool: `check` prints that warning as `run` does
    assert res.exit_code == 0 and "\nok:" in "\n" + res.output, res.output

    first = _run_json(path)
    second = _run_json(path)
    assert first["scenarios"] == second["scenarios"]
    results = [PREFIX + n for n in RESULT_SHEETS]
    assert second["owned_sheets"] == results
    assert list_sheets(path) == user_sheets + inputs + results
    result = _parts(path)
    # no formula of these workbooks reads costsheet's results (the user's own Summary is not
    # costsheet's): at most a tab deselected
    edits = assert_parts_kept(original, result, set(SHARED_PARTS))
    assert all(not e["cleared"] for e in edits.values()), edits
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)
    read = read_budget(path)
    assert read.ok, [str(e) for e in read.report.problems]


def test_errors_name_the_prefixed_sheets(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "team.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(path)
    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example", "--prefix", PREFIX])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(path)
    wb["LLM Pools"]["C6"] = "many"
    wb.save(path)
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2
    assert "error: LLM Pools!C6: gpu_count:" in res.output, res.output


def test_prefix_is_checked_and_goes_with_into(tmp_path: Path) -> None:
    path = tmp_path / "team.xlsx"
    write_example(path)
    before = path.read_bytes()
    for bad, why in (("a/b ", "holds /"), ("x" * 25, "longer than Excel's 31"),
                     (" LLM", "starts with a space"), ("'q", "apostrophe")):
        res = CliRunner().invoke(main, ["new", "--into", str(path), "--prefix", bad])
        assert res.exit_code == 2 and why in res.output, res.output
    assert path.read_bytes() == before
    res = CliRunner().invoke(main, ["new", str(tmp_path / "x.xlsx"), "--prefix", PREFIX])
    assert res.exit_code == 2 and "--prefix goes with --into" in res.output


def test_unusable_recorded_prefix_is_an_error_naming_the_property(tmp_path: Path) -> None:
    import openpyxl
    from openpyxl.packaging.custom import StringProperty

    path = tmp_path / "budget.xlsx"
    write_example(path)
    wb = openpyxl.load_workbook(path)
    wb.custom_doc_props.append(StringProperty(name=PREFIX_PROPERTY, value='"a:b"'))
    wb.save(path)
    before = path.read_bytes()
    for command in ("check", "run"):
        res = CliRunner().invoke(main, [command, str(path)])
        assert res.exit_code == 2 and PREFIX_PROPERTY in res.output, res.output
    assert path.read_bytes() == before


def test_a_second_set_of_input_sheets_is_refused(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "team.xlsx"
    openpyxl.Workbook().save(path)
    assert CliRunner().invoke(main, ["new", "--into", str(path)]).exit_code == 0
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["new", "--into", str(path), "--prefix", PREFIX])
    assert res.exit_code == 2 and "already has costsheet's input sheets" in res.output
    assert path.read_bytes() == before
