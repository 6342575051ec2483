"""``costsheet run``: read a budget workbook, compute every scenario, write owned sheets back.

The steps, in order, and what each guarantees:

1. pre-flight: the file is a readable workbook package (opened once, as a
   :class:`~costsheet.workbook.ooxml.Package` passed to every later step); the file to be
   written is not open in Excel or LibreOffice (lock file) and can be replaced (not read-only);
2. read: every input sheet is read from that package (openpyxl over its bytes, never the file
   again); every input problem is collected and raised at once as an
   :class:`~costsheet.errors.InputError` carrying the report; the file is not touched;
3. compute: each scenario is Base with its overrides (:func:`apply_scenario`), computed once by
   :func:`compute_budget` (the reader's trial compute, reused); then the monthly plan
   (:func:`~costsheet.model.monthly_plan.plan_monthly`, with the Refresh log's earlier rows) and
   the scenario, sensitivity and risk analyses (:func:`~costsheet.model.risk_analysis.analyse`);
4. write: the nine owned sheets (Summary, Line items, Checks, Monthly, Variance, Refresh log,
   Scenarios, Sensitivity, Risk) are built in a scratch workbook and grafted into the user's
   file at the zip level (:func:`~costsheet.workbook.ooxml.graft_sheets`): only sheets that
   prove they are costsheet's are replaced (:mod:`costsheet.workbook.ownership`: the owner mark
   on the sheet matches its content), any other sheet with one of those names is an error
   naming it, every other part keeps its bytes. Each new sheet gets its mark; hidden sheets stay
   hidden; the user's formulas that read them lose their saved results (so that Excel and
   LibreOffice recalculate them on open; Excel is also asked to recalculate everything); the
   workbook opens on Summary. The write is atomic and the previous version is kept in
   ``.costsheet-backups/`` next to the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..errors import CellError, CostsheetError, InputError, Report, got_text, problems_found
from ..i18n import N_, _, explicit_language, use_language
from ..inputs import FAMILIES, Budget
from ..model.budget import compute_budget
from ..model.items import BudgetResult
from ..model.monthly_plan import MonthlyPlan, plan_monthly
from ..model.risk_analysis import RiskAnalysis, analyse
from ..model.scenarios import apply_scenario
from ..model.variance import FxError
from .actuals import ActualsRead, read_actuals
from .monthly_sheets import LOG_SHEET, read_log, write_monthly_sheets
from .ooxml import Package, graft_sheets
from .ownership import Ownership, assess
from .risk_sheets import add_risk_sheets
from .safety import check_not_open, check_writable, lock_file_candidates, make_backup
from .sheet_digest import read_contents
from .writer import OWNED_SHEETS, SUMMARY_SHEET, Check, build_workbook

__all__ = [
    "RunResult",
    "WorkbookInputs",
    "compute_scenarios",
    "read_workbook",
    "run_budget",
    "run_workbook",
    "scenario_checks",
]

READ_HINT = N_("fix these cells and run `costsheet check {name}` again; the file was not "
               "changed")


@dataclass
class RunResult:
    """What ``run`` computed and wrote."""

    source: Path
    output: Path
    results: dict[str, BudgetResult]
    checks: list[Check] = field(default_factory=list)
    backup: Path | None = None
    owned_sheets: list[str] = field(default_factory=list)
    currency: str = "USD"
    monthly: MonthlyPlan | None = None  # Monthly, Variance and Refresh log (one scenario)
    risk: RiskAnalysis | None = None  # Scenarios, Sensitivity and Risk sheets
    #: the user's formulas that read the owned sheets, directly or not (Sheet!Cell): their
    #: saved results were dropped so that every spreadsheet recalculates them on open
    #: (:mod:`costsheet.workbook.ooxml.stale_results`)
    reading_formulas: list[str] = field(default_factory=list)

    @property
    def scenarios(self) -> list[str]:
        return list(self.results)

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """Totals per scenario and family plus key figures (what ``run --json`` prints)."""
        return {
            "source": str(self.source),
            "output": str(self.output),
            "backup": None if self.backup is None else str(self.backup),
            "owned_sheets": list(self.owned_sheets),
            "currency": self.currency,
            "scenarios": {name: _totals(r) for name, r in self.results.items()},
            "checks": [c.to_dict() for c in self.checks],
            "monthly": None if self.monthly is None else self.monthly.to_dict(),
            "risk": None if self.risk is None else self.risk.to_dict(),
            "formulas_reading_results": list(self.reading_formulas),
        }


def _totals(r: BudgetResult) -> dict[str, Any]:
    d = r.to_dict()
    return {"total": d["total"], "families": {f: d["families"][f] for f in FAMILIES},
            "metrics": d["metrics"]}


def compute_scenarios(
    budget: Budget, scenarios: Sequence[str] | None = None, catalog: Catalog | None = None,
    computed: dict[str, BudgetResult] | None = None,
) -> dict[str, BudgetResult]:
    """Compute ``scenarios`` (default: every scenario of the budget, Base first), by name.

    ``computed`` holds scenarios computed already (the reader's ``ReadResult.results``, with
    the same catalog): they are taken as they are.
    """
    known = budget.scenario_names
    if scenarios:
        lower = {s.casefold(): s for s in known}
        wanted = []
        for name in scenarios:
            if name.casefold() not in lower:
                raise InputError(
                    _("unknown scenario {name!r} (known: {known})").format(
                        name=name, known=", ".join(known)),
                    hint=_("scenarios are the columns of the drivers sheet"),
                )
            wanted.append(lower[name.casefold()])
        names = list(dict.fromkeys(wanted))
    else:
        names = known
    out: dict[str, BudgetResult] = {}
    for name in names:
        if computed and name in computed:
            out[name] = computed[name]
            continue
        try:
            out[name] = compute_budget(apply_scenario(budget, name), catalog, scenario=name)
        except CostsheetError as exc:
            if name != "Base":
                exc.message = _("scenario {name}: {message}").format(name=name,
                                                                     message=exc.message)
                exc.args = (exc.message,)
            raise
    return out


def _same_totals(a: BudgetResult, b: BudgetResult) -> bool:
    ta, tb = a.to_dict(), b.to_dict()
    return bool(ta["families"] == tb["families"] and ta["metrics"] == tb["metrics"])


def scenario_checks(budget: Budget, results: dict[str, BudgetResult]) -> list[Check]:
    """Model warnings per scenario (one row when all scenarios share it) and twin scenarios."""
    checks: list[Check] = []
    seen: dict[str, list[str]] = {}
    for name, r in results.items():
        for w in r.warnings:
            seen.setdefault(w, []).append(name)
    for message, names in seen.items():
        scope = "all" if len(names) == len(results) and len(results) > 1 else ", ".join(names)
        checks.append(Check("warning", scope, message))
    base = results.get("Base")
    if base is not None:
        base_inputs = budget.model_dump(exclude={"scenarios"})
        for name, r in results.items():
            if name == "Base" or not _same_totals(base, r):
                continue
            same_inputs = (apply_scenario(budget, name).model_dump(exclude={"scenarios"})
                           == base_inputs)
            if same_inputs:
                checks.append(Check(
                    "warning", name,
                    _("scenario {name!r} is identical to Base (same inputs and same totals): "
                      "fill in the values that should differ, or delete the column").format(
                        name=name)))
            else:
                checks.append(Check(
                    "info", name,
                    _("scenario {name!r} changes inputs but gives the same totals as Base: its "
                      "changes do not reach any cost (e.g. an electricity price on rented "
                      "GPUs)").format(name=name)))
    return checks


def _reader_checks(report: Report | None) -> list[Check]:
    if report is None:
        return []
    out = []
    for w in report.warnings:
        assert isinstance(w, CellError)
        msg = f"{w.field}: {w.message}" if w.field else w.message
        msg += got_text(w.value)
        out.append(Check("warning", "", msg, where=w.location))
    return out


def _preflight(package: Package, target: Path) -> list[Check]:
    """Refuse a target open elsewhere or read-only; note a source open elsewhere."""
    source = package.path
    check_not_open(target)
    check_writable(target)
    checks = []
    if target != source:
        for lock in lock_file_candidates(source):
            if lock.exists():
                checks.append(Check(
                    "info", "", _("{name} is open elsewhere (lock file {lock}): computed from "
                                  "its last saved version").format(name=source.name,
                                                                   lock=lock.name)))
                break
    return checks


def _ownership(package: Package, replace: Sequence[str]) -> Ownership:
    """The sheets with costsheet's result-sheet names that it may replace; refuse (nothing
    written) when another sheet of such a name is in the way."""
    own = assess(package, replace=replace)
    own.raise_if_kept(package.source)
    return own


def _monthly_plan(budget: Budget, results: dict[str, BudgetResult], package: Package, *,
                  actuals: ActualsRead | None, as_of: str | None, scenario: str | None,
                  now: datetime | None, catalog: Catalog | None,
                  log_sheet: str = LOG_SHEET) -> MonthlyPlan:
    """The monthly plan, with the workbook's Refresh log; currencies that cannot be converted
    are reported at their Actuals cells."""
    from .. import __version__

    read = actuals or ActualsRead()
    header, rows = read_log(package, log_sheet)
    try:
        return plan_monthly(budget, results, now=now or datetime.now().astimezone(),
                            version=__version__, actuals=read.actuals,
                            monthly_fx=read.monthly_fx, log_header=header, log_rows=rows,
                            as_of=as_of, scenario=scenario, catalog=catalog)
    except FxError as exc:
        report = Report()
        for p in exc.problems:
            sh, _, cell = read.cell_of(p).partition("!")
            report.add(sh, cell, "currency", p.currency, p.message)
        raise InputError(exc.message, hint=exc.hint, report=report) from None


def run_budget(
    path: Path,
    budget: Budget,
    *,
    out: Path | None = None,
    scenarios: Sequence[str] | None = None,
    catalog: Catalog | None = None,
    report: Report | None = None,
    now: datetime | None = None,
    keep_backups: int = 3,
    actuals: ActualsRead | None = None,
    as_of: str | None = None,
    monthly_scenario: str | None = None,
    risk: dict[str, Any] | None = None,
    package: Package | None = None,
    computed: dict[str, BudgetResult] | None = None,
    replace_sheets: Sequence[str] = (),
    ownership: Ownership | None = None,
) -> RunResult:
    """Compute ``budget`` and write the owned sheets into the workbook ``path`` (or ``out``).

    ``report`` carries the reader's warnings (they go to the Checks sheet). Use this when the
    budget comes from elsewhere than the workbook's input sheets; :func:`run_workbook` reads them.
    ``actuals``, ``as_of`` and ``monthly_scenario`` (default: the first scenario computed) feed
    the Monthly, Variance and Refresh log sheets (:mod:`costsheet.workbook.monthly_sheets`).
    ``risk`` holds the keyword arguments of :func:`costsheet.model.risk_analysis.analyse`
    (``uncertainties``, ``trials``, ``seed``, ``progress``) for the Scenarios, Sensitivity and
    Risk sheets. ``package``: the workbook ``path`` already open (else it is opened here).
    ``computed``: scenarios computed already with ``catalog`` (not computed again).
    ``replace_sheets``: sheets with result-sheet names to replace even though they are not
    costsheet's (the user's consent); ``ownership``: :func:`_ownership` found already.
    """
    source = Path(path)
    target = Path(out) if out is not None else source
    pkg = package if package is not None else Package.open(source)
    pre = _preflight(pkg, target)
    own = ownership or _ownership(pkg, replace_sheets)
    results = compute_scenarios(budget, scenarios, catalog, computed)
    checks = pre + _reader_checks(report) + scenario_checks(budget, results)
    first = next(iter(results.values()))
    from .. import __version__

    monthly = _monthly_plan(budget, results, pkg, actuals=actuals, as_of=as_of,
                            scenario=monthly_scenario, now=now, catalog=catalog,
                            log_sheet=own.prefix + LOG_SHEET)
    checks += [Check("warning", monthly.scenario, w) for w in monthly.warnings]
    analysis = analyse(budget, catalog, results=results, **(risk or {}))

    title = _("Training budget: {name}").format(
        name=budget.name if budget.name and budget.name != "budget" else source.stem)
    with tempfile.TemporaryDirectory(prefix="costsheet-run-") as tmp:
        wb = build_workbook(
            list(results.values()), checks, title=title, source_name=source.name,
            run_time=now or datetime.now(), version=__version__, prefix=own.prefix)
        sheets = [*(own.prefix + s for s in OWNED_SHEETS), *write_monthly_sheets(wb, monthly),
                  *add_risk_sheets(wb, analysis)]
        scratch = Path(tmp) / "owned.xlsx"
        wb.save(scratch)
        marks = {name: c.mark() for name, c in read_contents(Package.open(scratch),
                                                              sheets).items()}
        backup = make_backup(target, keep=keep_backups) if target.exists() else None
        cleared = graft_sheets(pkg, scratch, target, sheets=sheets, remove=own.replaceable,
                               marks=marks, recalc=True, activate=own.prefix + SUMMARY_SHEET)
    return RunResult(source=source, output=target, results=results, checks=checks,
                     backup=backup, owned_sheets=sheets, currency=first.currency,
                     monthly=monthly, risk=analysis,
                     reading_formulas=cleared)


@dataclass
class WorkbookInputs:
    """Everything ``check`` and ``run`` read from a workbook, with one report of all problems.

    ``read`` is the reader's result (budget, cells); ``actuals`` the Actuals sheet and monthly FX
    rates; ``uncertainties`` the Monte Carlo inputs (Uncertainty sheet and driver ranges, or, when
    the workbook states none, the ranges its scenarios span: ``uncertainty_note`` then says so).
    """

    source: Path
    read: Any
    report: Report
    actuals: ActualsRead | None = None
    uncertainties: dict[str, Any] = field(default_factory=dict)
    uncertainty_note: str = ""

    @property
    def ok(self) -> bool:
        return self.read.budget is not None and self.report.ok

    def raise_if_errors(self) -> None:
        """The file's own error when it is unreadable, else every cell problem at once."""
        if self.read.fatal is not None:
            raise self.read.fatal
        if not self.ok:
            n = len(self.report.problems)
            raise InputError(
                f"{self.source.name}: {problems_found(n)}" if n
                else f"{self.source.name}: " + _("no budget could be read"),
                hint=_(READ_HINT).format(name=self.source.name), report=self.report,
            )


