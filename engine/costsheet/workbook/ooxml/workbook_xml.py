"""The workbook part (``xl/workbook.xml``) edited for a graft: the sheet list in its new order,
the active and first tab, and the defined names (sheet-local ones follow their sheet; global
ones of the scratch workbook are carried over)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ...i18n import _
from .names import MAIN_NS, R_NS, PackageError
from .package import Package, SheetEntry
from .xmltext import (
    Edit,
    Elem,
    XmlText,
    elements,
    esc,
    esc_attr,
    opening_tag,
    prefix_for,
    qname,
    set_attr,
    splice,
)

__all__ = ["DefinedName", "SheetMove", "edit_workbook_xml", "scratch_defined_names"]

_SHEET_REF_RE = re.compile(r"(?:'((?:[^']|'')+)'|([^\s'!,()=+\-*/^&<>:;\"{}]+))!")


@dataclass
class DefinedName:
    """A defined name of the scratch workbook."""

    name: str
    local: int | None  # localSheetId
    value: str
    attrs: dict[str, str]


@dataclass
class SheetMove:
    """How a graft changes the sheet list: before, after, what goes and what comes."""

    before: list[SheetEntry]  # the target's sheets, in tab order
    after: list[SheetEntry]  # the new tab order
    removed: set[str]  # case-folded names of the sheets taken out
    grafted: list[str]  # the grafted sheets' names
    new_index: dict[str, int] = field(init=False)  # case-folded name -> new tab index

    def __post_init__(self) -> None:
        self.new_index = {s.name.casefold(): i for i, s in enumerate(self.after)}

    @property
    def grafted_keys(self) -> set[str]:
        return {n.casefold() for n in self.grafted}


def scratch_defined_names(pkg: Package, wb_part: str) -> list[DefinedName]:
    """The defined names of workbook part ``wb_part``."""
    dn = pkg.tree(wb_part).find(f"{{{MAIN_NS}}}definedNames")
    out = []
    for el in [] if dn is None else dn.findall(f"{{{MAIN_NS}}}definedName"):
        local = el.get("localSheetId")
        extra = {k: v for k, v in el.attrib.items()
                 if k not in ("name", "localSheetId") and not k.startswith("{")}
        out.append(DefinedName(el.get("name", ""), int(local) if local is not None else None,
                               el.text or "", extra))
    return out


def referenced_sheets(formula: str) -> set[str]:
    """Case-folded names of the sheets a formula refers to (``Sheet!A1``, ``'My sheet'!A1``)."""
    out = set()
    for m in _SHEET_REF_RE.finditer(formula):
        name = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        if ":" in name:
            continue
        out.add(name.casefold())
    return out


def edit_workbook_xml(data: bytes, move: SheetMove, scratch_names: list[DefinedName],
                      scratch_order: list[str], source: str, *, full_calc: bool = False,
                      activate: int | None = None) -> tuple[bytes, int]:
    """The workbook part for the new sheet list, and the new index of the active tab.

    ``full_calc``: Excel recalculates every formula when it opens the file; ``activate``: the
    new tab index to open on (instead of the active tab, moved with its sheet)."""
    doc = XmlText.decode(data)
    text = doc.text
    p = prefix_for(text, MAIN_NS)
    if p is None:
        raise PackageError(f"{source}: " + _("workbook part is not SpreadsheetML (Strict "
                                             "OOXML?)"))
    _attach_tags(text, p, move.before, source)
    edits, active = _view_edits(text, p, move, activate)
    sheets_el = elements(text, p, "sheets")
    if not sheets_el:
        raise PackageError(f"{source}: " + _("workbook has no <sheets> list"))
    if activate is not None and activate > 0 and not elements(text, p, "workbookView"):
        at = sheets_el[0][0]
        view = qname(p, "workbookView")
        edits.append((at, at, f'<{qname(p, "bookViews")}><{view} activeTab="{activate}"/>'
                              f'</{qname(p, "bookViews")}>'))
        active = activate
    edits.append(_sheets_edit(text, p, prefix_for(text, R_NS), move.after, sheets_el[0]))
    names = _NameMerge(text, p, move, source)
    edits += names.edits(scratch_names, scratch_order, sheets_el[0][1])
    text = splice(text, edits)
    return doc.replaced(_full_calc_on_load(text, p) if full_calc else text), active


#: what may come between ``</sheets>`` and ``<calcPr>`` (CT_Workbook's order), last first
_BEFORE_CALC_PR = ("definedNames", "externalReferences", "functionGroups", "sheets")


def _full_calc_on_load(text: str, p: str) -> str:
    """``<calcPr fullCalcOnLoad="1">``: Excel recalculates every formula on open (and drops
    the flag when it saves). Added after the elements CT_Workbook puts before it."""
    found = elements(text, p, "calcPr")
    if found:
        s0, e0, _a, _inner = found[0]
        head_end = text.index(">", s0) + 1
        head = set_attr(text[s0:head_end], "fullCalcOnLoad", "1")
        return text[:s0] + head + text[head_end:]
    for local in _BEFORE_CALC_PR:
        before = elements(text, p, local)
        if before:
            at = before[-1][1]
            return text[:at] + f'<{qname(p, "calcPr")} fullCalcOnLoad="1"/>' + text[at:]
    return text


def _attach_tags(text: str, p: str, sheets: list[SheetEntry], source: str) -> None:
    """Keep each existing sheet's ``<sheet .../>`` text, to write it back unchanged."""
    tags = elements(text, p, "sheet")
    if len(tags) != len(sheets):
        raise PackageError(f"{source}: " + _("cannot read the sheet list of the workbook"))
    for entry, (s0, e0, _a, _i) in zip(sheets, tags, strict=True):
        entry.tag = text[s0:e0]


