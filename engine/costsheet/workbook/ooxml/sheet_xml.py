"""Worksheet XML of a grafted sheet, rewritten for its new workbook.

A scratch sheet's style indices are mapped to the user's styles (:class:`.styles.StyleMerger`),
its shared strings become inline strings (the user's ``sharedStrings.xml`` is never touched), its
dates move when the two workbooks count dates from different epochs (1900 / 1904), and its sheet
view is marked as the selected tab or not. Everything else keeps its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ...i18n import _
from .names import MAIN_NS, RT_SHARED_STRINGS, PackageError
from .package import Package
from .styles import StyleMerger
from .xmltext import ATTRS, XmlText, attrs, del_attr, emit, esc, prefix_for, qname, set_attr

__all__ = ["deselect_tab", "rewrite_sheet", "shared_strings", "tab_selected"]

#: days between the 1900 and the 1904 date systems
EPOCH_1904_SHIFT = 1462

_S_ATTR_RE = re.compile(rb"""s\s*=\s*["']""")  # every attribute whose name ends in s
_TAB_SELECTED_RE = re.compile(
    rb"""<(?:[\w.-]+:)?sheetView\s(?:[^>"']|"[^"]*"|'[^']*')*?\btabSelected\s*=\s*"""
    rb"""["'](?:1|true)["']""")


def tab_selected(data: bytes) -> bool:
    """Whether worksheet part ``data`` is a selected tab (a sheet view with ``tabSelected``);
    only the sheet views, before the cells, are looked at."""
    end = data.find(b"sheetData")
    head = data[: end if end >= 0 else 1 << 16]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode()
    return _TAB_SELECTED_RE.search(head) is not None


_SHEET_VIEW_RE = re.compile(r"""<(?:[\w.-]+:)?sheetView\s(?:[^>"']|"[^"]*"|'[^']*')*?>""")
_TAB_SELECTED_ATTR = re.compile(r"""\s+tabSelected\s*=\s*(?:"[^"]*"|'[^']*')""")


def deselect_tab(data: bytes) -> bytes:
    """Worksheet part ``data`` with the ``tabSelected`` attribute taken off its sheet views
    (every other byte kept)."""
    doc = XmlText.decode(data)
    text = doc.text
    end = text.find("sheetData")
    head = text[: end if end >= 0 else len(text)]
    new_head = _SHEET_VIEW_RE.sub(lambda m: _TAB_SELECTED_ATTR.sub("", m.group(0)), head)
    return data if new_head == head else doc.replaced(new_head + text[len(head):])


def shared_strings(pkg: Package, wb_part: str) -> list[str]:
    """Inner XML of each <si> of the scratch workbook's shared strings, ready for <is>."""
    parts = pkg.related(wb_part, RT_SHARED_STRINGS)
    if not parts or not pkg.has(parts[0]):
        return []
    out = []
    for si in pkg.tree(parts[0]).findall(f"{{{MAIN_NS}}}si"):
        children = list(si)
        if len(children) == 1 and children[0].tag == f"{{{MAIN_NS}}}t":
            out.append(_t_element(children[0].text or ""))
        else:
            out.append("".join(emit(c, "") for c in children))
    return out


def _t_element(value: str) -> str:
    if value != value.strip() or "\n" in value or "  " in value:
        return f'<t xml:space="preserve">{esc(value)}</t>'
    return f"<t>{esc(value)}</t>"


