"""Which sheets `costsheet run` may replace: only its own, proven by the sheet itself.

Every workbook here is made the way a real program makes it (costsheet's template, openpyxl,
XlsxWriter, LibreOffice saving a file, costsheet 0.1.0 for the migration), and every refusal or
run is checked against the bytes: the user's sheets and the input sheets come out byte for byte
as they went in.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.errors import CostsheetError
from costsheet.workbook.ooxml import Package, list_sheets, read_owned_sheets
from costsheet.workbook.ooxml.names import OWNER_MARK
from costsheet.workbook.ownership import (
    RESULT_SHEETS,
    ForeignSheetError,
    assess,
    owner_marks,
)
from costsheet.workbook.run import run_workbook
from costsheet.workbook.sheet_digest import read_contents
from costsheet.workbook.sheet_names import AmbiguousSheetError
from support.hostile import sheet_part, write_example
from support.user_parts import changes

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT / "tests" / "data" / "run-by-costsheet-0.1.0.xlsx"
TRIALS = 300
INPUT_SHEETS = ("README", "Drivers", "Pools", "Runs", "Data", "Staff", "Other", "GPU catalog",
                "FX", "Overrides", "Actuals", "Uncertainty")


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _sheet_bytes(path: Path, sheets: list[str]) -> dict[str, bytes]:
    """The part bytes of each named sheet."""
    data = path.read_bytes()
    parts = _parts(path)
    return {s: parts[sheet_part(data, s)] for s in sheets}


def _assert_kept(before: dict[str, bytes], after: dict[str, bytes],
                 cleared: dict[str, list[str]] | None = None) -> None:
    """The same sheets, each with its bytes but for the edits a run may make to a user's sheet
    (tests/support/user_parts.py): the tab deselected, and the saved results of the formulas
    that read costsheet's sheets (``cleared``: sheet -> cells) dropped."""
    assert list(after) == list(before)
    for name, data in before.items():
        assert changes(data, after[name])["cleared"] == (cleared or {}).get(name, []), name


def _run(path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["run", str(path), "--trials", str(TRIALS), *args])
    return res.exit_code, res.output


def _example(tmp_path: Path, name: str = "budget.xlsx") -> Path:
    path = tmp_path / name
    write_example(path)
    return path


def _ran(tmp_path: Path) -> Path:
    path = _example(tmp_path)
    code, out = _run(path)
    assert code == 0, out
    return path


# ---- the mark


def test_run_marks_every_result_sheet_and_the_marks_match(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    pkg = Package.open(path)
    marks = owner_marks(pkg)
    assert set(marks) == set(RESULT_SHEETS)
    contents = read_contents(pkg, RESULT_SHEETS)
    for name in RESULT_SHEETS:
        assert contents[name].matches(marks[name]), name
    wb_xml = pkg.get("xl/workbook.xml").decode()
    for m in re.finditer(r"<definedName [^>]*name=\"" + re.escape(OWNER_MARK) + "\"[^>]*>", wb_xml):
        assert 'hidden="1"' in m.group(0) and "localSheetId=" in m.group(0)
    assert all(c.status == "marked" for c in assess(pkg).claims)


def test_rerun_replaces_marked_sheets_and_keeps_inputs_byte_identical(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    inputs = _sheet_bytes(path, list(INPUT_SHEETS))
    code, out = _run(path)
    assert code == 0, out
    assert _sheet_bytes(path, list(INPUT_SHEETS)) == inputs
    assert list_sheets(path) == [*INPUT_SHEETS, *RESULT_SHEETS]


def test_marks_survive_openpyxl_load_and_save(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.save(path)  # a user's script re-saves the workbook
    assert set(owner_marks(Package.open(path))) == set(RESULT_SHEETS)
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)
    code, out = _run(path)
    assert code == 0, out


def _zip_edit(path: Path, edit) -> None:
    """Rewrite the package with ``edit(parts)`` applied (every entry in its order)."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        parts = {i.filename: zf.read(i) for i in infos}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info, parts[info.filename])


def test_unchanged_sheets_are_proven_by_their_bytes_without_reading_cells(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mark ends with a digest of the sheet's parts: a re-run of an untouched workbook
    reads no cell of its result sheets (bench/README.md: the large budget's re-run)."""
    import costsheet.workbook.ownership as ownership

    path = _ran(tmp_path)
    marks = owner_marks(Package.open(path))
    assert all(re.fullmatch(r'"costsheet/1 [0-9a-f]{32} \S+ [0-9a-f]{64}"', m)
               for m in marks.values()), marks
    read: list[list[str]] = []
    real = ownership.read_contents
    monkeypatch.setattr(ownership, "read_contents",
                        lambda pkg, sheets: read.append(list(sheets)) or real(pkg, sheets))
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)
    assert read == [[]]


def test_a_picture_added_to_a_sheets_drawing_is_seen(tmp_path: Path) -> None:
    """Adding an object to a drawing the sheet already has changes only the drawing part:
    that part is in the digest, so the cells are read, and the count of objects differs."""
    path = _ran(tmp_path)
    pkg = Package.open(path)
    part = next(s.part for s in pkg.sheets() if s.name == "Summary")
    drawing = pkg.related(part, "http://schemas.openxmlformats.org/officeDocument/2006/"
                          "relationships/drawing")[0]

    def add_anchor(parts: dict[str, bytes]) -> None:
        xml = parts[drawing].decode("utf-8")
        anchor = re.search(r"<((?:xdr:)?(?:one|two)CellAnchor)\b.*?</\1>", xml, re.S)
        assert anchor is not None
        at = anchor.end()
        parts[drawing] = (xml[:at] + anchor.group(0) + xml[at:]).encode("utf-8")

    _zip_edit(path, add_anchor)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2 and "'Summary' is no longer costsheet's" in out, out
    assert path.read_bytes() == before


def test_marks_without_the_parts_digest_still_prove_a_sheet(tmp_path: Path) -> None:
    """The first marks costsheet wrote had no digest of the parts: the cells decide."""
    path = _ran(tmp_path)
    _zip_edit(path, lambda parts: parts.update({"xl/workbook.xml": re.sub(
        rb'( [0-9a-f]{64})"', b'"', parts["xl/workbook.xml"])}))
    assert all(m.count(" ") == 2 for m in owner_marks(Package.open(path)).values())
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)
    code, out = _run(path)
    assert code == 0, out


