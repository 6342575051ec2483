"""A corpus of misreadings (issue 12): every currency symbol, number unit and month case, each
typed into one cell of the worked example as another program or another hand would type it.

Each case says what costsheet must do with that cell: read it as meant (the budget the library
builds from the same values typed without marks, in the currency they mean, computes the same
totals as ``run``), or refuse it at that exact cell with a code. Both ``check`` and ``run`` are
run on every case; whenever the answer is an error, the file is byte-identical afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.inputs import ActualLine, Budget
from costsheet.model.budget import compute_budget
from costsheet.model.variance import compute_variance
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import workbook_bytes

Edit = Callable[[Budget], Budget]


@dataclass(frozen=True)
class Case:
    """One misreading: cells typed (``Sheet!Cell`` → value) and what must come of them.

    An error case names the cell, the code and words of the message. A reading case gives the
    budget the cells mean (``means``: the worked example changed with plain values and explicit
    currencies) and, for actuals, the actual rows they mean.
    """

    id: str
    cells: dict[str, Any]
    error: tuple[str, str, str] | None = None  # (Sheet!Cell, code, words in the message)
    means: Edit | None = None
    actuals: list[dict[str, Any]] = field(default_factory=list)
    warning: str | None = None  # words a warning of `check` and `run` must hold
    args: tuple[str, ...] = ()


def line(section: str, i: int, **update: Any) -> Edit:
    """The worked example with line ``i`` of ``section`` updated."""
    def edit(b: Budget) -> Budget:
        lines = list(getattr(b, section))
        lines[i] = lines[i].model_copy(update=update)
        return b.model_copy(update={section: lines})
    return edit


def fx(**rates: float) -> Callable[[Edit], Edit]:
    def wrap(inner: Edit) -> Edit:
        return lambda b: inner(b.model_copy(update={"fx_rates": {**b.fx_rates, **rates}}))
    return wrap


def drivers(**update: Any) -> Edit:
    return lambda b: b.model_copy(update={"drivers": b.drivers.model_copy(update=update)})


def same(b: Budget) -> Budget:
    return b


CNY, JPY = {"FX!A7": "CNY", "FX!B7": 0.14}, {"FX!A8": "JPY", "FX!B8": 0.0066}
ACT = "Actuals!"  # the Actuals sheet's first line is row 6: month, family, item, amount, currency


def act(month: str = "2026-02", family: str | None = "data", amount: Any = 1000,
        currency: str | None = None, item: str | None = None, row: int = 6) -> dict[str, Any]:
    return {f"{ACT}A{row}": month, f"{ACT}B{row}": family, f"{ACT}C{row}": item,
            f"{ACT}D{row}": amount, f"{ACT}E{row}": currency}


CASES = [
    # --- yen and yuan: ¥ is CNY or JPY -----------------------------------------------------
    Case("yen-salary-blank-currency-no-rate", {"Staff!C6": "¥900,000"},
         error=("Staff!C6", "ambiguous_currency_mark", "¥ can mean CNY or JPY")),
    Case("yen-salary-cny-rate-listed", {"Staff!C6": "¥900,000", **CNY},
         means=fx(CNY=0.14)(line("staff", 0, annual_salary=900_000, currency="CNY"))),
    Case("yen-salary-both-rates-listed", {"Staff!C6": "¥300,000", **CNY, **JPY},
         error=("Staff!C6", "ambiguous_currency_mark", "fill the line's Currency cell")),
    Case("yen-salary-jpy-rate-listed", {"Staff!C6": "¥30,000,000", **JPY},
         means=fx(JPY=0.0066)(line("staff", 0, annual_salary=30e6, currency="JPY"))),
    Case("full-width-yen", {"Staff!C6": "￥９００，０００", **CNY},
         means=fx(CNY=0.14)(line("staff", 0, annual_salary=900_000, currency="CNY"))),
    Case("cn-yen-without-rate", {"Staff!C6": "CN¥ 900,000"},
         error=("Staff!C6", "no_fx_rate", "CN¥ means CNY, and there is no exchange rate")),
    Case("rmb-wan", {"Staff!C6": "RMB 90万", **CNY},
         means=fx(CNY=0.14)(line("staff", 0, annual_salary=900_000, currency="CNY"))),
    Case("yuan-sign-after-wan", {"Staff!C6": "90万元", **CNY},
         means=fx(CNY=0.14)(line("staff", 0, annual_salary=900_000, currency="CNY"))),
    Case("yen-on-cny-line", {"Staff!C6": "¥900,000", "Staff!H6": "CNY", **CNY},
         means=fx(CNY=0.14)(line("staff", 0, annual_salary=900_000, currency="CNY"))),
    Case("yen-on-jpy-line", {"Staff!C6": "¥30,000,000", "Staff!H6": "JPY", **JPY},
         means=fx(JPY=0.0066)(line("staff", 0, annual_salary=30e6, currency="JPY"))),
    Case("yen-on-eur-line", {"Staff!C6": "¥900,000", "Staff!H6": "EUR"},
         error=("Staff!C6", "currency_mark_conflict", "but this line is in EUR")),
    Case("yen-in-a-cny-workbook", {"Staff!C6": "¥900,000", "Drivers!E21": "CNY",
                                   "FX!A6": "USD", "FX!B6": 7.1, "FX!A7": "EUR", "FX!B7": 7.7},
         means=lambda b: line("staff", 0, annual_salary=900_000)(b.model_copy(update={
             "drivers": b.drivers.model_copy(update={"currency": "CNY"}),
             "fx_rates": {"USD": 7.1, "EUR": 7.7}}))),
    # --- euros, dollars, pounds, codes ----------------------------------------------------
    Case("euro-unit-cost", {"Data!E6": "€180"},
         means=line("data", 0, unit_cost=180, currency="EUR")),
    Case("euro-after-the-number", {"Data!E6": "180 €"},
         means=line("data", 0, unit_cost=180, currency="EUR")),
    Case("iso-code-before", {"Data!E6": "EUR 180"},
         means=line("data", 0, unit_cost=180, currency="EUR")),
    Case("dollar-on-eur-line", {"Data!E7": "$250,000"},
         error=("Data!E7", "currency_mark_conflict", "$ means a dollar")),
    Case("us-dollar-on-eur-line", {"Data!E7": "US$250,000"},
         error=("Data!E7", "currency_mark_conflict", "US$ means USD, but this line is in EUR")),
    Case("euro-on-eur-line", {"Data!E7": "€250,000"}, means=same),
    Case("euro-pool-price", {"Pools!E6": "€2.50"},
         means=line("pools", 0, price_per_gpu_hour=2.5, currency="EUR")),
    Case("dollar-pool-price", {"Pools!E6": "$2.50"}, means=same),
    Case("us-dollar-pool-price", {"Pools!E6": "US$ 2.50"}, means=same),
    Case("canadian-dollar-without-rate", {"Pools!E6": "C$3.40"},
         error=("Pools!E6", "no_fx_rate", "C$ means CAD")),
    Case("pound-without-rate", {"Pools!E6": "£2"},
         error=("Pools!E6", "no_fx_rate", "£ means GBP")),
    Case("yen-code-without-rate", {"Data!E8": "JPY 50"},
         error=("Data!E8", "no_fx_rate", "the amount is in JPY")),
    Case("yen-code-after-with-rate", {"Data!E8": "3,000 JPY", **JPY},
         means=fx(JPY=0.0066)(line("data", 2, unit_cost=3000, currency="JPY"))),
    Case("two-marks-on-one-line", {"Pools!E7": "$2", "Pools!F7": "€20,000"},
         error=("Pools!F7", "mixed_currency_marks", "mean different currencies")),
    Case("euro-electricity-in-usd-drivers", {"Drivers!E8": "€0.10"},
         error=("Drivers!E8", "currency_mark_conflict", "reporting currency USD")),
    Case("dollar-electricity", {"Drivers!E8": "$0.10"}, means=drivers(kwh_price=0.10)),
    Case("euro-electricity-in-a-scenario", {"Drivers!G8": "€0.10"},
         error=("Drivers!G8", "currency_mark_conflict", "reporting currency USD")),
    Case("euro-override-of-a-usd-pool", {"Overrides!C6": "€3"},
         error=("Overrides!C6", "currency_mark_conflict", "but this line is in USD")),
    Case("euro-catalog-price", {"GPU catalog!J6": "€11,000"},
         error=("GPU catalog!J6", "currency_mark_conflict", "GPU catalog prices are in USD")),
    Case("euro-range-in-a-driver", {"Drivers!E8": "€0.08 to €0.12"},
         error=("Drivers!E8", "currency_mark_conflict", "reporting currency USD")),
    # --- numbers and units ----------------------------------------------------------------
    Case("decimal-comma", {"Data!E6": "1.024,5"},
         error=("Data!E6", "decimal_comma", "decimal comma")),
    Case("no-break-space-thousands", {"Staff!C6": "300\u00a0000"},
         error=("Staff!C6", "spaced_digit_groups", "spaces between digit groups")),
    Case("thin-space-thousands", {"Staff!C6": "300\u2009000"},
         error=("Staff!C6", "spaced_digit_groups", "spaces between digit groups")),
    Case("qian-yi", {"Runs!F6": "4千亿"}, means=line("runs", 0, tokens=4e11)),
    Case("full-width-wan", {"Staff!C6": "３０万"}, means=line("staff", 0, annual_salary=300_000)),
    Case("spaced-percent", {"Staff!E8": "40 %"}, means=line("staff", 2, allocation=0.4)),
    Case("percent-typed-as-number", {"Staff!E8": 40},
         error=("Staff!E8", "percent_typed_as_number", "looks like a percentage")),
    Case("percent-as-unit-cost", {"Data!E6": "50%"},
         error=("Data!E6", "percent_as_money", "is a percentage, not an amount of money")),
    Case("unknown-magnitude", {"Staff!C6": "7亿万"},
         error=("Staff!C6", "unknown_magnitude", "use 万, 亿")),
    # --- actuals ---------------------------------------------------------------------------
    Case("actual-typed-as-percent", act(amount="12%"),
         error=("Actuals!D6", "percent_as_money", "is a percentage")),
    Case("actual-in-euros-blank-currency", act(amount="€1,000"),
         actuals=[{"month": "2026-02", "family": "data", "amount": 1000, "currency": "EUR"}]),
    Case("actual-dollars-on-eur-row", act(amount="$1,000", currency="EUR"),
         error=("Actuals!D6", "currency_mark_conflict", "but this line is in EUR")),
    Case("actual-yen-blank-currency", act(amount="¥1,000"),
         error=("Actuals!D6", "ambiguous_currency_mark", "¥ can mean CNY or JPY")),
    Case("actual-yen-without-rate", act(amount="CN¥1,000"),
         error=("Actuals!D6", "unknown_currency", "CN¥ means CNY")),
    # --- months ----------------------------------------------------------------------------
    Case("actual-a-year-late", act(month="2027-02"),
         error=("Actuals!A6", "month_outside_budget", "2027-02 is not one of the budget's")),
    Case("actual-before-the-budget", act(month="2025-12"),
         error=("Actuals!A6", "month_outside_budget", "2025-12 is not one of the budget's")),
    Case("actual-month-in-words", act(month="Feb 2026"),
         error=("Actuals!A6", "not_a_month", "not a month")),
    Case("fx-rate-a-year-late", {"FX!A7": "EUR", "FX!B7": 1.1, "FX!C7": "2027-02"},
         means=same, warning="the FX rate for EUR in 2027-02 is not used"),
    Case("data-line-a-year-early", {"Data!H9": "2025-05"},
         error=("Data!H9", "start_before_budget", "starts in 2025-05, before the budget's")),
    Case("run-a-year-early", {"Runs!L6": "2025-03"},
         error=("Runs!L6", "start_before_budget", "starts in 2025-03")),
    Case("thirteenth-month", {"Staff!G6": "2026-13"},
         error=("Staff!G6", "not_a_month", "not a month")),
    Case("staff-start-a-decade-late", {"Staff!G8": "2036-02"}, means=line(
        "staff", 2, start_month="2036-02"), warning="check the year of the start months"),
]


@pytest.fixture(scope="module")
def example_bytes() -> bytes:
    return workbook_bytes(worked_example())


def _workbook(tmp_path: Path, example: bytes, case: Case) -> Path:
    path = tmp_path / f"{case.id}.xlsx"
    path.write_bytes(example)
    wb = openpyxl.load_workbook(path)
    for ref, value in case.cells.items():
        sheet, cell = ref.rsplit("!", 1)
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_the_corpus_has_at_least_forty_cases_with_distinct_names() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_misreading(case: Case, tmp_path: Path, example_bytes: bytes) -> None:
    path = _workbook(tmp_path, example_bytes, case)
    before = path.read_bytes()
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path)])
    ran = runner.invoke(main, ["run", str(path), "--trials", "20", "--json", *case.args])
    if case.error is not None:
        where, code, words = case.error
        for res in (checked, ran):
            assert res.exit_code == 2, res.output
            lines = [ln for ln in res.output.splitlines() if ln.startswith(f"error: {where}:")]
            assert lines and any(words in ln for ln in lines), res.output
            assert "Traceback" not in res.output
        read = read_budget(path)
        codes = {e.code for e in read.report.problems if e.location == where}
        if read.report.ok:  # a problem only the monthly plan finds (months, actuals)
            from costsheet.workbook.run import read_workbook

            codes = {e.code for e in read_workbook(path).report.problems
                     if e.location == where}
        assert code in codes, read.report.problems
        assert path.read_bytes() == before  # never written when the answer is an error
        return
    assert checked.exit_code == 0, checked.output
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.output[ran.output.index("{"):])
    if case.warning is not None:
        assert case.warning in checked.output, checked.output
        assert any(case.warning in c["message"] for c in data["checks"]), data["checks"]
    budget = (case.means or same)(worked_example())
    expected = compute_budget(budget)
    assert data["scenarios"]["Base"]["total"] == pytest.approx(float(expected.total), rel=1e-9)
    for fam, amount in expected.totals.items():
        assert data["scenarios"]["Base"]["families"][fam] == pytest.approx(float(amount),
                                                                          rel=1e-9, abs=1e-6)
    if case.actuals:
        variance = compute_variance(budget, [ActualLine(**a) for a in case.actuals])
        assert data["monthly"]["latest_estimate"] == pytest.approx(variance.latest_estimate)
