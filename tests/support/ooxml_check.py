"""Is a workbook costsheet wrote schema-valid, and does a second reader see the same numbers?

Two independent checks for the tests (issue 14):

* :func:`audit` validates every part of a package with ``openxml-audit`` (a pure-Python port of
  the Open XML SDK's validator: package, relationships, every XML part against the ECMA-376
  schemas, Excel app-compat rules). :func:`introduced` compares a written file with the same
  check of the file it came from, so a test fails only on problems costsheet introduced, never
  on what Excel or the user's own tools already left in their workbook.
* :func:`readback` reads every owned sheet with ``python-calamine`` (Rust, no openpyxl) and
  compares the values with what ``costsheet run --json`` reported for the same run.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REL_TOL = 1e-9  # calamine and --json print the same doubles; the slack covers repr round-trips


@dataclass(frozen=True)
class Problem:
    """One finding of the validator, with what it takes to say where and what."""

    severity: str  # error / warning / info
    kind: str  # schema / semantic / package / relationship / ...
    rule: str  # the validator's rule id ("" for schema findings)
    part: str  # /xl/styles.xml
    path: str  # /styleSheet[1]/fonts[1]/font[9]
    description: str

    def __str__(self) -> str:
        where = self.part + (f" at {self.path}" if self.path else "")
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{self.severity} {self.kind}{rule} in {where}: {self.description}"


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    from openxml_audit import FileFormat, OpenXmlValidator

    # max_errors=0: no cap, every finding of every part
    return OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=0)


@functools.lru_cache(maxsize=64)
def _audit_digest(digest: str, path: str) -> tuple[Problem, ...]:
    del digest  # the cache key: the same bytes give the same findings
    result = _validator().validate(path)
    return tuple(
        Problem(e.severity.value, e.error_type.value, e.id or "", e.part_uri, e.path or "",
                e.description)
        for e in result.errors
    )


def audit(path: Path) -> list[Problem]:
    """Every finding of openxml-audit for the package at ``path`` (cached by content)."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return list(_audit_digest(digest, str(path)))


def introduced(original: Path | None, written: Path) -> list[Problem]:
    """Findings in ``written`` that the same check of ``original`` does not have (as a multiset:
    a finding the user's file had once and ours has twice counts once). ``original=None``: a
    file costsheet wrote from nothing, so every finding is ours."""
    before = Counter(audit(original)) if original is not None else Counter()
    after = Counter(audit(written))
    return sorted((after - before).elements(), key=str)


# --- known findings, each named, so the lead sees them flip ---------------------------------------


def is_font_child_order(p: Problem) -> bool:
    """The fonts in styles.xml written with their children in openpyxl's order (name ... b, i,
    color, sz) rather than the SDK's CT_Font sequence (b, i, ..., sz, color, name, family,
    charset, scheme): 'Unexpected element ... found' under /styleSheet/fonts/font."""
    return (p.part == "/xl/styles.xml" and "/fonts[1]/font[" in p.path
            and p.description.startswith("Unexpected element"))


#: Findings accepted on purpose, with the reason. Nothing else introduced is allowed.
ACCEPTED: dict[str, str] = {
    # An Excel app-compat *warning*, not a repair: a package with inline strings and no
    # sharedStrings part (every costsheet template and sample, and a user's workbook that had
    # no text cells of its own) opens cleanly; Excel moves the strings into a new
    # sharedStrings part the next time the user saves. Workbooks with one do not get it.
    "Excel_InlineStrCells": "inline strings are moved to sharedStrings on the next save",
}


def split(problems: Iterable[Problem]) -> tuple[list[Problem], list[Problem], list[Problem]]:
    """(unexpected, font child order, accepted) findings."""
    unexpected: list[Problem] = []
    fonts: list[Problem] = []
    accepted: list[Problem] = []
    for p in problems:
        if is_font_child_order(p):
            fonts.append(p)
        elif p.rule in ACCEPTED and p.severity != "error":
            accepted.append(p)
        else:
            unexpected.append(p)
    return unexpected, fonts, accepted