def test_marks_survive_a_libreoffice_save(tmp_path: Path) -> None:
    """LibreOffice rewrites every part when it saves (the bytes differ, the cells do not): the
    marks still prove the sheets, and the next run replaces them without complaint."""
    from support.libreoffice import require_soffice, save_as_xlsx

    require_soffice()
    path = _ran(tmp_path)
    saved = save_as_xlsx(path, tmp_path / "lo", recalc=False)
    pkg = Package.open(saved)
    assert set(owner_marks(pkg)) == set(RESULT_SHEETS)
    assert all(c.status == "marked" for c in assess(pkg).claims), assess(pkg).claims
    path.write_bytes(saved.read_bytes())
    code, out = _run(path)
    assert code == 0, out
    assert list_sheets(path) == [*INPUT_SHEETS, *RESULT_SHEETS]
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)


# ---- what is never replaced


def _edit_with_openpyxl(path: Path, fn) -> None:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)


def test_user_risk_sheet_after_deleting_costsheets_is_kept(tmp_path: Path) -> None:
    """The data-loss case: the user deleted costsheet's Risk and made a risk register of that
    name. The run refuses, names it and the way out; the file does not change."""
    path = _ran(tmp_path)

    def own_risk(wb: openpyxl.Workbook) -> None:
        del wb["Risk"]
        ws = wb.create_sheet("Risk")
        ws.append(["ID", "Risk", "Owner", "Likelihood"])
        ws.append([1, "GPU delivery slips", "Ops", 0.3])

    _edit_with_openpyxl(path, own_risk)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2
    assert "'Risk' is not one of costsheet's" in out
    assert "--replace-sheet Risk" in out and "rename 'Risk'" in out
    assert path.read_bytes() == before
    with pytest.raises(ForeignSheetError) as info:
        run_workbook(path, trials=TRIALS)
    assert info.value.sheets == ["Risk"]
    assert path.read_bytes() == before


