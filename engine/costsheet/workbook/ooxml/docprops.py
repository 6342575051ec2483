"""Document properties: the sheet titles of ``docProps/app.xml`` and costsheet's custom
property (the JSON list of the sheets a graft owns) in ``docProps/custom.xml``."""

from __future__ import annotations

import re

from ...i18n import _
from .names import CUSTOM_FMTID, CUSTOM_NS, EXTENDED_NS, VT_NS, PackageError
from .xmltext import (
    Edit,
    XmlText,
    elements,
    esc,
    esc_attr,
    insert_before_close,
    opening_tag,
    parse,
    prefix_for,
    qname,
    set_attr,
    splice,
)

__all__ = ["edit_app", "new_custom_props", "set_custom_property"]


def edit_app(data: bytes, old_names: list[str], new_names: list[str]) -> bytes | None:
    """Update the worksheet titles and count in docProps/app.xml, or None to leave it."""
    found = _worksheet_titles(data, old_names)
    if found is None:
        return None
    titles, offset, pair_index = found
    new_titles = titles[:offset] + new_names + titles[offset + len(old_names):]
    doc = XmlText.decode(data)
    text = doc.text
    ap = prefix_for(text, EXTENDED_NS)
    vt = prefix_for(text, VT_NS)
    if ap is None or vt is None:
        return None
    titles_edit = _titles_edit(text, ap, vt, new_titles)
    if titles_edit is None:
        return None
    count_edit = _count_edit(text, ap, vt, pair_index, len(new_names))
    if count_edit is None:
        return None
    return doc.replaced(splice(text, [titles_edit, count_edit]))


def _worksheet_titles(data: bytes, old_names: list[str]) -> tuple[list[str], int, int] | None:
    """(every title, offset of the worksheet titles, index of their heading pair), or None
    when the part does not list the sheets ``old_names`` as one heading."""
    try:
        root = parse(data, "docProps/app.xml", "")
    except PackageError:
        return None
    hp = root.find(f"{{{EXTENDED_NS}}}HeadingPairs/{{{VT_NS}}}vector")
    tp = root.find(f"{{{EXTENDED_NS}}}TitlesOfParts/{{{VT_NS}}}vector")
    if hp is None or tp is None:
        return None
    variants = [v[0] for v in hp.findall(f"{{{VT_NS}}}variant") if len(v)]
    pairs = []
    for i in range(0, len(variants) - 1, 2):
        try:
            pairs.append((variants[i].text or "", int(variants[i + 1].text or "0")))
        except ValueError:
            return None
    titles = [(e.text or "") for e in tp]
    offset = 0
    for k, (_label, count) in enumerate(pairs):
        if count == len(old_names) and titles[offset:offset + count] == old_names:
            return titles, offset, k
        offset += count
    return None


def _titles_edit(text: str, ap: str, vt: str, new_titles: list[str]) -> Edit | None:
    """The edit that replaces the vector of TitlesOfParts with ``new_titles``."""
    tops = elements(text, ap, "TitlesOfParts")
    if not tops or not elements(text, ap, "HeadingPairs"):
        return None
    ts, te, _a, _inner = tops[0]
    vec = elements(text, vt, "vector", ts, te)
    if not vec:
        return None
    vs, ve, _va, _vi = vec[0]
    vhead = set_attr(opening_tag(text, vs, ve), "size", str(len(new_titles)))
    ql = qname(vt, "lpstr")
    items = "".join(f"<{ql}>{esc(t)}</{ql}>" for t in new_titles)
    return (vs, ve, f"{vhead}{items}</{qname(vt, 'vector')}>")


def _count_edit(text: str, ap: str, vt: str, pair_index: int, count: int) -> Edit | None:
    """The edit that sets the count of heading pair ``pair_index`` to ``count``."""
    hs, he, _a, _inner = elements(text, ap, "HeadingPairs")[0]
    counts = list(re.finditer(r"(<" + re.escape(qname(vt, "i4")) + r">)\s*(\d+)\s*(</)",
                              text[hs:he]))
    if len(counts) <= pair_index:
        return None
    m = counts[pair_index]
    return (hs + m.start(2), hs + m.end(2), str(count))


def set_custom_property(data: bytes, name: str, value: str, source: str) -> bytes:
    """docProps/custom.xml with text property ``name`` set to ``value`` (added if missing)."""
    doc = XmlText.decode(data)
    text = doc.text
    p = prefix_for(text, CUSTOM_NS)
    if p is None:
        raise PackageError(f"{source}: docProps/custom.xml: " + _("not a custom-properties "
                                                                 "part"))
    vt = prefix_for(text, VT_NS)
    qv = qname(vt, "lpwstr") if vt is not None else "vt:lpwstr"
    decl = "" if vt is not None else f' xmlns:vt="{VT_NS}"'
    props = elements(text, p, "property")
    qp = qname(p, "property")
    for s, e, a, _inner in props:
        if a.get("name") == name:
            head = opening_tag(text, s, e)
            return doc.replaced(text[:s] + f"{head}<{qv}{decl}>{esc(value)}</{qv}></{qp}>"
                                + text[e:])
    pids = [int(a["pid"]) for _s, _e, a, _i in props if a.get("pid", "").isdigit()]
    pid = max([1, *pids]) + 1
    item = (f'<{qp} fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{esc_attr(name)}">'
            f"<{qv}{decl}>{esc(value)}</{qv}></{qp}>")
    return doc.replaced(insert_before_close(text, qname(p, "Properties"), item))


def new_custom_props(name: str, value: str) -> bytes:
    """A new docProps/custom.xml holding text property ``name``."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">'
        f'<property fmtid="{CUSTOM_FMTID}" pid="2" name="{esc_attr(name)}">'
        f"<vt:lpwstr>{esc(value)}</vt:lpwstr></property></Properties>"
    ).encode()
