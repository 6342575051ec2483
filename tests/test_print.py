"""Every owned sheet prints legibly (issue 14): type of 8 pt or more, landscape where wide, one
page wide where that allows it, bands of pages (with the title columns) where it does not,
title rows repeated, page breaks between tables and never through a chart.

The plan is a pure function (``workbook/print_plan.py``), tested on numbers first. Then every
owned sheet of a sample run is printed to PDF by LibreOffice, and the PDF itself is measured:
page count and orientation with pdfinfo, the printed type size from the words' boxes
(pdftotext -bbox), calibrated on the sheet that prints at 100%.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from costsheet.workbook.print_plan import (
    DEFAULT_ROW_PT,
    MIN_SCALE,
    PAGE,
    PT_PER_CHAR,
    ChartBox,
    Sheet,
    plan_print,
)
from costsheet.workbook.run import run_workbook

ROOT = Path(__file__).resolve().parent.parent
OWNED = ("Summary", "Line items", "Checks", "Scenarios", "Sensitivity", "Risk", "Monthly",
         "Variance", "Refresh log")
LANDSCAPE_W = PAGE["landscape"][0]


def rows(n: int, height: float = DEFAULT_ROW_PT) -> list[float]:
    return [height] * n


# --- the plan, on numbers -----------------------------------------------------------------


def test_a_narrow_sheet_prints_portrait_at_full_size() -> None:
    plan = plan_print(Sheet(widths=[30, 14, 14, 14], rows=rows(20)))
    assert (plan.orientation, plan.scale, plan.col_breaks, plan.row_breaks) == (
        "portrait", 100, [], [])


def test_a_wide_sheet_prints_landscape_one_page_wide_when_type_stays_8pt() -> None:
    widths = [30.0] + [15.0] * 10  # 180 units: too wide for portrait, fits landscape at 75%
    plan = plan_print(Sheet(widths=widths, rows=rows(10)))
    assert plan.orientation == "landscape"
    assert plan.scale == int(LANDSCAPE_W / (sum(widths) * PT_PER_CHAR) * 100)
    assert plan.scale >= MIN_SCALE * 100 and plan.col_breaks == []


def test_too_wide_for_one_legible_page_it_prints_in_bands_with_title_columns() -> None:
    # Line items' shape: the amounts (A-I), then where they come from (J-K)
    widths = [14, 31, 40, 14, 16, 15, 13, 14, 17, 30, 70]
    plan = plan_print(Sheet(widths=widths, rows=rows(40), splits=(10,), title_rows=(1, 1),
                            title_cols=(1, 3)))
    assert plan.bands == [(1, 9), (10, 11)] and plan.col_breaks == [9]
    assert plan.title_cols == (1, 3) and plan.across_then_down
    band2 = (sum(widths[:3]) + sum(widths[9:])) * PT_PER_CHAR  # A-C repeated, then J-K
    assert plan.scale == max(int(MIN_SCALE * 100), int(LANDSCAPE_W / band2 * 100))
    assert plan.scale >= MIN_SCALE * 100


def test_charts_right_of_the_tables_get_a_band_and_no_break_cuts_them() -> None:
    # Variance's shape: tables A-I, two charts at column K, a long table below
    widths = [26, 30, 15, 15, 15, 15, 15, 19, 15]
    heights = rows(110)
    blank = frozenset({4, 13, 22, 30, 45})
    charts = [ChartBox(11, 4, 510.0, 241.0), ChartBox(11, 23, 510.0, 241.0)]
    plan = plan_print(Sheet(widths=widths, rows=heights, blank=blank, charts=charts))
    assert plan.col_breaks == [9]  # the tables, then the charts' band
    capacity = PAGE["landscape"][1] / (plan.scale / 100)
    breaks = [0, *plan.row_breaks]
    placed = {i: plan.chart_rows.get(i, c.row) for i, c in enumerate(charts)}
    for i, c in enumerate(charts):  # each chart lies within one page
        top = placed[i]
        page = max(b for b in breaks if b < top)
        nxt = min([b for b in plan.row_breaks if b >= top] or [10_000])
        assert (top - 1) * DEFAULT_ROW_PT + c.height_pt <= nxt * DEFAULT_ROW_PT, i
        assert (nxt - page) * DEFAULT_ROW_PT <= capacity + 0.5


def test_pages_end_between_tables_and_title_rows_repeat() -> None:
    # three tables of 19 rows with blank rows between them; a portrait page holds 45 rows
    heights = rows(60)
    blank = frozenset({20, 40})
    plan = plan_print(Sheet(widths=[90.0], rows=heights, blank=blank))
    capacity_rows = PAGE["portrait"][1] / DEFAULT_ROW_PT
    assert plan.orientation == "portrait" and 40 < capacity_rows < 60
    assert plan.row_breaks == [40]  # after the second table: none is cut
    long_table = plan_print(Sheet(widths=[120.0], rows=rows(100), title_rows=(1, 1)))
    assert long_table.row_breaks  # one table longer than a page runs on, header repeated
    per_page = [b - a for a, b in zip([0, *long_table.row_breaks], long_table.row_breaks,
                                      strict=False)]
    assert all(n <= capacity_rows for n in per_page)


# --- the printed PDF of every owned sheet -----------------------------------------------------

#: pages each owned sheet of the monthly sample prints on (LibreOffice, Carlito for Calibri)
MONTHLY_PAGES = {"Summary": 2, "Line items": 2, "Checks": 1, "Scenarios": 1, "Sensitivity": 2,
                 "Risk": 6, "Monthly": 4, "Variance": 6, "Refresh log": 3}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from support.libreoffice import (
        pdf_page_sizes,
        pdf_words,
        render_pdf,
        require_carlito,
        require_soffice,
    )

    require_soffice()
    require_carlito()
    folder = tmp_path_factory.mktemp("print")
    path = folder / "monthly-actuals.xlsx"
    shutil.copyfile(ROOT / "samples" / "monthly-actuals.xlsx", path)
    run_workbook(path, trials=300, seed=1)
    book = openpyxl.load_workbook(path)
    out: dict[str, Any] = {}
    for sheet in OWNED:
        pdf = render_pdf(path, folder / sheet.replace(" ", "_"), sheet=sheet)
        out[sheet] = (book[sheet], pdf_page_sizes(pdf), pdf_words(pdf))
    return out


def _body_height(pages: list[list[tuple[str, float]]]) -> float:
    """The most common word height: the tables' 11 pt text."""
    heights = Counter(round(h, 2) for page in pages for _w, h in page)
    return heights.most_common(1)[0][0]


