"""Budget against actuals: months, YTD, latest estimate, movers, and the FX split."""

from __future__ import annotations

import math

import pytest
from costsheet.inputs import FAMILIES, Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.variance import ActualLine, FxError, FxRates, compute_variance
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

# Budget: USD reporting; a rented cluster (USD) and EUR salaries at a budget rate of 1.10.
# Staff: 5 people × 120,000 EUR / 12 × 1.10 = 55,000 USD a month for 12 months.
# Compute: 512 GPUs × 2 USD × 146,000 GPU-h; the run takes 146,000 / (512 × 24) = 11.9 days.


def budget() -> Budget:
    return Budget(
        drivers=Drivers(start_month="2026-01", currency="USD"),
        pools=[GpuPool(name="rent", gpu_type="H100", gpu_count=512, price_per_gpu_hour=2,
                       start_month="2026-02")],
        runs=[TrainingRun(name="main", gpu_hours=146_000)],
        data=[CostLine(name="corpus", unit_cost="100k", start_month="2026-01"),
              CostLine(name="storage", quantity=100, unit_cost=30, months=12)],
        staff=[StaffLine(role="engineers", headcount=5, annual_salary="120k", burden=0,
                         currency="EUR")],
        fx_rates={"EUR": 1.10},
    )


STAFF_MONTH = 5 * 120_000 / 12 * 1.10
ACTUALS = [
    {"month": "2026-01", "family": "staff", "amount": "50,000", "currency": "EUR"},
    {"month": "2026-01", "family": "data", "item": "corpus", "amount": 104_000},
    {"month": "2026-02", "family": "staff", "amount": 51_000, "currency": "EUR"},
    {"month": "2026-02", "family": "compute", "amount": "300k", "currency": "USD",
     "note": "invoice 2231"},
    {"month": "2026-03", "family": "staff", "amount": 50_000, "currency": "EUR"},
    {"month": "2026-03", "family": "data", "item": "Storage", "amount": 9_000},
]
ACTUAL_FX = {"EUR": {"2026-01": 1.08, "2026-02": 1.12, "2026-03": 1.15}}


def row(v, month: str, family: str):
    df = v.monthly
    return df[(df["month"] == month) & (df["family"] == family)].iloc[0]


def test_golden_month_family_and_fx_split() -> None:
    v = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX)
    assert v.as_of == "2026-03"  # the latest month with actuals
    jan = row(v, "2026-01", "staff")
    assert jan["status"] == "actual"
    assert jan["budget"] == pytest.approx(STAFF_MONTH)  # 55,000
    assert jan["actual"] == pytest.approx(50_000 * 1.08)  # 54,000
    assert jan["variance"] == pytest.approx(54_000 - 55_000)
    assert jan["variance_pct"] == pytest.approx(-1_000 / 55_000)
    assert jan["fx_effect"] == pytest.approx(50_000 * (1.08 - 1.10))  # -1,000
    assert jan["real_variance"] == pytest.approx(50_000 * 1.10 - 55_000)  # 0
    feb = row(v, "2026-02", "compute")
    assert feb["budget"] == pytest.approx(146_000 * 2)
    assert feb["actual"] == pytest.approx(300_000)
    assert feb["fx_effect"] == 0
    apr = row(v, "2026-04", "staff")
    assert apr["status"] == "forecast" and math.isnan(apr["actual"])
    assert apr["forecast"] == pytest.approx(STAFF_MONTH)


def test_fx_effect_plus_real_variance_is_the_variance_everywhere() -> None:
    v = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX)
    for df in (v.monthly[v.monthly["status"] == "actual"], v.ytd, v.movers):
        assert ((df["fx_effect"] + df["real_variance"] - df["variance"]).abs() < 1e-6).all()
    assert v.ytd.loc["staff", "fx_effect"] == pytest.approx(
        50_000 * (1.08 - 1.1) + 51_000 * (1.12 - 1.1) + 50_000 * (1.15 - 1.1))


@settings(max_examples=50, deadline=None)
@given(
    amounts=st.lists(st.floats(min_value=-1e7, max_value=1e8, allow_nan=False), min_size=1,
                     max_size=6),
    rates=st.lists(st.floats(min_value=0.01, max_value=200), min_size=3, max_size=3),
    budget_rate=st.floats(min_value=0.01, max_value=200),
)
def test_fx_split_property(amounts: list[float], rates: list[float], budget_rate: float) -> None:
    b = budget().model_copy(update={"fx_rates": {"EUR": budget_rate}})
    months = ["2026-01", "2026-02", "2026-03"]
    actuals = [ActualLine(month=months[i % 3], family=FAMILIES[i % 5], amount=a, currency="EUR")
               for i, a in enumerate(amounts)]
    fx = {"EUR": dict(zip(months, rates, strict=True))}
    v = compute_variance(b, actuals, actual_fx=fx, as_of="2026-03")
    act = v.monthly[v.monthly["status"] == "actual"]
    scale = 1.0 + max(abs(a) for a in amounts) * 200 + abs(v.timeline.total)
    err = (act["fx_effect"] + act["real_variance"] - act["variance"]).abs().max()
    assert err <= 1e-12 * scale
    total = v.ytd.loc["total"]
    assert abs(total["fx_effect"] + total["real_variance"] - total["variance"]) <= 1e-11 * scale


def test_without_actual_rates_there_is_no_fx_effect() -> None:
    v = compute_variance(budget(), ACTUALS)
    assert (v.monthly["fx_effect"].fillna(0) == 0).all()


