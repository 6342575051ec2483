"""The command line: parse flags, call one library function, render its result.

Expected failures (:class:`~costsheet.errors.CostsheetError`) print ``error:`` lines and a
``tip:``, and exit with code 2; never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import CostsheetError, InputError
from .units import format_money, format_quantity


def _flag(field: str) -> str:
    return "--" + field.replace("_", "-") if field else ""


FLAG_BUDGET = "costsheet.flag_budget"  # ctx.meta: the budget was described with flags


def _option_flag(name: str) -> str | None:
    """The current command's flag for its argument ``name`` (``money`` → ``--budget``)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.name == name:
            return next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return None


def flag_for(key: str) -> str | None:
    """The flag that sets ``key``, or None: an argument of the command (``vary`` → ``--vary``),
    or an input of a budget the flags describe (``pools.cluster.gpu_type`` → ``--gpu``)."""
    if "." not in key:
        return _option_flag(key)
    ctx = click.get_current_context(silent=True)
    if ctx is None or not ctx.meta.get(FLAG_BUDGET):
        return None
    from .flags import argument_for

    arg = argument_for(key)
    return _option_flag(arg) if arg else None


def _no_flag(key: str) -> str | None:
    return None


def _error_flag(key: str, flags: bool) -> str | None:
    """The flag to show with an error about ``key``: :func:`flag_for` for a command whose flags
    describe a budget; else only the command's own option for an argument (``as_of`` →
    ``--as-of``), since an input key of a workbook command names a cell, not a flag."""
    if flags:
        return flag_for(key)
    return None if "." in key else _option_flag(key)


def fail(exc: CostsheetError, *, flags: bool = False, tip: str | None = None) -> None:
    """Print an expected failure and exit 2.

    With ``flags``, a problem about an argument or flag-described input is shown with its flag
    (``error: --gpu-price: ...``); ``tip`` is the tip for a report that brings none.
    """
    flag_of = flag_for if flags else _no_flag
    problems = exc.report.problems if exc.report is not None else []
    if exc.report is not None and problems:
        if exc.report.source and not flags:  # name the workbook once, above its cells
            from pathlib import Path

            name = Path(exc.report.source).name
            head = exc.message if exc.message.startswith(name) else f"{name}: {exc.message}"
            click.echo(f"error: {head}", err=True)
        for err in problems:
            flag = None if err.sheet else flag_of(err.field)
            if flag:
                got = "" if err.value in (None, "") else f" (got {err.value!r})"
                click.echo(f"error: {flag}: {err.message}{got}", err=True)
            else:
                click.echo(f"error: {err}", err=True)
    else:
        flag = _error_flag(exc.key, flags) if exc.key else None
        click.echo(f"error: {flag}: {exc.message}" if flag else f"error: {exc.message}", err=True)
    hint = exc.hint or (tip if problems else None)
    if hint:
        click.echo(f"tip: {hint}", err=True)
    sys.exit(2)


def expected_errors(
    flags: bool = False, tip: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except CostsheetError as exc:
                fail(exc, flags=flags, tip=tip)

        return wrapper

    return deco


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="costsheet")
def main() -> None:
    """costsheet: plan and defend the cost of training a large language model."""


