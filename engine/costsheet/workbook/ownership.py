"""Which sheets ``costsheet run`` may replace: only its own, as each sheet itself proves.

A sheet is costsheet's to replace when it has one of costsheet's result-sheet names (with the
workbook's prefix, :mod:`.sheet_names`) and

* carries costsheet's **owner mark** (a hidden defined name scoped to the sheet,
  :data:`~costsheet.workbook.ooxml.names.OWNER_MARK`) whose digest matches the bytes of the
  sheet's parts, or failing that its cells and objects now (:mod:`.sheet_digest`): costsheet
  wrote it and nobody changed it since; or
* the user asked for it by name (``replace``: ``run --replace-sheet NAME``); or
* the workbook is one an earlier costsheet wrote (**migration**: no sheet of it carries a mark),
  the sheet is listed in the old custom property ``costsheet.owned_sheets``, and it still looks
  as costsheet wrote it: the heading costsheet puts in its first cell, no formula, nothing on it
  but charts. It is replaced once, and the new sheet carries a mark.

Anything else with such a name (the user's own ``Risk`` sheet, costsheet's ``Summary`` with a
number typed over, a chart or a note added) is kept, and the run refuses, naming the sheets.
Input sheets are never replaced: they do not have result-sheet names. The custom property alone
never makes a sheet costsheet's: anyone can edit it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import CostsheetError
from ..i18n import _, ngettext
from .monthly_sheets import MONTHLY_SHEETS
from .ooxml import Package
from .ooxml.names import OWNER_MARK
from .ooxml.workbook_xml import scratch_defined_names
from .risk_sheets import RISK_SHEETS
from .sheet_digest import SheetContent, part_unchanged, read_contents
from .sheet_names import SheetName, find_sheet, same_sheet, sheet_prefix
from .writer import OWNED_SHEETS

__all__ = [
    "LEGACY_HEADINGS",
    "RESULT_SHEETS",
    "Claim",
    "ForeignSheetError",
    "Ownership",
    "assess",
    "owner_marks",
    "result_sheet_names",
]

#: costsheet's result sheets, by their names without prefix, in the order it writes them
RESULT_SHEETS: tuple[str, ...] = (*OWNED_SHEETS, *MONTHLY_SHEETS, *RISK_SHEETS)

#: What costsheet 0.1 wrote in the first cell of each result sheet, before sheets carried a
#: mark (a trailing ``*``: any text follows, e.g. the budget's or the scenario's name).
LEGACY_HEADINGS: dict[str, str] = {
    "Summary": "Training budget: *",
    "Line items": "Scenario",
    "Checks": "Severity",
    "Monthly": "Monthly budget: *",
    "Variance": "Budget vs actual: *",
    "Refresh log": "Time",
    "Scenarios": "Scenarios compared with Base",
    "Sensitivity": "What moves the total: one input at a time",
    "Risk": "Risk: the budget as a range of outcomes",
}


@dataclass
class Claim:
    """One sheet of the workbook that has one of costsheet's result-sheet names."""

    sheet: SheetName
    status: str  # "marked", "migrated", "requested" (replace), "changed", "foreign"

    @property
    def replaceable(self) -> bool:
        return self.status in ("marked", "migrated", "requested")

    def reason(self) -> str:
        """Why it is kept, as a clause after its name."""
        if self.status == "changed":
            return _("the sheet {sheet} is no longer costsheet's (it was changed after "
                     "costsheet wrote it)").format(sheet=self.sheet.shown())
        return _("the sheet {sheet} is not one of costsheet's (costsheet did not write "
                 "it)").format(sheet=self.sheet.shown())


@dataclass
class Ownership:
    """What :func:`assess` found: every sheet with a result-sheet name, and the prefix."""

    prefix: str
    claims: list[Claim] = field(default_factory=list)

    @property
    def replaceable(self) -> list[str]:
        """The exact names of the sheets costsheet may replace."""
        return [c.sheet.name for c in self.claims if c.replaceable]

    @property
    def kept(self) -> list[Claim]:
        """Sheets with a result-sheet name that costsheet must not replace."""
        return [c for c in self.claims if not c.replaceable]

    def raise_if_kept(self, source: str) -> None:
        """:class:`ForeignSheetError` when a sheet is in the way of costsheet's results."""
        if self.kept:
            raise ForeignSheetError(source, self.kept)


