"""One table reader for every input sheet: formulas (saved or not), Excel error values, merged
cells and blank rows read the same way on Drivers, Pools, Runs, Data, Staff, Other, GPU catalog,
FX, Overrides, Uncertainty and Actuals."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from costsheet.workbook.examples import worked_example
from costsheet.workbook.run import WorkbookInputs, read_workbook
from costsheet.workbook.tables import FORMULA_NO_VALUE
from costsheet.workbook.template import FIRST_ROW, SHEETS, workbook_bytes
from openpyxl.utils import get_column_letter

Get = Callable[[WorkbookInputs], Any]


def _col(section: str, key: str) -> str:
    return get_column_letter(SHEETS[section].keys.index(key) + 1)


def _fill(wb: Any) -> None:
    """One line on the sheets the worked example leaves empty (Actuals, Uncertainty)."""
    act = wb["Actuals"]
    for key, value in {"month": "2026-01", "family": "compute", "amount": 100}.items():
        act[f"{_col('actuals', key)}{FIRST_ROW}"] = value
    unc = wb["Uncertainty"]
    for key, value in {"input": "mfu", "distribution": "uniform", "low": 0.3,
                       "high": 0.5}.items():
        unc[f"{_col('uncertainty', key)}{FIRST_ROW}"] = value


def _workbook(path: Path, edits: dict[str, Any], merge: str = "",
              saved: dict[str, float] | None = None) -> Path:
    """The worked example with ``edits`` ({"Sheet!A1": value}), an optional merged range
    ("Sheet!A1:B1") and saved results for formula cells ({"Sheet!A1": value}), as Excel
    would save them."""
    path.write_bytes(workbook_bytes(worked_example(), fill=_fill))
    wb = openpyxl.load_workbook(path)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    if merge:
        sheet, cells = merge.split("!")
        wb[sheet].merge_cells(cells)
    order = wb.sheetnames
    wb.save(path)
    if saved:
        _save_results(path, order, saved)
    return path


def _save_results(path: Path, order: list[str], saved: dict[str, float]) -> None:
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info.filename)
    for ref, value in saved.items():
        sheet, cell = ref.split("!")
        part = f"xl/worksheets/sheet{order.index(sheet) + 1}.xml"
        pattern = rb'(<c r="' + cell.encode() + rb'"[^>]*>)<f>([^<]*)</f><v ?/>'
        parts[part], n = re.subn(pattern, rb"\1<f>\2</f><v>" + repr(value).encode() + b"</v>",
                                 parts[part])
        assert n == 1, ref
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _only_problem(inputs: WorkbookInputs, cell: str) -> Any:
    """The one problem at ``cell``; the only others allowed are what follows from it (lines in
    EUR have no rate when the FX sheet's EUR rate is unreadable)."""
    at = [e for e in inputs.report.problems if e.location == cell]
    others = [e for e in inputs.report.problems if e.location != cell]
    assert len(at) == 1, [str(e) for e in inputs.report.problems]
    assert all(e.code == "no_fx_rate" and cell.startswith("FX!") for e in others), others
    return at[0]


def _value(inputs: WorkbookInputs, get: Get) -> Any:
    assert inputs.ok, [str(e) for e in inputs.report.errors]
    return get(inputs)


# every input sheet: (cell of one numeric input, its field, how to get its value once read)
CELLS: dict[str, tuple[str, str, Get]] = {
    "Drivers": ("Drivers!E5", "mfu", lambda i: i.read.budget.drivers.mfu),
    "Pools": (f"Pools!{_col('pools', 'price_per_gpu_hour')}6", "price_per_gpu_hour",
              lambda i: i.read.budget.pools[0].price_per_gpu_hour),
    "Runs": (f"Runs!{_col('runs', 'tokens')}6", "tokens", lambda i: i.read.budget.runs[0].tokens),
    "Data": (f"Data!{_col('data', 'unit_cost')}6", "unit_cost",
             lambda i: i.read.budget.data[0].unit_cost),
    "Staff": (f"Staff!{_col('staff', 'annual_salary')}6", "annual_salary",
              lambda i: i.read.budget.staff[0].annual_salary),
    "Other": (f"Other!{_col('other', 'unit_cost')}6", "unit_cost",
              lambda i: i.read.budget.other[0].unit_cost),
    "GPU catalog": (f"GPU catalog!{_col('gpu_catalog', 'memory_gb')}6", "memory_gb",
                    lambda i: i.read.budget.gpu_catalog[0].memory_gb),
    "FX": (f"FX!{_col('fx', 'rate')}6", "rate", lambda i: i.read.budget.fx_rates["EUR"]),
    "Overrides": (f"Overrides!{_col('overrides', 'value')}6", "value",
                  lambda i: i.read.budget.scenarios["High"]["pools.h100-cloud.price_per_gpu_hour"]),
    "Uncertainty": (f"Uncertainty!{_col('uncertainty', 'low')}6", "low",
                    lambda i: i.uncertainties["mfu"].params[0]),
    "Actuals": (f"Actuals!{_col('actuals', 'amount')}6", "amount",
                lambda i: i.actuals.actuals[0].amount),
}
# a value each input accepts (fractions for mfu, the FX rate and the Uncertainty row of mfu)
VALUES = {"Drivers": 0.37, "Uncertainty": 0.31, "FX": 1.11}


def test_every_input_sheet_is_covered() -> None:
    assert set(CELLS) == {spec.name for spec in SHEETS.values()}


@pytest.mark.parametrize("sheet", sorted(CELLS))
def test_formula_with_saved_value_reads_its_saved_value(tmp_path: Path, sheet: str) -> None:
    cell, _field, get = CELLS[sheet]
    value = VALUES.get(sheet, 2.5)
    path = _workbook(tmp_path / "b.xlsx", {cell: "=0+0"}, saved={cell: value})
    inputs = read_workbook(path)
    assert _value(inputs, get) == value  # Excel's result, not costsheet's evaluation (0)
    assert not inputs.report.warnings


@pytest.mark.parametrize("sheet", sorted(CELLS))
def test_formula_without_saved_value_is_evaluated_with_a_warning(tmp_path: Path,
                                                                 sheet: str) -> None:
    cell, field, get = CELLS[sheet]
    value = VALUES.get(sheet, 2.5)
    path = _workbook(tmp_path / "b.xlsx", {cell: f"={value}*2/2"})
    inputs = read_workbook(path)
    assert _value(inputs, get) == pytest.approx(value)
    (warning,) = inputs.report.warnings
    assert (warning.location, warning.field, warning.code) == (cell, field, "formula_evaluated")
    assert "evaluated by costsheet" in warning.message


@pytest.mark.parametrize("sheet", sorted(CELLS))
def test_formula_costsheet_cannot_evaluate_is_an_error_at_its_cell(tmp_path: Path,
                                                                   sheet: str) -> None:
    cell, field, _get = CELLS[sheet]
    path = _workbook(tmp_path / "b.xlsx", {cell: '=INDIRECT("B2")*2'})
    err = _only_problem(read_workbook(path), cell)
    assert (err.location, err.field, err.code) == (cell, field, "formula_without_value")
    assert err.message.startswith(FORMULA_NO_VALUE) and "INDIRECT" in err.message


@pytest.mark.parametrize("error", ["#REF!", "#DIV/0!", "#N/A"])
@pytest.mark.parametrize("sheet", sorted(CELLS))
def test_excel_error_value_is_an_error_at_its_cell(tmp_path: Path, sheet: str,
                                                   error: str) -> None:
    cell, field, _get = CELLS[sheet]
    path = _workbook(tmp_path / "b.xlsx", {cell: error})
    err = _only_problem(read_workbook(path), cell)
    assert (err.location, err.field, err.code, err.value) == (cell, field, "excel_error", error)
    assert f"the cell shows the Excel error {error}" in err.message


@pytest.mark.parametrize("sheet", sorted(CELLS))
def test_merged_cells_over_inputs_are_a_warning(tmp_path: Path, sheet: str) -> None:
    cell, _field, get = CELLS[sheet]
    m = re.fullmatch(r"(.+)!([A-Z]+)(\d+)", cell)
    assert m is not None
    name, letter, row = m.groups()
    right = get_column_letter(openpyxl.utils.column_index_from_string(letter) + 1)
    value = VALUES.get(sheet, 2.5)
    path = _workbook(tmp_path / "b.xlsx", {cell: value},
                     merge=f"{name}!{letter}{row}:{right}{row}")
    inputs = read_workbook(path)
    assert inputs.report.ok, [str(e) for e in inputs.report.errors]
    merged = [w for w in inputs.report.warnings if w.code == "merged_cells"]
    assert [(w.location, w.value) for w in merged] == [(cell, f"{letter}{row}:{right}{row}")]
    assert get(inputs) == value  # the top-left cell is read


# a row with only its heading columns (a line's name, a note) is skipped, on every table sheet
HEADINGS: dict[str, dict[str, str]] = {
    "Pools": {"name": "GPUs (heading)"},
    "Runs": {"name": "Runs (heading)"},
    "Data": {"name": "Datasets (heading)"},
    "Staff": {"role": "Team (heading)"},
    "Other": {"name": "Other (heading)"},
    "GPU catalog": {"key": "Accelerators (heading)"},
    "FX": {"currency": "Rates", "note": "from the treasury"},
    "Overrides": {"scenario": "High", "note": "changes agreed in March"},
    "Uncertainty": {"note": "ranges from the vendor quotes"},
    "Actuals": {"note": "January invoices below"},
}


@pytest.mark.parametrize("sheet", sorted(HEADINGS))
def test_blank_rows_and_heading_rows_are_skipped(tmp_path: Path, sheet: str) -> None:
    section = next(s for s, spec in SHEETS.items() if spec.name == sheet)
    edits = {f"{sheet}!{_col(section, k)}15": v for k, v in HEADINGS[sheet].items()}
    edits[f"{sheet}!{_col(section, SHEETS[section].keys[-1])}17"] = "   "  # only spaces
    inputs = read_workbook(_workbook(tmp_path / "b.xlsx", edits))
    assert inputs.ok, [str(e) for e in inputs.report.errors]
    assert not inputs.report.warnings
    (tmp_path / "plain").mkdir()
    plain = read_workbook(_workbook(tmp_path / "plain" / "b.xlsx", {}))
    assert inputs.read.budget == plain.read.budget
    assert inputs.actuals is not None and plain.actuals is not None
    assert inputs.actuals.actuals == plain.actuals.actuals
    assert inputs.uncertainties == plain.uncertainties


def test_actuals_formula_without_saved_value_is_not_read_as_blank(tmp_path: Path) -> None:
    """A currency typed as a formula by a script (no saved result) used to read as blank: the
    euros were then booked as dollars. It is evaluated now, like on the budget sheets."""
    from costsheet.workbook.actuals import read_actuals
    from make_samples import write_monthly_sample
    from sample_budgets import monthly_budget

    plain = write_monthly_sample(tmp_path / "plain.xlsx")
    path = tmp_path / "formula.xlsx"
    path.write_bytes(plain.read_bytes())
    wb = openpyxl.load_workbook(path)
    ws = wb["Actuals"]
    cell = f"{_col('actuals', 'currency')}7"
    assert ws[cell].value == "EUR"
    ws[cell] = '="EU"&"R"'
    wb.save(path)
    budget = monthly_budget()
    read = read_actuals(path, budget.currency, budget.fx_rates)
    assert read.report.ok, [str(e) for e in read.report.errors]
    assert read.actuals[1].currency == "EUR"
    (warning,) = read.report.warnings
    assert (warning.location, warning.code) == (f"Actuals!{cell}", "formula_evaluated")
    assert read.actuals == read_actuals(plain, budget.currency, budget.fx_rates).actuals