def rewrite_sheet(data: bytes, strings: list[str], styles: StyleMerger, *, selected: bool,
                  source: str, date_shift: int = 0) -> bytes:
    """Worksheet part ``data`` with styles mapped, shared strings inlined, dates shifted by
    ``date_shift`` days and the tab selected or not."""
    if not date_shift and b'"s"' not in data and b"'s'" not in data:
        # no shared-string cell and no date to shift (openpyxl writes inline strings): only
        # style indices change, in one pass over the start tags of cells and rows
        fast = _rewrite_styles_only(data, styles, selected, prefixed_ok=not strings)
        if fast is not None:
            return fast
    doc = XmlText.decode(data)
    p = prefix_for(doc.text, MAIN_NS)
    if p is None:
        raise PackageError(f"{source}: " + _("scratch sheet is not a SpreadsheetML worksheet"))
    if strings and p != "":
        raise PackageError(f"{source}: " + _("scratch sheet with prefixed namespace is not "
                                             "supported"))
    cells = _CellRewriter(p, strings, styles, source, date_shift)
    text = cells.pattern.sub(cells, doc.text)
    text = _restyle(text, p, "row", "s", styles.map_xf)
    text = _restyle(text, p, "col", "style", styles.map_xf)
    text = _restyle(text, p, "cfRule", "dxfId", styles.map_dxf)
    return doc.replaced(_select(text, p, selected))


class _CellRewriter:
    """The replacement of one ``<c>`` element (a callable for :meth:`re.Pattern.sub`)."""

    def __init__(self, p: str, strings: list[str], styles: StyleMerger, source: str,
                 date_shift: int):
        self.p, self.strings, self.styles = p, strings, styles
        self.source, self.date_shift = source, date_shift
        qc = re.escape(qname(p, "c"))
        self.pattern = re.compile(
            r"<" + qc + r"(?![\w:.-])(" + ATTRS + r")(/>|>(.*?)</" + qc + r">)", re.S)
        self.v_re = re.compile(r"<" + re.escape(qname(p, "v")) + r"(?:\s[^>]*)?>(.*?)</", re.S)

    def __call__(self, m: re.Match[str]) -> str:
        close = f"</{qname(self.p, 'c')}>"
        head = "<" + qname(self.p, "c") + m.group(1) + ">"
        a = attrs(m.group(1))
        if "s" in a:
            head = set_attr(head, "s", str(self.styles.map_xf(int(a["s"]))))
        inner = m.group(3)
        if a.get("t") == "s" and inner is not None:
            head = set_attr(head, "t", "inlineStr")
            return f"{head}<is>{self._string(inner)}</is>{close}"
        if (self.date_shift and inner is not None and a.get("t", "n") == "n"
                and self.styles.is_date_xf(int(a.get("s", "0")))):
            inner = self._shift_date(inner)
        if inner is None:
            return head[:-1] + "/>"
        return f"{head}{inner}{close}"

    def _string(self, inner: str) -> str:
        vm = self.v_re.search(inner)
        idx = int(vm.group(1)) if vm else -1
        if not 0 <= idx < len(self.strings):
            raise PackageError(f"{self.source}: " + _("shared string {index} missing in scratch "
                                                      "workbook").format(index=idx))
        return self.strings[idx]

    def _shift_date(self, inner: str) -> str:
        vm = self.v_re.search(inner)
        if vm is None:
            return inner
        try:
            serial = float(vm.group(1))
        except ValueError:
            return inner
        shifted = serial + self.date_shift
        value = repr(int(shifted)) if shifted.is_integer() else repr(shifted)
        return inner[: vm.start(1)] + value + inner[vm.end(1):]


def _restyle(text: str, p: str, tag: str, attr: str, mapper: Callable[[int], int]) -> str:
    """Map the style index ``attr`` of every ``tag`` start tag through ``mapper``."""
    pat = re.compile(r"<" + re.escape(qname(p, tag)) + r"(?![\w:.-])" + ATTRS + r"/?>", re.S)

    def sub(m: re.Match[str]) -> str:
        a = attrs(m.group(0))
        if attr in a:
            return set_attr(m.group(0), attr, str(mapper(int(a[attr]))))
        return m.group(0)

    return pat.sub(sub, text)