def _view_edits(text: str, p: str, move: SheetMove,
                activate: int | None = None) -> tuple[list[Edit], int]:
    """Every workbook view's active and first tab moved with its sheet, or the active tab set
    to ``activate`` (the first tab shown no further right than it); the new active tab."""
    active = 0 if activate is None else activate
    edits: list[Edit] = []
    for vi, (s0, e0, a, _inner) in enumerate(elements(text, p, "workbookView")):
        head_end = text[s0:e0].index(">") + 1
        head = text[s0:s0 + head_end]
        moved = {attr: _moved_tab(a[attr], move) for attr in ("activeTab", "firstSheet")
                 if attr in a}
        if activate is not None:
            moved["activeTab"] = activate
            if moved.get("firstSheet", 0) > activate:
                moved["firstSheet"] = activate
        elif vi == 0:
            active = moved.get("activeTab", 0)
        for attr, new in moved.items():
            if a.get(attr) != str(new):
                head = set_attr(head, attr, str(new))
        edits.append((s0, s0 + head_end, head))
    return edits, active


def _moved_tab(value: str, move: SheetMove) -> int:
    """The new index of the tab at index ``value`` (its neighbour's when it is gone)."""
    try:
        idx = int(value)
    except ValueError:
        idx = 0
    idx = min(max(idx, 0), max(len(move.before) - 1, 0))
    name = move.before[idx].name.casefold() if move.before else ""
    if name in move.new_index:
        return move.new_index[name]
    return min(idx, max(len(move.after) - 1, 0))


def _sheets_edit(text: str, p: str, rp: str | None, layout: list[SheetEntry],
                 sheets_el: Elem) -> Edit:
    """The ``<sheets>`` element rebuilt in the new order (kept sheets keep their text)."""
    qsheet = qname(p, "sheet")
    r_attr = qname(rp, "id") if rp is not None else "r:id"
    r_decl = "" if rp is not None else f' xmlns:r="{R_NS}"'
    pieces = []
    for entry in layout:
        if entry.tag:
            pieces.append(entry.tag)
        else:
            state = "" if entry.state == "visible" else f' state="{esc_attr(entry.state)}"'
            pieces.append(f'<{qsheet} name="{esc_attr(entry.name)}" sheetId="{entry.sheet_id}"'
                          f'{state} {r_attr}="{entry.rid}"{r_decl}/>')
    s0, e0, _a, _inner = sheets_el
    head = opening_tag(text, s0, e0)
    return (s0, e0, head + "".join(pieces) + f"</{qname(p, 'sheets')}>")


