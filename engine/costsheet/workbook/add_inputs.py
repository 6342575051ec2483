"""``costsheet new --into``: add the template's input sheets to a workbook a team already has.

The input sheets are built by :mod:`costsheet.workbook.template` in a scratch workbook and grafted
into the user's file at the zip level (:func:`costsheet.workbook.ooxml.graft_sheets`), so every
part of the user's workbook keeps its bytes (pivot tables, macros, pictures, links, ...), and the
dropdowns of the input sheets come along inside their sheets. Sheets of the same names already in
the workbook are an error: nothing is replaced. The README sheet is added only when the workbook
has no sheet of that name.

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
from .ooxml import Package, graft_sheets
from .safety import check_not_open, check_writable, make_backup
from .template import LAYOUT, README_SHEET, workbook_bytes

__all__ = ["INPUT_PROPERTY", "AddedInputs", "add_input_sheets", "input_sheet_names"]

INPUT_PROPERTY = "costsheet.input_sheets"


@dataclass
class AddedInputs:
    """What :func:`add_input_sheets` wrote."""

    source: Path
    output: Path
    sheets: list[str]
    backup: Path | None = None
    readme_skipped: bool = False


def _remember_language(path: Path, lang: str) -> None:
    """Record ``lang`` in the workbook's ``costsheet.language`` property, as `costsheet new`
    does (the graft has just made docProps/custom.xml): `check` and `run` then speak it.
    Every other part keeps its bytes."""
    import io
    import zipfile

    from .ooxml.docprops import set_custom_property
    from .safety import atomic_write
    from .template import LANGUAGE_PROPERTY

    pkg = Package.open(path)
    part = pkg.custom_props_part()
    if part is None:
        return
    name = pkg.part_name(part)
    data = set_custom_property(pkg.get(part), LANGUAGE_PROPERTY, lang, pkg.source)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(io.BytesIO(pkg.raw)) as src, \
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info, data if info.filename == name else src.read(info.filename))

    atomic_write(path, write)


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
) -> AddedInputs:
    """Add the template's input sheets (filled with ``example`` if given) to workbook ``path``.

    Writes in place (keeping a backup in ``.costsheet-backups/``) or to ``out``. Raises
    :class:`~costsheet.errors.CostsheetError` when the file is not a workbook costsheet can
    write, is open in Excel, is read-only, or already has a sheet named like an input sheet;
    the file is then not changed.
    """
    source = Path(path)
    target = Path(out) if out is not None else source
    package = Package.open(source)
    check_not_open(target)
    check_writable(target)
    existing = {name.casefold(): name for name in package.sheet_names()}
    wanted = input_sheet_names()
    clashes = [existing[n.casefold()] for n in wanted if n.casefold() in existing]
    if clashes:
        raise CostsheetError(
            ngettext("{name}: already has sheet {sheets}, named like costsheet's input sheets; "
                     "nothing was changed",
                     "{name}: already has sheets {sheets}, named like costsheet's input "
                     "sheets; nothing was changed", len(clashes)).format(
                name=source.name, sheets=", ".join(repr(c) for c in clashes)),
            hint=_("rename or delete those sheets first (or fill them in if they are "
                   "costsheet's)"),
        )
    readme_skipped = README_SHEET.casefold() in existing
    sheets = wanted if readme_skipped else [README_SHEET, *wanted]
    budget: Budget | None
    if example is True:
        from .examples import worked_example

        budget = worked_example(lang)
    else:
        budget = example or None
    with tempfile.TemporaryDirectory(prefix="costsheet-new-") as tmp:
        scratch = Path(tmp) / "inputs.xlsx"
        scratch.write_bytes(workbook_bytes(budget, lang=lang))
        backup = make_backup(target, keep=keep_backups) if target.exists() else None
        graft_sheets(package, scratch, target, sheets=sheets, property_name=INPUT_PROPERTY)
    _remember_language(target, lang)
    return AddedInputs(source=source, output=target, sheets=sheets, backup=backup,
                       readme_skipped=readme_skipped)
