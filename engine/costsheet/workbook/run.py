"""``costsheet run``: read a budget workbook, compute every scenario, write owned sheets back.

The steps, in order, and what each guarantees:

1. pre-flight: the file to be written is checked and locked for the whole run
   (:class:`~costsheet.workbook.write_guard.WriteGuard`: symlinks followed; a device, a folder
   or a hard-linked file refused; not open in Excel or LibreOffice, beside the file or the link;
   replaceable with its owner kept; one costsheet run at a time); the input is a readable
   workbook package (opened once, as a :class:`~costsheet.workbook.ooxml.Package` passed to
   every later step, its size, time and digest recorded) whose type matches the output's name;
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
   ``.costsheet-backups/`` next to the file; an input saved by someone else during the run is
   never overwritten (checked before the backup and just before the replace).
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
from ..model.booking import ActualsError
from ..model.bounds import check_result, check_simulation
from ..model.budget import compute_budget
from ..model.default_ranges import PublishedBand, published_band
from ..model.items import BudgetResult
from ..model.montecarlo import DEFAULT_TRIALS
from ..model.monthly_plan import MonthlyPlan, plan_monthly
from ..model.risk_analysis import RiskAnalysis, analyse
from ..model.scenarios import apply_scenario
from .actuals import ActualsRead, read_actuals
from .monthly_sheets import LOG_SHEET, read_log, write_monthly_sheets
from .ooxml import Package, check_graft_parts, graft_sheets
from .ownership import Ownership, assess
from .risk_sheets import add_risk_sheets
from .safety import lock_file_candidates, make_backup
from .sheet_digest import read_contents
from .write_guard import WriteGuard
from .writer import OWNED_SHEETS, SUMMARY_SHEET, Check, build_workbook

__all__ = [
    "RunResult",
    "WorkbookInputs",
    "compute_scenarios",
    "published_bands",
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
    #: by scenario, the published-MFU band of runs that state no MFU (on the Summary)
    bands: dict[str, PublishedBand] = field(default_factory=dict)
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
            "scenarios": {name: {**_totals(r), **({"published_band": self.bands[name].to_dict()}
                                                    if name in self.bands else {})}
                          for name, r in self.results.items()},
            "checks": [c.to_dict() for c in self.checks],
            "monthly": None if self.monthly is None else self.monthly.to_dict(),
            "risk": None if self.risk is None else self.risk.to_dict(),
            "formulas_reading_results": list(self.reading_formulas),
        }


def _totals(r: BudgetResult) -> dict[str, Any]:
    """Totals, key figures (several final runs: MFU and goodput weighted by GPU-hours) and
    each run's own GPU-hours, MFU and goodput."""
    d = r.to_dict()
    runs = {name: {k: _plain(info.get(k)) for k in ("kind", "stage", "gpu_hours", "mfu",
                                                    "goodput", "wall_clock_days")}
            for name, info in r.runs.items()}
    return {"total": d["total"], "families": {f: d["families"][f] for f in FAMILIES},
            "metrics": d["metrics"], "runs": runs}


def _plain(value: Any) -> Any:
    """A number as JSON holds it (None, text and plain floats as they are)."""
    if value is None or isinstance(value, str):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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
            scenario_budget = apply_scenario(budget, name)
            out[name] = compute_budget(scenario_budget, catalog, scenario=name)
            check_result(scenario_budget, out[name])
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


