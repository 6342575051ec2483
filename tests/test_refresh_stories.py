"""The three monthly-refresh stories of issue 12, end to end through `check` and `run`.

1. A salary typed ``¥900,000`` on a line whose Currency cell is blank, in a USD budget.
2. One Actuals row dated ``2027-02`` instead of ``2026-02``.
3. A reserved pool's invoices booked under the pool's name, with a restart-risk reserve.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.inputs import ActualLine, Budget, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.timeline import build_timeline
from costsheet.model.variance import compute_variance
from costsheet.workbook.actuals import fill_actuals
from costsheet.workbook.examples import worked_example
from costsheet.workbook.template import workbook_bytes
from sample_budgets import MONTHLY_FX, monthly_actuals, monthly_budget


def _set(path: Path, cells: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    wb.save(path)


def _json(output: str) -> dict[str, object]:
    return json.loads(output[output.index("{"):])


def test_story_1_a_yuan_salary_is_never_read_as_dollars(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(workbook_bytes(worked_example()))
    _set(path, {"Staff!C6": "¥900,000"})  # research scientists, Currency cell blank
    before = path.read_bytes()
    for command in (["check", str(path)], ["run", str(path), "--trials", "20"]):
        res = CliRunner().invoke(main, command)
        assert res.exit_code == 2, res.output
        assert "error: Staff!C6: annual_salary: ¥ can mean CNY or JPY" in res.output
        assert path.read_bytes() == before
    # the yuan rate on the FX sheet says which ¥ it is
    _set(path, {"FX!A7": "CNY", "FX!B7": 0.14})
    res = CliRunner().invoke(main, ["run", str(path), "--trials", "20", "--json"])
    assert res.exit_code == 0, res.output
    staff = _json(res.output)["scenarios"]["Base"]["families"]["staff"]  # type: ignore[index]
    b = worked_example()
    b = b.model_copy(update={"fx_rates": {**b.fx_rates, "CNY": 0.14}, "staff": [
        b.staff[0].model_copy(update={"annual_salary": 900_000, "currency": "CNY"}),
        *b.staff[1:]]})
    assert staff == pytest.approx(float(compute_budget(b).totals["staff"]))
    misread = b.model_copy(update={"staff": [
        b.staff[0].model_copy(update={"annual_salary": 900_000, "currency": None}),
        *b.staff[1:]]})
    assert float(compute_budget(misread).totals["staff"]) > 1.9 * staff  # what it was before


def test_story_2_a_mistyped_month_is_refused_and_never_logged(tmp_path: Path) -> None:
    path = tmp_path / "monthly.xlsx"
    typo = ActualLine(month="2027-02", family="data", item="object storage", amount=7_100,
                      currency="USD", note="storage, typed a year late")
    path.write_bytes(workbook_bytes(monthly_budget(), fill=lambda wb: fill_actuals(
        wb, [*monthly_actuals(), typo], MONTHLY_FX)))
    before = path.read_bytes()
    for command in (["check", str(path)], ["run", str(path), "--trials", "20"]):
        res = CliRunner().invoke(main, command)
        assert res.exit_code == 2, res.output
        assert ("error: Actuals!A21: month: 2027-02 is not one of the budget's months "
                "(2026-01 to 2026-12)") in res.output
        assert path.read_bytes() == before  # no Refresh log row, nothing written
    _set(path, {"Actuals!A21": "2026-03"})
    res = CliRunner().invoke(main, ["run", str(path), "--trials", "20", "--json"])
    assert res.exit_code == 0, res.output
    monthly = _json(res.output)["monthly"]
    assert monthly["as_of"] == "2026-03" and monthly["log_rows"] == 1  # type: ignore[index]


def reserved_pool_budget() -> Budget:
    return Budget(
        drivers=Drivers(start_month="2026-01", currency="USD", experiment_multiplier=0.3,
                        interruption_rate_per_1000_gpu_days=0.5, restart_probability="10%"),
        pools=[GpuPool(name="h100-reserved", gpu_type="H100", gpu_count=256,
                       price_per_gpu_hour=2.20, term_months=3, start_month="2026-02")],
        runs=[TrainingRun(name="main-13b", pool="h100-reserved", params=13e9, tokens=2e12,
                          mfu="40%", start_month="2026-02")],
        staff=[StaffLine(role="research scientist", headcount=3, annual_salary=180_000)],
    )


def test_story_3_a_reserved_pools_invoice_under_its_name(tmp_path: Path) -> None:
    """Invoices booked as the pool's name: the variance is what was spent against plan (within
    1%), Experiments is not −100%, and the reserve stays beside the plan."""
    budget = reserved_pool_budget()
    tl = build_timeline(budget)
    assert tl.reserve_total > 0  # a 10% restart risk: an expected cost, not cash
    plan = {mo: math.fsum(e.amount for e in tl.entries
                          if e.pool == "h100-reserved" and e.month == mo)
            for mo in ("2026-02", "2026-03")}
    staff = {mo: math.fsum(e.amount for e in tl.entries
                           if e.family == "staff" and e.month == mo)
             for mo in ("2026-01", "2026-02", "2026-03")}
    spent = {"2026-02": plan["2026-02"] * 1.03, "2026-03": plan["2026-03"] * 0.995}
    actuals = [ActualLine(month=mo, item="h100-reserved", amount=round(x, 2),
                          note="reserved capacity invoice") for mo, x in spent.items()]
    actuals += [ActualLine(month=mo, family="staff", amount=x) for mo, x in staff.items()]
    v = compute_variance(budget, actuals)
    against_plan = math.fsum(spent.values()) - math.fsum(plan.values())
    variance = v.ytd_of("total").variance
    assert abs(variance - against_plan) <= 0.01 * abs(against_plan)
    for r in v.monthly_rows:  # every family of the pool moves with the invoice, none at −100%
        if r.status == "actual" and r.budget and r.family in ("compute", "experiments"):
            assert r.variance_pct == pytest.approx(spent[r.month] / plan[r.month] - 1)
    assert v.reserve_not_yet_used == 0  # the run ended in 2026-03: released
    assert v.latest_estimate_without_reserve == pytest.approx(
        v.full_budget - tl.reserve_total + against_plan, rel=1e-9)

    path = tmp_path / "reserved.xlsx"
    path.write_bytes(workbook_bytes(budget, fill=lambda wb: fill_actuals(wb, actuals)))
    res = CliRunner().invoke(main, ["run", str(path), "--trials", "20", "--json"])
    assert res.exit_code == 0, res.output
    monthly = _json(res.output)["monthly"]
    assert monthly["latest_estimate"] == pytest.approx(v.latest_estimate)  # type: ignore[index]
    wb = openpyxl.load_workbook(path, read_only=True)
    text = [str(c) for row in wb["Variance"].iter_rows(values_only=True) for c in row if c]
    wb.close()
    assert any("Invoices split across budget lines" in t for t in text)
    assert any("Reserve" in t for t in text)
