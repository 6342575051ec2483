"""Errors are data: a CellError names where a problem is; a Report collects them all at once.

Every problem carries a machine-readable ``code`` (``not_a_number``, ``unknown_gpu``,
``percent_typed_as_number``, ``unknown_pool``, ...) beside its message, so programs branch on the
code and people read the message. Library errors (:class:`CostsheetError`) also carry the
``key`` of the input they concern (``runs.final``, ``pools.h800.gpu_count``, ``drivers.mfu``): the
workbook reader turns that key into a ``Sheet!Cell``, and the command line into a flag.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .i18n import _, ngettext

#: the code of a problem nothing more specific is known about
GENERIC = "invalid_value"


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice nearest to ``word`` (any case, :mod:`difflib`), for "did you mean …?"; None
    when nothing is close."""
    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(choice.strip().casefold(), choice)
    found = difflib.get_close_matches(word.strip().casefold(), list(by_fold), n=1,
                                      cutoff=cutoff)
    return by_fold[found[0]] if found else None


class CostsheetError(Exception):
    """An expected failure: the CLI prints its message as ``error:`` lines, never a traceback.

    ``hint`` is printed as a ``tip:`` line. ``report`` holds cell-level problems, if any.
    ``code`` says what went wrong in one word (``unknown_pool``), for programs to branch on.
    ``key`` names the one input or argument the problem concerns, for code to locate it: an
    input key (``pools.h800.gpu_count``, ``runs.v3``, ``fx_rates.EUR``: the reader maps it to a
    cell) or a function's argument (``vary``, ``low``: the CLI maps it to its flag). Messages
    never spell a flag or a cell themselves. ``related``: more input keys the problem comes
    from (the other inputs of a number that overflows), which the reader names as cells too.
    """

    def __init__(self, message: str, *, hint: str | None = None, report: Report | None = None,
                 code: str = "error", key: str | None = None, related: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.report = report
        self.code = code
        self.key = key
        self.related = related


class InputError(CostsheetError, ValueError):
    """A value given to the library or a flag is not acceptable."""


@dataclass(frozen=True)
class CellError:
    """One problem, located: ``Runs!D7: tokens: not a number (got 'abc')``.

    ``sheet`` and ``cell`` are empty for problems that are not in a workbook (a CLI flag, say);
    ``field`` is then the flag or argument name. ``code`` is the problem in one word.
    """

    sheet: str
    cell: str
    field: str
    value: Any
    message: str
    severity: str = "error"  # "error" or "warning"
    code: str = GENERIC

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell

    def __str__(self) -> str:
        where = self.location
        head = f"{where}: " if where else ""
        return f"{head}{self.field}: {self.message}{got_text(self.value)}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = _jsonable(self.value)
        d["text"] = str(self)
        return d


def got_text(value: Any) -> str:
    """`` (got 'abc')`` after a message, in the current language; empty for a blank value."""
    if value is None or value == "":
        return ""
    return _(" (got {value!r})").format(value=value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass
class Report:
    """All problems found in one pass; ``ok`` when none is an error."""

    errors: list[CellError] = field(default_factory=list)
    source: str = ""

    def add(
        self,
        sheet: str,
        cell: str,
        field_name: str,
        value: Any,
        message: str,
        severity: str = "error",
        code: str = GENERIC,
    ) -> None:
        self.errors.append(CellError(sheet, cell, field_name, value, message, severity, code))

    def extend(self, other: Report) -> None:
        self.errors.extend(other.errors)

    @property
    def problems(self) -> list[CellError]:
        return [e for e in self.errors if e.severity == "error"]

    @property
    def warnings(self) -> list[CellError]:
        return [e for e in self.errors if e.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __len__(self) -> int:
        return len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": [e.to_dict() for e in self.problems],
            "warnings": [e.to_dict() for e in self.warnings],
        }

    def raise_if_errors(self, hint: str | None = None) -> None:
        if not self.ok:
            n = len(self.problems)
            raise InputError(
                problems_found(n), hint=hint, report=self, code="invalid_inputs",
            )


def problems_found(n: int) -> str:
    """``1 problem found`` / ``3 problems found`` in the current language."""
    return ngettext("{n} problem found", "{n} problems found", n).format(n=n)
