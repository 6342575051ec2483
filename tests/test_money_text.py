"""Money and numbers as other programs and other hands type them: currency marks kept (never
dropped), Chinese magnitudes, full-width digits, decimal commas and spaced digits refused with a
reason. Which currency an ambiguous mark means follows the documented rule in currencies.py."""

from __future__ import annotations

import pytest
from costsheet.currencies import MarkError, mark_currencies, resolve_mark
from costsheet.units import (
    Money,
    UnitError,
    format_money,
    parse_fraction,
    parse_money,
    parse_number,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "amount", "mark"),
    [
        ("¥900,000", 900_000, "¥"),
        ("￥900,000", 900_000, "¥"),  # full-width yen sign
        ("CN¥ 900,000", 900_000, "CN¥"),
        ("RMB 90万", 900_000, "RMB"),
        ("90万元", 900_000, "元"),
        ("€180", 180, "€"),
        ("180 €", 180, "€"),
        ("€2.50", 2.5, "€"),
        ("$250,000", 250_000, "$"),
        ("US$ 2.50", 2.5, "US$"),
        ("JPY 50", 50, "JPY"),
        ("50 JPY", 50, "JPY"),
        ("£1.2M", 1.2e6, "£"),
        ("HK$3", 3, "HK$"),
        ("300,000", 300_000, None),
        (2.5, 2.5, None),
        ("１２，０００", 12_000, None),  # full-width digits and comma
        ("￥１２，０００", 12_000, "¥"),
    ],
)
def test_money_keeps_its_mark(text: object, amount: float, mark: str | None) -> None:
    assert parse_money(text) == Money(pytest.approx(amount), mark)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7千亿", 7e11), ("1.5万", 15_000), ("3万亿", 3e12), ("2亿", 2e8), ("90万", 9e5),
     ("14.8万亿", 14.8e12), ("５０％", 0.5), ("40 %", 0.4), ("−5", None), ("1,024", 1024)],
)
def test_chinese_magnitudes_full_width_and_spaced_percent(text: str, expected: float | None
                                                          ) -> None:
    if expected is None:  # the Unicode minus is a minus: refused where negatives are
        with pytest.raises(UnitError, match="must not be negative"):
            parse_number(text)
        assert parse_number(text, allow_negative=True) == -5
        return
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.024,5", "decimal comma"),
        ("1.024.000", "decimal comma"),
        ("2,50", "decimal comma"),
        ("2\u00a0048", "spaces between digit groups"),  # no-break space
        ("2\u2009048", "spaces between digit groups"),  # thin space
        ("2\u202f048,5", "spaces between digit groups"),  # narrow no-break space
        ("7亿万", "use 万, 亿"),
        ("7B万", "not a number"),
        ("$€5", "not a number"),
        ("$5 EUR", "not a number"),
        ("XX5", "not a number"),
        ("ABC 5", "not a number"),  # three letters, but no ISO 4217 currency
        ("%", "not a number"),
    ],
)
def test_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(UnitError, match=reason):
        parse_number(text)


def test_an_amount_typed_as_a_percentage_is_refused() -> None:
    with pytest.raises(UnitError, match="is a percentage, not an amount of money"):
        parse_money("12%")
    with pytest.raises(UnitError, match="percentage"):
        parse_money("１２％")
    assert parse_fraction("４０％") == pytest.approx(0.4)


def test_accounting_negatives_only_where_negatives_are_allowed() -> None:
    assert parse_money("(1,234)", allow_negative=True).amount == -1234
    assert parse_money("-$5", allow_negative=True) == Money(-5, "$")
    assert parse_money("$-5", allow_negative=True) == Money(-5, "$")
    with pytest.raises(UnitError, match="negative"):
        parse_money("(1,234)")


def test_marks_name_their_currencies() -> None:
    assert mark_currencies("¥") == ("CNY", "JPY")
    assert mark_currencies("RMB") == ("CNY",)
    assert mark_currencies("eur") == ("EUR",)
    assert "CAD" in mark_currencies("$") and mark_currencies("US$") == ("USD",)
    with pytest.raises(MarkError):
        mark_currencies("dollars")


@pytest.mark.parametrize(
    ("mark", "line", "reporting", "fx", "expected"),
    [
        # a mark that names one currency
        ("€", None, "USD", (), "EUR"),
        ("CN¥", None, "USD", (), "CNY"),
        ("JPY", None, "USD", (), "JPY"),
        # the line's Currency cell decides among what the mark can mean
        ("$", "CAD", "USD", (), "CAD"),
        ("¥", "JPY", "USD", (), "JPY"),
        ("¥", "cny", "USD", (), "CNY"),
        # blank Currency: the reporting currency when the mark can mean it
        ("¥", None, "CNY", (), "CNY"),
        ("$", None, "USD", (), "USD"),
        ("$", None, "AUD", (), "AUD"),
        # else the only candidate on the FX sheet
        ("¥", None, "USD", ("CNY", "EUR"), "CNY"),
        ("¥", None, "EUR", ("JPY",), "JPY"),
        ("$", None, "EUR", ("CAD",), "CAD"),
        # else $ is USD by convention
        ("$", None, "EUR", (), "USD"),
        ("$", None, "EUR", ("CAD", "USD"), "USD"),
    ],
)
def test_the_documented_rule_for_ambiguous_marks(mark: str, line: str | None, reporting: str,
                                                 fx: tuple[str, ...], expected: str) -> None:
    assert resolve_mark(mark, line, reporting, fx) == expected


