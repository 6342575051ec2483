"""The two passes over every cell of a large scratch sheet (its owner mark, its style indices in
the graft) go a cell or a piece of rows at a time: the same result as all at once, including
when a cell late in the sheet is not written plainly (the whole sheet then takes the general
way)."""

from __future__ import annotations

import re

from costsheet.workbook.ooxml.sheet_xml import _map_cell_styles, _row_pieces
from costsheet.workbook.sheet_digest import _cells, _general_cells, _walk

ROWS = 30_000  # about 3.3 MB of cells: four pieces of rows


def _body(rows: int, odd_row: int | None = None) -> bytes:
    out = [b"<sheetData>"]
    for r in range(1, rows + 1):
        row = b'<row r="%d" s="7" customFormat="1">' % r if r == odd_row else b'<row r="%d">' % r
        out.append(row + b'<c r="A%d" s="%d" t="inlineStr"><is><t>line %d</t></is></c>'
                   b'<c r="B%d" s="2"><v>%d.5</v></c></row>' % (r, r % 5, r, r, r))
    out.append(b"</sheetData>")
    return b"".join(out)


def _expected(body: bytes) -> bytes:
    """Every cell's and row's style index plus 100, in one pass."""
    return re.sub(rb'(<(?:c|row) [^>]*?\bs=")(\d+)"',
                  lambda m: m[1] + str(int(m[2]) + 100).encode() + b'"', body)


def test_row_pieces_end_after_a_row_and_cover_the_body() -> None:
    body = _body(ROWS)
    pieces = list(_row_pieces(body, b"</row>"))
    assert len(pieces) == 4
    assert b"".join(pieces) == body
    assert all(p.endswith(b"</row>") for p in pieces[:-1])


def test_cell_styles_mapped_piece_by_piece_as_in_one_pass() -> None:
    from costsheet.workbook.ooxml.sheet_xml import _IndexMap

    for odd in (None, ROWS - 3):  # a styled row in the last piece: the general way, whole
        body = _body(ROWS, odd)
        got = b"".join(_map_cell_styles(body, "", _IndexMap(lambda i: i + 100)))
        assert got == _expected(body)


def test_a_cell_written_otherwise_late_in_the_sheet_reads_the_whole_sheet_again() -> None:
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{r}</t></is></c>'
                    f'<c r="B{r}"><v>{r}.25</v></c><c r="C{r}"><f>B{r}*2</f><v>1</v></c></row>'
                    for r in range(1, 2001))
    odd = "<row r=\"2001\"><c t='inlineStr' r='A2001'><is><t>odd</t></is></c></row>"
    xml = f"<worksheet><sheetData>{cells}{odd}</sheetData></worksheet>"
    content, summer = _cells(xml, "Line items", [])
    general, general_summer, seen = _walk(_general_cells(xml), "Line items", [])
    summer.finish(content)
    general_summer.finish(general)
    assert seen == 6001
    assert content.formulas == general.formulas == 2000  # counted once, not twice
    assert (content.mark(), content.first_text) == (general.mark(), general.first_text)
    assert "odd" in "\n".join(summer.lines)
