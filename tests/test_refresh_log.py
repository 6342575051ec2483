"""The refresh log (pure side): fingerprints, the next row, change by family, 'unchanged'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from costsheet.inputs import FAMILIES, FAMILY_LABELS, Budget, Drivers, StaffLine
from costsheet.model.refresh_log import (
    CHANGE_TOTAL,
    FINGERPRINT,
    FIXED_COLUMNS,
    FORECAST_TOTAL,
    change_column,
    describe_change,
    fingerprint,
    forecast_column,
    is_unchanged,
    log_header,
    make_entry,
    row_values,
    rows_as_dicts,
)
from costsheet.model.variance import ActualLine, FxRates
from costsheet.units import format_money

NOW = datetime(2026, 4, 3, 9, 30, tzinfo=UTC)


def budget(salary: str = "120k") -> Budget:
    return Budget(drivers=Drivers(start_month="2026-01"),
                  staff=[StaffLine(role="eng", headcount=2, annual_salary=salary)])


ACTUALS = [ActualLine(month="2026-01", family="staff", amount=20_000)]


def forecast(**kw: float) -> dict[str, float]:
    out = {f: 0.0 for f in FAMILIES}
    out.update(kw)
    return out


def test_fingerprint_is_stable_and_sensitive() -> None:
    fp = fingerprint(budget(), ACTUALS, "2026-01")
    assert fp.startswith("sha256:") and len(fp) == len("sha256:") + 16
    # same inputs built afresh, and typed differently, give the same fingerprint
    again = [ActualLine(month="2026-1", family="Staff", amount="20,000")]
    assert fingerprint(budget("120,000"), again, "2026-01") == fp
    assert fingerprint(budget("130k"), ACTUALS, "2026-01") != fp
    assert fingerprint(budget(), ACTUALS, "2026-02") != fp
    assert fingerprint(budget(), [*ACTUALS, *ACTUALS], "2026-01") != fp
    assert fingerprint(budget(), ACTUALS, "2026-01", {"EUR": 1.1}) != fp
    fx = FxRates("USD", {"EUR": 1.1})
    assert fingerprint(budget(), ACTUALS, "2026-01", fx) == fingerprint(
        budget(), ACTUALS, "2026-01", {"EUR": 1.1})


def test_first_entry_has_no_change_and_fixed_columns() -> None:
    e = make_entry(now=NOW, as_of="2026-01", version="0.1.0", fingerprint="sha256:x",
                   scenario="Base", currency="USD", forecast=forecast(staff=300_000.126),
                   scenario_totals={"Base": 300_000.0, "High": 360_000.0})
    cells = e.cells()
    assert cells["Time"] == "2026-04-03 09:30:00 UTC"
    assert cells[forecast_column("staff")] == 300_000.13  # rounded to cents
    assert cells[FORECAST_TOTAL] == 300_000.13
    assert cells[CHANGE_TOTAL] is None and cells[change_column("staff")] is None
    assert cells["Total: High"] == 360_000.0
    header = log_header([], e)
    assert header[: len(FIXED_COLUMNS)] == list(FIXED_COLUMNS)
    assert header[len(FIXED_COLUMNS):] == ["Total: Base", "Total: High"]
    assert row_values(header, e)[header.index("Scenario")] == "Base"
    assert "first refresh" in describe_change(e, format_money)[-1]


def test_change_is_forecast_over_the_previous_forecast_of_the_same_scenario() -> None:
    first = make_entry(now=NOW, as_of="2026-01", version="0.1.0", fingerprint="a",
                       scenario="Base", currency="USD",
                       forecast=forecast(staff=300_000, data=50_000),
                       scenario_totals={"Base": 350_000})
    header = log_header([], first)
    other = make_entry(now=NOW, as_of="2026-01", version="0.1.0", fingerprint="a",
                       scenario="High", currency="USD", forecast=forecast(staff=1e9),
                       scenario_totals={"Base": 350_000})
    header = log_header(header, other)
    rows = rows_as_dicts(header, [row_values(header, first), row_values(header, other)])
    second = make_entry(now=NOW, as_of="2026-02", version="0.1.0", fingerprint="b",
                        scenario="Base", currency="USD",
                        forecast=forecast(staff=310_000, data=45_000),
                        scenario_totals={"Base": 355_000}, previous_rows=rows)
    assert second.change["staff"] == pytest.approx(10_000)  # against Base, not High
    assert second.change["data"] == pytest.approx(-5_000)
    assert second.change["compute"] == 0
    assert second.change_total == pytest.approx(5_000)
    text = "\n".join(describe_change(second, format_money))
    assert f"{FAMILY_LABELS['staff']}: +$10,000" in text
    assert f"{FAMILY_LABELS['data']}: −$5,000" in text


def test_header_only_grows_to_the_right() -> None:
    existing = [*FIXED_COLUMNS, "Total: Base", "Total: Old"]
    e = make_entry(now=NOW, as_of=None, version="0.2.0", fingerprint="c", scenario="Base",
                   currency="USD", forecast=forecast(), scenario_totals={"Base": 1, "New": 2})
    header = log_header(existing, e)
    assert header[: len(existing)] == existing
    assert header[len(existing):] == ["Total: New"]
    values = row_values(header, e)
    assert values[header.index("Total: Old")] is None  # blank where this run has none
    assert values[header.index("As of")] == ""


def test_unchanged_means_same_fingerprint_as_of_and_scenario_as_the_last_row() -> None:
    rows = [{FINGERPRINT: "a", "As of": "2026-01", "Scenario": "Base"},
            {FINGERPRINT: "b", "As of": "2026-02", "Scenario": "Base"}]
    assert is_unchanged(rows, "b", "2026-02", "Base")
    assert not is_unchanged(rows, "a", "2026-01", "Base")  # only the last row counts
    assert not is_unchanged(rows, "b", "2026-03", "Base")
    assert not is_unchanged(rows, "b", "2026-02", "High")
    assert not is_unchanged([], "b", "2026-02", "Base")
