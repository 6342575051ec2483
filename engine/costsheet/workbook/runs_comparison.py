"""``costsheet runs --compare budget.xlsx``: a budget workbook placed among published runs.

Reads the workbook like ``costsheet check`` (the file is never changed), computes one scenario
and hands the result to :func:`costsheet.model.comparison.compare_with_published`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, problems_found
from ..i18n import _
from ..model.budget import compute_budget
from ..model.comparison import RunsComparison, compare_with_published
from ..model.scenarios import apply_scenario


def compare_workbook(path: Path | str, scenario: str = "Base") -> RunsComparison:
    """The workbook's main final run (``scenario``) among published runs on similar hardware."""
    from .reader import read_budget

    read = read_budget(Path(path))
    if read.fatal is not None:
        raise read.fatal
    if not read.ok or read.budget is None:
        n = len(read.report.problems)
        raise InputError(
            problems_found(n), report=read.report,
            hint=_("fix them (`costsheet check {name}`) and compare again; the file was not "
                   "changed").format(name=Path(path).name))
    budget = read.budget
    if scenario not in budget.scenario_names:
        raise InputError(_("no scenario {scenario!r} (known: {known})").format(
            scenario=scenario, known=", ".join(budget.scenario_names)))
    result = compute_budget(apply_scenario(budget, scenario), scenario=scenario)
    try:
        return compare_with_published(budget, result)
    except ValueError as exc:
        raise InputError(str(exc), hint=_("add a run of kind final with a blank or "
                                          "pretraining stage")) from exc