def language_for(source: Path | str | Package, lang: str | None = None) -> str | None:
    """The language to speak about workbook ``source``: ``lang`` if given; else none to set when
    the caller set one (``use_language``, the CLI); else the one the workbook remembers
    (``costsheet.language``, :mod:`costsheet.workbook.language`), if any."""
    if lang is not None or explicit_language() is not None:
        return lang
    from .language import workbook_language

    return workbook_language(source if isinstance(source, Package) else Path(source))


def read_workbook(source: Path | str | Package, *, lang: str | None = None) -> WorkbookInputs:
    """Read and validate every input sheet of a budget workbook; the file is never changed.

    This is ``costsheet check``: the budget sheets, the Actuals sheet and the Uncertainty sheet,
    every problem collected into one report. ``source``: the workbook's path, or its package
    already open (``run`` passes the one it opened: the file is read once). Messages are in
    ``lang``, else the caller's language, else the workbook's (:func:`language_for`).
    """
    with use_language(language_for(source, lang)):
        return _read_workbook(source)


def _read_workbook(source: Path | str | Package) -> WorkbookInputs:
    from .reader import read_budget
    from .uncertainty import (
        SCENARIO_RANGE_NOTE,
        read_uncertainty,
        scenario_uncertainties,
        uncertainties_from,
    )

    path = source.path if isinstance(source, Package) else Path(source)
    read = read_budget(source)
    report = read.report
    inputs = WorkbookInputs(path, read, report)
    if read.fatal is not None or read.budget is None:
        return inputs
    sheets = read.book or path  # the sheets the reader loaded: nothing is read twice
    inputs.actuals = read_actuals(sheets, read.budget.currency, read.budget.fx_rates,
                                  fx=read.fx)
    report.extend(inputs.actuals.report)
    unc = read_uncertainty(sheets, read.budget)
    stated = uncertainties_from(getattr(read, "intervals", {}), unc)
    report.extend(unc.report)
    if stated:
        inputs.uncertainties = stated
    else:
        inputs.uncertainties = scenario_uncertainties(read.budget)
        inputs.uncertainty_note = _(SCENARIO_RANGE_NOTE) if inputs.uncertainties else ""
    return inputs


