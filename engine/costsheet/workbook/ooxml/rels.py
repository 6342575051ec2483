"""Relationships: which part points at which, read from and written to ``_rels/*.rels`` parts."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

from .names import PKG_REL_NS
from .xmltext import (
    XmlText,
    elements,
    esc_attr,
    insert_before_close,
    local_name,
    parse,
    prefix_for,
    qname,
    splice,
)

__all__ = ["Rel", "add_rels", "next_rid", "parse_rels", "relative", "rels_path", "rels_xml",
           "remove_rels", "resolve"]


@dataclass
class Rel:
    """One relationship of a part."""

    id: str
    type: str
    target: str
    external: bool


def rels_path(part: str) -> str:
    """The relationships part of ``part``: ``xl/workbook.xml`` → ``xl/_rels/workbook.xml.rels``."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def parse_rels(data: bytes, part: str, source: str) -> list[Rel]:
    """The relationships in the rels part ``part`` (bytes ``data``) of file ``source``."""
    root = parse(data, part, source)
    out = []
    for el in root:
        if local_name(el.tag) != "Relationship":
            continue
        out.append(Rel(el.get("Id", ""), el.get("Type", ""), el.get("Target", ""),
                       el.get("TargetMode", "") == "External"))
    return out


def resolve(source_part: str, target: str) -> str:
    """The part name a relationship ``target`` of ``source_part`` points at."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def relative(source_part: str, target_part: str) -> str:
    """A relationship target from ``source_part`` to ``target_part``."""
    rel = posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")
    return quote(rel, safe="/._-~")


def next_rid(existing: Iterable[str]) -> Iterator[str]:
    """Fresh relationship ids ``rIdN``, above every ``rIdN`` in ``existing``."""
    used = set(existing)
    n = max([0, *(int(r[3:]) for r in used if re.fullmatch(r"rId\d+", r))]) + 1
    while True:
        rid = f"rId{n}"
        if rid not in used:
            used.add(rid)
            yield rid
        n += 1


def rels_xml(rels: list[Rel]) -> bytes:
    """A new rels part holding ``rels``."""
    body = "".join(
        f'<Relationship Id="{esc_attr(r.id)}" Type="{esc_attr(r.type)}" '
        f'Target="{esc_attr(r.target)}"' + (' TargetMode="External"' if r.external else "")
        + "/>"
        for r in rels
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}">{body}</Relationships>'
    ).encode()


def remove_rels(data: bytes, ids: set[str]) -> bytes:
    """The rels part ``data`` without the relationships whose id is in ``ids``."""
    doc = XmlText.decode(data)
    p = prefix_for(doc.text, PKG_REL_NS) or ""
    edits = [(s, e, "") for s, e, a, _ in elements(doc.text, p, "Relationship")
             if a.get("Id") in ids]
    doc.text = splice(doc.text, edits)
    return doc.encode()


def add_rels(data: bytes, rels: list[Rel]) -> bytes:
    """The rels part ``data`` with (internal) relationships ``rels`` appended."""
    doc = XmlText.decode(data)
    p = prefix_for(doc.text, PKG_REL_NS) or ""
    qr = qname(p, "Relationship")
    items = "".join(
        f'<{qr} Id="{esc_attr(r.id)}" Type="{esc_attr(r.type)}" Target="{esc_attr(r.target)}"/>'
        for r in rels
    )
    doc.text = insert_before_close(doc.text, qname(p, "Relationships"), items)
    return doc.encode()