def run_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The flags that describe one training run, shared by `estimate` and `solve`."""
    flags = [
        click.option("--params", help="Total parameters, e.g. 405B or 7e9."),
        click.option("--active-params", help="Active parameters per token (MoE), e.g. 37B."),
        click.option("--tokens", help="Training tokens, e.g. 14.8T."),
        click.option("--flops", help="Training FLOPs instead of 6 x params x tokens, e.g. 3.8e25."),
        click.option("--gpu-hours", help="GPU-hours, instead of deriving them, e.g. 2.788M."),
        click.option("--gpu", help="GPU type from the catalog (`costsheet gpus`), e.g. H100."),
        click.option("--gpu-count", help="GPUs in the cluster (for wall-clock days), e.g. 2,048."),
        click.option("--mfu", help="Model FLOPs utilisation, 0.4 or 40% (default: the median of "
                     "published runs on the GPU's generation, with a range; `costsheet runs`)."),
        click.option("--price", help="Rental price per GPU-hour (default: the catalog's)."),
        click.option("--own", is_flag=True, help="Owned hardware: depreciation instead of rent."),
        click.option("--gpu-price", help="With --own: purchase price per GPU (default: catalog)."),
        click.option("--life-years", help="With --own: depreciation life in years (default 4)."),
        click.option("--power-w", help="Average W per GPU including its server share."),
        click.option("--pue", help="Power usage effectiveness, >= 1 (default 1.2)."),
        click.option("--kwh-price", help="Electricity price per kWh (default 0.08; owned only)."),
        click.option("--currency", default="USD", show_default=True, help="Currency of prices."),
        click.option("--fp8", is_flag=True, help="MFU refers to the GPU's FP8 peak, not BF16."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]
    for flag in reversed(flags):
        fn = flag(fn)
    return fn


@main.command()
@run_flags
@click.option("--carbon", help="Grid intensity, kg CO2 per kWh (default 0.4).")
@click.option("--price-basis", type=click.Choice(["on-demand", "committed"]), default=None,
              help="Which catalog price to rent at when --price is not given (default on-demand; "
              "committed: multi-year commitment, where the catalog has one).")
@click.option("--server-premium", help="With --own: server cost per GPU / GPU price (default 1.6).")
@click.option("--networking-share", help="With --own: interconnect share of the cluster's cost, "
              "e.g. 19% (default).")
@click.option("--experiments",
              help="Sweeps and ablations: EXTRA GPU-hours / final run's, e.g. 1.2.")
@click.option("--experiments-total", help="The same the Epoch AI way: ALL GPU-hours / final "
              "run's, e.g. 2.2 (= --experiments 1.2).")
@click.option("--staff", help="R&D staff line: headcount, e.g. 10 (with --staff-salary).")
@click.option("--staff-salary", help="Annual salary per person, e.g. 300k (burden 30% added).")
@click.option("--staff-months", help="Months of the staff line (default 12).")
@expected_errors(flags=True, tip="run `costsheet estimate --help` for the accepted forms")
def estimate(as_json: bool, own: bool, fp8: bool, currency: str, **flags: Any) -> None:
    """Estimate the cost of one training run from a few numbers.

    Without --mfu or --gpu-hours the MFU is the median of published runs on the GPU's chip
    generation, and the result shows their P10-P90 range.

    \b
    Examples:
      costsheet estimate --gpu H800 --gpu-hours 2.788M --price 2
      costsheet estimate --params 405B --tokens 15.6T --gpu H100 --mfu 40% --gpu-count 16384
      costsheet estimate --params 671B --active-params 37B --tokens 14.8T
      costsheet estimate --params 70B --tokens 2T --gpu H100 --experiments-total 2.2
    """
    from .estimate import estimate as run_estimate

    click.get_current_context().meta[FLAG_BUDGET] = True
    result = run_estimate(own=own, currency=currency, precision="fp8" if fp8 else "bf16",
                          **flags)
    if as_json:
        data = result.to_dict()
        data.pop("lines", None)
        dump_json(data)
        return
    render_estimate(result)


def render_estimate(e: Any) -> None:
    cur = e.currency
    inp = e.inputs
    rows: list[tuple[str, str]] = []
    if e.flops is not None:
        rows.append(("Training FLOPs", f"{e.flops:.4g}"))
    if e.gpu_hours is not None:
        how = "given" if inp.get("gpu_hours") is not None else (
            f"{inp.get('gpu')} at MFU {e.mfu:.1%}"
            + (" of the FP8 peak" if inp.get("precision") == "fp8" else ""))
        rows.append(("GPU-hours", f"{e.gpu_hours:,.0f}  ({how})"))
        if e.gpu_hours_range is not None:
            low, high = e.gpu_hours_range
            rows.append(("  P10-P90 range", f"{low:,.0f} to {high:,.0f}"))
            rows.append(("  MFU from", e.mfu_basis))
        if e.mfu is not None and inp.get("gpu_hours") is not None:
            rows.append(("Implied MFU", f"{e.mfu:.1%}"))
    if e.wall_clock_days is not None:
        rows.append(("Wall-clock days", f"{e.wall_clock_days:,.1f}  ({inp['gpu_count']:,} GPUs)"))
    if e.compute_cost is not None:
        rate = inp.get("price_per_gpu_hour")
        how = f"{format_money(rate, cur)}/GPU-h" if rate is not None else "owned, depreciated"
        rows.append(("Compute cost", f"{format_money(e.compute_cost, cur)}  ({how})"))
    if e.energy_kwh is not None:
        rows.append(("Energy", f"{format_quantity(e.energy_kwh)} kWh  (facility: server share, "
                               f"average draw, PUE)"))
        if e.gpu_tdp_energy_kwh is not None:
            rows.append(("GPU TDP energy", f"{format_quantity(e.gpu_tdp_energy_kwh)} kWh  "
                                           "(GPU-hours x TDP, as model cards report)"))
        if e.energy_cost is not None:
            note = "  (in the rental price)" if not inp.get("own") else ""
            rows.append(("Energy cost", f"{format_money(e.energy_cost, cur)}{note}"))
    if e.co2_kg is not None:
        rows.append(("CO2", f"{e.co2_kg / 1000:,.0f} t"))
    if e.families is not None:
        for fam, label in (("staff", "Staff"), ("experiments", "Experiments")):
            if e.families.get(fam):
                rows.append((label, format_money(e.families[fam], cur)))
    if e.total_cost is not None:
        rows.append(("Total", format_money(e.total_cost, cur)))
        if e.total_cost_range is not None:
            low, high = e.total_cost_range
            rows.append(("  P10-P90 range",
                         f"{format_money(low, cur)} to {format_money(high, cur)}"))
    width = max(len(k) for k, _ in rows) if rows else 10
    for k, val in rows:
        click.echo(f"  {k:<{width}}  {val}")
    if e.missing:
        click.echo("")
        click.echo("To estimate the rest, also give:")
        for item in e.missing:
            click.echo(f"  - {_flags_in(item)}")


def _flags_in(need: dict[str, Any]) -> str:
    alts = [" and ".join(_flag(p) for p in arg.split(" and ")) for arg in need["args"]]
    return f"{' or '.join(alts)}: {need['why']}"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def gpus(as_json: bool) -> None:
    """List the GPU catalog: peak throughput, power and dated, sourced prices."""
    from .catalog import default_catalog

    cat = default_catalog()
    if as_json:
        dump_json([s.to_dict() for s in cat])
        return
    click.echo(f"{'GPU':<10} {'BF16 TFLOP/s':>12} {'FP8':>8} {'TDP W':>6} "
               f"{'$/GPU-h':>8} {'$/GPU':>8}  price source")
    for s in cat:
        fp8 = f"{s.fp8_dense_tflops:,.0f}" if s.fp8_dense_tflops else "-"
        rent = f"{s.price_per_gpu_hour:.2f}" if s.price_per_gpu_hour is not None else "-"
        buy = f"{s.purchase_price_per_gpu:,.0f}" if s.purchase_price_per_gpu else "-"
        click.echo(f"{s.key:<10} {s.bf16_dense_tflops:>12,.1f} {fp8:>8} {s.tdp_w:>6,.0f} "
                   f"{rent:>8} {buy:>8}  {s.price_source} ({s.price_date})")


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False), required=False)
@click.option("--into", "into", type=click.Path(dir_okay=False),
              help="Add the input sheets to this existing workbook instead (nothing of it is "
              "lost; a backup is kept).")
@click.option("--example", is_flag=True, help="Pre-fill a worked example that runs as it is.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of labels and help (keys are the same in every language).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option("--prefix", default="", metavar="TEXT",
              help="With --into: start the name of every sheet costsheet adds or writes with "
              "this, e.g. \"LLM \" (LLM Drivers, LLM Summary), so that they sit beside your own "
              "Data or Summary sheets. The workbook remembers it.")
@expected_errors()
def new(workbook: str | None, into: str | None, example: bool, lang: str, force: bool,
        prefix: str) -> None:
    """Write a new budget workbook template to fill in.

    \b
    Examples:
      costsheet new budget.xlsx
      costsheet new --example budget.xlsx
      costsheet new --lang zh 预算.xlsx
      costsheet new --into team-plan.xlsx    (add the input sheets to your workbook)
      costsheet new --into team-plan.xlsx --prefix "LLM "    (beside your own Data, Summary)
    """
    if (workbook is None) == (into is None):
        raise click.UsageError("give a new WORKBOOK to write, or --into an existing one")
    if prefix and into is None:
        raise click.UsageError("--prefix goes with --into (a new workbook has no sheets of "
                               "yours to make room for)")
    if into is not None:
        from .workbook.add_inputs import SheetNameClash, add_input_sheets

        try:
            added = add_input_sheets(into, lang=lang, example=example, prefix=prefix)
        except SheetNameClash as exc:
            exc.hint = prefix_tip(into, exc.sheets, exc.prefix)
            raise
        click.echo(f"added {', '.join(added.sheets)} to {added.output}; fill the yellow cells, "
                   f"then run `costsheet check {added.output.name}`")
        if added.readme_skipped:
            click.echo("(the workbook already has a README sheet; costsheet's was not added)")
        if added.backup is not None:
            click.echo(f"Previous version kept as {added.backup}")
        return
    from .workbook.template import new_template

    assert workbook is not None
    path = new_template(workbook, lang=lang, example=example, force=force)
    what = "worked example" if example else "template"
    click.echo(f"wrote {path} ({what}); fill the yellow cells, then run "
               f"`costsheet check {path.name}`")


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@expected_errors()
def check(workbook: str, as_json: bool) -> None:
    """Check a budget workbook: every bad cell as Sheet!Cell; the file is never changed.

    Exit code 0 when the budget can be computed, 2 when anything must be fixed.
    """
    from .workbook.run import read_workbook

    inputs = read_workbook(workbook)
    result, report = inputs.read, inputs.report
    if as_json:
        dump_json({**report.to_dict(), "scenarios": result.scenarios})
        if not inputs.ok:
            sys.exit(2)
        return
    if result.fatal is not None:
        raise result.fatal
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not inputs.ok:
        n = len(report.problems)
        name = click.format_filename(workbook)
        raise InputError(
            f"{n} problem{'s' if n != 1 else ''} found", report=report,
            hint=f"fix {'these' if n != 1 else 'this'} {n} cell{'s' if n != 1 else ''} and run "
                 f"`costsheet check {name}` again; the file was not changed")
    click.echo(f"ok: {result.summary()}")


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help="Write the result to this file instead of in place.")
@click.option("--scenario", "scenarios", multiple=True,
              help="Compute only this scenario (repeatable). Default: every scenario.")
@click.option("--as-of", "as_of", metavar="YYYY-MM",
              help="Months up to this one are actual (default: the latest month with actuals).")
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="Monte Carlo trials for the Risk sheet (default 10,000).")
@click.option("--seed", type=int, default=None,
              help="Random seed (default: a fixed one, written on the Risk sheet).")
@click.option("--replace-sheet", "replace_sheets", multiple=True, metavar="NAME",
              help="Replace this sheet although it is not costsheet's (one of its result "
              "sheets' names; repeatable). The file as it was is kept as a backup first.")
@click.option("--json", "as_json", is_flag=True, help="Print totals as one JSON object.")
@expected_errors()
def run(workbook: str, out: str | None, scenarios: tuple[str, ...], as_json: bool,
        as_of: str | None, trials: int | None, seed: int | None,
        replace_sheets: tuple[str, ...]) -> None:
    """Compute a filled budget workbook and write its result sheets back into it.

    Writes (or replaces) costsheet's nine sheets: Summary, Line items, Checks, Scenarios,
    Sensitivity, Risk, Monthly, Variance and Refresh log. Your own sheets are kept as they are.

    \b
    Examples:
      costsheet run budget.xlsx
      costsheet run budget.xlsx -o result.xlsx --scenario Base --scenario High
      costsheet run budget.xlsx --as-of 2026-03    (Monthly/Variance of the first --scenario)
      costsheet run budget.xlsx --trials 100000 --seed 7
      costsheet run budget.xlsx --replace-sheet Risk    (your own sheet called Risk goes)
    """
    from pathlib import Path

    from .model.montecarlo import DEFAULT_TRIALS
    from .workbook.ownership import ForeignSheetError
    from .workbook.run import run_workbook

    progress = TrialProgress(trials or DEFAULT_TRIALS)
    try:
        result = run_workbook(Path(workbook), out=Path(out) if out else None,
                              scenarios=list(scenarios) or None, as_of=as_of,
                              monthly_scenario=scenarios[0] if scenarios else None,
                              trials=trials, seed=seed, progress=progress,
                              replace_sheets=replace_sheets)
    except ForeignSheetError as exc:
        exc.hint = replace_tip(workbook, exc.sheets, in_place=out is None)
        raise
    except CostsheetError as exc:  # the reader's warnings explain some errors (missing column)
        for warning in exc.report.warnings if exc.report is not None else []:
            click.echo(f"warning: {warning}", err=True)
        raise
    finally:
        progress.close()
    if as_json:
        dump_json(result.to_dict())
        return
    render_run(result)


def _shell_quoted(text: str) -> str:
    """``text`` as one argument on a command line (double quotes: bash, PowerShell, cmd)."""
    import re

    if re.fullmatch(r"[\w.,+:/\\-]+", text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def replace_tip(workbook: str, sheets: list[str], *, in_place: bool) -> str:
    """The way out of a refusal to replace sheets that are not costsheet's, with the flags."""
    names = ", ".join(repr(n) for n in sheets)
    them = "them" if len(sheets) > 1 else "it"
    flags = " ".join(f"--replace-sheet {_shell_quoted(n)}" for n in sheets)
    kept = (" (the file as it is now is kept in .costsheet-backups/ first)" if in_place
            else "")
    return (f"rename {names} in your workbook and run again (costsheet then writes its own "
            f"beside {them}), or let costsheet replace {them}: `costsheet run "
            f"{_shell_quoted(click.format_filename(workbook))} {flags}`{kept}")


