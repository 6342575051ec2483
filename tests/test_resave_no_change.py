"""Re-saves are not changes: a workbook saved again by LibreOffice, by a script (openpyxl) or by
a writer that keeps 15 significant digits, as Excel does with what it is given, refreshes with
"no change"; the Refresh log compares money to the cent (half a cent, or a billionth of large
totals), never showing a "−$0.00"."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from costsheet.inputs import FAMILIES
from costsheet.model.refresh_log import (
    FINGERPRINT_DIGITS,
    FIXED_COLUMNS,
    describe_change,
    forecast_column,
    make_entry,
    rows_as_dicts,
    same_money,
)
from costsheet.workbook.run import run_workbook
from support.hostile import set_cells, write_example
from support.libreoffice import resave_xlsx

NOW = datetime(2026, 3, 5, 14, 2, tzinfo=UTC)
LATER = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
#: values a script writes with all 17 digits (a price worked out, a fraction, a salary)
LONG_VALUES = {"Pools!E6": 2.5 / 3 * 3.1, "Drivers!E5": 0.41234567890123456,
               "Staff!C6": 123456.78901234567, "FX!B6": 1.0 / 0.9123456789}


def _budget(path: Path) -> Path:
    write_example(path)
    set_cells(path, LONG_VALUES)
    return path


def _second_run(path: Path) -> list[str]:
    result = run_workbook(path, now=LATER, trials=200)
    assert result.monthly is not None
    return result.monthly.messages()


def _no_change(messages: list[str]) -> None:
    text = "\n".join(messages)
    assert "$0.00" not in text and "−" not in text, text
    assert ("unchanged since" in text and "no row added" in text) or \
        "no change in the forecast since the previous refresh" in text, text


def test_a_libreoffice_resave_with_the_same_inputs_is_no_change(tmp_path: Path) -> None:
    book = _budget(tmp_path / "budget.xlsx")
    run_workbook(book, now=NOW, trials=200)
    saved = resave_xlsx(book, tmp_path / "lo")
    assert saved.read_bytes() != book.read_bytes()
    shutil.copyfile(saved, book)  # the user saved it in LibreOffice Calc
    messages = _second_run(book)
    _no_change(messages)
    assert any("no row added" in m for m in messages), messages  # same fingerprint


def _round_values(data: bytes, digits: int = 15) -> bytes:
    """Every number stored in every sheet rewritten with ``digits`` significant digits."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text = blob.decode("utf-8")
                text = re.sub(r"<v>(-?[0-9.]+(?:[eE][-+]?\d+)?)</v>",
                              lambda m: f"<v>{float(m.group(1)):.{digits}g}</v>", text)
                blob = text.encode("utf-8")
            zout.writestr(info, blob)
    return out.getvalue()


@pytest.mark.parametrize("writer", ["openpyxl", "15-digits"])
def test_an_excel_like_resave_is_no_change(tmp_path: Path, writer: str) -> None:
    book = _budget(tmp_path / "budget.xlsx")
    run_workbook(book, now=NOW, trials=200)
    if writer == "openpyxl":
        wb = openpyxl.load_workbook(book)
        wb.save(book)
    else:
        book.write_bytes(_round_values(book.read_bytes()))
    _no_change(_second_run(book))


def test_a_copy_under_a_new_name_logs_a_row_with_no_change(tmp_path: Path) -> None:
    """The name is part of the inputs (the budget is named after its file), so a copy logs a
    row; its forecast has not moved, and the log says so rather than "−$0.00" per family."""
    book = _budget(tmp_path / "budget.xlsx")
    run_workbook(book, now=NOW, trials=200)
    copy = tmp_path / "budget-copy.xlsx"
    copy.write_bytes(resave_xlsx(book, tmp_path / "lo").read_bytes())
    messages = _second_run(copy)
    assert any("row 2 added" in m for m in messages), messages
    _no_change(messages)
    wb = openpyxl.load_workbook(copy, read_only=True)
    rows = [list(r) for r in wb["Refresh log"].iter_rows(values_only=True)]
    wb.close()
    last = rows_as_dicts(rows[0], rows[1:])[-1]
    assert all(last[f"Change: {label}"] == 0 for label in
               [c.removeprefix("Change: ") for c in FIXED_COLUMNS if c.startswith("Change: ")])


def _entry(forecast: dict[str, float], previous: dict[str, float]) -> object:
    prev_row = {**{forecast_column(f): v for f, v in previous.items()}, "Scenario": "Base"}
    return make_entry(now=NOW, as_of=None, version="x", fingerprint="sha256:1", scenario="Base",
                      currency="USD", forecast=forecast, scenario_totals={"Base": 0.0},
                      previous_rows=[prev_row])


def test_money_compares_to_the_cent() -> None:
    base = {f: 1_000_000.0 for f in FAMILIES}
    noise = {f: v - 0.0049 for f, v in base.items()}  # below half a cent: rounding noise
    entry = _entry(noise, base)
    assert all(c == 0.0 for c in entry.change.values())  # type: ignore[attr-defined]
    lines = describe_change(entry, lambda x: f"${x:,.2f}")  # type: ignore[arg-type]
    assert lines[-1] == "no change in the forecast since the previous refresh"
    moved = {f: v + 0.02 for f, v in base.items()}  # two cents is a change
    entry = _entry(moved, base)
    assert all(c == pytest.approx(0.02) for c in entry.change.values())  # type: ignore
    assert same_money(1e15, 1e15 + 0.5)  # a billionth of a large total is float noise
    assert not same_money(1e6, 1e6 + 0.01)


def test_the_fingerprint_counts_twelve_significant_digits() -> None:
    from costsheet.model.refresh_log import fingerprint
    from costsheet.workbook.examples import worked_example

    b = worked_example()
    pool = b.pools[0]
    a = b.model_copy(update={"pools": [pool.model_copy(update={
        "price_per_gpu_hour": 2.583333333333333}), *b.pools[1:]]})
    c = b.model_copy(update={"pools": [pool.model_copy(update={
        "price_per_gpu_hour": 2.58333333333333}), *b.pools[1:]]})
    d = b.model_copy(update={"pools": [pool.model_copy(update={
        "price_per_gpu_hour": 2.5833333334}), *b.pools[1:]]})
    assert FINGERPRINT_DIGITS == 12
    assert fingerprint(a) == fingerprint(c)  # the 15 digits LibreOffice keeps
    assert fingerprint(a) != fingerprint(d)  # a change in the 11th digit counts
