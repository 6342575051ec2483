"""``costsheet new --into``: add the template's input sheets to a workbook a team already has.

The input sheets are built by :mod:`costsheet.workbook.template` in a scratch workbook and grafted
into the user's file at the zip level (:func:`costsheet.workbook.ooxml.graft_sheets`), so every
part of the user's workbook keeps its bytes (pivot tables, macros, pictures, links, ...), and the
dropdowns of the input sheets come along inside their sheets. Sheets named like costsheet's input
or result sheets already in the workbook are an error: nothing is replaced; a sheet-name prefix
(``--prefix "LLM "``) lets costsheet's sheets sit beside the team's ``Data`` or ``Summary``. The
README sheet is added only when the workbook has no sheet of that name.

The added sheets are recorded in the custom document property ``costsheet.input_sheets`` (a
JSON list), apart from ``costsheet.owned_sheets``: ``costsheet run`` replaces its owned sheets on
every run but never touches the input sheets.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import CostsheetError
from ..i18n import _, ngettext
from ..inputs import Budget
from .ooxml import Package, SheetEntry, graft_sheets
from .ownership import result_sheet_names
from .safety import make_backup
from .sheet_names import (
    PREFIX_PROPERTY,
    check_prefix,
    find_sheet,
    prefix_property,
    same_sheet,
)
from .template import LANGUAGE_PROPERTY, LAYOUT, README_SHEET, workbook_bytes
from .write_guard import WriteGuard

__all__ = ["INPUT_PROPERTY", "AddedInputs", "SheetNameClash", "add_input_sheets",
           "input_sheet_names"]

INPUT_PROPERTY = "costsheet.input_sheets"


@dataclass
class AddedInputs:
    """What :func:`add_input_sheets` wrote."""

    source: Path
    output: Path
    sheets: list[str]
    backup: Path | None = None
    readme_skipped: bool = False


def input_sheet_names() -> list[str]:
    """The input sheets of the template, in workbook order (README not included)."""
    return [spec.name for spec in LAYOUT]


def add_input_sheets(
    path: Path | str,
    *,
    out: Path | str | None = None,
    lang: str = "en",
    example: bool | Budget = False,
    keep_backups: int = 3,
    prefix: str = "",
) -> AddedInputs:
    """Add the template's input sheets (filled with ``example`` if given) to workbook ``path``.

    Writes in place (keeping a backup in ``.costsheet-backups/``) or to ``out``. With
    ``prefix``, every sheet costsheet adds now and writes later starts with it (``LLM Drivers``,
    ``LLM Summary``...), and the workbook remembers it (:mod:`.sheet_names`). Raises
    :class:`~costsheet.errors.CostsheetError` when the file is not a workbook costsheet can
    write, is open in Excel, is read-only, already has a sheet named like one of costsheet's
    (input or result sheets, with the prefix; code ``sheet_name_clash``) or already has
    costsheet's input sheets; the file is then not changed.
    """
    if prefix:
        check_prefix(prefix)
    source = Path(path)
    with WriteGuard.hold(out if out is not None else source, source=source,
                         purpose="new --into") as guard:
        package = Package.open(source)
        guard.read(package)
        _refuse_second_inputs(package)
        existing = package.sheets()
        wanted = [prefix + n for n in input_sheet_names()]
        _refuse_clashes(package, existing, [*wanted, *result_sheet_names(prefix)], prefix)
        readme = prefix + README_SHEET
        readme_skipped = find_sheet(existing, readme, package.source) is not None
        sheets = wanted if readme_skipped else [readme, *wanted]
        budget: Budget | None
        if example is True:
            from .examples import worked_example

            budget = worked_example(lang)
        else:
            budget = example or None
        target = guard.target
        with tempfile.TemporaryDirectory(prefix="costsheet-new-") as tmp:
            scratch = Path(tmp) / "inputs.xlsx"
            scratch.write_bytes(workbook_bytes(budget, lang=lang, prefix=prefix))
            guard.before_replace()
            backup = make_backup(target, keep=keep_backups) if target.exists() else None
            properties = {LANGUAGE_PROPERTY: lang}
            if prefix:
                properties[PREFIX_PROPERTY] = prefix_property(prefix)
            graft_sheets(package, scratch, target, sheets=sheets, property_name=INPUT_PROPERTY,
                         properties=properties, before_replace=guard.before_replace)
    return AddedInputs(source=source, output=guard.given, sheets=sheets, backup=backup,
                       readme_skipped=readme_skipped)


class SheetNameClash(CostsheetError):
    """The workbook has sheets named like costsheet's; ``.sheets`` names them."""

    def __init__(self, source: str, sheets: list[str], prefix: str):
        self.sheets, self.prefix = sheets, prefix
        super().__init__(
            ngettext("{name}: already has sheet {sheets}, named like costsheet's sheets; "
                     "nothing was changed",
                     "{name}: already has sheets {sheets}, named like costsheet's sheets; "
                     "nothing was changed", len(sheets)).format(
                name=source, sheets=", ".join(repr(c) for c in sheets)),
            hint=_("give costsheet's sheets a prefix (e.g. 'LLM ', making 'LLM Summary'), or "
                   "rename those sheets first"),
            code="sheet_name_clash")


def _refuse_clashes(package: Package, existing: list[SheetEntry], names: list[str],
                    prefix: str) -> None:
    """Refuse sheets of the workbook that answer to costsheet's names (never replaced)."""
    clashes = [s.name for s in existing if any(same_sheet(s.name, n) for n in names)]
    if clashes:
        raise SheetNameClash(package.source, clashes, prefix)


def _refuse_second_inputs(package: Package) -> None:
    """Refuse a workbook that has costsheet's input sheets already (under any prefix)."""
    listed = package.owned_sheets(INPUT_PROPERTY)
    present = [s.name for s in package.sheets() if s.name in listed]
    if present:
        raise CostsheetError(
            _("{name}: already has costsheet's input sheets ({sheets}); nothing was "
              "changed").format(name=package.source, sheets=", ".join(repr(n) for n in present)),
            hint=_("fill them in, then run `costsheet check {name}`").format(
                name=package.source),
            code="inputs_present")