def prefix_tip(workbook: str, sheets: list[str], prefix: str) -> str:
    """The way out of ``new --into`` on a workbook with sheets named like costsheet's."""
    if prefix:
        return (f"choose another prefix than {prefix!r} with --prefix, or rename "
                f"{', '.join(repr(n) for n in sheets)} first")
    return (f"put costsheet's sheets beside yours under a prefix: `costsheet new --into "
            f'{_shell_quoted(click.format_filename(workbook))} --prefix "LLM "` (they become '
            "'LLM Drivers', … 'LLM Summary'; check and run find them), or rename "
            f"{', '.join(repr(n) for n in sheets)} first")


class TrialProgress:
    """A progress bar on stderr for Monte Carlo trials, shown once a run passes one second."""

    def __init__(self, total: int, delay_s: float = 1.0):
        import time

        self.total, self.done, self.delay_s = total, 0, delay_s
        self.start = time.monotonic()
        self.bar: Any = None

    def __call__(self, n: int) -> None:
        import time

        self.done += n
        if self.bar is None and self.done < self.total and \
                time.monotonic() - self.start > self.delay_s:
            self.bar = click.progressbar(length=self.total, label="Monte Carlo trials",
                                         file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(self.done - n)
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def render_risk(analysis: Any, cur: str) -> None:
    risk = analysis.risk
    st = risk.stats()
    click.echo(f"Risk ({risk.trials:,} trials, seed {risk.seed}): P10 {format_money(st.p10, cur)}"
               f" · P50 {format_money(st.p50, cur)} · P80 {format_money(st.p80, cur)}"
               f" · P90 {format_money(st.p90, cur)}")
    top = [c for c in risk.contributions() if c.share > 0][:3]
    if top:
        from .model.sensitivity import label_for

        click.echo("  most of the spread: " + ", ".join(
            f"{label_for(c.key)} {c.share:.0%}" for c in top))
    bars = analysis.tornado.moving[:3]
    if bars:
        click.echo("  largest swings one at a time: " + ", ".join(
            f"{b.label} {format_money(b.swing, cur)}" for b in bars))


def render_run(result: Any) -> None:
    from .inputs import FAMILIES, FAMILY_LABELS

    cur = result.currency
    names = result.scenarios
    rows: list[tuple[str, list[str]]] = []

    def money(v: Any) -> str:
        return "-" if float(v) == 0 else format_money(v, cur)

    for fam in FAMILIES:
        rows.append((FAMILY_LABELS[fam], [money(result.results[n].totals[fam]) for n in names]))
    rows.append(("Total", [money(result.results[n].total) for n in names]))
    figures = (("gpu_hours", "GPU-hours", format_quantity),
               ("wall_clock_days", "Wall-clock days", lambda v: f"{v:,.1f}"),
               ("cost_per_million_tokens", "Cost per M tokens", lambda v: format_money(v, cur)))
    for key, label, fmt in figures:
        vals = [result.results[n].metrics.get(key) for n in names]
        if any(v is not None for v in vals):
            rows.append((label, ["-" if v is None else fmt(v) for v in vals]))
    first = max(len(r[0]) for r in rows)
    widths = [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]
    def cells(values: list[str]) -> str:
        return "  ".join(f"{v:>{w}}" for v, w in zip(values, widths, strict=True))

    click.echo(f"  {'':<{first}}  " + cells(names))
    for label, vals in rows:
        line = f"  {label:<{first}}  " + cells(vals)
        click.echo(click.style(line, bold=True) if label == "Total" else line)
    click.echo("")
    written = "in place" if result.output == result.source else f"to {result.output}"
    click.echo(f"Wrote {', '.join(result.owned_sheets)} {written}.")
    if result.backup is not None:
        click.echo(f"Previous version kept as {result.backup}")
    if getattr(result, "risk", None) is not None:
        render_risk(result.risk, cur)
    if getattr(result, "monthly", None) is not None:
        for line in result.monthly.messages():
            click.echo(line)
    reading = getattr(result, "reading_formulas", [])
    if reading:
        shown = ", ".join(reading[:3]) + (", …" if len(reading) > 3 else "")
        click.echo(f"note: {len(reading)} formula{'s' if len(reading) != 1 else ''} of yours "
                   f"read these results ({shown}). Excel recalculates them when it opens the "
                   "file; LibreOffice shows their old values until you recalculate (Data > "
                   "Calculate > Recalculate Hard, Ctrl+Shift+F9).")
    warnings = result.warnings
    if warnings:
        click.echo(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} "
                   "(also on the Checks sheet):")
        for c in warnings:
            click.echo(f"  - {c}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the functions as JSON.")
