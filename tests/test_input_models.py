"""Every input sheet has a pydantic model; column kinds are declared, not guessed; the ISO 4217
currency check lives in the models, so the library refuses what the workbook refuses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from costsheet.inputs import (
    ISO_CURRENCIES,
    KINDS,
    ActualLine,
    Budget,
    CostLine,
    Drivers,
    FxRow,
    GpuPool,
    OverrideRow,
    StaffLine,
    UncertaintyRow,
    kind_of,
    validation_problems,
)
from costsheet.workbook.examples import worked_example
from costsheet.workbook.run import read_workbook
from costsheet.workbook.template import LAYOUT, SHEETS, workbook_bytes
from pydantic import BaseModel, ValidationError


def _problems(make: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as exc:
        make()  # type: ignore[operator]
    return [(".".join(map(str, p.loc)), p.message, p.code)
            for p in validation_problems(exc.value)]


def test_every_sheet_has_a_model_and_every_column_a_declared_kind() -> None:
    for spec in LAYOUT:
        assert isinstance(spec.model, type) and issubclass(spec.model, BaseModel), spec.name
        fields = spec.model.model_fields
        for col in spec.columns:
            declared = kind_of(fields[col.key]).name
            assert declared in KINDS, (spec.name, col.key)
            # the template may show a text column as a dropdown (GPU types, pool names)
            assert col.kind == declared or (declared == "text" and col.kind == "choice"), (
                spec.name, col.key, col.kind, declared)
    assert SHEETS["actuals"].model is ActualLine
    assert SHEETS["uncertainty"].model is UncertaintyRow
    assert SHEETS["overrides"].model is OverrideRow
    assert SHEETS["fx"].model is FxRow


def test_a_field_without_a_declared_kind_is_refused() -> None:
    class Bare(BaseModel):
        amount: float = 0.0

    with pytest.raises(TypeError, match="declares no Kind"):
        kind_of(Bare.model_fields["amount"])


def test_unknown_currency_is_refused_through_the_library() -> None:
    assert _problems(lambda: Budget(drivers=Drivers(currency="XYZ"))) == [
        ("currency", "unknown currency code (use an ISO code such as USD, EUR, CNY)",
         "unknown_currency")]
    assert _problems(lambda: Drivers(currency="US Dollar")) == [
        ("currency", "not a currency code: use a three-letter ISO code such as USD, EUR, CNY",
         "not_a_currency_code")]
    for model in (GpuPool, CostLine):
        kwargs = {"name": "x", "unit_cost": 1} if model is CostLine else {"name": "x"}
        assert _problems(lambda m=model, k=kwargs: m(currency="XYZ", **k)) == [
            ("currency", "unknown currency code (use an ISO code such as EUR, CNY)",
             "unknown_currency")]
    assert _problems(lambda: StaffLine(role="r", headcount=1, annual_salary=1,
                                       currency="ABC"))[0][2] == "unknown_currency"
    assert _problems(lambda: FxRow(currency="EURO", rate=0)) == [
        ("currency", "unknown currency code (use an ISO code such as EUR, CNY, GBP)",
         "unknown_currency"),
        ("rate", "must be more than 0", "not_positive")]
    assert _problems(lambda: Budget(fx_rates={"XYZ": 2.0}))[0][2] == "unknown_currency"
    assert Drivers(currency="cny").currency == "CNY"
    assert FxRow(currency=" eur ", rate="1.08", month="2026-1").month == "2026-01"
    assert {"USD", "EUR", "CNY", "GBP", "JPY"} <= ISO_CURRENCIES


def test_unknown_currency_is_refused_at_its_cell_in_a_workbook(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "b.xlsx"
    path.write_bytes(workbook_bytes(worked_example()))
    wb = openpyxl.load_workbook(path)
    wb["FX"]["A6"] = "XYZ"
    wb["Pools"]["J6"] = "ABC"
    wb.save(path)
    problems = {e.location: (e.field, e.code) for e in read_workbook(path).report.problems}
    assert problems["FX!A6"] == ("currency", "unknown_currency")
    assert problems["Pools!J6"] == ("currency", "unknown_currency")


def test_the_fx_sheet_is_read_once_per_check(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget rates and the actual rates of a month come from one pass over the FX sheet,
    and every input sheet is read once."""
    from costsheet.workbook import actuals, fx_sheet, reader, tables, uncertainty
    from make_samples import write_monthly_sample

    path = write_monthly_sample(tmp_path / "m.xlsx")
    reads: Counter[str] = Counter()
    real = tables.read_table

    def counting(book: tables.Book, spec: tables.TableSpec) -> tables.Table | None:
        reads[spec.sheet] += 1
        return real(book, spec)

    for module in (reader, fx_sheet, actuals, uncertainty):
        monkeypatch.setattr(module, "read_table", counting)
    inputs = read_workbook(path)
    assert inputs.ok, [str(e) for e in inputs.report.errors]
    assert inputs.actuals is not None and inputs.actuals.monthly_fx["EUR"]["2026-02"] == 1.06
    assert inputs.read.budget.fx_rates == {"EUR": 1.08}
    assert reads == Counter({spec.name: 1 for spec in LAYOUT}), reads
