"""Styles merging: the cell formats grafted sheets use, appended to the user's ``styles.xml``.

Only the records the grafted cells use are copied (fonts, fills, borders, number formats, cell
formats, differential formats), each deduplicated against what the user's part already holds, so
a run repeated on the same workbook does not make ``styles.xml`` grow. The user's part is edited
at text level: what it had stays byte for byte.
"""

from __future__ import annotations

import copy
import re
from xml.etree.ElementTree import Element

from ...i18n import _
from .names import MAIN_NS, PackageError
from .xmltext import XmlText, elements, emit, esc_attr, parse, prefix_for, qname, set_attr

__all__ = ["StyleMerger"]

_STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                "cellStyles", "dxfs", "tableStyles", "colors", "extLst"]
_BUILTIN_DATE_FORMATS = {*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)}
#: (attribute of a cell format, collection, record) of the records a cell format points at
_XF_PARTS = (("fontId", "fonts", "font"), ("fillId", "fills", "fill"),
             ("borderId", "borders", "border"))


def _is_date_code(code: str) -> bool:
    section = code.split(";", 1)[0]
    section = re.sub(r'"[^"]*"|\\.|_.|\*.', "", section)  # literals, escapes, padding
    section = re.sub(r"\[(?!h+\]|m+\]|s+\])[^\]]*\]", "", section, flags=re.I)  # colours
    return bool(re.search(r"[dmyhs]", section, re.I))


