"""hypothesis fuzzes the input cells of the worked example: `costsheet run` either runs (exit 0,
a readable workbook) or reports cells (exit 2, the file byte-identical); never a traceback or
another exit code."""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.ooxml import check_package
from costsheet.workbook.reader import read_budget
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from support.hostile import example_bytes


def _input_cells() -> list[str]:
    cells = [f"Drivers!{c}{r}" for r in range(5, 23) for c in "EFG"]
    for sheet, cols, rows in (("Pools", 10, (6, 7)), ("Runs", 12, (6, 7)),
                              ("Data", 9, (6, 7, 8, 9)), ("Staff", 8, (6, 7, 8)),
                              ("Other", 10, (6, 7)), ("FX", 3, (6,)),
                              ("Overrides", 3, (6, 7)), ("GPU catalog", 15, (6, 7))):
        cells += [f"{sheet}!{get_column_letter(c)}{r}" for r in rows for c in range(1, cols + 1)]
    return cells


CELLS = _input_cells()

texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=25)
numbers = st.one_of(
    st.integers(-10**6, 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -1, 1e308, -1e308, 5e-324, 1e15, 0.5, 40, 100]),
)
number_texts = st.one_of(
    st.sampled_from(["1,024", "7B", "14.8T", "2.788M", "$2.50", "40%", "0.4", "-5", "1e308",
                     "NaN", "inf", "-INF", "1.2.3", "12 GPUs", "", "   ", "TRUE", "2026-03",
                     "March 2026", "#DIV/0!", "#N/A", "0x10", "½", "١٢٣", "1_000"]),
    st.builds(lambda v: f"{v}%", st.floats(-1e3, 1e3, allow_nan=False)),
    st.builds(lambda v: f"{v:,}", st.integers(-10**12, 10**12)),
)
dates = st.one_of(st.dates(date(1900, 3, 1), date(2200, 1, 1)),
                  st.datetimes(datetime(1900, 3, 1), datetime(2200, 1, 1)))
formulas = st.sampled_from(["=1+1", "=B6*2", "=SUM(C6:C7)", "=NOW()", '=INDIRECT("A1")',
                            "=1/0", "=Pools!C6", "=A1&A2", "=Nowhere!A1", "=E6", "=-C6",
                            '=HYPERLINK("x","y")', "=IF(TRUE,3,4)", "=ROUND(2.567,1)"])
values = st.one_of(texts, numbers, number_texts, dates, st.booleans(), st.none(),
                   st.tuples(st.just("formula"), formulas),
                   st.tuples(st.just("text"), formulas))  # a formula typed as text


def _workbook(edits: list[tuple[str, Any]]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(example_bytes()))
    for ref, value in edits:
        sheet, cell = ref.split("!")
        c = wb[sheet][cell]
        if isinstance(value, tuple):
            kind, text = value
            c.value = text
            if kind == "text":
                c.data_type = "s"
        elif isinstance(value, str):
            try:
                c.value = value
            except IllegalCharacterError:  # control characters: openpyxl refuses them itself
                c.value = value.translate({i: None for i in range(32)})
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"
        else:
            c.value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(CELLS), values), min_size=1, max_size=4))
def test_random_cells_run_or_report_never_crash(edits: list[tuple[str, Any]]) -> None:
    data = _workbook(edits)
    with tempfile.TemporaryDirectory(prefix="costsheet-fuzz-") as tmp:
        path = Path(tmp) / "fuzz.xlsx"
        path.write_bytes(data)
        res = CliRunner().invoke(main, ["run", str(path), "--trials", "100"])
        assert res.exit_code in (0, 2), (res.output, res.exception)
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        assert "Traceback" not in res.output
        event(f"exit {res.exit_code}")
        if res.exit_code == 2:
            assert res.output.count("error: ") >= 1
            assert "fuzz.xlsx" in res.output
            assert path.read_bytes() == data  # untouched
        else:
            check_package(path)
            assert read_budget(path).ok  # the inputs read the same after the write
            openpyxl.load_workbook(path, read_only=True).close()
