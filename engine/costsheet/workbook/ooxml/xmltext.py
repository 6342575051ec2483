"""XML at text level: find, read and edit elements of a part without re-serialising it.

costsheet edits a user's shared parts (workbook, styles, content types, ...) as text so that
namespace prefixes, ``mc:Ignorable`` and extension lists stay exactly as Excel wrote them. The
helpers here find non-nested elements by qualified name, read and set attributes, and splice
edits in; :func:`parse` reads a part safely (:mod:`defusedxml`) when a tree is easier;
:func:`emit` serialises an element copied from costsheet's own scratch workbook.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from ...i18n import _
from .names import MAIN_NS, XML_NS, PackageError

#: start, end, attributes and inner text (None when self-closing) of one element
Elem = tuple[int, int, dict[str, str], str | None]
#: (start, end, replacement) of one text edit
Edit = tuple[int, int, str]

ATTRS = r"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass
class XmlText:
    """A decoded XML part that remembers its encoding and BOM, for byte-faithful round trips."""

    text: str
    encoding: str = "utf-8"
    bom: bytes = b""

    @classmethod
    def decode(cls, data: bytes) -> XmlText:
        if data.startswith(b"\xef\xbb\xbf"):
            return cls(data[3:].decode("utf-8"), "utf-8", b"\xef\xbb\xbf")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return cls(data.decode("utf-16"), "utf-16", b"")
        return cls(data.decode("utf-8"))

    def encode(self) -> bytes:
        return self.bom + self.text.encode(self.encoding)

    def replaced(self, text: str) -> bytes:
        """``text`` encoded as this part was (same encoding and BOM)."""
        return XmlText(text, self.encoding, self.bom).encode()


def attrs(tag_text: str) -> dict[str, str]:
    """The attributes of a start tag's text, unescaped."""
    return {m[1]: html.unescape(m[2] if m[2] is not None else m[3])
            for m in _ATTR_RE.finditer(tag_text)}


def esc(value: str) -> str:
    """``value`` escaped as element text."""
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("\r", "&#13;")


