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
from costsheet.inputs import Budget, Drivers, GpuPool, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.units import UnitError, parse_count, parse_fraction, parse_money, parse_number
from costsheet.workbook import reader
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import workbook_bytes
from pydantic import model_validator


@pytest.mark.parametrize(("call", "code"), [
    (lambda: parse_number("abc"), "not_a_number"),
    (lambda: parse_number("-5"), "negative"),
    (lambda: parse_number(""), "empty"),
    (lambda: parse_fraction(40), "percent_typed_as_number"),
    (lambda: parse_fraction(400), "not_a_fraction"),
    (lambda: parse_count("2.5"), "not_a_whole_number"),
    (lambda: parse_number("1.024,5"), "decimal_comma"),
    (lambda: parse_number("1 000 000"), "spaced_digit_groups"),
    (lambda: parse_money("12%"), "percent_as_money"),
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
    assert (exc.value.code, exc.value.key) == ("unknown_pool", "runs.r.pool")
    bare = GpuPool(name="b", gpu_count=8)
    with pytest.raises(InputError) as exc:
        compute_budget(Budget(pools=[bare], runs=[TrainingRun(name="r", gpu_hours=10)]))
    assert (exc.value.code, exc.value.key) == ("no_rental_price", "pools.b.price_per_gpu_hour")


def test_the_monthly_plan_names_its_arguments_by_key() -> None:
    """plan_monthly (model/) names no flag: the CLI shows `--as-of` from the key `as_of`."""
    from datetime import datetime

    from costsheet.model.monthly_plan import plan_monthly

    pool = GpuPool(name="p", gpu_type="H100", gpu_count=8, price_per_gpu_hour=2)
    budget = Budget(pools=[pool], runs=[TrainingRun(name="r", gpu_hours=10)])
    results = {"Base": compute_budget(budget)}
    now = datetime(2026, 3, 1)
    with pytest.raises(InputError) as exc:
        plan_monthly(budget, results, now=now, version="t", as_of="March")
    assert exc.value.key == "as_of" and exc.value.message.startswith("not a month")
    with pytest.raises(InputError) as exc:
        plan_monthly(budget, results, now=now, version="t", scenario="Nope")
    assert exc.value.key == "scenario" and "unknown scenario 'Nope'" in exc.value.message


def test_a_model_error_is_placed_at_the_cell_its_key_names(tmp_path: Path) -> None:
    """The run's name holds a quote (a message-parsing reader missed such names)."""
    path = _planted(tmp_path, {
        "Runs!A8": "Bob's run", "Runs!B8": "experiment", "Runs!C8": "h100-cloud"})
    (err,) = read_budget(path).report.problems
    assert (err.location, err.field, err.code) == ("Runs!A8", "model", "run_without_work")
    assert err.message.startswith("run \"Bob's run\": needs GPU-hours, or FLOPs, or parameters")
    assert "; give params and tokens" in err.message  # the hint follows, as before


def _cell_of(path: Path, key: str) -> str:
    return read_budget(path).cells[key]


def test_a_model_error_is_placed_at_the_field_its_key_names(tmp_path: Path) -> None:
    """Experiments given both ways (Epoch AI's total multiple and the extra multiple) is a check
    across two drivers made where the budget is computed: reported at the cell of the one the
    error names, with its code."""
    path = _planted(tmp_path, {})
    at = _cell_of(path, "drivers.experiments_total_multiple")
    path = _planted(tmp_path, {at: 2.2})  # the example's experiments multiple is 0.5
    (err,) = read_budget(path).report.problems
    assert (err.location, err.code) == (at, "given_twice")
    assert "experiments are given twice" in err.message


def test_a_scenario_s_model_error_is_placed_at_its_scenario_cell(tmp_path: Path) -> None:
    path = _planted(tmp_path, {})
    base = _cell_of(path, "drivers.experiments_total_multiple")
    high = _cell_of(path, "drivers.experiments_total_multiple@High")
    path = _planted(tmp_path, {high: 2.2})  # High also sets the extra multiple (1.0)
    (err,) = read_budget(path).report.problems
    assert (err.location, err.code) == (high, "given_twice") and high != base
    assert err.message.endswith("(scenario High); keep one: a total multiple of 2.2 is an "
                                "experiments multiple of 1.2")


def test_a_key_without_a_cell_of_its_own_is_placed_at_its_line() -> None:
    cells = {"pools.h800": "Pools!A6", "pools.h800.gpu_count": "Pools!C6",
             "drivers.mfu": "Drivers!E5", "drivers.mfu@High": "Drivers!G5"}
    assert reader._locate(cells, "pools.h800.gpu_count") == "Pools!C6"
    assert reader._locate(cells, "pools.h800.unknown_field") == "Pools!A6"
    assert reader._locate(cells, "fx_rates.EUR") == ""  # no FX row: no cell to name
    assert reader._locate(cells, "drivers.mfu", "High", {"mfu"}) == "Drivers!G5"
    assert reader._locate(cells, "drivers.mfu", "High", {}) == "Drivers!E5"  # inherits Base
    assert reader._locate(cells, None) == ""


class _CrossCheckedDrivers(Drivers):
    """Drivers with a check across two fields, as a validator (the reader must not crash)."""

    @model_validator(mode="after")
    def _pue_above_draw(self) -> _CrossCheckedDrivers:
        if self.pue > 1.5 and self.avg_power_draw > 0.8:
            raise ValueError("pue: above 1.5 only with an average power draw of 80% or less")
        return self


def test_a_check_across_drivers_is_reported_at_a_cell(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = _planted(tmp_path, {})
    at, draw = _cell_of(path, "drivers.pue"), _cell_of(path, "drivers.avg_power_draw")
    path = _planted(tmp_path, {at: 1.6, draw: 0.9})  # each valid with the other's default
    monkeypatch.setattr(reader, "Drivers", _CrossCheckedDrivers)
    res = read_budget(path)  # used to raise a ValidationError from Drivers(**good)
    assert res.budget is None
    (err,) = res.report.problems
    assert (err.location, err.field, err.code) == (at, "pue", "invalid_value")
    assert err.message == "above 1.5 only with an average power draw of 80% or less"


def test_a_check_across_a_run_s_fields_is_reported_at_the_field_it_names(tmp_path: Path) -> None:
    """TrainingRun's checks across fields (an input only other stages use) are made by a model
    validator; the reader reports them at that field's cell, with their code."""
    path = _planted(tmp_path, {})
    run = worked_example().runs[0]
    assert run.stage == "pretraining"
    at = _cell_of(path, f"runs.{run.name}.prompts")
    path = _planted(tmp_path, {at: 100})
    (err,) = read_budget(path).report.problems
    assert (err.location, err.field, err.code) == (at, "prompts", "not_for_this_stage")
    assert err.message.startswith("applies to rl, synthetic_data, evaluation runs")
