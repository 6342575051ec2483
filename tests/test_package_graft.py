"""Zip-level graft of generated sheets into real users' workbooks: nothing of theirs is lost."""

from __future__ import annotations

import io
import re
import shutil
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest
from costsheet.errors import CostsheetError
from costsheet.workbook.ooxml import (
    PackageError,
    check_package,
    graft_sheets,
    list_sheets,
    read_owned_sheets,
)
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from support.fixtures import REAL_WORKBOOKS, require_real_workbooks
from support.libreoffice import convert_sheet_csvs, render_png, require_soffice

FIXTURES = REAL_WORKBOOKS
REAL = [
    "pivot-tables.xlsx",
    "pictures-in-cell-and-over-cell.xlsx",
    "macros.xlsm",
    "excel-tables.xlsx",
    "date-1904.xlsx",
    "sparklines.xlsx",
    "comment-and-form-button.xlsx",
    "data-validation.xlsx",
    "data-bars.xlsx",
    "external-link.xlsx",
]
SHARED = {
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "docProps/app.xml",
    "docProps/custom.xml",
    "xl/calcChain.xml",
}
OWNED = ["Summary", "Line items", "Checks"]
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

SUMMARY_ROWS = [
    ("GPU compute", 1234567, 0.875),
    ("Storage", 2345, 0.1),
    ("Networking", 345, 0.025),
]
SUMMARY_TEXT = {
    "A6": "=SUM(B2:B4)",
    "A7": "  spaces & <tags> kept  ",
    "A8": "Größe ✓ \"quoted\"",
}
LINE_ITEMS = [("Pre-training", 1000000.0), ("Fine-tuning", 25000.5), ("Eval", 1234.0)]
PLAN_DATE = datetime(2025, 3, 1)
CHECKS = ["ok: totals add up", "warning: price is a list price", "=not a formula either"]


def real_workbook(name: str, tmp_path: Path) -> Path:
    require_real_workbooks()
    src = FIXTURES / name
    if not src.exists():
        pytest.skip(f"fixture {name} missing in {FIXTURES}")
    dst = tmp_path / name
    shutil.copyfile(src, dst)
    return dst


def build_scratch(path: Path, *, scale: float = 1.0) -> Path:
    """The kind of scratch workbook the writer makes: styled sheets, a bar and a pie chart."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFDDEBF7")
    for col, head in enumerate(["Item", "Cost", "Share"], start=1):
        cell = ws.cell(1, col, head)
        cell.font = bold
        cell.fill = fill
    for i, (item, cost, share) in enumerate(SUMMARY_ROWS, start=2):
        ws.cell(i, 1, item)
        ws.cell(i, 2, cost * scale).number_format = '"$"#,##0'
        ws.cell(i, 3, share).number_format = "0.0%"
    for coord, text in SUMMARY_TEXT.items():
        ws[coord] = text
        ws[coord].data_type = "s"
    ws.column_dimensions["A"].width = 28
    ws.freeze_panes = "A2"
    ws.merge_cells("D10:E10")
    ws["D10"] = "merged"
    bar = BarChart()
    bar.title = "Cost by item"
    bar.add_data(Reference(ws, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=1, min_row=2, max_row=4))
    ws.add_chart(bar, "F2")
    pie = PieChart()
    pie.add_data(Reference(ws, min_col=3, min_row=2, max_row=4))
    pie.set_categories(Reference(ws, min_col=1, min_row=2, max_row=4))
    ws.add_chart(pie, "F20")

    li = wb.create_sheet("Line items")
    li["A1"], li["B1"] = "Line item", "USD"
    li["A1"].font = li["B1"].font = Font(bold=True, italic=True)
    for i, (item, usd) in enumerate(LINE_ITEMS, start=2):
        li.cell(i, 1, item)
        li.cell(i, 2, usd * scale).number_format = "#,##0"

    ck = wb.create_sheet("Checks")
    for i, text in enumerate(CHECKS, start=1):
        ck.cell(i, 1, text).data_type = "s"
    ck["A1"].font = Font(bold=True, color="FF008000")
    ck["B1"] = PLAN_DATE  # a date: must survive a 1904-date-system workbook
    ck["B1"].number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def entry_order(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [i.filename for i in zf.infolist()]


def _rels(data: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    folder, base = part.rsplit("/", 1) if "/" in part else ("", part)
    rp = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
    if rp not in data:
        return {}
    out = {}
    for rel in SafeET.fromstring(data[rp]):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            if target.startswith("/"):
                target = target[1:]
            else:
                target = str(Path(folder, target)).replace("\\", "/")
                while "/../" in target or target.startswith("../"):
                    target = re.sub(r"[^/]+/\.\./", "", target, count=1)
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], target)
    return out


def sheet_part(data: dict[str, bytes], sheet: str) -> str:
    wb_rels = _rels(data, "xl/workbook.xml")
    root = SafeET.fromstring(data["xl/workbook.xml"])
    for el in root.iter(f"{M}sheet"):
        if el.get("name") == sheet:
            return wb_rels[el.get(R_ID)][1]
    raise KeyError(sheet)


def sheet_cells(data: dict[str, bytes], sheet: str) -> dict[str, object]:
    """Our own reader of a grafted sheet's cell values (no openpyxl)."""
    root = SafeET.fromstring(data[sheet_part(data, sheet)])
    out: dict[str, object] = {}
    for c in root.iter(f"{M}c"):
        t = c.get("t", "n")
        if t == "inlineStr":
            out[c.get("r")] = "".join(x.text or "" for x in c.iter(f"{M}t"))
        elif t == "s":
            raise AssertionError("grafted sheets must not use shared strings")
        else:
            v = c.find(f"{M}v")
            if v is not None:
                out[c.get("r")] = float(v.text or "0")
    return out


