"""Invoices the way finance books them (issue 12): an Actuals row may name a pool or a run instead
of a line; it is split across the lines that pool or run carries in the budget, in proportion to
their budget in that month, and the Variance says so."""

from __future__ import annotations

import math

import pytest
from costsheet.inputs import ActualLine, Budget, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.booking import ActualsError
from costsheet.model.timeline import build_timeline
from costsheet.model.variance import compute_variance


def reserved_budget() -> Budget:
    """H100s reserved for three months (billed whatever the use): a final run, its sweeps and
    interruptions, and idle capacity all sit on the one invoice."""
    return Budget(
        drivers=Drivers(start_month="2026-01", experiment_multiplier=0.25,
                        interruption_rate_per_1000_gpu_days=0.5, restart_probability="10%"),
        pools=[GpuPool(name="h100-reserved", gpu_type="H100", gpu_count=256,
                       price_per_gpu_hour=2.0, term_months=3, start_month="2026-02")],
        runs=[TrainingRun(name="main", pool="h100-reserved", gpu_hours=300_000,
                          start_month="2026-02")],
        staff=[StaffLine(role="researcher", headcount=2, annual_salary=240_000)],
    )


def pool_budget(budget: Budget, month: str) -> dict[tuple[str, str], float]:
    tl = build_timeline(budget)
    out: dict[tuple[str, str], float] = {}
    for e in tl.entries:
        if e.pool == "h100-reserved" and e.month == month and e.amount:
            out[(e.family, e.item)] = out.get((e.family, e.item), 0.0) + e.amount
    return out


def test_an_invoice_under_the_pools_name_is_split_pro_rata_to_that_months_budget() -> None:
    budget = reserved_budget()
    planned = pool_budget(budget, "2026-02")
    assert {f for f, _ in planned} == {"compute", "experiments"}  # run, idle; sweeps, interruptions
    invoice = 1.02 * math.fsum(planned.values())  # 2% more than planned
    v = compute_variance(budget, [ActualLine(month="2026-02", item="h100-reserved",
                                             amount=invoice, note="INV-0042")])
    (split,) = v.splits
    assert split.group == "h100-reserved" and split.what == "pool" and not split.by_all_months
    assert math.fsum(p.amount for p in split.parts) == pytest.approx(invoice)
    for part in split.parts:  # each line gets its share of the month's budget
        assert part.share == pytest.approx(planned[(part.family, part.item)]
                                           / math.fsum(planned.values()))
    for fam in ("compute", "experiments"):  # every family of the pool 2% over, none at -100%
        row = next(r for r in v.monthly_rows if r.month == "2026-02" and r.family == fam)
        assert row.variance_pct == pytest.approx(0.02)
    assert "the pool's budget in 2026-02" in split.basis


def test_a_family_on_the_row_splits_only_that_familys_lines_of_the_pool() -> None:
    budget = reserved_budget()
    planned = {k: v for k, v in pool_budget(budget, "2026-03").items() if k[0] == "experiments"}
    v = compute_variance(budget, [ActualLine(month="2026-03", family="experiments",
                                             item="H100-Reserved", amount=50_000)])
    (split,) = v.splits
    assert {(p.family, p.item) for p in split.parts} == set(planned)


def test_a_month_without_the_pools_budget_splits_by_all_its_months_and_says_so() -> None:
    budget = reserved_budget()
    v = compute_variance(budget, [ActualLine(month="2026-06", item="h100-reserved",
                                             amount=10_000)])
    (split,) = v.splits
    assert split.by_all_months
    assert "over all months (it has none in 2026-06)" in split.basis


def test_an_invoice_under_a_runs_name_is_split_across_the_runs_lines() -> None:
    v = compute_variance(reserved_budget(), [ActualLine(month="2026-02", item="main",
                                                        amount=100_000)])
    (split,) = v.splits
    assert split.what == "run"
    assert {p.item for p in split.parts} == {"Final run: main", "Interruptions: main",
                                             "Sweeps and ablations: main"}


def test_a_line_name_without_a_family_takes_the_lines_family() -> None:
    v = compute_variance(reserved_budget(), [ActualLine(month="2026-02", item="researcher",
                                                        amount=25_000)])
    staff = next(r for r in v.monthly_rows if r.month == "2026-02" and r.family == "staff")
    assert staff.actual == 25_000


def test_a_row_naming_nothing_known_without_a_family_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ActualsError) as info:
        compute_variance(reserved_budget(), [
            ActualLine(month="2026-02", family="data", amount=5),
            ActualLine(month="2026-02", item="h100-reserve", amount=10)])
    (problem,) = info.value.problems
    assert (problem.index, problem.field, problem.code) == (1, "item", "unknown_line")
    assert "did you mean h100-reserved?" in problem.message


def test_a_pool_with_nothing_budgeted_cannot_take_an_invoice() -> None:
    budget = reserved_budget()
    budget = budget.model_copy(update={"pools": [*budget.pools, GpuPool(
        name="spare", gpu_type="H100", gpu_count=8, price_per_gpu_hour=2)]})
    with pytest.raises(ActualsError, match="names pool spare, which has nothing budgeted"):
        compute_variance(budget, [ActualLine(month="2026-02", item="spare", amount=10)])
