"""The user's formulas that read costsheet's sheets, which a run leaves to be recalculated.

``costsheet run`` writes values into its own sheets and asks Excel to recalculate every formula
when it opens the file (``calcPr fullCalcOnLoad``, :func:`~costsheet.workbook.ooxml.graft_sheets`
``recalc=``). LibreOffice does not read that flag: with its default setting (Tools > Options >
LibreOffice Calc > Formula > Recalculation on file load, Excel 2007 and newer: "Never
recalculate") it shows the result each formula had when the file was last saved. costsheet never
edits the user's sheets, so it cannot clear those results; it finds the formulas that read its
sheets (directly, or through a defined name) and says where they are, so that the user knows to
recalculate (Data > Calculate > Recalculate Hard).
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence

from .ooxml import Package
from .ooxml.workbook_xml import scratch_defined_names

__all__ = ["formulas_reading"]

_CELL_FORMULA = re.compile(
    r"<(?:[\w.-]+:)?c\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\br\s*=\s*[\"']([A-Z]{1,3}[0-9]+)[\"']"
    r"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>\s*<(?:[\w.-]+:)?f\b[^>]*>([^<]+)</", re.S)


def formulas_reading(pkg: Package, sheets: Sequence[str], *,
                     skip: Collection[str] = ()) -> list[str]:
    """The cells (``Sheet!B1``) of the formulas that read one of ``sheets``, directly or through
    a defined name, on every sheet of ``pkg`` but those named in ``skip``."""
    if not sheets:
        return []
    refs = _sheet_refs(sheets)
    names = [dn.name for dn in scratch_defined_names(pkg, pkg.workbook_part())
             if refs.search(dn.value)]
    by_name = (re.compile(r"(?<![\w.'!])(?:" + "|".join(re.escape(n) for n in names)
                          + r")(?![\w.(!])", re.I) if names else None)
    skipped = {s.casefold() for s in skip}
    out: list[str] = []
    for entry in pkg.sheets():
        if entry.name.casefold() in skipped or not entry.part or not pkg.has(entry.part):
            continue
        text = pkg.get(entry.part).decode("utf-8", "ignore")
        if "<f" not in text and ":f" not in text:
            continue
        for m in _CELL_FORMULA.finditer(text):
            formula = html.unescape(m.group(2))
            if refs.search(formula) or (by_name is not None and by_name.search(formula)):
                out.append(f"{_quoted(entry.name)}!{m.group(1)}")
    return out


def _sheet_refs(sheets: Sequence[str]) -> re.Pattern[str]:
    """A reference to any of ``sheets``: ``Summary!``, ``'Line items'!`` (any case)."""
    options = []
    for name in sheets:
        options.append("'" + re.escape(name.replace("'", "''")) + "'!")
        if re.fullmatch(r"[A-Za-z_][\w.]*", name):
            options.append(r"(?<![\w.'])" + re.escape(name) + "!")
    return re.compile("|".join(options), re.I)


def _quoted(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][\w.]*", name) else "'" + name.replace("'", "''") + "'"