@click.option("--markdown", is_flag=True, help="Print the reference of docs/excel-functions.md.")
@expected_errors()
def functions(as_json: bool, markdown: bool) -> None:
    """List the Excel functions (=LLMCOST and friends) with their signatures."""
    from .functions import list_functions, reference_markdown

    if markdown:
        click.echo(reference_markdown(), nl=False)
        return
    infos = list_functions()
    if as_json:
        dump_json([f.to_dict() for f in infos])
        return
    for f in infos:
        click.echo(f.signature)
        click.echo(f"    {f.summary}")
    click.echo("\nOptional arguments are in [brackets]; every argument also takes a range.")


@main.command()
@click.argument("args", nargs=-1, metavar="[chinchilla] [WORKBOOK]")
@click.option("--target", help="Goal seek: METRIC=VALUE, e.g. total=5M, wall_clock_days=60, "
              "'total<=5M', total=own (cost of owning), total=High (a scenario's total).")
@click.option("--vary", help="Goal seek: the input to change: a driver (mfu, kwh_price), an "
              "input key (pools.h800.price_per_gpu_hour) or price, gpu_price, gpus, tokens.")
@click.option("--low", help="Goal seek: lowest value to try (default: the input's range).")
@click.option("--high", help="Goal seek: highest value to try (default: range or 1,000x Base).")
@click.option("--budget", "money", help="chinchilla: the money to spend on GPU-hours, e.g. 5M.")
@click.option("--pool", help="chinchilla on a workbook: which pool (default: the only one).")
@click.option("--scenario", default="Base", show_default=True, help="Workbook scenario.")
@run_flags
@click.option("--term-months", help="Reserved or owned term in months (billed whole).")
@expected_errors(flags=True, tip="run `costsheet solve --help` for the accepted forms")
def solve(args: tuple[str, ...], as_json: bool, fp8: bool, own: bool, target: str | None,
          vary: str | None, low: str | None, high: str | None, money: str | None,
          pool: str | None, scenario: str, **flags: Any) -> None:
    """Goal seek: the input that hits a target, or the biggest compute-optimal run.

    \b
    Examples:
      costsheet solve chinchilla --budget 5M --gpu H100 --price 2 --mfu 40% --gpu-count 2048
      costsheet solve --target total=own --vary price --params 70B --tokens 1.4T --gpu H100
      costsheet solve --target wall_clock_days=60 --vary gpus --params 70B --tokens 1.4T --gpu H100
      costsheet solve --target 'total<=5M' --vary mfu --params 70B --tokens 1.4T --gpu H100
      costsheet solve budget.xlsx --target total=5M --vary pools.h800.price_per_gpu_hour
      costsheet solve chinchilla budget.xlsx --budget 5M --pool h800
    """
    chinchilla, workbook = _solve_words(args)
    precision = "fp8" if fp8 else None
    budget = None
    if workbook is not None:
        given = [k for k, v in flags.items() if v not in (None, "", False) and k != "currency"]
        if given or own:
            raise InputError(
                "with a workbook, the budget comes from the workbook: leave out "
                + ", ".join(_flag(k) for k in given + (["own"] if own else [])))
        budget = _read_budget_file(workbook)
    else:
        click.get_current_context().meta[FLAG_BUDGET] = True
    if chinchilla:
        answer: Any = _solve_chinchilla(budget, money, target, vary, pool, scenario, own,
                                        precision, flags)
    else:
        answer = _solve_seek(budget, target, vary, low, high, money, pool, scenario, own,
                             precision, flags)
    if as_json:
        dump_json(answer.to_dict())
        return
    for line in answer.lines():
        click.echo(line)