def _preflight(package: Package, guard: WriteGuard) -> list[Check]:
    """Note a source open elsewhere (the target's checks are the guard's)."""
    source = package.path
    checks = []
    if not guard.in_place:
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
                  log_sheet: str = LOG_SHEET,
                  reuse: MonthlyPlan | None = None) -> MonthlyPlan:
    """The monthly plan, with the workbook's Refresh log; currencies that cannot be converted
    are reported at their Actuals cells."""
    from .. import __version__

    read = actuals or ActualsRead()
    header, rows = read_log(package, log_sheet)
    try:
        return plan_monthly(budget, results, now=now or datetime.now().astimezone(),
                            version=__version__, actuals=read.actuals,
                            monthly_fx=read.monthly_fx, log_header=header, log_rows=rows,
                            as_of=as_of, scenario=scenario, catalog=catalog, reuse=reuse)
    except ActualsError as exc:
        raise InputError(exc.message, hint=exc.hint, report=read.placed(exc)) from None


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
    guard: WriteGuard | None = None,
    replace_sheets: Sequence[str] = (),
    ownership: Ownership | None = None,
    planned: MonthlyPlan | None = None,
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
    ``guard``: the :class:`~costsheet.workbook.write_guard.WriteGuard` held for this write
    (``package`` was read under it); without one, it is taken here for the whole run.
    ``replace_sheets``: sheets with result-sheet names to replace even though they are not
    costsheet's (the user's consent); ``ownership``: :func:`_ownership` found already.
    ``planned``: the monthly plan ``check`` made of the same inputs (its timelines are reused).
    """
    source = Path(path)
    if guard is None:
        with WriteGuard.hold(out if out is not None else source, source=source) as held:
            pkg = Package.open(source)
            held.read(pkg)
            return run_budget(source, budget, out=out, scenarios=scenarios, catalog=catalog,
                              report=report, now=now, keep_backups=keep_backups,
                              actuals=actuals, as_of=as_of, monthly_scenario=monthly_scenario,
                              risk=risk, package=pkg, computed=computed, guard=held,
                              replace_sheets=replace_sheets, ownership=ownership,
                              planned=planned)
    target = guard.target
    pkg = package if package is not None else Package.open(source)
    pre = _preflight(pkg, guard)
    own = ownership or _ownership(pkg, replace_sheets)
    results = compute_scenarios(budget, scenarios, catalog, computed)
    checks = pre + _reader_checks(report) + scenario_checks(budget, results)
    first = next(iter(results.values()))
    from .. import __version__

    monthly = _monthly_plan(budget, results, pkg, actuals=actuals, as_of=as_of,
                            scenario=monthly_scenario, now=now, catalog=catalog,
                            log_sheet=own.prefix + LOG_SHEET, reuse=planned)
    checks += [Check("warning", monthly.scenario, w) for w in monthly.warnings]
    analysis = analyse(budget, catalog, results=results, **(risk or {}))
    bands = published_bands(budget, results, catalog)

    title = _("Training budget: {name}").format(
        name=budget.name if budget.name and budget.name != "budget" else source.stem)
    with tempfile.TemporaryDirectory(prefix="costsheet-run-") as tmp:
        wb = build_workbook(
            list(results.values()), checks, title=title, source_name=source.name,
            run_time=now or datetime.now(), version=__version__, bands=bands,
            prefix=own.prefix)
        sheets = [*(own.prefix + s for s in OWNED_SHEETS), *write_monthly_sheets(wb, monthly),
                  *add_risk_sheets(wb, analysis)]
        scratch = Path(tmp) / "owned.xlsx"
        wb.save(scratch)
        marks = {name: c.mark() for name, c in read_contents(Package.open(scratch),
                                                              sheets).items()}
        guard.before_replace()  # a save made meanwhile: refused before a backup rotates
        backup = make_backup(target, keep=keep_backups) if target.exists() else None
        cleared = graft_sheets(pkg, scratch, target, sheets=sheets, remove=own.replaceable,
                               marks=marks, recalc=True, activate=own.prefix + SUMMARY_SHEET,
                               before_replace=guard.before_replace)
    return RunResult(source=source, output=guard.given, results=results, checks=checks,
                     backup=backup, owned_sheets=sheets, currency=first.currency,
                     monthly=monthly, risk=analysis, bands=bands, reading_formulas=cleared)


def published_bands(budget: Budget, results: dict[str, BudgetResult],
                    catalog: Catalog | None = None) -> dict[str, PublishedBand]:
    """Each computed scenario's published-MFU band (scenarios where every run states its MFU
    or GPU-hours have none)."""
    out = {}
    for name, res in results.items():
        band = published_band(apply_scenario(budget, name), res, catalog)
        if band is not None:
            out[name] = band
    return out


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
    #: the monthly plan checked (no Refresh log row yet): ``run`` takes its timelines
    plan: MonthlyPlan | None = None
    #: the warnings `run` gives besides the reader's: the model's per scenario, twin scenarios,
    #: and the monthly plan's (closed months without actuals, actuals after the as-of month, ...)
    checks: list[Check] = field(default_factory=list)

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


def read_workbook(source: Path | str | Package, *, lang: str | None = None,
                  as_of: str | None = None, scenario: str | None = None,
                  replace_sheets: Sequence[str] = ()) -> WorkbookInputs:
    """Read and validate every input sheet of a budget workbook; the file is never changed.

    This is ``costsheet check``, and what ``run`` reads: the budget sheets, the Actuals sheet and
    the Uncertainty sheet, each read even when another has errors, every problem collected into
    one report. When the budget itself is good, the monthly plan of ``scenario`` (default: the
    first) as of ``as_of`` (default: the latest month with actuals) is checked too, as ``run``
    makes it: its problems (an actual outside the budget's months, a start month before it, a
    currency mark an actual contradicts, ...) go to the report at their cells, its warnings and
    the model's to ``checks``. ``source``: the workbook's path, or its package already open
    (``run`` passes the one it opened: the file is read once). Messages are in ``lang``, else
    the caller's language, else the workbook's (:func:`language_for`). What ``run`` reads of
    the package beyond the input sheets is checked too: the parts the graft edits, and sheets
    with result-sheet names that are not costsheet's (unless named in ``replace_sheets``).
    """
    with use_language(language_for(source, lang)):
        return _read_workbook(source, as_of, scenario, replace_sheets)


def _read_workbook(source: Path | str | Package, as_of: str | None,
                   scenario: str | None, replace_sheets: Sequence[str]) -> WorkbookInputs:
    from .reader import read_budget

    path = source.path if isinstance(source, Package) else Path(source)
    if not isinstance(source, Package):
        try:  # opened here, so that its parts can be checked as `run` reads them
            source = Package.open(path)
        except CostsheetError:
            pass  # the reader reports the file's own problem
    read = read_budget(source)
    report = read.report
    inputs = WorkbookInputs(path, read, report)
    if read.fatal is None and isinstance(source, Package):
        _check_package_parts(source, read, replace_sheets)
    if read.fatal is not None:
        return inputs
    sheets = read.book or path  # the sheets the reader loaded: nothing is read twice
    rates = read.fx.rates if read.fx is not None else {}
    inputs.actuals = read_actuals(sheets, read.reporting, rates, fx=read.fx)
    report.extend(inputs.actuals.report)
    _read_uncertainty(inputs, sheets)
    if read.budget is not None and read.results:
        inputs.checks = scenario_checks(read.budget, read.results)
        plan = inputs.plan = _checked_plan(inputs, as_of, scenario)
        if plan is not None:
            inputs.checks += [Check("warning", plan.scenario, w) for w in plan.warnings]
    return inputs


def _read_uncertainty(inputs: WorkbookInputs, sheets: Any) -> None:
    """The Uncertainty sheet, against the budget (or the lines that are valid, when the budget
    has errors: every sheet is read); the Monte Carlo inputs when the budget is good."""
    from .uncertainty import (
        SCENARIO_RANGE_NOTE,
        read_uncertainty,
        scenario_uncertainties,
        uncertainties_from,
    )

    read = inputs.read
    budget = read.budget if read.budget is not None else read.partial
    if budget is None:
        return
    unc = read_uncertainty(sheets, budget, read.invalid)
    inputs.report.extend(unc.report)
    if read.budget is None:
        return
    stated = uncertainties_from(getattr(read, "intervals", {}), unc)
    if stated:
        inputs.uncertainties = stated
    else:
        inputs.uncertainties = scenario_uncertainties(read.budget)
        inputs.uncertainty_note = _(SCENARIO_RANGE_NOTE) if inputs.uncertainties else ""
    try:  # the simulation `run` makes, at the default trials
        check_simulation(DEFAULT_TRIALS, len(inputs.uncertainties))
    except CostsheetError as exc:
        inputs.report.add("Uncertainty", "", "trials", None, exc.message, code=exc.code)


def _checked_plan(inputs: WorkbookInputs, as_of: str | None,
                  scenario: str | None) -> MonthlyPlan | None:
    """The monthly plan ``run`` would make (without the Refresh log), or None: its problems
    are added to the report at their cells (those reported already are not repeated)."""
    read, actuals = inputs.read, inputs.actuals or ActualsRead()
    if scenario is not None and scenario.casefold() not in {
            s.casefold() for s in read.results}:
        return None  # an unknown scenario: `run` says so
    try:
        return plan_monthly(read.budget, read.results, now=datetime.now().astimezone(),
                            version="", actuals=actuals.actuals,
                            monthly_fx=actuals.monthly_fx, as_of=as_of, scenario=scenario)
    except ActualsError as exc:
        found = actuals.placed(exc)
    except InputError as exc:
        found = Report()
        entries = exc.report.errors if exc.report is not None else [
            CellError("", "", exc.key or "", None, exc.message, code=exc.code)]
        for e in entries:
            sheet, _sep, cell = read.cell_of(e.field).partition("!")
            found.add(sheet, cell, e.field.rpartition(".")[2] or e.field, e.value, e.message,
                      code=e.code)
    known = {(e.location, e.field) for e in inputs.report.problems}
    inputs.report.errors.extend(e for e in found.errors if (e.location, e.field) not in known)
    return None


def _check_package_parts(package: Package, read: Any, replace_sheets: Sequence[str]) -> None:
    """What ``run`` reads of the package beyond the input sheets, read here too, so that
    ``check`` refuses what ``run`` would: the parts the graft parses and edits (damaged, or
    nested too deep: the file's own error) and a sheet of the user's with a result sheet's
    name."""
    def ownership(pkg: Package) -> None:
        _ownership(pkg, replace_sheets)

    for check, field_name in ((check_graft_parts, "file"), (ownership, "sheet")):
        try:
            check(package)
        except CostsheetError as exc:
            tip = f"; {exc.hint}" if exc.hint else ""
            read.report.add("", "", field_name, None, exc.message + tip, code=exc.code)
            if field_name == "file":
                read.fatal = exc
                return


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
    source = Path(path)
    with WriteGuard.hold(out if out is not None else source, source=source) as guard:
        package = Package.open(source)  # read once, under the lock: its language, then the rest
        with use_language(language_for(package, lang)):
            guard.read(package)
            return _run_workbook(package, guard, out, scenarios, catalog=catalog, now=now,
                                 keep_backups=keep_backups, as_of=as_of,
                                 monthly_scenario=monthly_scenario, trials=trials, seed=seed,
                                 progress=progress, replace_sheets=replace_sheets)


def _run_workbook(
    package: Package, guard: WriteGuard, out: Path | None, scenarios: Sequence[str] | None,
    *, catalog: Catalog | None, now: datetime | None, keep_backups: int, as_of: str | None,
    monthly_scenario: str | None, trials: int | None, seed: int | None, progress: Any,
    replace_sheets: Sequence[str] = (),
) -> RunResult:
    source = package.path
    own = _ownership(package, replace_sheets)
    inputs = read_workbook(package, as_of=as_of, replace_sheets=replace_sheets,
                           scenario=monthly_scenario or (scenarios[0] if scenarios else None))
    inputs.raise_if_errors()
    read, report, actuals = inputs.read, inputs.report, inputs.actuals
    assert read.budget is not None
    risk = {"uncertainties": inputs.uncertainties, "progress": progress,
            **({"note": inputs.uncertainty_note} if inputs.uncertainty_note else {}),
            **({"trials": trials} if trials is not None else {}),
            **({"seed": seed} if seed is not None else {})}
    computed = read.results if catalog is None else None  # the reader computed them
    check_simulation(trials or DEFAULT_TRIALS, len(inputs.uncertainties))  # before any work
    return run_budget(source, read.budget, out=out, scenarios=scenarios, catalog=catalog,
                      report=report, now=now, keep_backups=keep_backups, actuals=actuals,
                      as_of=as_of, monthly_scenario=monthly_scenario, risk=risk,
                      package=package, computed=computed, guard=guard, ownership=own,
                      planned=inputs.plan if catalog is None and now is None else None)
