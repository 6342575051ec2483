"""A digest of a sheet as its parts hold it: its name, the sheet part, its relationships and
the parts they point at directly (drawing, notes...), byte for byte.

The graft puts it at the end of each owner mark (:func:`~.graft.graft_sheets` ``marks=``); the
next run compares it with the workbook's parts and, when the bytes are the same, need not read
the sheet's cells to know it is unchanged. A chart or picture added to a sheet that already has
a drawing changes only the drawing part, so the drawing is in the digest too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from .rels import parse_rels, rels_path, resolve

__all__ = ["sheet_parts_digest"]


def sheet_parts_digest(name: str, part: str, get: Callable[[str], bytes | None],
                       source: str = "") -> str:
    """SHA-256 (hex) of sheet ``name`` (a renamed sheet is another sheet), its part ``part``,
    its relationships part and each part those point at (internal relationships, in their
    order); ``get`` gives a part's bytes (None: absent)."""
    h = hashlib.sha256(name.encode("utf-8") + b"\0sheet\0")
    h.update(get(part) or b"")
    rels = get(rels_path(part))
    if rels is not None:
        h.update(b"\0rels\0" + rels)
        for r in parse_rels(rels, rels_path(part), source):
            if not r.external:
                h.update(b"\0part\0" + (get(resolve(part, r.target)) or b""))
    return h.hexdigest()