def _solve_words(args: tuple[str, ...]) -> tuple[bool, str | None]:
    """`[chinchilla] [WORKBOOK]` → (chinchilla?, workbook path or None)."""
    words = list(args)
    chinchilla = bool(words) and words[0].lower() in ("chinchilla", "compute-optimal")
    if chinchilla:
        words = words[1:]
    if len(words) > 1:
        raise InputError(f"too many arguments: {' '.join(args)}",
                         hint="costsheet solve [chinchilla] [WORKBOOK] [options]")
    return chinchilla, (words[0] if words else None)


def _solve_chinchilla(budget: Any, money: str | None, target: str | None, vary: str | None,
                      pool: str | None, scenario: str, own: bool, precision: str | None,
                      flags: dict[str, Any]) -> Any:
    if target or vary:
        raise InputError("chinchilla takes --budget, not --target/--vary")
    if money in (None, ""):
        raise InputError("chinchilla needs --budget, the money to spend (e.g. 5M)")
    if budget is not None:
        from .model.scenarios import apply_scenario
        from .model.solve import biggest_run

        return biggest_run(money, apply_scenario(budget, scenario), pool=pool,
                           precision=precision)
    from .flags import biggest_run_from_arguments

    return biggest_run_from_arguments(money, own=own, precision=precision, **flags)