def expected_cells() -> dict[str, dict[str, object]]:
    summary: dict[str, object] = {"A1": "Item", "B1": "Cost", "C1": "Share", "D10": "merged"}
    for i, (item, cost, share) in enumerate(SUMMARY_ROWS, start=2):
        summary.update({f"A{i}": item, f"B{i}": float(cost), f"C{i}": share})
    summary.update(SUMMARY_TEXT)
    lines: dict[str, object] = {"A1": "Line item", "B1": "USD"}
    for i, (item, usd) in enumerate(LINE_ITEMS, start=2):
        lines.update({f"A{i}": item, f"B{i}": usd})
    checks: dict[str, object] = {f"A{i}": t for i, t in enumerate(CHECKS, start=1)}
    return {"Summary": summary, "Line items": lines, "Checks": checks}


def graft_twice(target: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    scratch = build_scratch(tmp_path / "scratch.xlsx")
    out1 = tmp_path / f"out1{target.suffix}"
    out2 = tmp_path / f"out2{target.suffix}"
    graft_sheets(target, scratch, out1, sheets=OWNED)
    graft_sheets(out1, scratch, out2, sheets=OWNED, remove=OWNED)
    return scratch, out1, out2


def openpyxl_loads(path: Path) -> openpyxl.Workbook | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return openpyxl.load_workbook(path)
        except TypeError:
            return None


@pytest.mark.parametrize("name", REAL)
def test_graft_then_regraft_keeps_every_user_part(name: str, tmp_path: Path) -> None:
    target = real_workbook(name, tmp_path)
    original = parts(target)
    original_sheets = list_sheets(target)
    _scratch, out1, out2 = graft_twice(target, tmp_path)

    for out in (out1, out2):
        data = parts(out)
        # sheets: the user's first, in order, then ours; no duplicates
        assert list_sheets(out) == original_sheets + OWNED
        assert read_owned_sheets(out) == OWNED
        # every part of the user's that is not shared is byte-identical, none is missing
        for part, blob in original.items():
            if part in SHARED:
                continue
            assert part in data, f"{part} lost"
            assert data[part] == blob, f"{part} changed"
        # the user's entries keep their order; new entries come after them
        order = entry_order(out)
        kept = [p for p in order if p in original]
        assert kept == [p for p in entry_order(target) if p in data]
        assert order[: len(kept)] == kept
        # shared parts are still well-formed XML and keep their root tag (namespaces,
        # mc:Ignorable) as the user's program wrote it
        for part in SHARED & original.keys() & data.keys():
            SafeET.fromstring(data[part])
            root_tag = re.search(rb"<(?![?!])[^>]*>", original[part])
            assert root_tag is not None and root_tag.group(0) in data[part], part
        if name.endswith(".xlsm"):
            assert data["xl/vbaProject.bin"] == original["xl/vbaProject.bin"]
            assert b"macroEnabled.main+xml" in data["[Content_Types].xml"]
        # values read back (own reader)
        for sheet, cells in expected_cells().items():
            got = sheet_cells(data, sheet)
            for coord, value in cells.items():
                assert got.get(coord) == value, (sheet, coord)
        # charts: 2 chart parts reached from Summary's drawing
        summary = sheet_part(data, "Summary")
        drawings = [t for kind, t in _rels(data, summary).values() if kind == "drawing"]
        assert len(drawings) == 1 and drawings[0] in data
        charts = [t for kind, t in _rels(data, drawings[0]).values() if kind == "chart"]
        assert len(charts) == 2
        kinds = set()
        for chart in charts:
            assert re.fullmatch(r"xl/charts/chart\d+\.xml", chart) and chart in data
            kinds |= set(re.findall(rb"<(?:c:)?(barChart|pieChart)>", data[chart]))
        assert kinds == {b"barChart", b"pieChart"}
        # only one sheet is the selected tab (grafted sheets must not group with the user's)
        selected = [p for p in data if p.startswith("xl/worksheets/sheet")
                    and b'tabSelected="1"' in data[p]]
        assert len(selected) <= 1

    # a re-run replaces, it does not pile up parts or styles
    assert parts(out1).keys() == parts(out2).keys()
    assert parts(out1)["xl/styles.xml"] == parts(out2)["xl/styles.xml"]
    assert not list(tmp_path.glob(".costsheet-tmp-*")), "temporary files left behind"

    # openpyxl reads the result, styles intact (unless it cannot read the original either)
    if openpyxl_loads(target) is None:
        assert name == "pivot-tables.xlsx"
        assert openpyxl_loads(out2) is None
        return
    wb = openpyxl_loads(out2)
    assert wb is not None
    assert wb.sheetnames == original_sheets + OWNED
    ws = wb["Summary"]
    assert ws["A1"].value == "Item" and ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert ws["B2"].number_format == '"$"#,##0' and ws["B2"].value == 1234567
    assert ws["C2"].number_format == "0.0%" and ws["C2"].value == pytest.approx(0.875)
    assert ws["A6"].value == "=SUM(B2:B4)" and ws["A6"].data_type == "s"
    assert ws["A7"].value == SUMMARY_TEXT["A7"]
    assert ws.freeze_panes == "A2"
    assert "D10:E10" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["A"].width == pytest.approx(28, abs=1)
    li = wb["Line items"]
    assert li["B2"].number_format == "#,##0" and li["A1"].font.b and li["A1"].font.i
    assert wb["Checks"]["A1"].font.color.rgb == "FF008000"
    assert wb["Checks"]["B1"].value == PLAN_DATE  # also in the 1904 date system


def _rewrite_part(path: Path, part: str, edit) -> None:  # type: ignore[no-untyped-def]
    data = parts(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = data[info.filename]
            zout.writestr(info.filename, edit(blob) if info.filename == part else blob)
    path.write_bytes(buf.getvalue())


def test_regraft_keeps_tab_positions_active_tab_and_local_names(tmp_path: Path) -> None:
    target = real_workbook("excel-tables.xlsx", tmp_path)
    scratch = build_scratch(tmp_path / "scratch.xlsx")
    step1 = tmp_path / "step1.xlsx"
    graft_sheets(target, scratch, step1, sheets=OWNED)
    # the user adds a sheet of their own after ours, makes it active, names a range local
    # to it and one local to our Checks sheet
    notes_wb = openpyxl.Workbook()
    notes_wb.active.title = "Notes"
    notes_wb.active["A1"] = "user's notes"
    notes = tmp_path / "notes.xlsx"
    notes_wb.save(notes)
    step2 = tmp_path / "step2.xlsx"
    graft_sheets(step1, notes, step2, sheets=["Notes"], property_name="other.tool")
    assert list_sheets(step2) == ["Sheet1", "Sheet2", "Sheet3", *OWNED, "Notes"]

    def edit(blob: bytes) -> bytes:
        text = blob.decode()
        text = re.sub(r"<workbookView ", '<workbookView activeTab="6" ', text)
        names = ('<definedName name="NotesArea" localSheetId="6">Notes!$A$1</definedName>'
                 '<definedName name="OurArea" localSheetId="5">Checks!$A$1</definedName>')
        return text.replace("</sheets>", f"</sheets><definedNames>{names}</definedNames>").encode()

    _rewrite_part(step2, "xl/workbook.xml", edit)
    assert read_owned_sheets(step2) == OWNED

    # re-run: Checks disappears from the new run, Summary and Line items keep their tabs
    step3 = tmp_path / "step3.xlsx"
    graft_sheets(step2, scratch, step3, sheets=["Summary", "Line items"], remove=OWNED)
    assert list_sheets(step3) == ["Sheet1", "Sheet2", "Sheet3", "Summary", "Line items", "Notes"]
    wb_xml = parts(step3)["xl/workbook.xml"].decode()
    assert 'activeTab="5"' in wb_xml
    assert '<definedName name="NotesArea" localSheetId="5">Notes!$A$1</definedName>' in wb_xml
    assert "OurArea" not in wb_xml
    assert read_owned_sheets(step3) == ["Summary", "Line items"]
    wb = openpyxl_loads(step3)
    assert wb is not None and wb.active.title == "Notes"
    assert wb["Notes"]["A1"].value == "user's notes"


def test_new_into_existing_keeps_dropdowns_and_global_names(tmp_path: Path) -> None:
    target = real_workbook("data-validation.xlsx", tmp_path)
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Runs"
    lists = wb.create_sheet("Lists")
    for i, gpu in enumerate(["H100", "H800", "A100"], start=1):
        lists.cell(i, 1, gpu)
    wb.defined_names["GpuTypes"] = DefinedName("GpuTypes", attr_text="Lists!$A$1:$A$3")
    dv = DataValidation(type="list", formula1="GpuTypes", allow_blank=False)
    dv.add("B2:B20")
    inputs.add_data_validation(dv)
    dv2 = DataValidation(type="whole", operator="greaterThan", formula1="0")
    dv2.add("C2:C20")
    inputs.add_data_validation(dv2)
    inputs["A1"], inputs["B1"], inputs["C1"] = "Run", "GPU", "GPU count"
    scratch = tmp_path / "inputs.xlsx"
    wb.save(scratch)

    out = tmp_path / "out.xlsx"
    graft_sheets(target, scratch, out, sheets=["Runs", "Lists"])
    data = parts(out)
    wb_xml = data["xl/workbook.xml"].decode()
    assert "<x:definedName name=\"GpuTypes\">Lists!$A$1:$A$3</x:definedName>" in wb_xml
    assert "YesNo" in wb_xml  # the user's own name is kept
    loaded = openpyxl_loads(out)
    assert loaded is not None
    assert loaded.defined_names["GpuTypes"].attr_text == "Lists!$A$1:$A$3"
    assert loaded.defined_names["YesNo"].attr_text == "'Data Validation'!$C$1:$C$2"
    rules = {str(v.sqref): v for v in loaded["Runs"].data_validations.dataValidation}
    assert rules["B2:B20"].type == "list" and rules["B2:B20"].formula1 == "GpuTypes"
    assert rules["C2:C20"].type == "whole"
    assert [c.value for c in loaded["Lists"]["A"]] == ["H100", "H800", "A100"]

    # re-running with a longer list replaces our own name (it refers to our sheet only)
    lists.cell(4, 1, "B200")
    wb.defined_names["GpuTypes"] = DefinedName("GpuTypes", attr_text="Lists!$A$1:$A$4")
    wb.save(scratch)
    out2 = tmp_path / "out2.xlsx"
    graft_sheets(out, scratch, out2, sheets=["Runs", "Lists"], remove=["Runs", "Lists"])
    wb_xml = parts(out2)["xl/workbook.xml"].decode()
    assert wb_xml.count('name="GpuTypes"') == 1 and "Lists!$A$1:$A$4" in wb_xml

    # a user's different global name of the same name is an error, nothing written
    clash = tmp_path / "clash.xlsx"
    _rewrite_part(target, "xl/workbook.xml", lambda b: b.replace(
        b'name="YesNo"', b'name="GpuTypes"'))
    with pytest.raises(PackageError, match="GpuTypes"):
        graft_sheets(target, scratch, clash, sheets=["Runs", "Lists"])
    assert not clash.exists()


def test_existing_user_sheet_of_same_name_is_refused(tmp_path: Path) -> None:
    target = real_workbook("macros.xlsm", tmp_path)
    wb = openpyxl.Workbook()
    wb.active.title = "sheet2"  # Excel compares sheet names case-insensitively
    scratch = tmp_path / "s.xlsx"
    wb.save(scratch)
    with pytest.raises(PackageError, match="already exists"):
        graft_sheets(target, scratch, tmp_path / "out.xlsm", sheets=["sheet2"])
    with pytest.raises(PackageError, match="no sheet named"):
        graft_sheets(target, scratch, tmp_path / "out.xlsm", sheets=["Nope"])


def test_removing_a_sheet_with_formulas_drops_calc_chain_and_its_parts(tmp_path: Path) -> None:
    target = real_workbook("comment-and-form-button.xlsx", tmp_path)
    scratch = build_scratch(tmp_path / "scratch.xlsx")
    out = tmp_path / "out.xlsx"
    graft_sheets(target, scratch, out, sheets=OWNED, remove=["Sheet1"])
    data = parts(out)
    assert list_sheets(out) == OWNED
    # the comment, its VML, the form control and the drawing went with the sheet
    for gone in ("xl/comments1.xml", "xl/ctrlProps/ctrlProp1.xml", "xl/drawings/vmlDrawing1.vml"):
        assert gone not in data
        assert gone.encode() not in data["[Content_Types].xml"]
    for name, blob in data.items():
        if name.endswith(".rels"):
            assert b"comments" not in blob and b"ctrlProp" not in blob
    assert openpyxl_loads(out) is not None

    target2 = real_workbook("external-link.xlsx", tmp_path)
    out2 = tmp_path / "out2.xlsx"
    graft_sheets(target2, scratch, out2, sheets=OWNED, remove=["Sheet1"])
    data2 = parts(out2)
    assert "xl/calcChain.xml" not in data2
    assert b"calcChain" not in data2["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in data2["[Content_Types].xml"]
    assert "xl/externalLinks/externalLink1.xml" in data2  # reached from the workbook: kept
    assert openpyxl_loads(out2) is not None


def _to_shared_strings(src: Path, dst: Path) -> None:
    """Rewrite a scratch workbook so its text cells use a sharedStrings part (as Excel does)."""
    data = parts(src)
    strings: list[str] = []

    def cell(m: re.Match[str]) -> str:
        strings.append(m.group(2))
        return f'{m.group(1)}t="s"><v>{len(strings) - 1}</v></c>'

    for name in list(data):
        if name.startswith("xl/worksheets/sheet"):
            text = data[name].decode()
            text = re.sub(r'(<c [^>]*?)t="inlineStr"><is>(.*?)</is></c>', cell, text)
            data[name] = text.encode()
    sst = "".join(f"<si>{s}</si>" for s in strings)
    data["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>'
    ).encode()
    data["xl/_rels/workbook.xml.rels"] = data["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)


def test_scratch_shared_strings_become_inline_strings(tmp_path: Path) -> None:
    target = real_workbook("pivot-tables.xlsx", tmp_path)
    inline = build_scratch(tmp_path / "inline.xlsx")
    scratch = tmp_path / "sst.xlsx"
    _to_shared_strings(inline, scratch)
    assert b't="s"' in parts(scratch)["xl/worksheets/sheet1.xml"]
    out = tmp_path / "out.xlsx"
    graft_sheets(target, scratch, out, sheets=OWNED)
    data = parts(out)
    assert data["xl/sharedStrings.xml"] == parts(target)["xl/sharedStrings.xml"]
    for sheet, cells in expected_cells().items():
        got = sheet_cells(data, sheet)  # raises on any t="s" cell
        for coord, value in cells.items():
            assert got.get(coord) == value, (sheet, coord)
    assert b'<t xml:space="preserve">  spaces &amp; &lt;tags&gt; kept  </t>' in data[
        sheet_part(data, "Summary")]


def test_custom_properties_are_kept_and_updated(tmp_path: Path) -> None:
    target = real_workbook("external-link.xlsx", tmp_path)
    scratch = build_scratch(tmp_path / "scratch.xlsx")
    out = tmp_path / "out.xlsx"
    graft_sheets(target, scratch, out, sheets=OWNED)
    graft_sheets(out, scratch, out, sheets=["Summary"], remove=OWNED)  # in place
    custom = parts(out)["docProps/custom.xml"].decode()
    assert "CustomSettingsXml" in custom and "FxVersion" in custom
    assert custom.count("costsheet.owned_sheets") == 1
    assert read_owned_sheets(out) == ["Summary"]
    assert read_owned_sheets(target) == []
    assert list_sheets(out) == ["Sheet1", "Summary"]


# ---- check_package -----------------------------------------------------------------------


def test_check_package_accepts_real_workbooks(tmp_path: Path) -> None:
    for name in REAL:
        check_package(real_workbook(name, tmp_path))


def test_check_package_refusals(tmp_path: Path) -> None:
    good = real_workbook("macros.xlsm", tmp_path)

    csv = tmp_path / "budget.xlsx"
    csv.write_text("item,cost\nGPU,100\n", encoding="utf-8")
    with pytest.raises(PackageError, match=r"looks like text/CSV"):
        check_package(csv)

    legacy = tmp_path / "legacy.xlsx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    with pytest.raises(PackageError, match=r"\.xls"):
        check_package(legacy)

    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
                          + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1000)
    with pytest.raises(PackageError, match="password-protected workbook: remove the password"):
        check_package(encrypted)

    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(PackageError, match="truncated"):
        check_package(truncated)

    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(PackageError, match="empty"):
        check_package(empty)

    with pytest.raises(PackageError, match="not found"):
        check_package(tmp_path / "missing.xlsx")

    plain_zip = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(PackageError, match="not an Excel workbook"):
        check_package(plain_zip)

    with pytest.raises(PackageError, match="zip bomb"):
        check_package(good, max_uncompressed=10_000)

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("xl/media/huge.bin", b"\0" * (60 << 20))
    with pytest.raises(PackageError, match="zip bomb"):
        check_package(bomb)
    assert issubclass(PackageError, CostsheetError)

    # graft refuses the same files before writing anything
    out = tmp_path / "out.xlsx"
    with pytest.raises(PackageError):
        graft_sheets(csv, build_scratch(tmp_path / "s.xlsx"), out, sheets=OWNED)
    assert not out.exists()


# ---- LibreOffice -------------------------------------------------------------------------


def _as_number(text: str) -> float | str:
    raw = text.replace("$", "").replace(",", "").strip()
    try:
        return float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        return text


def test_libreoffice_reads_every_grafted_workbook(tmp_path: Path) -> None:
    require_soffice()
    expected = expected_cells()
    for name in REAL:
        work = tmp_path / name.split(".")[0]
        work.mkdir()
        target = real_workbook(name, work)
        _scratch, _out1, out2 = graft_twice(target, work)
        try:
            sheets = convert_sheet_csvs(out2, work / "csv")
        except RuntimeError:
            # LibreOffice 7.4 aborts on sparklines.xlsx's sparkline groups: only acceptable
            # when it cannot open the user's original file either
            with pytest.raises(RuntimeError):
                convert_sheet_csvs(target, work / "csv-original")
            continue
        assert set(list_sheets(target)) | set(OWNED) <= set(sheets), name
        for sheet, cells in expected.items():
            rows = sheets[sheet]
            for coord, value in cells.items():
                col = ord(coord[0]) - ord("A")
                row = int(coord[1:]) - 1
                got = rows[row][col]
                if isinstance(value, float):
                    assert _as_number(got) == pytest.approx(value), (name, sheet, coord, got)
                else:
                    assert got == value, (name, sheet, coord)
        assert sheets["Checks"][0][1] in ("2025-03-01", "03/01/25", "3/1/2025"), name


def test_render_one_grafted_sheet_to_png(tmp_path: Path) -> None:
    require_soffice()
    target = real_workbook("excel-tables.xlsx", tmp_path)
    _scratch, _out1, out2 = graft_twice(target, tmp_path)
    pages = render_png(out2, tmp_path / "png", sheet="Summary")
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_grafted_excel_tables_get_unique_ids(tmp_path: Path) -> None:
    from openpyxl.worksheet.table import Table

    target = real_workbook("excel-tables.xlsx", tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Line items"
    ws.append(["Item", "USD"])
    for item, usd in LINE_ITEMS:
        ws.append([item, usd])
    ws.add_table(Table(displayName="CostLines", ref="A1:B4"))
    scratch = tmp_path / "scratch.xlsx"
    wb.save(scratch)
    out = tmp_path / "out.xlsx"
    graft_sheets(target, scratch, out, sheets=["Line items"])
    graft_sheets(out, scratch, out, sheets=["Line items"], remove=["Line items"])
    data = parts(out)
    ids = [re.search(rb'<table[^>]*\sid="(\d+)"', blob).group(1)  # type: ignore[union-attr]
           for name, blob in data.items() if name.startswith("xl/tables/table")]
    assert len(ids) == 5 and len(set(ids)) == 5
    loaded = openpyxl_loads(out)
    assert loaded is not None and "CostLines" in loaded["Line items"].tables
    # a user's table of the same name blocks the graft
    wb.active.tables["CostLines"].displayName = "Inventory"
    wb.active.tables["CostLines"].name = "Inventory"
    wb.save(scratch)
    with pytest.raises(PackageError, match="Inventory"):
        graft_sheets(target, scratch, tmp_path / "clash.xlsx", sheets=["Line items"])


#: CT_Font's children in the order the Open XML SDK validates them (its Spreadsheet.Font class)
#: and Excel writes them; openpyxl writes ``name`` first.
FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
              "sz", "color", "name", "family", "charset", "scheme"]


def _fonts(styles: bytes) -> list[list[str]]:
    fonts = SafeET.fromstring(styles).find(f"{M}fonts")
    assert fonts is not None
    return [[child.tag.rsplit("}", 1)[-1] for child in font] for font in fonts]


def _in_schema_order(children: list[str]) -> bool:
    ranks = [FONT_ORDER.index(c) for c in children]
    return ranks == sorted(ranks)


def test_appended_fonts_list_their_children_in_schema_order(tmp_path: Path) -> None:
    target = real_workbook("data-validation.xlsx", tmp_path)
    before = _fonts(parts(target)["xl/styles.xml"])
    _scratch, out1, _out2 = graft_twice(target, tmp_path)
    after = _fonts(parts(out1)["xl/styles.xml"])
    assert after[: len(before)] == before  # the user's fonts untouched
    appended = after[len(before):]
    assert appended and any(font.index("name") > 0 for font in appended if "name" in font)
    assert all(_in_schema_order(font) for font in appended), appended


def test_fonts_appended_in_the_old_order_are_reused(tmp_path: Path) -> None:
    """A workbook an older costsheet wrote (its fonts in openpyxl's order) does not get the same
    fonts again: fonts compare whatever the order of their children."""
    target = real_workbook("data-validation.xlsx", tmp_path)
    n_user = len(_fonts(parts(target)["xl/styles.xml"]))
    _scratch, out1, _out2 = graft_twice(target, tmp_path)
    n_fonts = len(_fonts(parts(out1)["xl/styles.xml"]))

    def name_first(blob: bytes) -> bytes:  # this workbook's main prefix is x:
        text = blob.decode("utf-8")
        head, fonts, tail = re.split(r"(<x:fonts\b.*?</x:fonts>)", text, maxsplit=1,
                                     flags=re.S)
        items = re.findall(r"<x:font>.*?</x:font>", fonts, flags=re.S)
        moved = [re.sub(r"^<x:font>(.*?)(<x:name [^>]*/>)(.*)</x:font>$",
                        r"<x:font>\2\1\3</x:font>", f, flags=re.S) for f in items[n_user:]]
        for old, new in zip(items[n_user:], moved, strict=True):
            fonts = fonts.replace(old, new, 1)
        return (head + fonts + tail).encode("utf-8")

    _rewrite_part(out1, "xl/styles.xml", name_first)
    assert any(font[0] == "name" for font in _fonts(parts(out1)["xl/styles.xml"])[n_user:])
    again = tmp_path / "again.xlsx"
    graft_sheets(out1, build_scratch(tmp_path / "scratch2.xlsx"), again, sheets=OWNED,
                 remove=OWNED)
    assert len(_fonts(parts(again)["xl/styles.xml"])) == n_fonts