def run_workbook(
    path: Path,
    out: Path | None = None,
    scenarios: Sequence[str] | None = None,
    *,
    catalog: Catalog | None = None,
    now: datetime | None = None,
    keep_backups: int = 3,
    as_of: str | None = None,
    monthly_scenario: str | None = None,
    trials: int | None = None,
    seed: int | None = None,
    progress: Any = None,
    replace_sheets: Sequence[str] = (),
    lang: str | None = None,
) -> RunResult:
    """Read the budget workbook ``path``, compute every scenario, write the owned sheets.

    Writes in place, or to ``out`` (``path`` is then left as it is). Raises
    :class:`~costsheet.errors.InputError` with the reader's report when inputs are wrong (the
    file is not touched) and :class:`~costsheet.errors.CostsheetError` for refusals (file open
    in Excel, read-only, a sheet with an owned sheet's name that is not costsheet's:
    :class:`~costsheet.workbook.ownership.ForeignSheetError`, unless named in
    ``replace_sheets``). The sheets and messages are in ``lang``, else the caller's language,
    else the one the workbook remembers.
    """
    package = Package.open(Path(path))  # read once: its language, then everything else
    with use_language(language_for(package, lang)):
        return _run_workbook(package, out, scenarios, catalog=catalog, now=now,
                             keep_backups=keep_backups, as_of=as_of,
                             monthly_scenario=monthly_scenario, trials=trials, seed=seed,
                             progress=progress, replace_sheets=replace_sheets)


def _run_workbook(
    package: Package, out: Path | None, scenarios: Sequence[str] | None, *,
    catalog: Catalog | None, now: datetime | None, keep_backups: int, as_of: str | None,
    monthly_scenario: str | None, trials: int | None, seed: int | None, progress: Any,
    replace_sheets: Sequence[str] = (),
) -> RunResult:
    source = package.path
    target = Path(out) if out is not None else source
    _preflight(package, target)
    own = _ownership(package, replace_sheets)
    inputs = read_workbook(package)
    inputs.raise_if_errors()
    read, report, actuals = inputs.read, inputs.report, inputs.actuals
    assert read.budget is not None
    risk = {"uncertainties": inputs.uncertainties, "progress": progress,
            **({"note": inputs.uncertainty_note} if inputs.uncertainty_note else {}),
            **({"trials": trials} if trials is not None else {}),
            **({"seed": seed} if seed is not None else {})}
    computed = read.results if catalog is None else None  # the reader computed them
    return run_budget(source, read.budget, out=out, scenarios=scenarios, catalog=catalog,
                      report=report, now=now, keep_backups=keep_backups, actuals=actuals,
                      as_of=as_of, monthly_scenario=monthly_scenario, risk=risk,
                      package=package, computed=computed, ownership=own)