def _solve_seek(budget: Any, target: str | None, vary: str | None, low: str | None,
                high: str | None, money: str | None, pool: str | None, scenario: str,
                own: bool, precision: str | None, flags: dict[str, Any]) -> Any:
    from .model.solve import goal_seek

    if not target or not vary:
        raise InputError("give --target and --vary (or use `costsheet solve chinchilla`)",
                         hint="e.g. costsheet solve --target total=5M --vary mfu --params 70B "
                              "--tokens 1.4T --gpu H100")
    if money not in (None, "") or pool:
        raise InputError("--budget and --pool are for `costsheet solve chinchilla`")
    if budget is not None:
        return goal_seek(budget, target, vary, low=low, high=high, scenario=scenario)
    from .flags import flag_budget

    budget = flag_budget(own=own, precision=precision or "bf16", **flags)
    if not budget.runs:
        raise InputError("describe the run: --params and --tokens, --flops or --gpu-hours",
                         hint="e.g. --params 70B --tokens 1.4T --gpu H100 --gpu-count 1024")
    return goal_seek(budget, target, vary, low=low, high=high)


def _read_budget_file(workbook: str) -> Any:
    """The budget of a workbook, or an error that lists its bad cells (as `check` does)."""
    from pathlib import Path

    from .workbook.reader import read_budget

    read = read_budget(Path(workbook))
    if read.fatal is not None:
        raise read.fatal
    if read.budget is None or not read.report.ok:
        name = Path(workbook).name
        n = len(read.report.problems)
        raise InputError(f"{name}: {n} problem{'s' if n != 1 else ''} found",
                         hint=f"fix these cells (`costsheet check {name}`)", report=read.report)
    return read.budget


