"""Errors are data: every problem has a machine-readable code; library errors name the input
they concern (``key``), and the reader places a model error at that input's cell from the key,
not from the wording of its message."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.errors import CellError, InputError, Report
from costsheet.inputs import Budget, GpuPool, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.units import UnitError, parse_count, parse_fraction, parse_number
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import workbook_bytes


@pytest.mark.parametrize(("call", "code"), [
    (lambda: parse_number("abc"), "not_a_number"),
    (lambda: parse_number("-5"), "negative"),
    (lambda: parse_number(""), "empty"),
    (lambda: parse_fraction(40), "percent_typed_as_number"),
    (lambda: parse_fraction(400), "not_a_fraction"),
    (lambda: parse_count("2.5"), "not_a_whole_number"),
])
def test_unit_errors_carry_a_code(call: object, code: str) -> None:
    with pytest.raises(UnitError) as exc:
        call()  # type: ignore[operator]
    assert exc.value.code == code


def test_cell_errors_and_reports_carry_codes() -> None:
    report = Report()
    report.add("Runs", "D7", "tokens", "abc", "not a number", code="not_a_number")
    err = report.errors[0]
    assert err == CellError("Runs", "D7", "tokens", "abc", "not a number", "error",
                            "not_a_number")
    assert err.to_dict()["code"] == "not_a_number"
    assert str(err) == "Runs!D7: tokens: not a number (got 'abc')"  # the text is unchanged


def _planted(tmp_path: Path, edits: dict[str, object]) -> Path:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(workbook_bytes(worked_example()))
    wb = openpyxl.load_workbook(path)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_check_json_gives_each_problem_its_code(tmp_path: Path) -> None:
    path = _planted(tmp_path, {
        "Drivers!E5": 40, "Runs!D6": "abc", "Pools!B7": "H1000", "Runs!C7": "nope",
        "Staff!C6": None, "Runs!A8": "x", "Runs!B8": "finale", "Runs!C8": "h100-cloud",
        "Runs!F8": "1T", "Runs!D8": "7B", "Overrides!A7": "Hgh", "Overrides!B7": "mfu",
        "Overrides!C7": 0.3, "Data!E6": "#REF!"})
    res = CliRunner().invoke(main, ["check", "--json", str(path)])
    assert res.exit_code == 2
    codes = {f"{e['sheet']}!{e['cell']}": e["code"] for e in json.loads(res.output)["errors"]}
    assert codes == {
        "Drivers!E5": "percent_typed_as_number", "Runs!D6": "not_a_number",
        "Pools!B7": "unknown_gpu", "Runs!C7": "unknown_pool", "Staff!C6": "required",
        "Runs!B8": "not_a_choice", "Overrides!A7": "unknown_scenario", "Data!E6": "excel_error"}


def test_library_errors_name_the_input_they_concern() -> None:
    pool = GpuPool(name="p", gpu_type="H100", gpu_count=8, price_per_gpu_hour=2)
    with pytest.raises(InputError) as exc:
        compute_budget(Budget(pools=[pool], runs=[TrainingRun(name="r")]))
    assert (exc.value.code, exc.value.key) == ("run_without_work", "runs.r")
    with pytest.raises(InputError) as exc:
        compute_budget(Budget(pools=[pool], runs=[TrainingRun(name="r", pool="q",
                                                              gpu_hours=10)]))
    assert (exc.value.code, exc.value.key) == ("unknown_pool", "runs.r")
    bare = GpuPool(name="b", gpu_count=8)
    with pytest.raises(InputError) as exc:
        compute_budget(Budget(pools=[bare], runs=[TrainingRun(name="r", gpu_hours=10)]))
    assert (exc.value.code, exc.value.key) == ("no_rental_price", "pools.b")


def test_a_model_error_is_placed_at_the_cell_its_key_names(tmp_path: Path) -> None:
    """The run's name holds a quote (a message-parsing reader missed such names)."""
    path = _planted(tmp_path, {
        "Runs!A8": "Bob's run", "Runs!B8": "experiment", "Runs!C8": "h100-cloud"})
    (err,) = read_budget(path).report.problems
    assert (err.location, err.field, err.code) == ("Runs!A8", "model", "run_without_work")
    assert err.message.startswith("run \"Bob's run\": needs GPU-hours, or FLOPs, or parameters")
    assert "; give params and tokens" in err.message  # the hint follows, as before
