"""What costsheet wrote on a sheet: the mark it leaves on the sheet and checks on the next run.

The mark is the text of a hidden defined name scoped to the sheet
(:data:`~costsheet.workbook.ooxml.names.OWNER_MARK`), ``costsheet/1 <layout> <checksum>``:

* ``layout``: 32 hex digits of a SHA-256 over the sheet's name, the position and kind of every
  cell that holds something, every text, truth value, error value and formula in full, and the
  objects on the sheet (charts, other drawings, notes, tables, pivot tables, controls, links);
* ``checksum``: the sum of weight × mantissa over the numeric cells (dates as Excel serial
  numbers), each number's decimal exponent going into ``layout`` and its mantissa (the number
  over its power of ten, so that small and large numbers count alike) into the sum, with a
  weight in [1, 2) drawn from the cell's address.

Both come from the cells as any reader sees them, never from the part's bytes: Excel,
LibreOffice and openpyxl rewrite a sheet's XML when they save it (shared strings, styles, the
spelling of numbers), and a sheet saved again unchanged must still match. LibreOffice writes
numbers to 15 significant digits, so exponents are taken from the number rounded to 12 digits
and the checksum is compared with a tolerance of 1e-12 of the sum of weight × |mantissa|: a
number changed by less than about 1e-8 of itself (1e-7 on a sheet of 10,000 numbers) goes
unnoticed; any change of a text, a formula typed in, a number changed or moved to another cell,
a chart, picture or note added is seen.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .ooxml import Package
from .ooxml.rels import resolve
from .ooxml.xmltext import local_name

__all__ = ["MARK_VERSION", "SheetContent", "read_contents"]

MARK_VERSION = "costsheet/1"
#: relative tolerance of the checksum (LibreOffice's 15 significant digits, with room)
TOLERANCE = 1e-12
#: relationships of a sheet that are not things a user put on it (or are counted otherwise)
_NOT_OBJECTS = frozenset({"printerSettings", "vmlDrawing", "drawing"})
_ANCHORS = frozenset({"twoCellAnchor", "oneCellAnchor", "absoluteAnchor", "AlternateContent"})
_MARK_RE = re.compile(r"^costsheet/1 ([0-9a-f]{32}) (\S+)$")


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


def read_contents(pkg: Package, sheets: Iterable[str]) -> dict[str, SheetContent]:
    """The content of each sheet of ``pkg`` named in ``sheets`` (exact names), read once."""
    wanted = list(dict.fromkeys(sheets))
    if not wanted:
        return {}
    parts = {s.name: s.part for s in pkg.sheets()}
    wb = pkg.open_workbook(data_only=False)
    try:
        out = {}
        for name in wanted:
            content, summer = _cells(wb[name], name)
            part = parts.get(name)
            content.objects = _objects(pkg, part) if part else {}
            for kind, n in sorted(content.objects.items()):
                summer.hash.update(f"object\t{kind}\t{n}\n".encode())
            content.layout = summer.hash.hexdigest()[:32]
            out[name] = content
        return out
    finally:
        wb.close()


class _Summer:
    """The layout hash and the weighted sums, fed one cell at a time."""

    def __init__(self, sheet: str):
        self.hash = hashlib.sha256(sheet.encode("utf-8") + b"\0")
        self.terms: list[float] = []
        self.scales: list[float] = []

    def text(self, coord: str, kind: str, value: str) -> None:
        self.hash.update(f"{coord}\t{kind}\t{value}\n".encode("utf-8", "surrogatepass"))

    def number(self, coord: str, value: float) -> None:
        if value == 0 or not math.isfinite(value):
            self.hash.update(f"{coord}\tn\t{value!r}\n".encode())
            return
        exponent = math.floor(math.log10(abs(float(f"{value:.12g}"))))
        self.hash.update(f"{coord}\tn\t{exponent}\n".encode())
        mantissa = value / 10.0**exponent if -300 < exponent < 300 else \
            float(Decimal(value).scaleb(-exponent))
        w = 1.0 + int.from_bytes(hashlib.sha256(coord.encode()).digest()[:6], "big") / 2**48
        self.terms.append(w * mantissa)
        self.scales.append(abs(w * mantissa))


def _cells(ws: Any, sheet: str) -> tuple[SheetContent, _Summer]:
    """A read-only worksheet's cells, walked: its content (objects and layout still to come)
    and the sums so far."""
    out = SheetContent(sheet)
    summer = _Summer(sheet)
    ws.reset_dimensions()
    for row in ws.iter_rows():
        for cell in row:
            value = getattr(cell, "value", None)
            if value is None or value == "":
                continue
            coord = cell.coordinate
            kind = getattr(cell, "data_type", "n")
            if not out.first_text and isinstance(value, str):
                out.first_text = value
            if kind == "f":
                out.formulas += 1
                summer.text(coord, "f", str(value))
            elif isinstance(value, bool):
                summer.text(coord, "b", str(int(value)))
            elif isinstance(value, (int, float)):
                summer.number(coord, float(value))
            elif isinstance(value, (datetime, date, time, timedelta)):
                summer.number(coord, _serial(value))
            else:
                summer.text(coord, "e" if kind == "e" else "s", str(value))
    out.checksum = math.fsum(summer.terms)
    out.scale = math.fsum(summer.scales)
    return out, summer


def _serial(value: datetime | date | time | timedelta) -> float:
    """A date or time as the serial number Excel stores (1900 date system)."""
    from openpyxl.utils.datetime import to_excel

    return float(to_excel(value))


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
