"""What costsheet wrote on a sheet: the mark it leaves on the sheet and checks on the next run.

The mark is the text of a hidden defined name scoped to the sheet
(:data:`~costsheet.workbook.ooxml.names.OWNER_MARK`),
``costsheet/1 <layout> <checksum> <part>``:

* ``layout``: 32 hex digits of a SHA-256 over the sheet's name, the position and kind of every
  cell that holds something, every text, truth value, error value and formula in full, and the
  objects on the sheet (charts, other drawings, notes, tables, pivot tables, controls, links);
* ``checksum``: the sum of weight × mantissa over the numeric cells (dates as Excel serial
  numbers), each number's decimal exponent going into ``layout`` and its mantissa (the number
  over its power of ten, so that small and large numbers count alike) into the sum, with a
  weight in [1, 2) drawn from the cell's address;
* ``part`` (added by the graft; the first marks costsheet wrote lack it): a SHA-256 of the
  sheet's parts as written (the sheet, its relationships, its drawing and notes:
  :func:`~costsheet.workbook.ooxml.part_digest.sheet_parts_digest`). When the parts still have
  those bytes, the sheet is as costsheet wrote it and its cells are not read at all (a large
  Line items sheet takes seconds to read); when they do not (the file was saved again, by
  Excel or LibreOffice), the layout and checksum decide.

The layout and checksum come from the cells as any reader sees them, never from the part's
bytes: Excel, LibreOffice and openpyxl rewrite a sheet's XML when they save it (shared strings,
styles, the spelling of numbers), and a sheet saved again unchanged must still match.
LibreOffice writes numbers to 15 significant digits, so exponents are taken from the number
rounded to 12 digits and the checksum is compared with a tolerance of 1e-12 of the sum of weight
× |mantissa|: a number changed by less than about 1e-8 of itself (1e-7 on a sheet of 10,000
numbers) goes unnoticed; any change of a text, a formula typed in, a number changed or moved to
another cell, a chart, picture or note added is seen.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .ooxml import Package
from .ooxml.names import RT_SHARED_STRINGS
from .ooxml.part_digest import sheet_parts_digest
from .ooxml.rels import resolve
from .ooxml.xmltext import XmlText, local_name

__all__ = ["MARK_VERSION", "SheetContent", "part_unchanged", "read_contents"]

MARK_VERSION = "costsheet/1"
#: relative tolerance of the checksum (LibreOffice's 15 significant digits, with room)
TOLERANCE = 1e-12
#: relationships of a sheet that are not things a user put on it (or are counted otherwise)
_NOT_OBJECTS = frozenset({"printerSettings", "vmlDrawing", "drawing"})
_ANCHORS = frozenset({"twoCellAnchor", "oneCellAnchor", "absoluteAnchor", "AlternateContent"})
_MARK_RE = re.compile(r"^costsheet/1 ([0-9a-f]{32}) (\S+)(?: ([0-9a-f]{64}))?$")


@dataclass
class SheetContent:
    """One sheet's cells and objects, summed up (see the module's docstring)."""

    sheet: str
    layout: str = ""
    checksum: float = 0.0
    scale: float = 0.0
    first_text: str = ""  # the text of the sheet's first non-empty cell
    formulas: int = 0
    objects: dict[str, int] = field(default_factory=dict)  # kind -> count

    def mark(self) -> str:
        """The owner mark's text for this content."""
        return f"{MARK_VERSION} {self.layout} {self.checksum!r}"

    def matches(self, mark: str | None) -> bool:
        """Whether ``mark`` (an owner mark's text) was made for this content."""
        m = _MARK_RE.match((mark or "").strip().strip('"'))
        if m is None or m.group(1) != self.layout:
            return False
        try:
            checksum = float(m.group(2))
        except ValueError:
            return False
        return abs(checksum - self.checksum) <= TOLERANCE * self.scale