class StyleMerger:
    """Append the scratch styles that grafted cells use to the target's styles, deduplicated.

    ``target`` is the user's styles part (None when the workbook has none: indices then map to
    themselves and the scratch part is copied whole). :meth:`map_xf` and :meth:`map_dxf` give the
    target index of a scratch index, interning the record on first use; :meth:`result` is the
    edited target part.
    """

    def __init__(self, target: bytes | None, scratch: bytes, source: str):
        self.source = source
        self.scratch = parse(scratch, "styles.xml", source)
        self.target_text = XmlText.decode(target) if target is not None else None
        self.troot = parse(target, "styles.xml", source) if target is not None else None
        self.lists: dict[str, list[str]] = {}
        self.new: dict[str, list[str]] = {}
        self.numfmts: dict[int, str] = {}
        self.new_numfmts: list[tuple[int, str]] = []
        self.xf_map: dict[int, int] = {}
        self.dxf_map: dict[int, int] = {}
        if self.troot is not None:
            self._read_target(self.troot)

    def _read_target(self, troot: Element) -> None:
        for coll, item in (("fonts", "font"), ("fills", "fill"), ("borders", "border"),
                           ("cellXfs", "xf"), ("dxfs", "dxf")):
            el = troot.find(f"{{{MAIN_NS}}}{coll}")
            items = [] if el is None else el.findall(f"{{{MAIN_NS}}}{item}")
            self.lists[coll] = [emit(i, "", canonical=True) for i in items]
            self.new[coll] = []
        nf = troot.find(f"{{{MAIN_NS}}}numFmts")
        for e in [] if nf is None else nf.findall(f"{{{MAIN_NS}}}numFmt"):
            try:
                self.numfmts[int(e.get("numFmtId", "-1"))] = e.get("formatCode", "")
            except ValueError:
                continue

    def _scratch_items(self, coll: str, item: str) -> list[Element]:
        el = self.scratch.find(f"{{{MAIN_NS}}}{coll}")
        return [] if el is None else el.findall(f"{{{MAIN_NS}}}{item}")

    def _intern(self, coll: str, el: Element) -> int:
        canon = emit(el, "", canonical=True)
        existing = self.lists[coll]
        if canon in existing:
            return existing.index(canon)
        existing.append(canon)
        self.new[coll].append(emit(el, self._prefix()))
        return len(existing) - 1

    def _prefix(self) -> str:
        assert self.target_text is not None
        p = prefix_for(self.target_text.text, MAIN_NS)
        if p is None:
            raise PackageError(f"{self.source}: styles.xml: " + _("not a SpreadsheetML style "
                                                                  "sheet"))
        return p

    def _numfmt(self, scratch_id: int) -> int:
        if scratch_id < 164:
            return scratch_id
        codes = {int(e.get("numFmtId", "-1")): e.get("formatCode", "")
                 for e in self._scratch_items("numFmts", "numFmt")}
        code = codes.get(scratch_id)
        if code is None:
            return 0
        for fid, fcode in self.numfmts.items():
            if fcode == code and fid >= 164:
                return fid
        new_id = max([163, *self.numfmts]) + 1
        self.numfmts[new_id] = code
        self.new_numfmts.append((new_id, code))
        return new_id

    def is_date_xf(self, index: int) -> bool:
        """Whether scratch cell style ``index`` shows numbers as dates or times."""
        xfs = self._scratch_items("cellXfs", "xf")
        if not 0 <= index < len(xfs):
            return False
        try:
            fid = int(xfs[index].get("numFmtId", "0"))
        except ValueError:
            return False
        if fid in _BUILTIN_DATE_FORMATS:
            return True
        for e in self._scratch_items("numFmts", "numFmt"):
            if e.get("numFmtId") == str(fid):
                return _is_date_code(e.get("formatCode", ""))
        return False

    def map_xf(self, index: int) -> int:
        """The target cell format index of scratch cell format ``index``."""
        if self.troot is None:
            return index
        if index in self.xf_map:
            return self.xf_map[index]
        xfs = self._scratch_items("cellXfs", "xf")
        if index >= len(xfs):
            self.xf_map[index] = 0
            return 0
        xf = copy.deepcopy(xfs[index])
        for attr, coll, item in _XF_PARTS:
            items = self._scratch_items(coll, item)
            i = int(xf.get(attr, "0"))
            if i < len(items):
                xf.set(attr, str(self._intern(coll, items[i])))
            else:
                xf.set(attr, "0")
        xf.set("numFmtId", str(self._numfmt(int(xf.get("numFmtId", "0")))))
        xf.set("xfId", "0")
        result = self._intern("cellXfs", xf)
        self.xf_map[index] = result
        return result

    def map_dxf(self, index: int) -> int:
        """The target differential format index of scratch ``index`` (conditional formats)."""
        if self.troot is None:
            return index
        if index not in self.dxf_map:
            items = self._scratch_items("dxfs", "dxf")
            self.dxf_map[index] = self._intern("dxfs", items[index]) if index < len(items) else 0
        return self.dxf_map[index]

    def result(self) -> bytes | None:
        """The edited target styles part, or ``None`` when nothing had to be added."""
        if self.target_text is None:
            return None
        p = self._prefix()
        text = self.target_text.text
        additions: dict[str, tuple[str, int]] = {}
        if self.new_numfmts:
            items = "".join(
                f'<{qname(p, "numFmt")} numFmtId="{i}" formatCode="{esc_attr(c)}"/>'
                for i, c in self.new_numfmts
            )
            additions["numFmts"] = (items, len(self.numfmts))
        for coll in ("fonts", "fills", "borders", "cellXfs", "dxfs"):
            if self.new[coll]:
                additions[coll] = ("".join(self.new[coll]), len(self.lists[coll]))
        if not additions:
            return None
        for coll, (items, count) in additions.items():
            text = _append_to_collection(text, p, coll, items, count)
        return self.target_text.replaced(text)


def _append_to_collection(text: str, p: str, coll: str, items: str, count: int) -> str:
    """``items`` appended to collection ``coll`` (created in schema order if missing)."""
    found = elements(text, p, coll)
    qc = qname(p, coll)
    if found:
        start, end, _attrs, inner = found[0]
        whole = text[start:end]
        head = whole[: whole.index(">") + 1]
        if inner is None:  # self-closing
            head = head[:-2].rstrip() + ">"
        new = set_attr(head, "count", str(count)) + (inner or "") + items + f"</{qc}>"
        return text[:start] + new + text[end:]
    new = f'<{qc} count="{count}">{items}</{qc}>'
    later = _STYLE_ORDER[_STYLE_ORDER.index(coll) + 1:]
    positions = [f[0][0] for f in (elements(text, p, c) for c in later) if f]
    at = min(positions) if positions else text.rindex("</" + qname(p, "styleSheet"))
    return text[:at] + new + text[at:]