# --- the second reader --------------------------------------------------------------------------


def calamine_sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of the workbook as rows of values, read by python-calamine."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-6)
    return a == b


class _Mismatches:
    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, where: str, got: Any, want: Any) -> None:
        if not _close(got, want):
            self.items.append(f"{where}: calamine read {got!r}, --json says {want!r}")


def _rows_from(rows: list[list[Any]], header: Callable[[list[Any]], bool]) -> list[list[Any]]:
    """The rows of the table whose header row satisfies ``header``, up to the first blank row."""
    for i, row in enumerate(rows):
        if row and header(row):
            out = []
            for r in rows[i + 1:]:
                if not any(v not in ("", None) for v in r):
                    break
                out.append(r)
            return [rows[i], *out]
    raise AssertionError("table not found")


def _by_label(table: list[list[Any]]) -> dict[str, list[Any]]:
    return {str(r[0]): r for r in table[1:]}


FAMILY_LABELS = {
    "compute": "Hardware / compute", "data": "Data", "staff": "R&D staff",
    "power_facilities": "Power and facilities", "experiments": "Experiments and failures",
}


def _summary(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    table = _rows_from(rows, lambda r: str(r[0]).startswith("Cost by family"))
    cols = {str(h): j for j, h in enumerate(table[0]) if j and h}
    by = _by_label(table)
    for scen, res in data["scenarios"].items():
        j = cols[scen]
        for fam, label in FAMILY_LABELS.items():
            m.check(f"Summary {label}/{scen}", by[label][j], res["families"][fam])
        m.check(f"Summary Total/{scen}", by["Total"][j], res["total"])
        figs = _by_label(_rows_from(rows, lambda r: str(r[0]).startswith("Key figures")))
        met = res["metrics"]
        m.check(f"Summary FLOPs/{scen}", figs["Training FLOPs (final runs)"][j],
                met["flops"])
        m.check(f"Summary energy/{scen}",
                figs["Energy, MWh (every run: final, experiments, sweeps)"][j],
                met["energy_kwh"] / 1000)
        m.check(f"Summary CO2/{scen}", figs["CO2, t (every run: final, experiments, sweeps)"][j],
                met["co2_kg"] / 1000)


def _line_items(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    head = rows[0]
    si, fi, ai = head.index("Scenario"), head.index("Family"), head.index("Amount")
    sums: Counter[tuple[str, str]] = Counter()
    for r in rows[1:]:
        if r[si] in data["scenarios"]:
            sums[(r[si], r[fi])] += float(r[ai] or 0.0)
    for scen, res in data["scenarios"].items():
        for fam, label in FAMILY_LABELS.items():
            m.check(f"Line items sum {label}/{scen}", sums[(scen, label)], res["families"][fam])


def _checks(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    body = [r for r in rows[1:] if any(v not in ("", None) for v in r)]
    problems = [r for r in body if r[0] != "ok"]
    m.check("Checks rows", len(problems), len(data["checks"]))


def _scenarios(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    comparisons = data["risk"]["scenarios"]
    if not comparisons:
        return
    table = _rows_from(rows, lambda r: str(r[0]).startswith("Total by family"))
    cols = {str(h): j for j, h in enumerate(table[0]) if j and h}
    by = _by_label(table)
    for c in comparisons:
        j = cols[c["name"]]
        for fam, label in FAMILY_LABELS.items():
            m.check(f"Scenarios {label}/{c['name']}", by[label][j], c["totals"][fam])
        m.check(f"Scenarios Total/{c['name']}", by["Total"][j], c["total"])
        effects = {r[3]: r[6] for r in rows if r and r[0] == c["name"] and r[3]}
        for a in c["attributions"]:
            m.check(f"Scenarios effect {a['key']}/{c['name']}", effects.get(a["key"]),
                    a["effect"])


def _sensitivity(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    sens = data["risk"]["sensitivity"]
    if not sens:
        return
    table = _rows_from(rows, lambda r: r[:3] == ["Rank", "Input", "Key"])
    by_key = {r[2]: r for r in table[1:]}
    for bar in sens["bars"]:
        r = by_key[bar["key"]]
        for j, field in ((3, "low_value"), (4, "base_value"), (5, "high_value"),
                         (7, "at_low"), (8, "at_high"), (9, "swing")):
            m.check(f"Sensitivity {bar['key']} {field}", r[j], bar[field])


def _risk(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    risk = data["risk"]["risk"]
    if not risk:
        return
    table = _rows_from(rows, lambda r: str(r[0]).startswith("Outcome ("))
    by = _by_label(table)
    for name, label in (("total", "Total"), *FAMILY_LABELS.items()):
        st = risk["stats"][name]
        for j, field in ((2, "mean"), (3, "p10"), (4, "p50"), (5, "p80"), (6, "p90")):
            m.check(f"Risk {label} {field}", by[label][j], st[field])
    m.check("Risk Total deterministic", by["Total"][1], risk["deterministic_total"])


def _monthly(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    table = _rows_from(rows, lambda r: r[:1] == ["Month"])
    total_col = table[0].index("Total")
    total = next(r for r in table[1:] if r[0] == "Total")
    # closed months show the actuals, the rest the budget; the reserve is beside the months
    m.check("Monthly Total", total[total_col], data["monthly"]["months_total"])


def _variance(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    table = _rows_from(rows, lambda r: r[:2] == ["Family", "Actual to date"])
    head = table[0]
    labels = _by_label(table)
    total = labels.get("Total, with the reserve") or labels["Total"]
    m.check("Variance latest estimate", total[head.index("Latest estimate")],
            data["monthly"]["latest_estimate"])
    m.check("Variance full budget", total[head.index("Full budget")],
            data["monthly"]["full_budget"])


def _refresh_log(rows: list[list[Any]], data: dict[str, Any], m: _Mismatches) -> None:
    head, body = rows[0], [r for r in rows[1:] if any(v not in ("", None) for v in r)]
    m.check("Refresh log rows", len(body), data["monthly"]["log_rows"])
    last = body[-1]
    m.check("Refresh log fingerprint", last[head.index("Inputs fingerprint")],
            data["monthly"]["fingerprint"])
    m.check("Refresh log scenario", last[head.index("Scenario")], data["monthly"]["scenario"])


#: What each owned sheet is compared on. A new owned sheet without an entry fails the test.
SHEET_CHECKS: dict[str, Callable[[list[list[Any]], dict[str, Any], _Mismatches], None]] = {
    "Summary": _summary, "Line items": _line_items, "Checks": _checks,
    "Scenarios": _scenarios, "Sensitivity": _sensitivity, "Risk": _risk,
    "Monthly": _monthly, "Variance": _variance, "Refresh log": _refresh_log,
}


def readback(path: Path, data: dict[str, Any]) -> list[str]:
    """Compare every owned sheet (``data["owned_sheets"]``), read by calamine, with the values
    of ``costsheet run --json`` (``data``). Returns the mismatches; [] when they agree."""
    sheets = calamine_sheets(path)
    m = _Mismatches()
    for name in data["owned_sheets"]:
        if name not in sheets:
            m.items.append(f"{name}: not in the workbook calamine read ({list(sheets)})")
            continue
        if not sheets[name]:
            m.items.append(f"{name}: calamine read no cells")
            continue
        check = SHEET_CHECKS.get(name)
        if check is None:
            m.items.append(f"{name}: no read-back check for this owned sheet")
            continue
        try:
            check(sheets[name], data, m)
        except (AssertionError, KeyError, ValueError, IndexError, StopIteration) as exc:
            m.items.append(f"{name}: layout not as expected ({type(exc).__name__}: {exc})")
    return m.items