def part_unchanged(mark: str | None, pkg: Package, sheet: str, part: str) -> bool:
    """Whether ``mark`` (an owner mark's text) ends with the digest of ``sheet``, its part
    ``part`` of ``pkg`` and the parts it points at: they have the very bytes costsheet
    wrote."""
    m = _MARK_RE.match((mark or "").strip().strip('"'))
    if not m or not m.group(3):
        return False
    digest = sheet_parts_digest(sheet, part, lambda p: pkg.get(p) if pkg.has(p) else None,
                                pkg.source)
    return m.group(3) == digest


def read_contents(pkg: Package, sheets: Iterable[str]) -> dict[str, SheetContent]:
    """The content of each sheet of ``pkg`` named in ``sheets`` (exact names), read once.

    The cells are read straight from each sheet's XML, as any reader sees them: shared and
    inline strings alike, a formula as its text, a number as stored. costsheet writes no date
    cells on its sheets, so a graft into a workbook on the 1904 date system (which moves date
    cells) leaves its numbers as the mark says."""
    wanted = list(dict.fromkeys(sheets))
    if not wanted:
        return {}
    parts = {s.name: s.part for s in pkg.sheets()}
    strings: list[str] | None = None
    out = {}
    for name in wanted:
        part = parts.get(name)
        data = pkg.get(part) if part and pkg.has(part) else b""
        if strings is None and re.search(rb"""\bt\s*=\s*["']s["']""", data):
            strings = _shared_strings(pkg)
        content, summer = _cells(XmlText.decode(data).text if data else "", name, strings or [])
        content.objects = _objects(pkg, part) if part else {}
        for kind, n in sorted(content.objects.items()):
            summer.lines.append(f"object\t{kind}\t{n}")
        summer.finish(content)
        out[name] = content
    return out