class ForeignSheetError(CostsheetError):
    """Sheets with the names of costsheet's result sheets that costsheet may not replace."""

    def __init__(self, source: str, claims: list[Claim]):
        self.claims = claims
        self.sheets = [c.sheet.name for c in claims]
        listed = "; ".join(c.reason() for c in claims)
        names = ", ".join(repr(n) for n in self.sheets)
        n = len(claims)
        super().__init__(
            ngettext("{name}: {sheets}, and costsheet writes its results to a sheet of that "
                     "name; nothing was changed",
                     "{name}: {sheets}, and costsheet writes its results to sheets of those "
                     "names; nothing was changed", n).format(name=source, sheets=listed),
            hint=ngettext("rename {sheets} (costsheet then writes its own beside it), or let "
                          "costsheet replace it (the file as it is now is kept as a backup "
                          "first)",
                          "rename {sheets} (costsheet then writes its own beside them), or let "
                          "costsheet replace them (the file as it is now is kept as a backup "
                          "first)", n).format(sheets=names),
            code="not_costsheets_sheet")


def result_sheet_names(prefix: str = "") -> list[str]:
    """costsheet's result-sheet names in a workbook whose sheet prefix is ``prefix``."""
    return [prefix + name for name in RESULT_SHEETS]


def owner_marks(pkg: Package) -> dict[str, str]:
    """The owner mark's text of each sheet that has one, by the sheet's exact name."""
    order = [s.name for s in pkg.sheets()]
    out: dict[str, str] = {}
    for dn in scratch_defined_names(pkg, pkg.workbook_part()):
        if dn.name == OWNER_MARK and dn.local is not None and 0 <= dn.local < len(order):
            out[order[dn.local]] = dn.value.strip()
    return out


def assess(pkg: Package, *, replace: Sequence[str] = (),
           prefix: str | None = None) -> Ownership:
    """Every sheet of ``pkg`` with a result-sheet name, and whether costsheet may replace it.

    ``replace``: names the user lets costsheet replace whatever they hold (each must be a
    result-sheet name). Two sheets answering to one result-sheet name are an error
    (:class:`~.sheet_names.AmbiguousSheetError`).
    """
    prefix = sheet_prefix(pkg) if prefix is None else prefix
    wanted = result_sheet_names(prefix)
    _check_requests(replace, wanted)
    listed = [SheetName(s.name, s.state) for s in pkg.sheets()]
    present: dict[str, str] = {}  # exact name -> costsheet's name for it (no prefix)
    for stable, name in zip(RESULT_SHEETS, wanted, strict=True):
        found = find_sheet(listed, name, pkg.source)
        if found is not None:
            present[found] = stable
    own = Ownership(prefix)
    if not present:
        return own
    marks = owner_marks(pkg)
    parts = {s.name: s.part for s in pkg.sheets()}
    same_bytes = {name for name in present if name in marks and _same_bytes(
        pkg, name, parts.get(name), marks[name])}
    contents = read_contents(pkg, [n for n in present if n not in same_bytes])
    legacy = _legacy_names(pkg) if not marks else set()
    states = {s.name: s.state for s in listed}
    for name, stable in present.items():
        sheet = SheetName(name, states.get(name, "visible"))
        content = contents.get(name)
        if content is None or (name in marks and content.matches(marks[name])):
            status = "marked"
        elif any(same_sheet(name, r) for r in replace):
            status = "requested"
        elif name in legacy and _looks_like_legacy(stable, content):
            status = "migrated"
        else:
            status = "changed" if name in marks else "foreign"
        own.claims.append(Claim(sheet, status))
    return own


def _same_bytes(pkg: Package, sheet: str, part: str | None, mark: str) -> bool:
    """Whether the sheet's parts have exactly the bytes its mark was made for."""
    return bool(part and pkg.has(part) and part_unchanged(mark, pkg, sheet, part))


def _check_requests(replace: Sequence[str], wanted: list[str]) -> None:
    for name in replace:
        if not any(same_sheet(name, w) for w in wanted):
            raise CostsheetError(
                _("costsheet writes no sheet named {sheet!r}, so it has none to replace there; "
                  "its result sheets are {sheets}").format(
                    sheet=name, sheets=", ".join(repr(w) for w in wanted)),
                hint=_("name one of those sheets, as the workbook spells it; input sheets and "
                       "your other sheets are never replaced"),
                code="not_a_result_sheet", key="replace_sheets")


def _legacy_names(pkg: Package) -> set[str]:
    """Sheets an earlier costsheet listed in its custom property (exact names)."""
    return set(pkg.owned_sheets())


def _looks_like_legacy(stable: str, content: SheetContent) -> bool:
    """Whether a sheet still looks as costsheet 0.1 wrote sheet ``stable``: its heading in the
    first cell, no formula, nothing on it but charts."""
    head = LEGACY_HEADINGS.get(stable)
    if head is None or content.formulas or set(content.objects) - {"chart"}:
        return False
    if head.endswith("*"):
        return content.first_text.startswith(head[:-1])
    return content.first_text == head
