"""Nothing lost: `costsheet new --into` and `costsheet run` on every real workbook of
../shared/fixtures/real-workbooks/ keep every part of the user's file byte-identical except the
few shared ones (and a user sheet's tab deselected: tests/support/user_parts.py); the result
opens in LibreOffice and openpyxl and reads back. User text that looks like a formula stays
text in owned sheets."""

from __future__ import annotations

import json
import re
import shutil
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.add_inputs import INPUT_PROPERTY, input_sheet_names
from costsheet.workbook.ooxml import SHARED_PARTS, list_sheets, read_owned_sheets
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import README_SHEET
from support.fixtures import REAL_WORKBOOKS, real_workbook_names, require_real_workbooks
from support.hostile import example_bytes, sheet_part
from support.libreoffice import convert_sheet_csvs, require_soffice
from support.user_parts import assert_parts_kept

FIXTURES = REAL_WORKBOOKS
NAMES = real_workbook_names()
SHARED = set(SHARED_PARTS)
TRIALS = "300"  # Monte Carlo trials per run: enough for the Risk sheet, quick


def _fixture(name: str, folder: Path) -> Path:
    require_real_workbooks()
    dst = folder / name
    shutil.copyfile(FIXTURES / name, dst)
    dst.chmod(0o644)
    return dst


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def _openpyxl_ok(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            openpyxl.load_workbook(path).close()
    except Exception:
        return False
    return True


def _run_json(path: Path) -> dict:
    res = CliRunner().invoke(main, ["run", str(path), "--json", "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    return json.loads(res.output[res.output.index("{"):])


def _summary_totals(path: Path) -> dict[str, float]:
    ws = openpyxl.load_workbook(path, read_only=True)["Summary"]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and str(r[0]).startswith("Cost by family"))
    total = next(r for r in rows if r and r[0] == "Total")
    return {h: total[i] for i, h in enumerate(header) if i and h}


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_new_into_then_run_twice_keeps_every_user_part(name: str, tmp_path: Path) -> None:
    path = _fixture(name, tmp_path)
    original = _parts(path)
    user_sheets = list_sheets(path)

    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example"])
    assert res.exit_code == 0, res.output
    assert "Previous version kept as" in res.output
    inputs = list_sheets(path)[len(user_sheets):]
    assert inputs == [README_SHEET, *input_sheet_names()]
    assert read_owned_sheets(path, INPUT_PROPERTY) == inputs
    assert read_owned_sheets(path) == []  # input sheets are not costsheet's to replace

    # adding them again is refused, and nothing changes
    before = path.read_bytes()
    again = CliRunner().invoke(main, ["new", "--into", str(path)])
    assert again.exit_code == 2 and "already has costsheet's input sheets" in again.output
    assert path.read_bytes() == before

    first = _run_json(path)
    after_first = _parts(path)
    second = _run_json(path)
    assert first["scenarios"] == second["scenarios"]
    result = _parts(path)

    # every original part but the shared ones: same bytes; shared ones still there
    # (the only edit a user's sheet may see: its tab deselected, as run opens on Summary; no
    # formula of these workbooks reads costsheet's results)
    edits = assert_parts_kept(original, result, SHARED)
    assert all(not e["cleared"] for e in edits.values()), edits
    if name.endswith(".xlsm"):
        assert result["xl/vbaProject.bin"] == original["xl/vbaProject.bin"]
    # nothing accumulates: the second run replaced the first run's sheets
    assert sorted(result) == sorted(after_first)
    sheets = list_sheets(path)
    assert sheets[: len(user_sheets) + len(inputs)] == user_sheets + inputs
    assert read_owned_sheets(path) == sheets[len(user_sheets) + len(inputs):]
    assert len(set(s.casefold() for s in sheets)) == len(sheets)
    # the user's defined names are all still there
    wb_xml = result["xl/workbook.xml"].decode("utf-8")
    for m in re.finditer(rb"<(?:\w+:)?definedName\b[^>]*>[^<]*<", original["xl/workbook.xml"]):
        assert m.group(0).decode("utf-8") in wb_xml

    # costsheet reads its own sheets back; Summary equals --json
    read = read_budget(path)
    assert read.ok, [str(e) for e in read.report.problems]
    totals = _summary_totals(path)
    assert list(totals) == list(second["scenarios"])
    for scen, value in totals.items():
        assert value == pytest.approx(second["scenarios"][scen]["total"], rel=1e-12)
    # the dropdowns of the grafted input sheets survive
    if _openpyxl_ok(path):
        wb = openpyxl.load_workbook(path)
        rules = wb["Runs"].data_validations.dataValidation
        assert any(r.type == "list" and "Pools!" in (r.formula1 or "") for r in rules)
        assert wb["Pools"]["A6"].value == "h100-cloud"
    else:  # openpyxl cannot load the original either (pivot-tables.xlsx: a TypeError)
        assert not _openpyxl_ok(FIXTURES / name)

    # LibreOffice opens the result (accept failure only where it fails on the original)
    require_soffice()
    try:
        csvs = convert_sheet_csvs(path, tmp_path / "lo")
    except Exception:
        try:
            convert_sheet_csvs(FIXTURES / name, tmp_path / "lo-original")
        except Exception:
            # LibreOffice fails on the user's original too (7.4 crashes on sparklines.xlsx)
            pytest.xfail(f"LibreOffice cannot open the original {name} either")
        raise
    assert "Summary" in csvs and "Pools" in csvs
    assert any(row and row[0] == "h100-cloud" for row in csvs["Pools"])


def test_new_into_refuses_a_workbook_with_an_input_sheet_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Plan"
    wb.create_sheet("pools")  # Excel compares sheet names case-insensitively
    wb.create_sheet("README")
    path = tmp_path / "team.xlsx"
    wb.save(path)
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["new", "--into", str(path)])
    assert res.exit_code == 2
    assert "error: team.xlsx: already has sheet 'pools'" in res.output
    assert path.read_bytes() == before
    del wb["pools"]
    wb.save(path)
    res = CliRunner().invoke(main, ["new", "--into", str(path)])
    assert res.exit_code == 0, res.output
    assert "costsheet's was not added" in res.output  # the user's README is kept, not ours
    assert list_sheets(path) == ["Plan", "README", *input_sheet_names()]
    usage = CliRunner().invoke(main, ["new"])
    assert usage.exit_code == 2 and "--into" in usage.output


# --------------------------------------------------------------------------------------------
# user text that looks like a formula stays text

FORMULA_LIKE = {
    "Pools!A6": '=HYPERLINK("x","click")',
    "Runs!C6": '=HYPERLINK("x","click")',
    "Overrides!B6": 'pools.=HYPERLINK("x","click").price_per_gpu_hour',
    "Runs!A6": "-base",
    "Data!A6": "+1 crawl",
    "Staff!A6": "@risk team",
    "Other!A6": "=1+1",
}


def _formula_like_workbook(path: Path) -> Path:
    path.write_bytes(example_bytes())
    wb = openpyxl.load_workbook(path)
    for ref, text in FORMULA_LIKE.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = text
        wb[sheet][cell].data_type = "s"  # typed as text, as Excel stores '=... with a quote
    wb.save(path)
    return path


def test_formula_like_user_text_is_text_in_owned_sheets(tmp_path: Path) -> None:
    path = _formula_like_workbook(tmp_path / "texts.xlsx")
    read = read_budget(path)
    assert read.ok, [str(e) for e in read.report.problems]
    assert read.budget.pools[0].name == '=HYPERLINK("x","click")'
    data = _run_json(path)
    assert data["owned_sheets"]
    package = _parts(path)
    blob = path.read_bytes()
    texts = ""
    for sheet in data["owned_sheets"]:
        xml = package[sheet_part(blob, sheet)].decode("utf-8")
        assert not re.search(r"<(\w+:)?f[ >/]", xml), f"a formula in owned sheet {sheet}"
        texts += xml
    for text in ('=HYPERLINK("x","click")', "-base", "+1 crawl", "@risk team", "=1+1"):
        escaped = text.replace("&", "&amp;").replace('"', "&quot;")
        assert f">{text}<" in texts or f">{escaped}<" in texts or text in texts, text
    wb = openpyxl.load_workbook(path, read_only=True)
    seen = {c for row in wb["Line items"].iter_rows(values_only=True) for c in row
            if isinstance(c, str)}
    assert any('=HYPERLINK("x","click")' in c for c in seen)
    assert any("-base" in c for c in seen) and any("+1 crawl" in c for c in seen)

    require_soffice()
    csvs = convert_sheet_csvs(path, tmp_path / "lo")
    cells = {c for row in csvs["Line items"] for c in row}
    assert any('=HYPERLINK("x","click")' in c for c in cells)  # shown as text, not a link
    assert not any(c == "click" for c in cells)
    assert any("@risk team" in c for c in cells) and any("+1 crawl" in c for c in cells)