class _Summer:
    """What the layout hash and the checksum are made of, gathered cell by cell (numbers as
    their text, turned into numbers all at once in :meth:`finish`)."""

    def __init__(self, sheet: str):
        self.lines: list[str] = [sheet]
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.numbers: list[str] = []

    def text(self, coord: str, kind: str, value: str) -> None:
        self.lines.append(f"{coord}\t{kind}\t{value}")

    def number(self, row: int, col: int, raw: str) -> None:
        self.rows.append(row)
        self.cols.append(col)
        self.numbers.append(raw)

    def finish(self, content: SheetContent) -> None:
        """The layout hash and checksum into ``content``: each number's decimal exponent (of
        the number rounded to 12 digits) goes into the hash with its cell, its mantissa times
        the cell's weight into the sum."""
        import numpy as np

        try:
            x = np.array(self.numbers, dtype=np.str_).astype(np.float64)
        except ValueError:  # not a number Excel writes: compared as text
            x = np.array([_float(v) for v in self.numbers], dtype=np.float64)
        rows = np.array(self.rows, dtype="<i8")
        cols = np.array(self.cols, dtype="<i8")
        plain = (x != 0) & np.isfinite(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ax = np.where(plain, np.abs(x), 1.0)
            step = 10.0 ** (np.floor(np.log10(ax)) - 11)
            exps = np.floor(np.log10(np.round(ax / step) * step))
            exps = np.where(plain & np.isfinite(exps), exps, 0).astype("<i8")
            mant = np.where(plain, x / 10.0 ** np.clip(exps, -300, 300), 0.0)
        odd = plain & (np.abs(exps) > 300)  # beyond 10**±300: exact, one by one
        for i in np.flatnonzero(odd):
            mant[i] = float(Decimal(float(x[i])).scaleb(-int(exps[i])))
        w = 1.0 + (rows * 2654435761 + cols * 40503 + 12345) % _PRIME / _PRIME
        terms = w * mant
        special = ["0" if v == 0 else repr(float(v)) for v in x[~plain]]
        h = hashlib.sha256("\n".join(self.lines).encode("utf-8", "surrogatepass"))
        for arr in (rows, cols, exps, plain.astype("u1")):
            h.update(b"\0" + arr.tobytes())
        h.update("\0".join(special).encode())
        content.layout = h.hexdigest()[:32]
        content.checksum = math.fsum(terms.tolist())
        content.scale = math.fsum(np.abs(terms).tolist())


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return math.nan


_PRIME = 4294967291  # weights: a cell's row and column hashed into [1, 2)
_Q = r"""(?:[^>"']|"[^"]*"|'[^']*')"""  # a character of a start tag, quoted values whole
_P = r"(?:[\w.-]+:)?"  # a namespace prefix, if any
_CELL_RE = re.compile(r"<" + _P + r"c\b(" + _Q + r"*?)(?:/>|>(.*?)</" + _P + r"c>)", re.S)
_ATTR_R = re.compile(r"""\br\s*=\s*["']([A-Z]+)([0-9]+)["']""")
_ATTR_T = re.compile(r"""\bt\s*=\s*["']([a-zA-Z]+)["']""")
_V_RE = re.compile(r"<" + _P + r"v\b[^>]*>([^<]*)</", re.S)
_F_RE = re.compile(r"<" + _P + r"f\b([^>]*?)(?:/>|>([^<]*)</)", re.S)
_T_RE = re.compile(r"<" + _P + r"t\b[^>]*?(?:/>|>([^<]*)</)", re.S)
_SI_RE = re.compile(r"<" + _P + r"si\b[^>]*?(?:/>|>(.*?)</" + _P + r"si>)", re.S)
_RPH_RE = re.compile(r"<" + _P + r"rPh\b.*?</" + _P + r"rPh>", re.S)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
#: a cell as Excel, LibreOffice and openpyxl write it (no namespace prefix, ``r`` first,
#: double quotes): (column, row, other attributes, content)
_PLAIN_CELL = re.compile(r'<c r="([A-Z]{1,3})([0-9]+)"((?: [\w:]+="[^"]*")*) ?(?:/>|>(.*?)</c>)',
                         re.S)


def _text(xml: str) -> str:
    """The text of a string item (``<si>``, ``<is>``): its runs, phonetic guides left out,
    ``_xHHHH_`` escapes decoded (as openpyxl reads them)."""
    if "rPh" in xml:
        xml = _RPH_RE.sub("", xml)
    text = html.unescape("".join(m.group(1) or "" for m in _T_RE.finditer(xml)))
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _shared_strings(pkg: Package) -> list[str]:
    """The workbook's shared strings, as text."""
    found = pkg.related(pkg.workbook_part(), RT_SHARED_STRINGS)
    if not found or not pkg.has(found[0]):
        return []
    xml = XmlText.decode(pkg.get(found[0])).text
    return [_text(m.group(1) or "") for m in _SI_RE.finditer(xml)]


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    n = _COLUMNS.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        _COLUMNS[letters] = n
    return n


def _plain_cells(xml: str) -> Iterator[tuple[str, str, str, str]]:
    """Every cell written plainly, as (column, row, attributes, content), one at a time (a
    large sheet's 600,000 cells held at once took some 200 MB)."""
    for m in _PLAIN_CELL.finditer(xml):
        yield m[1], m[2], m[3], m[4] or ""


def _general_cells(xml: str) -> Iterator[tuple[str, str, str, str]]:
    """Every cell as :func:`_plain_cells` gives it, from any spelling of the XML."""
    for m in _CELL_RE.finditer(xml):
        r = _ATTR_R.search(m.group(1))
        if r is not None:
            t = _ATTR_T.search(m.group(1))
            attrs = f' t="{t.group(1)}"' if t else ""
            yield r.group(1), r.group(2), attrs, m.group(2) or ""


def _cells(xml: str, sheet: str, strings: list[str]) -> tuple[SheetContent, _Summer]:
    """A worksheet part's cells, walked: its content (objects and layout still to come) and
    what its digest is made of. The cells are read as written plainly; when some are not (not
    every ``<c`` was such a cell), all are read again the general way."""
    out, summer, seen = _walk(_plain_cells(xml), sheet, strings)
    if seen != xml.count("<c ") + xml.count("<c>"):
        out, summer, seen = _walk(_general_cells(xml), sheet, strings)
    return out, summer


def _walk(cells: Iterable[tuple[str, str, str, str]], sheet: str,
          strings: list[str]) -> tuple[SheetContent, _Summer, int]:
    """:func:`_cells` over ``cells``, and how many there were."""
    out = SheetContent(sheet)
    summer = _Summer(sheet)
    seen = 0
    for col, row, attrs, inner in cells:
        seen += 1
        if not inner:
            continue
        at = attrs.find('t="')
        kind = attrs[at + 3:attrs.index('"', at + 3)] if at >= 0 else "n"
        if kind == "n" and inner.startswith("<v>") and inner.endswith("</v>"):
            summer.number(int(row), _column(col), inner[3:-4])
            continue
        if "<f" in inner or ":f" in inner:
            f = _F_RE.search(inner)
            if f is not None:
                out.formulas += 1
                summer.text(col + row, "f", html.unescape(f.group(2) or f.group(1)))
                continue
        value = _value(kind, inner, strings)
        if value is None or value == "":
            continue
        if kind == "n":
            summer.number(int(row), _column(col), value)
            continue
        if not out.first_text and kind in ("s", "inlineStr", "str"):
            out.first_text = value
        summer.text(col + row, kind if kind in ("b", "e") else "s", value)
    return out, summer, seen


_PLAIN_INLINE = re.compile(r'<is><t(?: xml:space="preserve")?>([^<]*)</t></is>')


def _value(kind: str, inner: str, strings: list[str]) -> str | None:
    """A cell's value from its type and inner XML, as text (a number as written); None when
    it holds none."""
    if kind == "inlineStr":
        if inner.startswith("<is><t>") and inner.endswith("</t></is>"):
            text = inner[7:-9]
        else:
            plain = _PLAIN_INLINE.fullmatch(inner)
            if plain is None:
                return _text(inner)
            text = plain.group(1)
        if "<" in text or "_x" in text:
            return _text(inner)
        return html.unescape(text) if "&" in text else text
    v = _V_RE.search(inner)
    if v is None:
        return None
    raw = v.group(1)
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            return f"#string {raw}"
    if kind == "b":
        return "1" if raw.strip() in ("1", "true") else "0"
    return html.unescape(raw)


def _objects(pkg: Package, part: str) -> dict[str, int]:
    """What is on the sheet besides cells, by kind: charts and other drawings (by anchor),
    notes (one per cell), and one per other relationship (tables, pivot tables, controls...)."""
    counts: Counter[str] = Counter()
    for r in pkg.rels(part):
        kind = r.type.rsplit("/", 1)[-1]
        target = None if r.external else pkg.part_name(resolve(part, r.target))
        if kind == "drawing" and target and pkg.has(target):
            counts.update(_anchors(pkg, target))
        elif kind == "comments" and target and pkg.has(target):
            counts["note"] += sum(1 for el in pkg.tree(target).iter()
                                  if local_name(el.tag) == "comment")
        elif kind not in _NOT_OBJECTS:
            counts[kind] += 1
    return {k: n for k, n in counts.items() if n}


def _anchors(pkg: Package, drawing: str) -> Counter[str]:
    """The drawing's anchored objects: ``chart`` for a chart frame, else ``drawing``."""
    out: Counter[str] = Counter()
    for anchor in pkg.tree(drawing):
        if local_name(anchor.tag) not in _ANCHORS:
            continue
        chart = any(local_name(el.tag) == "chart" for el in anchor.iter())
        out["chart" if chart else "drawing"] += 1
    return out
