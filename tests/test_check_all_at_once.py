"""All problems at once, in `check` as in `run` (issue 12): every sheet is read even when others
have errors; parse and look-up errors are reported together; every warning `run` prints, `check`
prints; near-miss sheet, GPU and pool names get "did you mean"."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.actuals import fill_actuals
from costsheet.workbook.examples import worked_example
from costsheet.workbook.template import workbook_bytes
from sample_budgets import MONTHLY_FX, monthly_actuals, monthly_budget


def _example(tmp_path: Path, cells: dict[str, object] | None = None,
             rename: dict[str, str] | None = None) -> Path:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(workbook_bytes(worked_example()))
    wb = openpyxl.load_workbook(path)
    for ref, value in (cells or {}).items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    for old, new in (rename or {}).items():
        wb[old].title = new
    wb.save(path)
    return path


def _errors(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.startswith("error: ") and "!" in ln]


def test_every_sheet_is_read_when_a_budget_sheet_has_errors(tmp_path: Path) -> None:
    path = _example(tmp_path, {
        "Runs!D6": "abc",                                   # a parse error on a budget sheet
        "Actuals!A6": "2026-02", "Actuals!B6": "data", "Actuals!D6": "12%",  # and on Actuals
        "Uncertainty!A6": "pools.h100-cloud.price_per_gpu_hour",
        "Uncertainty!B6": "triangular", "Uncertainty!C6": "€2", "Uncertainty!D6": 2.5,
        "Uncertainty!E6": 3,                                # and on Uncertainty
    })
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2, res.output
    where = {ln.split(": ")[1] for ln in _errors(res.output)}
    assert where == {"Runs!D6", "Actuals!D6", "Uncertainty!C6"}, res.output
    assert "(the cost model and the monthly plan are checked once the inputs read" in res.output


def test_parse_and_look_up_errors_are_reported_together(tmp_path: Path) -> None:
    path = _example(tmp_path, {"Runs!D6": "abc", "Runs!C6": "h100-clod", "Pools!B7": "A10O",
                               "Staff!C6": "¥300,000", "Staff!B7": "x"})
    res = CliRunner().invoke(main, ["check", str(path)])
    errors = _errors(res.output)
    assert any(e.startswith("error: Runs!D6: params: not a number") for e in errors)
    assert any(e.startswith("error: Runs!C6: pool: unknown pool: did you mean h100-cloud?")
               for e in errors), res.output
    assert any(e.startswith("error: Pools!B7: gpu_type: unknown GPU type 'A10O': did you mean "
                            "A100?") for e in errors), res.output
    assert any(e.startswith("error: Staff!C6: annual_salary: ¥ can mean CNY or JPY")
               for e in errors), res.output
    assert any(e.startswith("error: Staff!B7: headcount") for e in errors), res.output
    assert "tip: fix these 5 problems" in res.output


def test_a_renamed_sheet_is_named_without_a_cascade(tmp_path: Path) -> None:
    path = _example(tmp_path, rename={"Pools": "GPU pools"})
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error: ")]
    assert errors[1:] == ["error: Pools: sheet: missing sheet 'Pools' (GPU pools); the sheet "
                          "'GPU pools' has its keys: rename it to 'Pools' so costsheet reads "
                          "it"], res.output
    near = _example(tmp_path, rename={"Actuals": "Actual"})  # optional: a warning
    res = CliRunner().invoke(main, ["check", str(near)])
    assert res.exit_code == 0
    assert "warning: Actuals: sheet: no sheet 'Actuals' (Actuals), so none is read; the sheet " \
           "'Actual' has its keys" in res.output


def test_check_prints_every_warning_run_prints(tmp_path: Path) -> None:
    path = tmp_path / "monthly.xlsx"
    extra = [a.model_copy(update={"item": "obect storage", "month": "2026-03"})
             for a in monthly_actuals() if a.item == "object storage"][:1]
    actuals = [a for a in monthly_actuals() if not (a.month == "2026-03"
                                                    and a.family == "data")] + extra
    path.write_bytes(workbook_bytes(monthly_budget(), fill=lambda wb: fill_actuals(
        wb, actuals, MONTHLY_FX)))
    checked = CliRunner().invoke(main, ["check", str(path), "--json"])
    ran = CliRunner().invoke(main, ["run", str(path), "--trials", "20", "--json"])
    assert checked.exit_code == 0 and ran.exit_code == 0, (checked.output, ran.output)
    from_check = {c["message"] for c in json.loads(checked.output)["checks"]
                  if c["severity"] == "warning"}
    ran_json = json.loads(ran.output[ran.output.index("{"):])
    from_run = {c["message"] for c in ran_json["checks"]
                if c["severity"] == "warning" and not c["where"]}
    assert from_run and from_check == from_run
    assert any("actuals name lines the budget does not have" in m for m in from_check)
    assert any("runs need 253,936 GPU-hours" in m for m in from_check)  # a model warning
    human = CliRunner().invoke(main, ["check", str(path)])
    for message in from_run:
        assert message in human.output
