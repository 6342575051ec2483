"""``[Content_Types].xml``: the content type of every part, edited at text level."""

from __future__ import annotations

from urllib.parse import quote

from .names import CT_NS
from .xmltext import XmlText, elements, esc_attr, insert_before_close, prefix_for, qname, splice

__all__ = ["edit_content_types"]


def edit_content_types(data: bytes, removed: set[str], added: list[tuple[str, str]]) -> bytes:
    """The content types part without the overrides of ``removed`` parts (lower-case names) and
    with an override for each ``(part, content type)`` of ``added``."""
    doc = XmlText.decode(data)
    p = prefix_for(doc.text, CT_NS) or ""
    edits = [(s, e, "") for s, e, a, _ in elements(doc.text, p, "Override")
             if a.get("PartName", "").lstrip("/").lower() in removed]
    doc.text = splice(doc.text, edits)
    qo = qname(p, "Override")
    items = "".join(f'<{qo} PartName="/{esc_attr(quote(part, safe="/._-~"))}" '
                    f'ContentType="{esc_attr(ct)}"/>' for part, ct in added)
    doc.text = insert_before_close(doc.text, qname(p, "Types"), items)
    return doc.encode()