class _NameMerge:
    """The ``<definedNames>`` of the target merged with the scratch workbook's names."""

    def __init__(self, text: str, p: str, move: SheetMove, source: str):
        self.text, self.p, self.move, self.source = text, p, move, source
        self.pieces: list[str] = []
        self.globals: dict[str, tuple[int, str]] = {}  # name -> (piece index, formula)

    def edits(self, scratch: list[DefinedName], scratch_order: list[str],
              sheets_end: int) -> list[Edit]:
        found = elements(self.text, self.p, "definedNames")
        if found:
            self._keep_target_names(found[0])
        for dn in scratch:
            self._add_scratch_name(dn, scratch_order)
        pieces = [x for x in self.pieces if x]
        close = f"</{qname(self.p, 'definedNames')}>"
        if found:
            ds, de, _da, _inner = found[0]
            if not pieces:
                return [(ds, de, "")]
            return [(ds, de, opening_tag(self.text, ds, de) + "".join(pieces) + close)]
        if not pieces:
            return []
        block = f"<{qname(self.p, 'definedNames')}>{''.join(pieces)}{close}"
        anchor = (elements(self.text, self.p, "externalReferences")
                  or elements(self.text, self.p, "functionGroups"))
        at = anchor[0][1] if anchor else sheets_end
        return [(at, at, block)]

    def _keep_target_names(self, block: Elem) -> None:
        """The target's names, minus those of removed sheets; local ones follow their sheet."""
        ds, de, _a, _inner = block
        for s1, e1, a1, inner1 in elements(self.text, self.p, "definedName", ds, de):
            local = a1.get("localSheetId")
            if local is not None:
                moved = self._moved_local(self.text[s1:e1], local)
                if moved is not None:
                    self.pieces.append(moved)
                continue
            value = html.unescape(inner1 or "")
            refs = referenced_sheets(value)
            if refs and refs <= self.move.removed and not (refs & self.move.grafted_keys):
                continue  # points only at sheets that are gone for good
            self.globals[a1.get("name", "").casefold()] = (len(self.pieces), value)
            self.pieces.append(self.text[s1:e1])

    def _moved_local(self, piece: str, local: str) -> str | None:
        """A sheet-local name with its sheet's new index; None when its sheet is removed."""
        try:
            li = int(local)
        except ValueError:
            return piece
        if not 0 <= li < len(self.move.before):
            return piece
        key = self.move.before[li].name.casefold()
        if key in self.move.removed:
            return None
        new = self.move.new_index[key]
        if new != li:
            head_end = piece.index(">") + 1
            piece = set_attr(piece[:head_end], "localSheetId", str(new)) + piece[head_end:]
        return piece

    def _add_scratch_name(self, dn: DefinedName, scratch_order: list[str]) -> None:
        if dn.local is not None:
            if not 0 <= dn.local < len(scratch_order):
                return
            sname = scratch_order[dn.local]
            if sname not in self.move.grafted:
                return
            local_attr = f' localSheetId="{self.move.new_index[sname.casefold()]}"'
        else:
            if not self._global_wanted(dn):
                return
            local_attr = ""
        qdn = qname(self.p, "definedName")
        extra = "".join(f' {k}="{esc_attr(v)}"' for k, v in dn.attrs.items())
        self.pieces.append(f'<{qdn} name="{esc_attr(dn.name)}"{local_attr}{extra}>'
                           f"{esc(dn.value)}</{qdn}>")

    def _global_wanted(self, dn: DefinedName) -> bool:
        """Whether a global scratch name is added: it refers to grafted sheets only, and a
        same-named target name is the same or refers only to sheets that are replaced."""
        refs = referenced_sheets(dn.value)
        grafted = self.move.grafted_keys
        if refs and not refs <= grafted:
            return False  # refers to a scratch sheet that is not grafted
        prev = self.globals.get(dn.name.casefold())
        if prev is None:
            return True
        if prev[1].strip() == dn.value.strip():
            return False
        prev_refs = referenced_sheets(prev[1])
        if prev_refs and prev_refs <= self.move.removed | grafted:
            self.pieces[prev[0]] = ""
            return True
        raise PackageError(
            f"{self.source}: " + _("a defined name {name!r} already exists ({value}) and "
                                   "differs from costsheet's ({ours})").format(
                name=dn.name, value=prev[1], ours=dn.value),
            hint=_("rename or delete that name in Excel (Formulas > Name Manager)"),
        )
