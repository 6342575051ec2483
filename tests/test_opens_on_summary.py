"""First look: after `run` the workbook opens on Summary, and on Summary alone.

Excel and LibreOffice open a workbook on ``bookViews/workbookView@activeTab`` with every sheet
whose view says ``tabSelected`` selected too: a user's sheet still marked selected would be
grouped with Summary (and typing would go into both). So the run takes ``tabSelected`` off the
user's sheet views (the only change to those sheets: tests/support/user_parts.py), unless
Summary is hidden: then the workbook opens where the user left it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.ooxml import Package
from costsheet.workbook.ooxml.sheet_xml import tab_selected
from support.hostile import write_example
from support.user_parts import changes

TRIALS = "300"


def _views(path: Path) -> tuple[dict[str, str], dict[str, bool]]:
    """(the first workbook view's attributes, {sheet: tab selected})."""
    pkg = Package.open(path)
    xml = pkg.get(pkg.workbook_part()).decode("utf-8")
    m = re.search(r"<workbookView\b([^>]*)/?>", xml)
    view = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1))) if m else {}
    return view, {s.name: tab_selected(pkg.get(s.part)) for s in pkg.sheets() if s.part}


def test_template_workbook_opens_on_summary_after_run(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    write_example(path)  # costsheet's template: no sheet marked selected
    assert not any(_views(path)[1].values())
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    view, selected = _views(path)
    names = list(selected)
    assert view["activeTab"] == str(names.index("Summary"))
    assert int(view.get("firstSheet", "0")) <= names.index("Summary")
    assert [n for n, s in selected.items() if s] == ["Summary"]
    # a second run keeps it so (Summary was the selected sheet, and is replaced)
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    assert _views(path)[0]["activeTab"] == str(names.index("Summary"))


def test_workbook_saved_on_a_user_sheet_opens_on_summary_alone(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "team.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Plan").write("A1", "our plan")
    book.add_worksheet("Notes").activate()  # saved on Notes: it is the selected tab
    book.close()
    res = CliRunner().invoke(main, ["new", "--into", str(path), "--example"])
    assert res.exit_code == 0, res.output
    assert _views(path)[1]["Notes"]
    with zipfile.ZipFile(path) as zf:
        before = {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    view, selected = _views(path)
    assert view["activeTab"] == str(list(selected).index("Summary"))
    assert [n for n, s in selected.items() if s] == ["Summary"]  # nothing grouped with it
    with zipfile.ZipFile(path) as zf:
        plan, notes = (zf.read(f"xl/worksheets/sheet{i}.xml") for i in (1, 2))
    assert plan == before["xl/worksheets/sheet1.xml"]
    assert changes(before["xl/worksheets/sheet2.xml"], notes) == {
        "cleared": [], "deselected": ["sheetView"]}


def test_hidden_summary_is_never_opened_on(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "budget.xlsx"
    write_example(path)
    assert CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS]).exit_code == 0
    wb = openpyxl.load_workbook(path)
    wb.active = wb.sheetnames.index("Drivers")
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == "Drivers"
    wb["Summary"].sheet_state = "hidden"
    wb.save(path)
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    view, selected = _views(path)
    assert view["activeTab"] == str(list(selected).index("Drivers"))
    assert not selected["Summary"]