# ---------------------------------------------------------------------------------------------
# costsheet runs: published training runs (library: reference_runs, model.utilisation,
# model.comparison, workbook.runs_comparison)


@main.command()
@click.option("--gpu", help="Only runs on this GPU's chip generation (H100 also lists H800).")
@click.option("--moe/--dense", "moe", default=None, help="Only mixture-of-experts / dense runs.")
@click.option("--compare", "workbook", type=click.Path(dir_okay=False),
              help="Place this budget's MFU, $/GPU-hour and cost per M tokens among the runs.")
@click.option("--scenario", default="Base", show_default=True, help="With --compare: scenario.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@expected_errors()
def runs(gpu: str | None, moe: bool | None, workbook: str | None, scenario: str,
         as_json: bool) -> None:
    """Published training runs: GPU-hours, what they cover and the MFU they imply.

    \b
    Examples:
      costsheet runs
      costsheet runs --gpu H100 --moe
      costsheet runs --compare budget.xlsx
    """
    if workbook is not None:
        from .workbook.runs_comparison import compare_workbook

        comparison = compare_workbook(workbook, scenario=scenario)
        if as_json:
            dump_json(comparison.to_dict())
            return
        click.echo(f"{click.format_filename(workbook)}: run {comparison.run!r} on "
                   f"{comparison.gpu or 'no catalog GPU'} ({scenario})")
        for p in comparison.placements:
            click.echo(f"  {p.sentence()}")
        for note in comparison.notes:
            click.echo(f"  note: {note}")
        return
    from .model.utilisation import run_implied_mfu
    from .reference_runs import select_runs

    chosen = select_runs(gpu=gpu, moe=moe)
    if as_json:
        dump_json([{**r.to_dict(), "implied_mfu": run_implied_mfu(r)} for r in chosen])
        return
    render_runs(chosen)


def render_runs(chosen: list[Any]) -> None:
    from .model.utilisation import run_implied_mfu

    head = (f"{'run':<34} {'date':<7} {'params':>12} {'tokens':>8} {'GPU':<9} "
            f"{'GPU-hours':>10} {'MFU':>6}  covers")
    click.echo(head)
    for r in chosen:
        mfu = run_implied_mfu(r)
        params = format_quantity(r.params_total) if r.params_total else "?"
        if r.params_active is not None:
            params += f"/{format_quantity(r.params_active)}"
        covers = r.gpu_hours_cover + ("" if r.gpu_hours_kind == "reported"
                                      else f", {r.gpu_hours_kind.replace('_', ' ')}")
        flags = ("" if r.in_statistics else " [not in statistics]") + (
            " [secondary]" if r.confidence == "secondary" else "")
        click.echo(f"{r.model[:34]:<34} {r.date:<7} {params:>12} "
                   f"{format_quantity(r.tokens) if r.tokens else '-':>8} {r.accelerator:<9} "
                   f"{format_quantity(r.gpu_hours):>10} "
                   f"{'-' if mfu is None else f'{mfu:.1%}':>6}  {covers}{flags}")
    click.echo(f"\n{len(chosen)} runs. MFU = 6 x active parameters x tokens / (GPU-hours x 3,600 "
               "x BF16 peak); sources and notes: `costsheet runs --json`.")


if __name__ == "__main__":  # pragma: no cover
    main()