@pytest.mark.parametrize(
    ("mark", "line", "reporting", "fx", "message"),
    [
        # the cases: a mark that conflicts with the line's currency is an error
        ("$", "EUR", "EUR", (), "written in $ (a dollar) but the line's currency is EUR"),
        ("€", "USD", "USD", (), "written in € (EUR) but the line's currency is USD"),
        ("JPY", "USD", "USD", (), "written in JPY (JPY) but the line's currency is USD"),
        ("¥", "USD", "USD", (), "written in ¥ (CNY or JPY) but the line's currency is USD"),
        # ¥ on a blank line of a USD workbook with neither or both on the FX sheet: ask
        ("¥", None, "USD", (), "¥ can mean CNY or JPY; fill the line's Currency cell"),
        ("¥", None, "USD", ("CNY", "JPY"), "¥ can mean CNY or JPY"),
    ],
)
def test_conflicts_and_ambiguity_are_refused(mark: str, line: str | None, reporting: str,
                                             fx: tuple[str, ...], message: str) -> None:
    with pytest.raises(MarkError) as info:
        resolve_mark(mark, line, reporting, fx)
    assert str(info.value).startswith(message)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False),
       st.sampled_from(["USD", "EUR", "GBP", "CNY", "JPY", "CHF", "SEK"]))
def test_money_costsheet_writes_reads_back_in_its_currency(amount: float, currency: str) -> None:
    """What format_money writes (basis texts, messages) reads back as the same currency."""
    back = parse_money(format_money(amount, currency))
    assert back.mark is not None
    assert resolve_mark(back.mark, currency, currency) == currency
    assert back.amount == pytest.approx(round(amount, 2 if amount < 1000 else 0), abs=0.006)


# --- the library path: a mark is converted or refused, never dropped (issue 12) ----------------


def test_a_euro_pool_price_in_a_usd_budget_is_converted_through_the_fx_rate() -> None:
    from costsheet.inputs import Budget, GpuPool, TrainingRun
    from costsheet.model.budget import compute_budget

    def budget(price: str, **extra: object) -> Budget:
        return Budget(pools=[GpuPool(name="p", gpu_type="H100", gpu_count=8,
                                     price_per_gpu_hour=price)],
                      runs=[TrainingRun(name="r", gpu_hours=1000)], **extra)  # type: ignore

    eur = compute_budget(budget("€2.50", fx_rates={"EUR": 1.08}))
    line = next(it for it in eur.items if it.kind == "final_run")
    assert line.amount == pytest.approx(1000 * 2.50 * 1.08)
    assert "€2.50/GPU-h × 1.08 USD/EUR" in line.basis
    assert "EUR from the € typed with the amount" in line.basis
    usd = compute_budget(budget("$2.50"))
    assert next(it for it in usd.items if it.kind == "final_run").amount == 2500
    from costsheet.errors import InputError

    with pytest.raises(InputError) as no_rate:  # no EUR rate: refused, not read as $2.50
        compute_budget(budget("€2.50"))
    assert (no_rate.value.code, no_rate.value.key) == ("no_fx_rate", "fx_rates.EUR")


def test_a_mark_that_contradicts_the_line_or_is_ambiguous_is_refused() -> None:
    from costsheet.inputs import Budget, CostLine, Drivers, GpuPool, StaffLine
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="€ means EUR, but this line is in USD"):
        GpuPool(name="p", price_per_gpu_hour="€2.50", currency="USD")
    with pytest.raises(ValidationError, match="drivers are in the reporting currency CNY"):
        Drivers(currency="CNY", kwh_price="$0.10")
    assert Drivers(currency="CNY", kwh_price="¥0.60").kwh_price == 0.6
    with pytest.raises(ValidationError, match="mean different currencies"):
        GpuPool(name="p", price_per_gpu_hour="$2", purchase_price_per_gpu="€20,000")
    with pytest.raises(ValidationError, match=r"staff\.a\.annual_salary: ¥ can mean CNY or JPY"):
        Budget(staff=[StaffLine(role="a", headcount=1, annual_salary="¥900,000")])
    both = Budget(staff=[StaffLine(role="a", headcount=1, annual_salary="¥900,000")],
                  data=[CostLine(name="d", unit_cost="$3")],
                  drivers=Drivers(currency="EUR"), fx_rates={"CNY": 0.13, "USD": 0.92})
    assert (both.staff[0].currency, both.data[0].currency) == ("CNY", "USD")
    assert both.staff[0].marks == {"annual_salary": "¥"}


def test_the_reader_and_the_library_read_a_mark_the_same(tmp_path) -> None:  # type: ignore
    import openpyxl
    from costsheet.workbook.examples import worked_example
    from costsheet.workbook.reader import read_budget
    from costsheet.workbook.template import workbook_bytes

    path = tmp_path / "b.xlsx"
    path.write_bytes(workbook_bytes(worked_example()))
    wb = openpyxl.load_workbook(path)
    wb["Pools"]["E6"] = "€2.50"
    wb.save(path)
    read = read_budget(path)
    assert read.budget is not None
    ex = worked_example()
    library = type(ex).model_validate(ex.model_dump() | {
        "pools": [p.model_dump() | ({"price_per_gpu_hour": "€2.50"} if i == 0 else {})
                  for i, p in enumerate(ex.pools)]})
    assert read.budget.pools[0].currency == library.pools[0].currency == "EUR"
    assert read.budget.pools[0].price_per_gpu_hour == library.pools[0].price_per_gpu_hour == 2.5