def esc_attr(value: str) -> str:
    """``value`` escaped as a double-quoted attribute value."""
    return esc(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def qname(prefix: str, local: str) -> str:
    """``prefix:local``, or ``local`` for the default namespace."""
    return f"{prefix}:{local}" if prefix else local


def root_tag(text: str) -> re.Match[str]:
    """The root element's start tag: group 1 its name, group 2 its attributes."""
    m = re.search(r"<(?![?!])(" + r"[\w:.-]+)(" + ATTRS + r")/?>", text, re.S)
    if not m:
        raise ValueError("no root element")
    return m


def prefix_for(text: str, ns: str) -> str | None:
    """The prefix the root element binds to ``ns`` ('' for the default namespace)."""
    root = root_tag(text)
    for key, value in attrs(root.group(2)).items():
        if value == ns and (key == "xmlns" or key.startswith("xmlns:")):
            return "" if key == "xmlns" else key[6:]
    return None


def elements(text: str, prefix: str, local: str, start: int = 0,
             end: int | None = None) -> list[Elem]:
    """Non-nested occurrences of ``<prefix:local ...>...</prefix:local>`` or self-closing."""
    q = re.escape(qname(prefix, local))
    pat = re.compile(r"<" + q + r"(?![\w:.-])(" + ATTRS + r")(/>|>(.*?)</" + q + r"\s*>)", re.S)
    out: list[Elem] = []
    for m in pat.finditer(text, start, len(text) if end is None else end):
        out.append((m.start(), m.end(), attrs(m.group(1)), m.group(3)))
    return out


def opening_tag(text: str, start: int, end: int) -> str:
    """The start tag of the element ``text[start:end]``, opened when it is self-closing."""
    whole = text[start:end]
    head = whole[: whole.index(">") + 1]
    if head.endswith("/>"):
        head = head[:-2].rstrip() + ">"
    return head


def set_attr(tag_text: str, name: str, value: str) -> str:
    """Set (or add) attribute ``name`` in a start tag's text."""
    pat = re.compile(r"(\s" + re.escape(name) + r"""\s*=\s*)(?:"[^"]*"|'[^']*')""")
    if pat.search(tag_text):
        return pat.sub(lambda m: f'{m.group(1)}"{esc_attr(value)}"', tag_text, count=1)
    close = "/>" if tag_text.endswith("/>") else ">"
    body = tag_text[: -len(close)].rstrip()
    return f'{body} {name}="{esc_attr(value)}"{close}'


def del_attr(tag_text: str, name: str) -> str:
    """Remove attribute ``name`` from a start tag's text."""
    pat = re.compile(r"\s" + re.escape(name) + r"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    return pat.sub("", tag_text, count=1)


def splice(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping (start, end, replacement) edits."""
    for start, end, repl in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + repl + text[end:]
    return text


def insert_before_close(text: str, qualified: str, items: str) -> str:
    """``items`` appended as the last children of element ``qualified`` (opened if empty)."""
    closing = "</" + qualified
    at = text.rfind(closing)
    if at < 0:  # self-closing root
        m = re.search(r"<" + re.escape(qualified) + r"(?![\w:.-])(" + ATTRS + r")/>", text, re.S)
        if not m:
            raise PackageError(_("cannot edit part: <{tag}> not found").format(tag=qualified))
        return (text[: m.start()] + f"<{qualified}{m.group(1)}>{items}</{qualified}>"
                + text[m.end():])
    return text[:at] + items + text[at:]


#: The deepest nesting of elements costsheet reads in a part (Excel's and LibreOffice's parts
#: nest 11 deep at most in the real workbooks of the tests; code that walks a tree recurses).
MAX_XML_DEPTH = 100


def parse(data: bytes, part: str, source: str) -> Element:
    """Part ``part`` of ``source`` as a tree, read safely; a damaged part, or one nested deeper
    than :data:`MAX_XML_DEPTH`, is a PackageError."""
    try:
        root: Element = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several kinds
        raise PackageError(f"{source}: " + _("damaged workbook part {part} ({problem})").format(
            part=part, problem=exc)) from None
    check_depth(root, part, source)
    return root


def check_depth(root: Element, part: str, source: str) -> None:
    """Refuse a tree nested deeper than :data:`MAX_XML_DEPTH` (walked without recursion)."""
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            raise PackageError(
                f"{source}: " + _("refused: workbook part {part} nests its elements more than "
                                  "{most} deep (Excel's own parts nest about 10 deep); nothing "
                                  "was changed").format(part=part, most=MAX_XML_DEPTH),
                code="xml_too_deep",
                hint=_("save the workbook again from Excel, or copy your sheets into a new "
                       "one"))
        stack.extend((child, depth + 1) for child in el)


def local_name(tag: str) -> str:
    """``{namespace}local`` → ``local``."""
    return tag.rsplit("}", 1)[-1]


#: The children of a font (CT_Font) in the order the Open XML SDK validates and Excel writes;
#: openpyxl writes ``name`` first, which the SDK reports as an unexpected child element.
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
              "sz", "color", "name", "family", "charset", "scheme")
_FONT_RANK = {f"{{{MAIN_NS}}}{name}": i for i, name in enumerate(FONT_ORDER)}


def _children(e: Element) -> list[Element]:
    """``e``'s children; a font's in :data:`FONT_ORDER` (others after them, as they came)."""
    kids = list(e)
    if e.tag == f"{{{MAIN_NS}}}font":
        kids.sort(key=lambda c: _FONT_RANK.get(c.tag, len(FONT_ORDER)))
    return kids


def emit(el: Element, main_prefix: str, *, canonical: bool = False) -> str:
    """Serialise ``el`` with SpreadsheetML under ``main_prefix``, other namespaces declared on
    it; ``canonical`` sorts attributes and drops whitespace (a key to compare records by). A
    font's children come out in :data:`FONT_ORDER`, so fonts that differ only in the order of
    their children have one key."""
    decls: dict[str, str] = {}

    def qn(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        ns, local = tag[1:].split("}", 1)
        if ns == MAIN_NS:
            return qname(main_prefix, local)
        if ns == XML_NS:
            return "xml:" + local
        if ns not in decls:
            decls[ns] = f"cs{len(decls)}"
        return f"{decls[ns]}:{local}"

    def walk(e: Element) -> str:
        items = list(e.attrib.items())
        if canonical:
            items.sort()
        attributes = "".join(f' {qn(k)}="{esc_attr(v)}"' for k, v in items)
        tag = qn(e.tag)
        text = e.text or ""
        if canonical or (len(e) and not text.strip()):
            text = text.strip()
        parts = [esc(text)]
        for c in _children(e):
            parts.append(walk(c))
            tail = c.tail or ""
            if canonical or not tail.strip():
                tail = tail.strip()
            parts.append(esc(tail))
        body = "".join(parts)
        return f"<{tag}{attributes}>{body}</{tag}>" if body else f"<{tag}{attributes}/>"

    out = walk(el)
    if decls:
        tag_end = re.match(r"<[\w:.-]+", out)
        assert tag_end is not None
        extra = "".join(f' xmlns:{p}="{esc_attr(ns)}"' for ns, p in decls.items())
        out = out[: tag_end.end()] + extra + out[tag_end.end():]
    return out