def test_every_owned_sheet_prints_legibly(printed: dict[str, Any]) -> None:
    ws, _sizes, words = printed["Scenarios"]
    assert ws.page_setup.scale == 100  # the calibration: 11 pt at full size
    per_point = _body_height(words) / 11.0
    for sheet in OWNED:
        ws, sizes, words = printed[sheet]
        assert len(sizes) == MONTHLY_PAGES[sheet], (sheet, len(sizes))
        landscape = ws.page_setup.orientation == "landscape"
        assert all((w > h) == landscape for w, h in sizes), sheet
        printed_pt = _body_height(words) / per_point
        assert printed_pt == pytest.approx(11.0 * ws.page_setup.scale / 100, abs=0.15), sheet
        assert printed_pt >= 8.0, (sheet, printed_pt)
        assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage


def test_line_items_print_amounts_then_sources_with_the_header_on_every_page(
        printed: dict[str, Any]) -> None:
    ws, sizes, words = printed["Line items"]
    assert ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$C"
    assert [b.id for b in ws.col_breaks.brk] == [9]  # after Stage, before Source key
    first = [{w for w, _h in page} for page in words]
    assert all({"Scenario", "Family", "Item"} <= page for page in first)  # repeated
    assert "Amount" in first[0] and "Basis" not in first[0]
    assert "Basis" in first[1] and "Amount" not in first[1]


def test_no_chart_is_cut_by_a_page_break(printed: dict[str, Any]) -> None:
    for sheet in OWNED:
        ws, _sizes, _words = printed[sheet]

        def y(row: int, ws: Any = ws) -> float:  # points from the top to the top of ``row``
            return sum(ws.row_dimensions[r].height or DEFAULT_ROW_PT for r in range(1, row))

        breaks = sorted(b.id for b in ws.row_breaks.brk)
        for chart in ws._charts:
            top = chart.anchor._from.row + 1
            bottom = y(top) + chart.anchor.ext.height / 12700  # EMU: 12,700 a point
            assert not any(y(top) < y(b + 1) < bottom - 1 for b in breaks), (sheet, top)