def _select(text: str, p: str, selected: bool) -> str:
    """The first sheet view marked as the selected tab, or not."""
    sv = re.compile(r"<" + re.escape(qname(p, "sheetView")) + r"(?![\w:.-])" + ATTRS + r"/?>",
                    re.S)

    def view(m: re.Match[str]) -> str:
        tag = del_attr(m.group(0), "tabSelected")
        return set_attr(tag, "tabSelected", "1") if selected else tag

    return sv.sub(view, text, count=1)


def _rewrite_styles_only(data: bytes, styles: StyleMerger, selected: bool, *,
                         prefixed_ok: bool = True) -> bytes | None:
    """:func:`rewrite_sheet` of a UTF-8 sheet with no shared string and no date to shift.

    The same bytes as the general rewrite, without decoding the cells: cells as openpyxl
    writes them (``<c r="A1" s="3"``) get their style index mapped by splitting the cells at
    it, when those are all the style attributes among the cells; else one regular-expression
    pass over the start tags of cells and rows. None when the part is not that simple (the
    caller then takes the general way).
    """
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        p = prefix_for(data[len(bom):len(bom) + 65536].decode("utf-8", "ignore"), MAIN_NS)
    except ValueError:
        return None
    if p is None or (p and not prefixed_ok):
        return None
    start = data.find(b"<" + qname(p, "sheetData").encode())
    end = data.rfind(b"</" + qname(p, "sheetData").encode())
    if not 0 <= start < end:
        return None
    try:  # sheet views and columns come before the cells, conditional formats after them
        head = data[len(bom):start].decode("utf-8")
        tail = data[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = _select(_restyle(head, p, "col", "style", styles.map_xf), p, selected)
    tail = _restyle(tail, p, "cfRule", "dxfId", styles.map_dxf)
    parts = _map_cell_styles(data[start:end], p, _IndexMap(styles.map_xf))
    return b"".join([bom, head.encode("utf-8"), *parts, tail.encode("utf-8")])


def _map_cell_styles(body: bytes, p: str, mapped: _IndexMap) -> list[bytes]:
    """``<sheetData>`` bytes with the style index of every cell and row mapped, in pieces.

    Cells as openpyxl writes them are split at their style index a piece of rows at a time
    (:func:`_row_pieces`: splitting a large sheet's 600,000 cells at once held hundreds of MB
    of small pieces); when one piece has another style attribute, the whole body takes the
    general way."""
    qc = re.escape(qname(p, "c")).encode()
    split = re.compile(rb'(<' + qc + rb' r="[A-Z]{1,3}[0-9]+" s=")([0-9]+)"')
    out: list[bytes] = []
    for piece in _row_pieces(body, f"</{qname(p, 'row')}>".encode()):
        parts = split.split(piece)
        if len(parts) // 3 != len(_S_ATTR_RE.findall(piece)):
            out = []
            break
        parts[2::3] = [mapped[i] + b'"' for i in parts[2::3]]
        out.append(b"".join(parts))
    else:
        return out
    tags = b"|".join(re.escape(qname(p, t)).encode() for t in ("c", "row"))
    pat = re.compile(rb"(<(?:" + tags + rb")\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\ss\s*=\s*)"
                     rb"(?:\"(\d+)\"|'(\d+)')")
    return [pat.sub(lambda m: m[1] + b'"' + mapped[m[2] or m[3]] + b'"', body)]


def _row_pieces(body: bytes, row_end: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """``body`` in pieces of about ``size`` bytes, each ending after a row's end tag (the last
    with the rest): no start tag of a cell or a row is ever cut."""
    start = 0
    while start < len(body):
        cut = body.find(row_end, start + size)
        stop = len(body) if cut < 0 else cut + len(row_end)
        yield body[start:stop]
        start = stop


class _IndexMap(dict[bytes, bytes]):
    """Style index digits → mapped index digits (bytes), computed on first use."""

    def __init__(self, mapper: Callable[[int], int]):
        super().__init__()
        self.mapper = mapper

    def __missing__(self, key: bytes) -> bytes:
        value = self[key] = str(self.mapper(int(key))).encode()
        return value
