"""The command line: parse flags, call one library function, render its result.

Expected failures (:class:`~costsheet.errors.CostsheetError`) print ``error:`` lines and a
``tip:``, and exit with code 2; never a traceback.

Every command speaks one language (``--lang``; else the workbook's remembered language; else
the environment's locale; else English): it is set for the whole command
(:func:`costsheet.i18n.use_language`), so the library's messages, the sheets it writes and the
terminal output all follow it. ``--json`` field names, keys and exit codes are the same in every
language.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import CostsheetError, InputError, got_text, problems_found
from .i18n import (
    N_,
    SOURCE_LANGUAGE,
    _,
    available_languages,
    check_language,
    language_from_environment,
    ngettext,
    pad,
    reset_language,
    set_language,
    text_width,
)
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


def _error(text: str) -> None:
    click.echo(_("error: {message}").format(message=text), err=True)


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
    (``error: --gpu-price: ...``); ``tip`` is the tip for a report that brings none (an English
    msgid, translated here).
    """
    problems = exc.report.problems if exc.report is not None else []
    if exc.report is not None and problems:
        if exc.report.source and not flags:  # name the workbook once, above its cells
            from pathlib import Path

            name = Path(exc.report.source).name
            head = exc.message if exc.message.startswith(name) else f"{name}: {exc.message}"
            _error(head)
        for err in problems:
            flag = None if err.sheet else _error_flag(err.field, flags)
            if flag:
                _error(f"{flag}: {err.message}{got_text(err.value)}")
            else:
                _error(str(err))
    else:
        flag = _error_flag(exc.key, flags) if exc.key else None
        _error(f"{flag}: {exc.message}" if flag else exc.message)
    hint = exc.hint or (_(tip) if problems and tip else None)
    if hint:
        click.echo(_("tip: {tip}").format(tip=hint), err=True)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# the language of a command


def lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang zh|en`` (every command has it; :func:`expected_errors` applies it)."""
    return click.option(
        "--lang", type=click.Choice(list(available_languages())), default=None,
        help=N_("Language of messages and of the sheets written (default: the workbook's "
                "language, else the environment's locale, e.g. LANG=zh_CN.UTF-8). Keys, "
                "sheet names and --json fields are the same in every language."))(fn)


def command_language(flag: str | None, workbook: str | None = None) -> str:
    """The language a command speaks: ``--lang``; else the one ``workbook`` remembers (its
    ``costsheet.language`` property); else the environment's locale (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``); else English."""
    if flag:
        return check_language(flag)
    if workbook:
        from pathlib import Path

        if Path(workbook).is_file():
            from .workbook.language import workbook_language

            found = workbook_language(workbook)
            if found:
                return found
    return language_from_environment() or SOURCE_LANGUAGE


