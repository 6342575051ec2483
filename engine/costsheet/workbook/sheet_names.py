"""The names costsheet's sheets have in a workbook, and the one rule that finds a sheet by name.

``costsheet new --into team.xlsx --prefix "LLM "`` gives every sheet costsheet adds or writes a
prefix (``LLM Drivers``, ``LLM Summary``...), so that they sit beside a team's own ``Data`` or
``Summary``. The prefix is remembered in the workbook, in the custom document property
:data:`PREFIX_PROPERTY`; ``check`` and ``run`` read it and look for the prefixed names.

A sheet is found by its name with surrounding spaces ignored and letters compared
case-insensitively (as Excel compares sheet names). Two sheets that both answer to one name
(``Pools`` and a very hidden ``Pools ``) are an error naming both, never a silent choice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import CostsheetError
from ..i18n import _
from .ooxml import Package, SheetEntry

__all__ = [
    "MAX_PREFIX",
    "PREFIX_PROPERTY",
    "AmbiguousSheetError",
    "SheetName",
    "check_prefix",
    "prefix_property",
    "find_sheet",
    "same_sheet",
    "sheet_prefix",
]

PREFIX_PROPERTY = "costsheet.sheet_prefix"
#: Excel's limit on a sheet name's length
MAX_SHEET_NAME = 31
#: costsheet's longest sheet name is 11 characters ("GPU catalog", "Sensitivity", ...)
MAX_PREFIX = MAX_SHEET_NAME - 11
_FORBIDDEN = frozenset("[]:*?/\\")


@dataclass(frozen=True)
class SheetName:
    """A sheet as the workbook lists it: its exact name and whether its tab is hidden."""

    name: str
    state: str = "visible"  # "hidden", "veryHidden"

    def shown(self) -> str:
        """The name quoted, with its tab state when hidden (for messages)."""
        if self.state == "veryHidden":
            return _("{sheet} (very hidden)").format(sheet=repr(self.name))
        if self.state == "hidden":
            return _("{sheet} (hidden)").format(sheet=repr(self.name))
        return repr(self.name)


class AmbiguousSheetError(CostsheetError):
    """Two or more sheets answer to one of costsheet's sheet names."""

    def __init__(self, wanted: str, sheets: list[SheetName], source: str = ""):
        self.wanted, self.sheets = wanted, sheets
        listed = _(" and ").join(s.shown() for s in sheets)
        where = f"{source}: " if source else ""
        super().__init__(
            where + _("{n} sheets are named like {wanted!r}: {sheets}; costsheet cannot tell "
                      "which one is meant, and chooses none").format(
                n=len(sheets), wanted=wanted, sheets=listed),
            hint=_("delete or rename all but one of them (Format > Sheet > Unhide shows a "
                   "hidden one; a very hidden sheet needs the VBA editor), so that one sheet is "
                   "named {wanted!r}").format(wanted=wanted),
            code="ambiguous_sheet")


def same_sheet(a: str, b: str) -> bool:
    """Whether two sheet names answer to one another (spaces around, case)."""
    return a.strip().casefold() == b.strip().casefold()


def find_sheet(sheets: Iterable[SheetName | SheetEntry | str], wanted: str,
               source: str = "") -> str | None:
    """The exact name of the one sheet answering to ``wanted``, None when there is none;
    :class:`AmbiguousSheetError` when several do."""
    found = [_as_name(s) for s in sheets]
    found = [s for s in found if same_sheet(s.name, wanted)]
    if len(found) > 1:
        raise AmbiguousSheetError(wanted, found, source)
    return found[0].name if found else None


def _as_name(s: SheetName | SheetEntry | str) -> SheetName:
    if isinstance(s, SheetName):
        return s
    if isinstance(s, SheetEntry):
        return SheetName(s.name, s.state)
    return SheetName(s)


def check_prefix(prefix: str) -> str:
    """``prefix`` if it can start costsheet's sheet names, else a :class:`CostsheetError`."""
    bad = sorted(set(prefix) & _FORBIDDEN)
    problem = None
    if not prefix.strip():
        problem = _("is empty")
    elif bad:
        problem = _("holds {chars}, which sheet names cannot").format(chars=" ".join(bad))
    elif prefix.startswith("'"):
        problem = _("starts with an apostrophe, which sheet names cannot")
    elif prefix[0].isspace():
        problem = _("starts with a space, which Excel drops from sheet names")
    elif len(prefix) > MAX_PREFIX:
        problem = _("is {n} characters long; with it costsheet's sheet names would be longer "
                    "than Excel's {limit}").format(n=len(prefix), limit=MAX_SHEET_NAME)
    elif any(ord(c) < 32 for c in prefix):
        problem = _("holds a control character")
    if problem is not None:
        raise CostsheetError(
            _("the sheet-name prefix {prefix!r} {problem}").format(prefix=prefix,
                                                                   problem=problem),
            hint=_("choose a short prefix of letters, digits and spaces, e.g. 'LLM ' (at most "
                   "{n} characters)").format(n=MAX_PREFIX),
            code="bad_prefix", key="prefix")
    return prefix


def prefix_property(prefix: str) -> str:
    """The property's text for ``prefix``: a JSON string, so that its spaces survive programs
    that trim property values."""
    return json.dumps(prefix, ensure_ascii=False)


def sheet_prefix(pkg: Package) -> str:
    """The prefix of costsheet's sheets in workbook ``pkg`` ('' when none is recorded)."""
    raw = pkg.custom_property(PREFIX_PROPERTY)
    if raw is None or not raw.strip():
        return ""
    try:
        text = json.loads(raw)
    except ValueError:
        text = raw.strip()  # typed by hand, without the quotes
    if not isinstance(text, str):
        text = raw.strip()
    if text == "":
        return ""
    try:
        return check_prefix(text)
    except CostsheetError as exc:
        raise CostsheetError(
            _("{name}: the workbook's property {property} holds {text!r}: {problem}").format(
                name=pkg.source, property=PREFIX_PROPERTY, text=text, problem=exc.message),
            hint=_("correct or delete the property (Excel: File > Info > Properties > Advanced "
                   "Properties > Custom); it names the start of costsheet's sheet names"),
            code="bad_prefix") from None