def test_ytd_and_latest_estimate() -> None:
    v = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX)
    staff_actual = 50_000 * 1.08 + 51_000 * 1.12 + 50_000 * 1.15
    assert v.ytd.loc["staff", "budget"] == pytest.approx(3 * STAFF_MONTH)
    assert v.ytd.loc["staff", "actual"] == pytest.approx(staff_actual)
    le = v.latest.loc["staff"]
    assert le["remaining_budget"] == pytest.approx(9 * STAFF_MONTH)
    assert le["latest_estimate"] == pytest.approx(staff_actual + 9 * STAFF_MONTH)
    assert le["full_budget"] == pytest.approx(12 * STAFF_MONTH)
    assert le["change"] == pytest.approx(staff_actual - 3 * STAFF_MONTH)
    total = v.latest.loc["total"]
    assert total["full_budget"] == pytest.approx(v.timeline.total)
    assert total["latest_estimate"] == pytest.approx(
        sum(v.forecast_by_family.values()))
    # YTD is the calendar year of the as-of month
    v2 = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX, horizon=("2025-11", "2026-12"))
    assert v2.ytd.loc["total", "budget"] == pytest.approx(v.ytd.loc["total", "budget"])


def test_as_of_splits_actual_from_forecast() -> None:
    v = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX, as_of="2026-02")
    assert v.as_of == "2026-02"
    assert row(v, "2026-03", "staff")["status"] == "forecast"
    assert any("after the as-of month 2026-02" in w for w in v.warnings)
    assert v.latest.loc["staff", "actual_to_date"] == pytest.approx(
        50_000 * 1.08 + 51_000 * 1.12)


def test_lines_that_moved_most() -> None:
    v = compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX, top=20)
    movers = v.movers.set_index(["family", "item"])
    assert movers.loc[("data", "corpus"), "variance"] == pytest.approx(4_000)
    # "Storage" matches the line "storage" (case-insensitive): 3 months × 3,000 budget
    assert movers.loc[("data", "storage"), "budget"] == pytest.approx(9_000)
    assert movers.loc[("data", "storage"), "variance"] == pytest.approx(0)
    # compute is not itemised: all of the family to date
    assert movers.loc[("compute", "All compute"), "variance"] == pytest.approx(8_000)
    # the lines of a family add up to the family's variance to date
    to_date = v.latest
    for family, group in v.movers.groupby("family"):
        assert group["variance"].sum() == pytest.approx(
            to_date.loc[family, "actual_to_date"] - to_date.loc[family, "budget_to_date"])
    # biggest absolute variance first, and top= cuts
    assert list(v.movers["variance"].abs()) == sorted(v.movers["variance"].abs(), reverse=True)
    assert len(compute_variance(budget(), ACTUALS, actual_fx=ACTUAL_FX, top=2).movers) == 2


def test_unbudgeted_actual_line_is_flagged() -> None:
    acts = [*ACTUALS, {"month": "2026-03", "family": "data", "item": "surprise", "amount": 10}]
    v = compute_variance(budget(), acts, actual_fx=ACTUAL_FX, top=20)
    assert any("surprise" in w for w in v.warnings)


def test_unknown_currency_and_missing_rate_name_the_row() -> None:
    acts = [*ACTUALS,
            {"month": "2026-04", "family": "staff", "amount": 1, "currency": "EUR"},
            {"month": "2026-03", "family": "data", "amount": 1, "currency": "GBP"}]
    with pytest.raises(FxError) as info:
        compute_variance(budget(), acts, actual_fx=ACTUAL_FX)
    problems = info.value.problems
    assert [(p.index, p.currency, p.month) for p in problems] == [
        (6, "EUR", "2026-04"), (7, "GBP", "2026-03")]
    assert "no actual rate for EUR in 2026-04" in problems[0].message
    assert "unknown currency GBP" in problems[1].message
    fields = [e.field for e in info.value.report.problems]
    assert fields == ["actuals[6].currency", "actuals[7].currency"]


def test_missing_budget_rate_is_an_error() -> None:
    acts = [{"month": "2026-01", "family": "data", "amount": 5, "currency": "CNY"}]
    with pytest.raises(FxError, match="unknown currency CNY: no budget rate"):
        compute_variance(budget(), acts, actual_fx={"EUR": 1.1, "CNY": 0.14})


def test_fx_rates_one_per_currency_or_per_month() -> None:
    fx = FxRates.from_rows("usd", [("EUR", None, 1.1), ("EUR", "2026-2", 1.2), ("CNY", "2026-01",
                                                                               0.14)])
    assert fx.rate("USD") == 1.0
    assert fx.rate("EUR", "2026-01") == 1.1  # the default rate
    assert fx.rate("EUR", "2026-02") == 1.2
    assert fx.rate("eur") == 1.1
    with pytest.raises(FxError, match="no rate for CNY in 2026-02"):
        fx.rate("CNY", "2026-02")
    assert fx.to_dict() == {"CNY": {"2026-01": 0.14}, "EUR": {"default": 1.1, "2026-02": 1.2}}


def test_actual_line_parses_what_people_type() -> None:
    a = ActualLine(month="2026-3", family="Hardware", amount="€1,200", currency="eur")
    assert (a.month, a.family, a.amount, a.currency) == ("2026-03", "compute", 1200.0, "EUR")
    with pytest.raises(ValidationError, match=r"\$ means a dollar .* but this line is in EUR"):
        ActualLine(month="2026-3", family="Hardware", amount="$1,200", currency="eur")
    assert ActualLine(month="2026-03", family="data", amount="-250").amount == -250.0  # a credit
    with pytest.raises(ValidationError) as info:
        ActualLine(month="March", family="", amount="abc")
    fields = {e["loc"][0] for e in info.value.errors()}
    assert fields == {"month", "amount"}
    with pytest.raises(ValidationError, match="family: is required"):  # no family, no line
        ActualLine(month="2026-03", family="", amount=5)
    assert ActualLine(month="2026-03", item="h100-reserved", amount=5).family is None