def test_replace_sheet_lets_costsheet_replace_it_after_a_backup(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    _edit_with_openpyxl(path, lambda wb: wb["Summary"].cell(6, 2, 1.0))  # typed over a total
    edited = path.read_bytes()
    code, out = _run(path)
    assert code == 2 and "'Summary' is no longer costsheet's" in out
    assert path.read_bytes() == edited
    code, out = _run(path, "--replace-sheet", "Summary")
    assert code == 0, out
    kept = re.search(r"Previous version kept as (\S+\.xlsx)", out)
    assert kept is not None, out  # the backup the run made (two in one second: budget.<s>-1)
    assert Path(kept.group(1)).read_bytes() == edited  # the edited sheet is in the backup
    assert all(c.status == "marked" for c in assess(Package.open(path)).claims)


def test_replace_sheet_must_name_a_result_sheet(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    before = path.read_bytes()
    for name in ("Pools", "Notes"):
        code, out = _run(path, "--replace-sheet", name)
        assert code == 2 and f"costsheet writes no sheet named '{name}'" in out
    assert path.read_bytes() == before


@pytest.mark.parametrize("edit", ["note", "formula", "text", "moved number"])
def test_an_edited_result_sheet_is_kept(tmp_path: Path, edit: str) -> None:
    from openpyxl.comments import Comment

    path = _ran(tmp_path)

    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["Line items"]
        if edit == "note":
            ws["A2"].comment = Comment("check this with finance", "me")
        elif edit == "formula":
            ws["K2"] = "=G2*2"
        elif edit == "text":
            ws["C2"] = ws["C2"].value + " (agreed)"
        else:
            ws["G2"], ws["G3"] = ws["G3"].value, ws["G2"].value

    _edit_with_openpyxl(path, change)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2 and "'Line items' is no longer costsheet's" in out, out
    assert path.read_bytes() == before


def test_property_listing_notes_and_pools_never_deletes_them(tmp_path: Path) -> None:
    """The other data-loss case: the custom property (editable in File > Properties) lists the
    user's Notes and the Pools input sheet. Both stay, byte for byte."""
    from openpyxl.packaging.custom import StringProperty

    path = _example(tmp_path)

    def notes_and_property(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("Notes", 0)
        ws["A1"] = "Our notes"
        wb.custom_doc_props.append(StringProperty(
            name="costsheet.owned_sheets", value=json.dumps(["Notes", "Pools", "Summary"])))

    _edit_with_openpyxl(path, notes_and_property)
    kept = _sheet_bytes(path, ["Notes", *INPUT_SHEETS])
    code, out = _run(path)
    assert code == 0, out
    _assert_kept(kept, _sheet_bytes(path, ["Notes", *INPUT_SHEETS]))
    assert list_sheets(path) == ["Notes", *INPUT_SHEETS, *RESULT_SHEETS]


def test_property_listing_a_user_summary_does_not_make_it_costsheets(tmp_path: Path) -> None:
    """A workbook with no marks at all (the migration applies), whose property lists the user's
    own Summary: it does not look like costsheet's, so it is kept."""
    from openpyxl.packaging.custom import StringProperty

    path = _example(tmp_path)

    def own_summary(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("Summary")["A1"] = "Board summary"
        wb.custom_doc_props.append(StringProperty(
            name="costsheet.owned_sheets", value=json.dumps(["Summary"])))

    _edit_with_openpyxl(path, own_summary)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2 and "'Summary' is not one of costsheet's" in out
    assert path.read_bytes() == before


def test_xlsxwriter_workbook_with_a_checks_sheet(tmp_path: Path) -> None:
    """A workbook another program wrote, with the team's own Checks: `new --into` refuses
    (pointing at --prefix); forcing the inputs in at the zip level, `run` refuses too."""
    import xlsxwriter

    path = tmp_path / "team.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Checks").write_row(0, 0, ["Control", "Status"])
    book.close()
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example"])
    assert res.exit_code == 2 and "'Checks'" in res.output and '--prefix "LLM "' in res.output
    assert path.read_bytes() == before


# ---- the migration from costsheet 0.1.0 (property only)


def _legacy(tmp_path: Path) -> Path:
    path = tmp_path / "budget.xlsx"
    shutil.copyfile(LEGACY, path)
    return path


def test_workbook_run_by_0_1_0_is_migrated_once_and_marked(tmp_path: Path) -> None:
    path = _legacy(tmp_path)
    pkg = Package.open(path)
    assert owner_marks(pkg) == {} and read_owned_sheets(pkg) == list(RESULT_SHEETS)
    assert {c.status for c in assess(pkg).claims} == {"migrated"}
    kept = _sheet_bytes(path, ["Notes", *INPUT_SHEETS])
    code, out = _run(path)
    assert code == 0, out
    # Notes!B2 (=Summary!B11) loses its saved result, to be recalculated
    _assert_kept(kept, _sheet_bytes(path, ["Notes", *INPUT_SHEETS]), {"Notes": ["B2"]})
    assert set(owner_marks(Package.open(path))) == set(RESULT_SHEETS)
    assert {c.status for c in assess(Package.open(path)).claims} == {"marked"}
    assert list_sheets(path) == ["Notes", *INPUT_SHEETS, *RESULT_SHEETS]


def test_legacy_sheet_that_no_longer_looks_like_costsheets_is_kept(tmp_path: Path) -> None:
    path = _legacy(tmp_path)

    def replace_risk(wb: openpyxl.Workbook) -> None:
        at = wb.sheetnames.index("Risk")
        del wb["Risk"]
        wb.create_sheet("Risk", at)["A1"] = "Risk register"

    _edit_with_openpyxl(path, replace_risk)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2 and "'Risk' is not one of costsheet's" in out
    assert path.read_bytes() == before


def test_no_migration_once_a_workbook_carries_marks(tmp_path: Path) -> None:
    """After the first marked run, an unmarked sheet of a result name is never accepted, even
    one that looks like costsheet's (a copy of its Summary under the name of a deleted one)."""
    path = _ran(tmp_path)

    def copy_as_checks(wb: openpyxl.Workbook) -> None:
        del wb["Checks"]
        copy = wb.copy_worksheet(wb["Summary"])
        copy.title = "Checks"
        for name in list(copy.defined_names):
            del copy.defined_names[name]

    _edit_with_openpyxl(path, copy_as_checks)
    code, out = _run(path)
    assert code == 2 and "'Checks' is not one of costsheet's" in out


# ---- hidden tabs, tab order, two sheets of one name


def test_hidden_and_very_hidden_result_sheets_stay_so_in_their_tabs(tmp_path: Path) -> None:
    path = _ran(tmp_path)

    def hide_and_move(wb: openpyxl.Workbook) -> None:
        wb["Risk"].sheet_state = "hidden"
        wb["Sensitivity"].sheet_state = "veryHidden"
        wb.move_sheet("Summary", offset=-wb.sheetnames.index("Summary"))  # first tab

    _edit_with_openpyxl(path, hide_and_move)
    order = list_sheets(path)
    assert order[0] == "Summary"
    code, out = _run(path)
    assert code == 0, out
    assert list_sheets(path) == order
    states = {s.name: s.state for s in Package.open(path).sheets()}
    assert states["Risk"] == "hidden" and states["Sensitivity"] == "veryHidden"
    assert states["Summary"] == "visible"


def test_two_result_sheets_of_one_name_are_an_error_naming_both(tmp_path: Path) -> None:
    path = _ran(tmp_path)

    def stale_copy(wb: openpyxl.Workbook) -> None:
        copy = wb.copy_worksheet(wb["Checks"])
        copy.title = "checks "
        copy.sheet_state = "veryHidden"

    _edit_with_openpyxl(path, stale_copy)
    before = path.read_bytes()
    code, out = _run(path)
    assert code == 2
    assert "'Checks' and 'checks ' (very hidden)" in out, out
    assert path.read_bytes() == before
    with pytest.raises(AmbiguousSheetError):
        assess(Package.open(path))


def test_two_input_sheets_of_one_name_are_reported_by_check_and_run(tmp_path: Path) -> None:
    """A very hidden stale copy of Pools, named 'Pools ' (trailing space), is never read in
    place of the real one."""
    path = _example(tmp_path)

    def stale_pools(wb: openpyxl.Workbook) -> None:
        copy = wb.copy_worksheet(wb["Pools"])
        copy.title = "Pools "
        copy.sheet_state = "veryHidden"

    _edit_with_openpyxl(path, stale_pools)
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2
    assert "'Pools' and 'Pools ' (very hidden)" in res.output, res.output
    code, out = _run(path)
    assert code == 2 and "'Pools ' (very hidden)" in out
    assert path.read_bytes() == before


# ---- the library refuses the same way


def test_run_workbook_refuses_before_reading_inputs(tmp_path: Path) -> None:
    path = _ran(tmp_path)
    _edit_with_openpyxl(path, lambda wb: wb["Variance"].cell(1, 1, "my variance notes"))
    with pytest.raises(CostsheetError) as info:
        run_workbook(path, trials=TRIALS)
    assert info.value.code == "not_costsheets_sheet"
    result = run_workbook(path, trials=TRIALS, replace_sheets=["variance"])
    assert "Variance" in result.owned_sheets