def _workbook_argument(kwargs: dict[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    value = kwargs.get(name)
    if isinstance(value, tuple):  # solve's `[chinchilla] [WORKBOOK]` words
        value = next((v for v in value if str(v).lower().endswith((".xlsx", ".xlsm"))), None)
    return str(value) if value else None


def expected_errors(
    flags: bool = False, tip: str | None = None, workbook: str | None = "workbook"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a command in its language (``--lang``, its ``workbook`` argument's language, the
    environment's) and turn expected failures into ``error:`` lines, a ``tip:`` and exit 2."""
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            lang = command_language(kwargs.pop("lang", None),
                                    _workbook_argument(kwargs, workbook))
            token = set_language(lang)
            try:
                return fn(*args, **kwargs)
            except CostsheetError as exc:
                fail(exc, flags=flags, tip=tip)
            finally:
                reset_language(token)

        return lang_option(wrapper)

    return deco


def dump_json(data: Any) -> None:
    """Print ``data`` as JSON; a NaN or infinite number in it is refused, never printed (JSON
    has no such numbers, and they would be a wrong figure)."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        raise CostsheetError(
            _("refused to print a result holding a number that is not finite (NaN or "
              "infinity)"), code="not_finite_output",
            hint=_("an input makes a cost overflow: check the inputs, and report this if they "
                   "are sound")) from None
    click.echo(text)


def echo_table(rows: list[tuple[str, str]], indent: str = "  ") -> None:
    """``label  value`` lines, the values aligned (CJK labels are two columns per character)."""
    width = max(text_width(k) for k, _v in rows) if rows else 10
    for k, val in rows:
        click.echo(f"{indent}{pad(k, width)}  {val}")


def _help_language() -> str:
    """The language of ``--help``: ``--lang`` if given on the command line, else the locale's
    (help is shown before the command's own options are read)."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else (
            arg.split("=", 1)[1] if arg.startswith("--lang=") else None)
        if value:
            from .i18n import normalise_language

            found = normalise_language(value)
            if found:
                return found
    return language_from_environment() or SOURCE_LANGUAGE


def translated_doc(doc: str) -> str:
    """A command's docstring in the current language. The msgid is the docstring as click
    cleans it, with click's no-rewrap mark (a backspace) written ``\\b`` (tools/messages.py
    extracts the same)."""
    msgid = inspect.cleandoc(doc).replace("\b", "\\b")
    return _(msgid).replace("\\b", "\b")


class _TranslatedHelp:
    """A command or group whose help texts are English msgids, shown in the help language
    (the docstring, and each option's ``help=N_(...)``). Click's own words (Usage, Options)
    stay as click writes them."""

    help: str | None

    def get_help(self, ctx: click.Context) -> str:
        from .i18n import use_language

        with use_language(_help_language()):
            saved = self.help
            params = [(p, p.help) for p in ctx.command.params
                      if isinstance(p, click.Option) and p.help]
            self.help = translated_doc(saved) if saved else saved
            for p, text in params:
                p.help = _(text)
            try:
                return super().get_help(ctx)  # type: ignore[misc, no-any-return]
            finally:
                self.help = saved
                for p, text in params:
                    p.help = text

    def get_short_help_str(self, limit: int = 45) -> str:
        from .i18n import use_language

        with use_language(_help_language()):
            saved = self.help
            self.help = translated_doc(saved) if saved else saved
            try:
                return super().get_short_help_str(limit)  # type: ignore[misc, no-any-return]
            finally:
                self.help = saved


class TranslatedCommand(_TranslatedHelp, click.Command):
    pass


class TranslatedGroup(_TranslatedHelp, click.Group):
    command_class = TranslatedCommand


@click.group(cls=TranslatedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="costsheet")
def main() -> None:
    """costsheet: plan and defend the cost of training a large language model."""


def run_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The flags that describe one training run, shared by `estimate` and `solve`."""
    opt = click.option
    flags = [
        opt("--params", help=N_("Total parameters, e.g. 405B or 7e9.")),
        opt("--active-params", help=N_("Active parameters per token (MoE), e.g. 37B.")),
        opt("--tokens", help=N_("Training tokens, e.g. 14.8T.")),
        opt("--flops", help=N_("Training FLOPs instead of 6 x params x tokens, e.g. 3.8e25.")),
        opt("--gpu-hours", help=N_("GPU-hours, instead of deriving them, e.g. 2.788M.")),
        opt("--gpu", help=N_("GPU type from the catalog (`costsheet gpus`), e.g. H100.")),
        opt("--gpu-count", help=N_("GPUs in the cluster (for wall-clock days), e.g. 2,048.")),
        opt("--mfu", help=N_("Model FLOPs utilisation, 0.4 or 40% (default: the median of "
                             "published runs on the GPU's generation, with a range; `costsheet "
                             "runs`).")),
        opt("--price", help=N_("Rental price per GPU-hour (default: the catalog's).")),
        opt("--own", is_flag=True, help=N_("Owned hardware: depreciation instead of rent.")),
        opt("--gpu-price", help=N_("With --own: purchase price per GPU (default: catalog).")),
        opt("--life-years", help=N_("With --own: depreciation life in years (default 4).")),
        opt("--power-w", help=N_("Average W per GPU including its server share.")),
        opt("--pue", help=N_("Power usage effectiveness, >= 1 (default 1.2).")),
        opt("--kwh-price", help=N_("Electricity price per kWh (default 0.08; owned only).")),
        opt("--currency", default="USD", show_default=True, help=N_("Currency of prices.")),
        opt("--fp8", is_flag=True, help=N_("MFU refers to the GPU's FP8 peak, not BF16.")),
        opt("--json", "as_json", is_flag=True, help=N_("Print one JSON object.")),
        opt("--stage", help=N_("Training stage: pretraining (default), midtraining, sft, "
                               "preference, rl, distillation, synthetic_data or evaluation "
                               "(docs/model.md, Stages).")),
        opt("--prompts", help=N_("RL, synthetic data, evaluation: prompts over the whole run, "
                                 "e.g. 332.8K.")),
        opt("--samples-per-prompt", help=N_("Completions per prompt (GRPO group), e.g. 16.")),
        opt("--prompt-tokens", help=N_("Mean prompt tokens per sample, e.g. 1K.")),
        opt("--generated-tokens", help=N_("Mean generated tokens per sample, e.g. 8K.")),
        opt("--teacher-params", help=N_("Distillation: the teacher's active parameters.")),
        opt("--reward-model-params", help=N_("Reward model or judge parameters (blank: "
                                             "rule-based rewards).")),
        opt("--decode-mfu", help=N_("Utilisation while generating, e.g. 1% (default: RL 1%, "
                                    "synthetic data and evaluation 14%).")),
        opt("--layers", help=N_("Transformer layers (attention FLOPs, activation memory).")),
        opt("--hidden-size", help=N_("Model width, e.g. 7,168.")),
        opt("--seq-len", help=N_("Training sequence length (activation memory), e.g. 8K.")),
    ]
    for flag in reversed(flags):
        fn = flag(fn)
    return fn


@main.command()
@run_flags
@click.option("--carbon", help=N_("Grid intensity, kg CO2 per kWh (default 0.4)."))
@click.option("--price-basis", type=click.Choice(["on-demand", "committed"]), default=None,
              help=N_("Which catalog price to rent at when --price is not given (default "
                      "on-demand; committed: multi-year commitment, where the catalog has one)."))
@click.option("--server-premium",
              help=N_("With --own: server cost per GPU / GPU price (default 1.6)."))
@click.option("--networking-share",
              help=N_("With --own: interconnect share of the cluster's cost, e.g. 19% "
                      "(default)."))
@click.option("--experiments",
              help=N_("Sweeps and ablations: EXTRA GPU-hours / final run's, e.g. 1.2."))
@click.option("--experiments-total",
              help=N_("The same the Epoch AI way: ALL GPU-hours / final run's, e.g. 2.2 (= "
                      "--experiments 1.2)."))
@click.option("--staff", help=N_("R&D staff line: headcount, e.g. 10 (with --staff-salary)."))
@click.option("--staff-salary",
              help=N_("Annual salary per person, e.g. 300k (burden 30% added)."))
@click.option("--staff-months", help=N_("Months of the staff line (default 12)."))
@expected_errors(flags=True, tip=N_("run `costsheet estimate --help` for the accepted forms"))
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
      costsheet estimate --stage rl --params 70B --gpu H100 --prompts 100K --generated-tokens 8K
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


def _with(value: str, note: str) -> str:
    """``2,788,000  (given)``: a value and what it rests on."""
    return _("{value}  ({note})").format(value=value, note=note)


def _estimate_compute_rows(e: Any, cur: str) -> list[tuple[str, str]]:
    inp = e.inputs
    rows: list[tuple[str, str]] = []
    if e.flops is not None:
        rows.append((_("Training FLOPs"), f"{e.flops:.4g}"))
    if e.gpu_hours is not None:
        rows += _gpu_hour_rows(e)
    if e.wall_clock_days is not None:
        rows.append((_("Wall-clock days"), _("{days}  ({gpus} GPUs)").format(
            days=f"{e.wall_clock_days:,.1f}", gpus=f"{inp['gpu_count']:,}")))
    if e.min_gpus is not None:
        rows.append((_("Min GPUs"), _min_gpus_text(e)))
    if e.compute_cost is not None:
        rate = inp.get("price_per_gpu_hour")
        how = (_("{price}/GPU-h").format(price=format_money(rate, cur)) if rate is not None
               else _("owned, depreciated"))
        rows.append((_("Compute cost"), _with(format_money(e.compute_cost, cur), how)))
    return rows


def _estimate_energy_rows(e: Any, cur: str) -> list[tuple[str, str]]:
    inp = e.inputs
    rows: list[tuple[str, str]] = []
    if e.energy_kwh is not None:
        rows.append((_("Energy"), _("{kwh} kWh  (facility: server share, average draw, "
                                    "PUE)").format(kwh=format_quantity(e.energy_kwh))))
        if e.gpu_tdp_energy_kwh is not None:
            rows.append((_("GPU TDP energy"), _("{kwh} kWh  (GPU-hours x TDP, as model cards "
                                                "report)").format(
                kwh=format_quantity(e.gpu_tdp_energy_kwh))))
        if e.energy_cost is not None:
            note = "  " + _("(in the rental price)") if not inp.get("own") else ""
            rows.append((_("Energy cost"), f"{format_money(e.energy_cost, cur)}{note}"))
    if e.co2_kg is not None:
        rows.append((_("CO2"), _("{tonnes} t").format(tonnes=f"{e.co2_kg / 1000:,.0f}")))
    return rows


def render_estimate(e: Any) -> None:
    cur = e.currency
    rows = _estimate_compute_rows(e, cur) + _estimate_energy_rows(e, cur)
    if e.families is not None:
        for fam, label in (("staff", N_("Staff")), ("experiments", N_("Experiments"))):
            if e.families.get(fam):
                rows.append((_(label), format_money(e.families[fam], cur)))
    if e.total_cost is not None:
        rows.append((_("Total"), format_money(e.total_cost, cur)))
        if e.total_cost_range is not None:
            low, high = e.total_cost_range
            rows.append(("  " + _("P10-P90 range"), _("{low} to {high}").format(
                low=format_money(low, cur), high=format_money(high, cur))))
    echo_table(rows)
    if e.missing:
        click.echo("")
        click.echo(_("To estimate the rest, also give:"))
        for item in e.missing:
            click.echo(f"  - {_flags_in(item)}")


def _gpu_hour_rows(e: Any) -> list[tuple[str, str]]:
    """GPU-hours, how they were found, their P10-P90 range and the implied MFU."""
    inp = e.inputs
    rows: list[tuple[str, str]] = []
    if inp.get("gpu_hours") is not None:
        how = _("given")
    elif e.decode_mfu is not None:
        how = _("{gpu}: {stage}, generated tokens at decode MFU {decode:.1%}, the rest at the "
                "run's MFU; {mfu:.1%} overall").format(gpu=inp.get("gpu"), stage=e.stage,
                                                       decode=e.decode_mfu, mfu=e.mfu)
    elif inp.get("precision") == "fp8":
        how = _("{gpu} at MFU {mfu:.1%} of the FP8 peak").format(gpu=inp.get("gpu"), mfu=e.mfu)
    else:
        how = _("{gpu} at MFU {mfu:.1%}").format(gpu=inp.get("gpu"), mfu=e.mfu)
    rows.append((_("GPU-hours"), _with(f"{e.gpu_hours:,.0f}", how)))
    if e.gpu_hours_range is not None:
        low, high = e.gpu_hours_range
        rows.append(("  " + _("P10-P90 range"),
                     _("{low} to {high}").format(low=f"{low:,.0f}", high=f"{high:,.0f}")))
        rows.append(("  " + _("MFU from"), e.mfu_basis))
    if e.mfu is not None and inp.get("gpu_hours") is not None:
        rows.append((_("Implied MFU"), f"{e.mfu:.1%}"))
    return rows


def _min_gpus_text(e: Any) -> str:
    """``81 H100 by memory; does NOT fit on 64``: the fewest GPUs whose memory holds the run,
    whether the GPU count given does, and what the count leaves out."""
    import math

    inp = e.inputs
    if not math.isfinite(e.min_gpus):
        return _("none: no number of {gpu} GPUs holds it (docs/model.md, Will it fit)").format(
            gpu=inp.get("gpu"))
    text = _("{n} {gpu} by memory").format(n=f"{e.min_gpus:,.0f}", gpu=inp.get("gpu"))
    if e.fits is False:
        text += "; " + _("does NOT fit on {n}").format(n=f"{inp['gpu_count']:,}")
    elif e.fits:
        text += "; " + _("fits on {n}").format(n=f"{inp['gpu_count']:,}")
    if e.memory_not_counted:  # e.g. activations without layers, hidden size, sequence length
        text += "; " + _("not counted: {what}").format(what="; ".join(e.memory_not_counted))
    return text


def _flags_in(need: dict[str, Any]) -> str:
    alts = [_(" and ").join(_flag(p) for p in arg.split(" and ")) for arg in need["args"]]
    return _("{flags}: {why}").format(flags=_(" or ").join(alts), why=need["why"])


@main.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print the catalog as JSON."))
@expected_errors(workbook=None)
def gpus(as_json: bool) -> None:
    """List the GPU catalog: peak throughput, power and dated, sourced prices."""
    from .catalog import default_catalog

    cat = default_catalog()
    if as_json:
        dump_json([s.to_dict() for s in cat])
        return
    tdp, rent, buy, source = _("TDP W"), _("$/GPU-h"), _("$/GPU"), _("price source")
    click.echo(f"{'GPU':<10} {'BF16 TFLOP/s':>12} {'FP8':>8} {pad(tdp, 6, '>')} "
               f"{pad(rent, 8, '>')} {pad(buy, 8, '>')}  {source}")
    for s in cat:
        fp8 = f"{s.fp8_dense_tflops:,.0f}" if s.fp8_dense_tflops else "-"
        rent = f"{s.price_per_gpu_hour:.2f}" if s.price_per_gpu_hour is not None else "-"
        buy = f"{s.purchase_price_per_gpu:,.0f}" if s.purchase_price_per_gpu else "-"
        click.echo(f"{s.key:<10} {s.bf16_dense_tflops:>12,.1f} {fp8:>8} {s.tdp_w:>6,.0f} "
                   f"{rent:>8} {buy:>8}  {s.price_source} ({s.price_date})")


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False), required=False)
@click.option("--into", "into", type=click.Path(dir_okay=False),
              help=N_("Add the input sheets to this existing workbook instead (nothing of it is "
              "lost; a backup is kept)."))
@click.option("--example", is_flag=True, help=N_("Pre-fill a worked example that runs as it is."))
@click.option("--force", is_flag=True, help=N_("Replace the file if it exists."))
@click.option("--prefix", default="", metavar="TEXT",
              help=N_("With --into: start the name of every sheet costsheet adds or writes "
                      "with this, e.g. \"LLM \" (LLM Drivers, LLM Summary), so that they sit "
                      "beside your own Data or Summary sheets. The workbook remembers it."))
@expected_errors(workbook=None)
def new(workbook: str | None, into: str | None, example: bool, force: bool,
        prefix: str) -> None:
    """Write a new budget workbook template to fill in.

    \b
    Examples:
      costsheet new budget.xlsx
      costsheet new --example budget.xlsx
      costsheet new --lang zh 预算.xlsx
      costsheet new --into team-plan.xlsx    (add the input sheets to your workbook)
      costsheet new --into team-plan.xlsx --prefix "LLM "    (beside your own Data, Summary)

    The workbook remembers its language (--lang, else the environment's locale): `check` and
    `run` on it speak that language.
    """
    from .i18n import get_language

    lang = get_language()
    if (workbook is None) == (into is None):
        raise click.UsageError(_("give a new WORKBOOK to write, or --into an existing one"))
    if prefix and into is None:
        raise click.UsageError(_("--prefix goes with --into (a new workbook has no sheets of "
                                 "yours to make room for)"))
    if into is not None:
        from .workbook.add_inputs import SheetNameClash, add_input_sheets

        try:
            added = add_input_sheets(into, lang=lang, example=example, prefix=prefix)
        except SheetNameClash as exc:
            exc.hint = prefix_tip(into, exc.sheets, exc.prefix)
            raise
        click.echo(_("added {sheets} to {path}; fill the yellow cells, then run `costsheet "
                     "check {name}`").format(sheets=", ".join(added.sheets), path=added.output,
                                             name=added.output.name))
        if added.readme_skipped:
            click.echo(_("(the workbook already has a README sheet; costsheet's was not "
                         "added)"))
        if added.backup is not None:
            click.echo(_("Previous version kept as {path}").format(path=added.backup))
        return
    from .workbook.template import new_template

    assert workbook is not None
    path = new_template(workbook, lang=lang, example=example, force=force)
    message = (_("wrote {path} (worked example); fill the yellow cells, then run `costsheet "
                 "check {name}`") if example else
               _("wrote {path} (template); fill the yellow cells, then run `costsheet check "
                 "{name}`"))
    click.echo(message.format(path=path, name=path.name))


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="YYYY-MM",
              help=N_("Check the monthly plan as `run --as-of` makes it (default: the latest "
                      "month with actuals)."))
@click.option("--scenario", default=None,
              help=N_("Check the monthly plan of this scenario, as `run --scenario` makes it "
                      "(default: the first)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as one JSON object."))
@expected_errors()
def check(workbook: str, as_json: bool, as_of: str | None, scenario: str | None) -> None:
    """Check a budget workbook: every bad cell as Sheet!Cell; the file is never changed.

    Every sheet is read, every problem and every warning `run` would give is shown. Exit code
    0 when the budget can be computed, 2 when anything must be fixed.
    """
    from .workbook.run import read_workbook

    inputs = read_workbook(workbook, as_of=as_of, scenario=scenario)
    result, report = inputs.read, inputs.report
    if as_json:
        dump_json({**report.to_dict(), "scenarios": result.scenarios,
                   "checks": [c.to_dict() for c in inputs.checks]})
        if not inputs.ok:
            sys.exit(2)
        return
    if result.fatal is not None:
        raise result.fatal
    for warning in report.warnings:
        echo_warning(warning)
    for c in inputs.checks:
        if c.severity == "warning":
            echo_warning(c)
    if not inputs.ok:
        n = len(report.problems)
        raise InputError(problems_found(n), report=report,
                         hint=_check_tip(n, click.format_filename(workbook),
                                         whole=result.budget is not None))
    click.echo(_("ok: {summary}").format(summary=result.summary()))


def _check_tip(n: int, name: str, *, whole: bool) -> str:
    """What to do after `check` found ``n`` problems (``whole``: the budget could be read, so
    the cost model and the monthly plan were checked too)."""
    if whole:
        return ngettext("fix this problem and run `costsheet check {name}` again; the file was "
                        "not changed",
                        "fix these {n} problems and run `costsheet check {name}` again; the "
                        "file was not changed", n).format(n=n, name=name)
    return ngettext("fix this problem and run `costsheet check {name}` again (the cost model "
                    "and the monthly plan are checked once the inputs read without errors); "
                    "the file was not changed",
                    "fix these {n} problems and run `costsheet check {name}` again (the cost "
                    "model and the monthly plan are checked once the inputs read without "
                    "errors); the file was not changed", n).format(n=n, name=name)


def echo_warning(warning: Any) -> None:
    click.echo(_("warning: {message}").format(message=warning), err=True)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help=N_("Write the result to this file instead of in place."))
@click.option("--scenario", "scenarios", multiple=True,
              help=N_("Compute only this scenario (repeatable). Default: every scenario."))
@click.option("--as-of", "as_of", metavar="YYYY-MM",
              help=N_("Months up to this one are actual (default: the latest month with actuals)."))
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help=N_("Monte Carlo trials for the Risk sheet (default 10,000)."))
@click.option("--seed", type=int, default=None,
              help=N_("Random seed (default: a fixed one, written on the Risk sheet)."))
@click.option("--replace-sheet", "replace_sheets", multiple=True, metavar="NAME",
              help=N_("Replace this sheet although it is not costsheet's (one of its result "
                      "sheets' names; repeatable). The file as it was is kept as a backup "
                      "first."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print totals as one JSON object."))
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
            echo_warning(warning)
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
    flags = " ".join(f"--replace-sheet {_shell_quoted(n)}" for n in sheets)
    command = f"costsheet run {_shell_quoted(click.format_filename(workbook))} {flags}"
    tip = ngettext("rename {sheets} in your workbook and run again (costsheet then writes its "
                   "own beside it), or let costsheet replace it: `{command}`",
                   "rename {sheets} in your workbook and run again (costsheet then writes its "
                   "own beside them), or let costsheet replace them: `{command}`",
                   len(sheets)).format(sheets=names, command=command)
    if in_place:
        tip += _(" (the file as it is now is kept in .costsheet-backups/ first)")
    return tip


def prefix_tip(workbook: str, sheets: list[str], prefix: str) -> str:
    """The way out of ``new --into`` on a workbook with sheets named like costsheet's."""
    names = ", ".join(repr(n) for n in sheets)
    if prefix:
        return _("choose another prefix than {prefix!r} with --prefix, or rename {sheets} "
                 "first").format(prefix=prefix, sheets=names)
    command = (f"costsheet new --into {_shell_quoted(click.format_filename(workbook))} "
               '--prefix "LLM "')
    return _("put costsheet's sheets beside yours under a prefix: `{command}` (they become "
             "'LLM Drivers', … 'LLM Summary'; check and run find them), or rename {sheets} "
             "first").format(command=command, sheets=names)


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
            self.bar = click.progressbar(length=self.total, label=_("Monte Carlo trials"),
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
    click.echo(_("Risk ({trials} trials, seed {seed}): P10 {p10} · P50 {p50} · P80 {p80} · "
                 "P90 {p90}").format(trials=f"{risk.trials:,}", seed=risk.seed,
                                     p10=format_money(st.p10, cur), p50=format_money(st.p50, cur),
                                     p80=format_money(st.p80, cur), p90=format_money(st.p90, cur)))
    top = [c for c in risk.contributions() if c.share > 0][:3]
    if top:
        from .model.sensitivity import label_for

        click.echo("  " + _("most of the spread: {items}").format(items=_(", ").join(
            f"{label_for(c.key)} {c.share:.0%}" for c in top)))
    bars = analysis.tornado.moving[:3]
    if bars:
        click.echo("  " + _("largest swings one at a time: {items}").format(items=_(", ").join(
            f"{b.label} {format_money(b.swing, cur)}" for b in bars)))


def render_run(result: Any) -> None:
    from .inputs import FAMILIES, FAMILY_LABELS

    cur = result.currency
    names = result.scenarios
    rows: list[tuple[str, list[str]]] = []

    def money(v: Any) -> str:
        return "-" if float(v) == 0 else format_money(v, cur)

    for fam in FAMILIES:
        rows.append((FAMILY_LABELS[fam], [money(result.results[n].totals[fam]) for n in names]))
    total = _("Total")
    rows.append((total, [money(result.results[n].total) for n in names]))
    figures = ((
        "gpu_hours", N_("GPU-hours"), format_quantity),
        ("wall_clock_days", N_("Wall-clock days"), lambda v: f"{v:,.1f}"),
        ("cost_per_million_tokens", N_("Cost per M tokens"), lambda v: format_money(v, cur)))
    for key, label, fmt in figures:
        vals = [result.results[n].metrics.get(key) for n in names]
        if any(v is not None for v in vals):
            rows.append((_(label), ["-" if v is None else fmt(v) for v in vals]))
    bands = getattr(result, "bands", {})
    if bands:  # runs that state no MFU: the total at the published band's two ends
        rows.append((_("Total, P10-P90 MFU"), [
            _("{low} to {high}").format(low=money(bands[n].total[0]), high=money(bands[n].total[1]))
            if n in bands else _("MFU stated") for n in names]))
    first = max(text_width(r[0]) for r in rows)
    widths = [max(text_width(n), *(text_width(r[1][i]) for r in rows))
              for i, n in enumerate(names)]

    def cells(values: list[str]) -> str:
        return "  ".join(pad(v, w, ">") for v, w in zip(values, widths, strict=True))

    click.echo(f"  {pad('', first)}  " + cells(names))
    for label, vals in rows:
        line = f"  {pad(label, first)}  " + cells(vals)
        click.echo(click.style(line, bold=True) if label == total else line)
    click.echo("")
    sheets = ", ".join(result.owned_sheets)
    if result.output == result.source:
        click.echo(_("Wrote {sheets} in place.").format(sheets=sheets))
    else:
        click.echo(_("Wrote {sheets} to {path}.").format(sheets=sheets, path=result.output))
    if result.backup is not None:
        click.echo(_("Previous version kept as {path}").format(path=result.backup))
    if bands:
        click.echo(_("Total, P10-P90 MFU: {label} (runs that state no MFU, at the published "
                     "runs' P90 and P10 MFU).").format(label=next(iter(bands.values())).label))
    if getattr(result, "risk", None) is not None:
        render_risk(result.risk, cur)
    if getattr(result, "monthly", None) is not None:
        for line in result.monthly.messages():
            click.echo(line)
    reading = getattr(result, "reading_formulas", [])
    if reading:
        shown = ", ".join(reading[:3]) + (", …" if len(reading) > 3 else "")
        click.echo(ngettext(
            "note: {n} formula of yours reads these results ({cells}); its saved result was "
            "removed (the formula is kept) so that Excel and LibreOffice recalculate it when "
            "they open the file.",
            "note: {n} formulas of yours read these results ({cells}); their saved results "
            "were removed (the formulas are kept) so that Excel and LibreOffice recalculate "
            "them when they open the file.",
            len(reading)).format(n=len(reading), cells=shown))
    warnings = result.warnings
    if warnings:
        click.echo(ngettext("{n} warning (also on the Checks sheet):",
                            "{n} warnings (also on the Checks sheet):",
                            len(warnings)).format(n=len(warnings)))
        for c in warnings:
            click.echo(f"  - {c}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print the functions as JSON."))
@click.option("--markdown", is_flag=True,
              help=N_("Print the reference of docs/excel-functions.md."))
@expected_errors(workbook=None)
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
    click.echo("\n" + _("Optional arguments are in [brackets]; every argument also takes a "
                        "range."))


@main.command()
@click.argument("args", nargs=-1, metavar="[chinchilla] [WORKBOOK]")
@click.option("--target", help=N_("Goal seek: METRIC=VALUE, e.g. total=5M, wall_clock_days=60, "
              "'total<=5M', total=own (cost of owning), total=High (a scenario's total), "
              "'rl<=500K' (a stage's cost: rl, sft, ...; post_training, data_generation)."))
@click.option("--vary", help=N_("Goal seek: the input to change: a driver (mfu, kwh_price), an "
              "input key (pools.h800.price_per_gpu_hour) or price, gpu_price, gpus, tokens, "
              "prompts (the one run that gives prompts)."))
@click.option("--low", help=N_("Goal seek: lowest value to try (default: the input's range)."))
@click.option("--high", help=N_("Goal seek: highest value to try (default: range or 1,000x Base)."))
@click.option("--budget", "money", help=N_("chinchilla: the money to spend on GPU-hours, e.g. 5M."))
@click.option("--pool", help=N_("chinchilla on a workbook: which pool (default: the only one)."))
@click.option("--scenario", default="Base", show_default=True, help=N_("Workbook scenario."))
@run_flags
@click.option("--term-months", help=N_("Reserved or owned term in months (billed whole)."))
@expected_errors(flags=True, tip=N_("run `costsheet solve --help` for the accepted forms"),
                 workbook="args")
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
      costsheet solve budget.xlsx --target 'rl<=500K' --vary prompts   (RL samples in $500K)
      costsheet solve chinchilla budget.xlsx --budget 5M --pool h800
    """
    chinchilla, workbook = _solve_words(args)
    precision = "fp8" if fp8 else None
    budget = None
    if workbook is not None:
        given = [k for k, v in flags.items() if v not in (None, "", False) and k != "currency"]
        if given or own:
            raise InputError(
                _("with a workbook, the budget comes from the workbook: leave out "
                  "{flags}").format(flags=", ".join(
                      _flag(k) for k in given + (["own"] if own else []))))
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
        raise InputError(_("too many arguments: {args}").format(args=" ".join(args)),
                         hint=_("usage: {usage}").format(
                             usage="costsheet solve [chinchilla] [WORKBOOK] [options]"))
    return chinchilla, (words[0] if words else None)


def _solve_chinchilla(budget: Any, money: str | None, target: str | None, vary: str | None,
                      pool: str | None, scenario: str, own: bool, precision: str | None,
                      flags: dict[str, Any]) -> Any:
    if target or vary:
        raise InputError(_("chinchilla takes --budget, not --target/--vary"))
    if money in (None, ""):
        raise InputError(_("chinchilla needs --budget, the money to spend (e.g. 5M)"))
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
        raise InputError(_("give --target and --vary (or use `costsheet solve chinchilla`)"),
                         hint=_("e.g. {example}").format(
                             example="costsheet solve --target total=5M --vary mfu --params 70B "
                                     "--tokens 1.4T --gpu H100"))
    if money not in (None, "") or pool:
        raise InputError(_("--budget and --pool are for `costsheet solve chinchilla`"))
    if budget is not None:
        return goal_seek(budget, target, vary, low=low, high=high, scenario=scenario)
    from .flags import flag_budget

    budget = flag_budget(own=own, precision=precision or "bf16", **flags)
    if not budget.runs:
        raise InputError(_("describe the run: --params and --tokens, --flops or --gpu-hours"),
                         hint=_("e.g. {example}").format(
                             example="--params 70B --tokens 1.4T --gpu H100 --gpu-count 1024"))
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
        raise InputError(f"{name}: {problems_found(n)}",
                         hint=_("fix these cells (`costsheet check {name}`)").format(name=name),
                         report=read.report)
    return read.budget


# ---------------------------------------------------------------------------------------------
# costsheet runs: published training runs (library: reference_runs, model.utilisation,
# model.comparison, workbook.runs_comparison)


@main.command()
@click.option("--gpu", help=N_("Only runs on this GPU's chip generation (H100 also lists H800)."))
@click.option("--moe/--dense", "moe", default=None,
              help=N_("Only mixture-of-experts / dense runs."))
@click.option("--compare", "workbook", type=click.Path(dir_okay=False),
              help=N_("Place this budget's MFU, $/GPU-hour and cost per M tokens among the runs."))
@click.option("--scenario", default="Base", show_default=True, help=N_("With --compare: scenario."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
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
        click.echo(_("{name}: run {run!r} on {gpu} ({scenario})").format(
            name=click.format_filename(workbook), run=comparison.run,
            gpu=comparison.gpu or _("no catalog GPU"), scenario=scenario))
        for p in comparison.placements:
            click.echo(f"  {p.sentence()}")
        for note in comparison.notes:
            click.echo("  " + _("note: {note}").format(note=note))
        return
    from .model.utilisation import run_implied_mfu
    from .reference_runs import select_runs

    chosen = select_runs(gpu=gpu, moe=moe)
    if as_json:
        dump_json([{**r.to_dict(), "implied_mfu": run_implied_mfu(r)} for r in chosen])
        return
    render_runs(chosen)


#: the published runs' controlled words (reference_runs.GPU_HOURS_COVERS and _KINDS), for people
RUN_WORDS = {
    "pre-training": N_("pre-training"), "all training stages": N_("all training stages"),
    "whole programme": N_("whole programme"), "partial run": N_("partial run"),
    "post-training": N_("post-training"), "derived": N_("derived"),
    "upper_bound": N_("upper bound"),
}


def render_runs(chosen: list[Any]) -> None:
    from .model.utilisation import run_implied_mfu

    # (not inside the f-string: Babel does not look into f-strings for _())
    run, date, params, tokens = _("run"), _("date"), _("params"), _("tokens")
    hours, covers = _("GPU-hours"), _("covers")
    head = (f"{pad(run, 34)} {pad(date, 7)} {pad(params, 12, '>')} {pad(tokens, 8, '>')} "
            f"{'GPU':<9} {pad(hours, 10, '>')} {'MFU':>6}  {covers}")
    click.echo(head)
    for r in chosen:
        mfu = run_implied_mfu(r)
        params = format_quantity(r.params_total) if r.params_total else "?"
        if r.params_active is not None:
            params += f"/{format_quantity(r.params_active)}"
        covers = _(RUN_WORDS.get(r.gpu_hours_cover, r.gpu_hours_cover))
        if r.gpu_hours_kind != "reported":
            covers += _(", ") + _(RUN_WORDS.get(r.gpu_hours_kind, r.gpu_hours_kind))
        flags = ("" if r.in_statistics else " " + _("[not in statistics]")) + (
            " " + _("[secondary]") if r.confidence == "secondary" else "")
        click.echo(f"{r.model[:34]:<34} {r.date:<7} {pad(params, 12, '>')} "
                   f"{pad(format_quantity(r.tokens) if r.tokens else '-', 8, '>')} "
                   f"{r.accelerator:<9} {pad(format_quantity(r.gpu_hours), 10, '>')} "
                   f"{'-' if mfu is None else f'{mfu:.1%}':>6}  {covers}{flags}")
    click.echo("\n" + _("{n} runs. MFU = 6 x active parameters x tokens / (GPU-hours x 3,600 x "
                        "BF16 peak); sources and notes: `costsheet runs --json`.").format(
        n=len(chosen)))


if __name__ == "__main__":  # pragma: no cover
    main()
