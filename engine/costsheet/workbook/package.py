"""Zip-package level write-back: graft generated sheets into a user's workbook, byte-safely.

openpyxl loses parts of a workbook it loads and saves again (shapes, sparklines, in-cell pictures,
2010 data bars, form controls, VBA, ...). So costsheet never re-saves the user's workbook with
openpyxl. The writer builds its owned sheets in a *scratch* workbook and :func:`graft_sheets`
copies them into the user's package at the zip level:

* every part of the user's file that is neither removed nor one of the few shared parts
  (``SHARED_PARTS`` plus the workbook part, its rels and the styles part) comes out with the
  same bytes, in the same zip entry order;
* the shared parts are edited at text level (no XML re-serialisation), so namespace prefixes,
  ``mc:Ignorable`` and extension lists stay as Excel wrote them;
* the grafted sheets' styles are merged into the user's ``styles.xml`` (deduplicated, so a
  re-run does not grow it) and their shared strings become inline strings, so the user's
  ``sharedStrings.xml`` is left alone.

User parts are parsed with :mod:`defusedxml` only. :func:`check_package` sniffs a file before
anything else reads it (legacy ``.xls``, password protection, CSV renamed ``.xlsx``, truncated
zips, zip bombs).
"""

from __future__ import annotations

import copy
import html
import json
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from costsheet.errors import CostsheetError

__all__ = [
    "DEFAULT_PROPERTY",
    "PackageError",
    "check_package",
    "graft_sheets",
    "list_sheets",
    "read_owned_sheets",
]

DEFAULT_PROPERTY = "costsheet.owned_sheets"
DEFAULT_MAX_UNCOMPRESSED = 1 << 30

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
EXTENDED_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
XML_NS = "http://www.w3.org/XML/1998/namespace"

RT_OFFICE_DOCUMENT = R_NS + "/officeDocument"
RT_WORKSHEET = R_NS + "/worksheet"
RT_STYLES = R_NS + "/styles"
RT_SHARED_STRINGS = R_NS + "/sharedStrings"
RT_CALC_CHAIN = R_NS + "/calcChain"
RT_CUSTOM_PROPS = R_NS + "/custom-properties"
RT_EXTENDED_PROPS = R_NS + "/extended-properties"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
#: Parts that may change besides the workbook part, its rels and the styles part.
SHARED_PARTS = (
    CONTENT_TYPES,
    ROOT_RELS,
    "docProps/app.xml",
    "docProps/custom.xml",
    "xl/calcChain.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_MESSAGE = (
    "password-protected workbook: remove the password in Excel "
    "(File > Info > Protect Workbook) and try again"
)


class PackageError(CostsheetError):
    """The file is not a workbook package costsheet can read or write safely."""


# --------------------------------------------------------------------------------------------
# sniffing


def check_package(path: Path, *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> None:
    """Refuse files that are not safe, readable .xlsx/.xlsm packages, with a clear message.

    Raises :class:`PackageError` for: a missing or empty file, a legacy ``.xls`` or a
    password-protected workbook (both OLE2 compound files), text or CSV renamed ``.xlsx``,
    a truncated or damaged zip, encrypted zip members, a zip bomb (total uncompressed size
    above ``max_uncompressed`` or a member compressed more than 1000:1 and above 50 MB) and a
    zip that is not an Office Open XML package.
    """
    path = Path(path)
    name = path.name
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head == OLE2_MAGIC:
                fh.seek(0)
                blob = fh.read(16 << 20)
                if "EncryptionInfo".encode("utf-16-le") in blob:
                    raise PackageError(f"{name}: {PASSWORD_MESSAGE}")
                raise PackageError(
                    f"{name}: legacy Excel 97-2003 (.xls) workbook, not .xlsx",
                    hint="open it in Excel and save it as an Excel Workbook (.xlsx)",
                )
            fh.seek(0)
            sample = fh.read(4096)
    except FileNotFoundError:
        raise PackageError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise PackageError(f"{name}: is a folder, not a workbook") from None
    except PermissionError:
        raise PackageError(f"{name}: permission denied (cannot read the file)") from None
    if not sample:
        raise PackageError(f"{name}: empty file, not an Excel workbook")
    if not sample.startswith(b"PK"):
        if _looks_like_text(sample):
            raise PackageError(
                f"{name}: not an Excel workbook (looks like text/CSV)",
                hint="open it in Excel and save it as an Excel Workbook (.xlsx)",
            )
        raise PackageError(f"{name}: not an Excel workbook (not a zip package)")
    try:
        with zipfile.ZipFile(path) as zf:
            _check_zip(zf, name, max_uncompressed)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        if isinstance(exc, PermissionError):
            raise PackageError(f"{name}: permission denied (cannot read the file)") from None
        raise PackageError(
            f"{name}: damaged or truncated workbook (not a complete zip package)",
            hint="was it still being copied or downloaded? Try the file again from its source",
        ) from None


def _looks_like_text(sample: bytes) -> bool:
    if sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        text = sample.decode("latin-1")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def _check_zip(zf: zipfile.ZipFile, name: str, max_uncompressed: int) -> None:
    infos = zf.infolist()
    total = 0
    seen: set[str] = set()
    for info in infos:
        if info.flag_bits & 0x1:
            raise PackageError(f"{name}: {PASSWORD_MESSAGE}")
        key = info.filename.lower()
        if key in seen:
            raise PackageError(f"{name}: damaged workbook (zip entry {info.filename} twice)")
        seen.add(key)
        total += info.file_size
        if total > max_uncompressed:
            raise PackageError(
                f"{name}: refused: uncompressed size exceeds {max_uncompressed:,} bytes "
                "(possible zip bomb)"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > 1000 and info.file_size > 50 * 1024 * 1024:
            raise PackageError(
                f"{name}: refused: {info.filename} is compressed {ratio:,.0f}:1 "
                "(possible zip bomb)"
            )
    names = {i.filename for i in infos}
    if CONTENT_TYPES not in names or ROOT_RELS not in names:
        raise PackageError(f"{name}: a zip file, but not an Excel workbook (no OOXML package)")
    rels = _parse_rels(zf.read(ROOT_RELS), ROOT_RELS, name)
    main = [r for r in rels if r.type == RT_OFFICE_DOCUMENT and not r.external]
    if not main:
        raise PackageError(f"{name}: a zip file, but not an Excel workbook (no main part)")
    wb = _resolve("", main[0].target)
    if wb not in names or not wb.endswith(".xml"):
        raise PackageError(
            f"{name}: not an Excel workbook (main part {wb} missing or not a spreadsheet)"
        )


# --------------------------------------------------------------------------------------------
# small XML helpers (text level)


@dataclass
class _Text:
    """A decoded XML part that remembers its encoding and BOM, for byte-faithful round trips."""

    text: str
    encoding: str = "utf-8"
    bom: bytes = b""

    @classmethod
    def decode(cls, data: bytes) -> _Text:
        if data.startswith(b"\xef\xbb\xbf"):
            return cls(data[3:].decode("utf-8"), "utf-8", b"\xef\xbb\xbf")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return cls(data.decode("utf-16"), "utf-16", b"")
        return cls(data.decode("utf-8"))

    def encode(self) -> bytes:
        return self.bom + self.text.encode(self.encoding)


_ATTRS = r"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attrs(tag_text: str) -> dict[str, str]:
    return {m[1]: html.unescape(m[2] if m[2] is not None else m[3]) for m in
            _ATTR_RE.finditer(tag_text)}


def _esc(value: str) -> str:
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("\r", "&#13;")


def _esc_attr(value: str) -> str:
    return (_esc(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _q(prefix: str, local: str) -> str:
    return f"{prefix}:{local}" if prefix else local


def _root_tag(text: str) -> re.Match[str]:
    m = re.search(r"<(?![?!])(" + r"[\w:.-]+)(" + _ATTRS + r")/?>", text, re.S)
    if not m:
        raise ValueError("no root element")
    return m


def _prefix_for(text: str, ns: str) -> str | None:
    """The prefix the root element binds to ``ns`` ('' for the default namespace)."""
    root = _root_tag(text)
    for key, value in _attrs(root.group(2)).items():
        if value == ns and (key == "xmlns" or key.startswith("xmlns:")):
            return "" if key == "xmlns" else key[6:]
    return None


_Elem = tuple[int, int, dict[str, str], str | None]  # start, end, attributes, inner text


def _elements(text: str, prefix: str, local: str, start: int = 0,
              end: int | None = None) -> list[_Elem]:
    """Non-nested occurrences of ``<prefix:local ...>...</prefix:local>`` or self-closing."""
    q = re.escape(_q(prefix, local))
    pat = re.compile(r"<" + q + r"(?![\w:.-])(" + _ATTRS + r")(/>|>(.*?)</" + q + r"\s*>)", re.S)
    out: list[_Elem] = []
    for m in pat.finditer(text, start, len(text) if end is None else end):
        out.append((m.start(), m.end(), _attrs(m.group(1)), m.group(3)))
    return out


def _set_attr(tag_text: str, name: str, value: str) -> str:
    """Set (or add) attribute ``name`` in a start tag's text."""
    pat = re.compile(r"(\s" + re.escape(name) + r"""\s*=\s*)(?:"[^"]*"|'[^']*')""")
    if pat.search(tag_text):
        return pat.sub(lambda m: f'{m.group(1)}"{_esc_attr(value)}"', tag_text, count=1)
    close = "/>" if tag_text.endswith("/>") else ">"
    body = tag_text[: -len(close)].rstrip()
    return f'{body} {name}="{_esc_attr(value)}"{close}'


def _del_attr(tag_text: str, name: str) -> str:
    pat = re.compile(r"\s" + re.escape(name) + r"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    return pat.sub("", tag_text, count=1)


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) edits."""
    for start, end, repl in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + repl + text[end:]
    return text


def _parse(data: bytes, part: str, source: str) -> Element:
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several kinds
        raise PackageError(f"{source}: damaged workbook part {part} ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------------------------
# relationships


@dataclass
class _Rel:
    id: str
    type: str
    target: str
    external: bool


def _rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _parse_rels(data: bytes, part: str, source: str) -> list[_Rel]:
    root = _parse(data, part, source)
    out = []
    for el in root:
        if _local(el.tag) != "Relationship":
            continue
        out.append(_Rel(el.get("Id", ""), el.get("Type", ""), el.get("Target", ""),
                        el.get("TargetMode", "") == "External"))
    return out


def _resolve(source_part: str, target: str) -> str:
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def _relative(source_part: str, target_part: str) -> str:
    rel = posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")
    return quote(rel, safe="/._-~")


# --------------------------------------------------------------------------------------------
# package in memory


@dataclass
class _Package:
    path: Path
    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]
    lower: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, max_uncompressed: int) -> _Package:
        check_package(path, max_uncompressed=max_uncompressed)
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                data = {i.filename: zf.read(i) for i in infos}
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise PackageError(f"{path.name}: damaged or truncated workbook ({exc})") from None
        pkg = cls(path, infos, data)
        pkg.lower = {n.lower(): n for n in data}
        return pkg

    def has(self, part: str) -> bool:
        return part.lower() in self.lower

    def name(self, part: str) -> str:
        return self.lower.get(part.lower(), part)

    def get(self, part: str) -> bytes:
        return self.data[self.name(part)]

    def rels(self, part: str) -> list[_Rel]:
        rp = _rels_path(part) if part else ROOT_RELS
        if not self.has(rp):
            return []
        return _parse_rels(self.get(rp), rp, self.path.name)

    def workbook_part(self) -> str:
        for r in self.rels(""):
            if r.type == RT_OFFICE_DOCUMENT and not r.external:
                return self.name(_resolve("", r.target))
        raise PackageError(f"{self.path.name}: not an Excel workbook (no main part)")

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(defaults by lower-case extension, overrides by lower-case part name)."""
        root = _parse(self.get(CONTENT_TYPES), CONTENT_TYPES, self.path.name)
        defaults: dict[str, str] = {}
        overrides: dict[str, str] = {}
        for el in root:
            if _local(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif _local(el.tag) == "Override":
                overrides[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
        return defaults, overrides

    def content_type(self, part: str) -> str | None:
        defaults, overrides = self.content_types()
        if part.lower() in overrides:
            return overrides[part.lower()]
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        return defaults.get(ext)


@dataclass
class _SheetEntry:
    name: str
    sheet_id: int
    rid: str
    part: str | None
    tag: str  # the original <sheet .../> text (empty for new sheets)


def _workbook_sheets(pkg: _Package, wb_part: str) -> list[_SheetEntry]:
    root = _parse(pkg.get(wb_part), wb_part, pkg.path.name)
    rels = {r.id: r for r in pkg.rels(wb_part)}
    out = []
    sheets_el = root.find(f"{{{MAIN_NS}}}sheets")
    if sheets_el is None:
        return out
    for el in sheets_el.findall(f"{{{MAIN_NS}}}sheet"):
        rid = el.get(f"{{{R_NS}}}id", "")
        rel = rels.get(rid)
        part = pkg.name(_resolve(wb_part, rel.target)) if rel and not rel.external else None
        try:
            sid = int(el.get("sheetId", "0"))
        except ValueError:
            sid = 0
        out.append(_SheetEntry(el.get("name", ""), sid, rid, part, ""))
    return out


# --------------------------------------------------------------------------------------------
# public readers


def list_sheets(path: Path) -> list[str]:
    """Sheet names in workbook (tab) order, read from the package without openpyxl."""
    pkg = _Package.read(Path(path), DEFAULT_MAX_UNCOMPRESSED)
    return [s.name for s in _workbook_sheets(pkg, pkg.workbook_part())]


def read_owned_sheets(path: Path, property_name: str = DEFAULT_PROPERTY) -> list[str]:
    """The owned sheet names recorded by :func:`graft_sheets` (``[]`` when none recorded)."""
    pkg = _Package.read(Path(path), DEFAULT_MAX_UNCOMPRESSED)
    part = _custom_props_part(pkg)
    if part is None or not pkg.has(part):
        return []
    root = _parse(pkg.get(part), part, pkg.path.name)
    for prop in root:
        if _local(prop.tag) == "property" and prop.get("name") == property_name:
            value = "".join(prop.itertext()).strip()
            try:
                names = json.loads(value)
            except ValueError:
                return []
            if isinstance(names, list):
                return [str(n) for n in names]
            return []
    return []


def _custom_props_part(pkg: _Package) -> str | None:
    for r in pkg.rels(""):
        if r.type == RT_CUSTOM_PROPS and not r.external:
            return pkg.name(_resolve("", r.target))
    return None


# --------------------------------------------------------------------------------------------
# element serialisation (for style records copied from the scratch workbook)


def _emit(el: Element, main_prefix: str, *, canonical: bool = False) -> str:
    decls: dict[str, str] = {}

    def qn(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        ns, local = tag[1:].split("}", 1)
        if ns == MAIN_NS:
            return _q(main_prefix, local)
        if ns == XML_NS:
            return "xml:" + local
        if ns not in decls:
            decls[ns] = f"cs{len(decls)}"
        return f"{decls[ns]}:{local}"

    def walk(e: Element) -> str:
        items = list(e.attrib.items())
        if canonical:
            items.sort()
        attrs = "".join(f' {qn(k)}="{_esc_attr(v)}"' for k, v in items)
        tag = qn(e.tag)
        text = e.text or ""
        if canonical or (len(e) and not text.strip()):
            text = text.strip()
        parts = [_esc(text)]
        for c in e:
            parts.append(walk(c))
            tail = c.tail or ""
            if canonical or not tail.strip():
                tail = tail.strip()
            parts.append(_esc(tail))
        body = "".join(parts)
        return f"<{tag}{attrs}>{body}</{tag}>" if body else f"<{tag}{attrs}/>"

    out = walk(el)
    if decls:
        tag_end = re.match(r"<[\w:.-]+", out)
        assert tag_end is not None
        extra = "".join(f' xmlns:{p}="{_esc_attr(ns)}"' for ns, p in decls.items())
        out = out[: tag_end.end()] + extra + out[tag_end.end():]
    return out


# --------------------------------------------------------------------------------------------
# styles merge


_STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                "cellStyles", "dxfs", "tableStyles", "colors", "extLst"]


_BUILTIN_DATE_FORMATS = {*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)}


def _is_date_code(code: str) -> bool:
    section = code.split(";", 1)[0]
    section = re.sub(r'"[^"]*"|\\.|_.|\*.', "", section)  # literals, escapes, padding
    section = re.sub(r"\[(?!h+\]|m+\]|s+\])[^\]]*\]", "", section, flags=re.I)  # colours
    return bool(re.search(r"[dmyhs]", section, re.I))


class _StyleMerger:
    """Append the scratch styles that grafted cells use to the target's styles, deduplicated."""

    def __init__(self, target: bytes | None, scratch: bytes, source: str):
        self.source = source
        self.scratch = _parse(scratch, "styles.xml", source)
        self.target_text = _Text.decode(target) if target is not None else None
        troot = _parse(target, "styles.xml", source) if target is not None else None
        self.troot = troot
        self.lists: dict[str, list[str]] = {}
        self.new: dict[str, list[str]] = {}
        self.numfmts: dict[int, str] = {}
        self.new_numfmts: list[tuple[int, str]] = []
        self.xf_map: dict[int, int] = {}
        self.dxf_map: dict[int, int] = {}
        if troot is not None:
            for coll, item in (("fonts", "font"), ("fills", "fill"), ("borders", "border"),
                               ("cellXfs", "xf"), ("dxfs", "dxf")):
                el = troot.find(f"{{{MAIN_NS}}}{coll}")
                items = [] if el is None else el.findall(f"{{{MAIN_NS}}}{item}")
                self.lists[coll] = [_emit(i, "", canonical=True) for i in items]
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
        canon = _emit(el, "", canonical=True)
        existing = self.lists[coll]
        if canon in existing:
            return existing.index(canon)
        existing.append(canon)
        self.new[coll].append(_emit(el, self._prefix()))
        return len(existing) - 1

    def _prefix(self) -> str:
        assert self.target_text is not None
        p = _prefix_for(self.target_text.text, MAIN_NS)
        if p is None:
            raise PackageError(f"{self.source}: styles.xml is not a SpreadsheetML style sheet")
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
        if self.troot is None:
            return index
        if index in self.xf_map:
            return self.xf_map[index]
        xfs = self._scratch_items("cellXfs", "xf")
        if index >= len(xfs):
            self.xf_map[index] = 0
            return 0
        xf = copy.deepcopy(xfs[index])
        for attr, coll, item in (("fontId", "fonts", "font"), ("fillId", "fills", "fill"),
                                 ("borderId", "borders", "border")):
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
                f'<{_q(p, "numFmt")} numFmtId="{i}" formatCode="{_esc_attr(c)}"/>'
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
        return _Text(text, self.target_text.encoding, self.target_text.bom).encode()


def _append_to_collection(text: str, p: str, coll: str, items: str, count: int) -> str:
    found = _elements(text, p, coll)
    qc = _q(p, coll)
    if found:
        start, end, _attrs_, inner = found[0]
        whole = text[start:end]
        head_end = whole.index(">") + 1
        head = whole[:head_end]
        if inner is None:  # self-closing
            head = head[:-2].rstrip() + ">"
            new = _set_attr(head, "count", str(count)) + items + f"</{qc}>"
        else:
            new = _set_attr(head, "count", str(count)) + inner + items + f"</{qc}>"
        return text[:start] + new + text[end:]
    new = f'<{qc} count="{count}">{items}</{qc}>'
    later = _STYLE_ORDER[_STYLE_ORDER.index(coll) + 1:]
    positions = [f[0][0] for f in (_elements(text, p, c) for c in later) if f]
    if positions:
        at = min(positions)
    else:
        at = text.rindex("</" + _q(p, "styleSheet"))
    return text[:at] + new + text[at:]


# --------------------------------------------------------------------------------------------
# worksheet rewrite


def _shared_strings(pkg: _Package, wb_part: str) -> list[str]:
    """Inner XML of each <si> of the scratch workbook's shared strings, ready for <is>."""
    for r in pkg.rels(wb_part):
        if r.type == RT_SHARED_STRINGS and not r.external:
            part = pkg.name(_resolve(wb_part, r.target))
            if not pkg.has(part):
                return []
            data = pkg.get(part)
            root = _parse(data, part, pkg.path.name)
            out = []
            for si in root.findall(f"{{{MAIN_NS}}}si"):
                children = list(si)
                if len(children) == 1 and children[0].tag == f"{{{MAIN_NS}}}t":
                    out.append(_t_element(children[0].text or ""))
                else:
                    out.append("".join(_emit(c, "") for c in children))
            return out
    return []


def _t_element(value: str) -> str:
    if value != value.strip() or "\n" in value or "  " in value:
        return f'<t xml:space="preserve">{_esc(value)}</t>'
    return f"<t>{_esc(value)}</t>"


def _rewrite_sheet(data: bytes, strings: list[str], styles: _StyleMerger, *, selected: bool,
                   source: str, date_shift: int = 0) -> bytes:
    if not date_shift and b'"s"' not in data and b"'s'" not in data:
        # no shared-string cell and no date to shift (openpyxl writes inline strings): only
        # style indices change, in one pass over the start tags of cells and rows
        fast = _rewrite_styles_only(data, styles, selected, prefixed_ok=not strings)
        if fast is not None:
            return fast
    doc = _Text.decode(data)
    text = doc.text
    p = _prefix_for(text, MAIN_NS)
    if p is None:
        raise PackageError(f"{source}: scratch sheet is not a SpreadsheetML worksheet")
    if strings and p != "":
        raise PackageError(f"{source}: scratch sheet with prefixed namespace is not supported")
    qc = re.escape(_q(p, "c"))
    cell_re = re.compile(r"<" + qc + r"(?![\w:.-])(" + _ATTRS + r")(/>|>(.*?)</" + qc + r">)",
                         re.S)
    v_re = re.compile(r"<" + re.escape(_q(p, "v")) + r"(?:\s[^>]*)?>(.*?)</", re.S)

    def cell(m: re.Match[str]) -> str:
        head = "<" + _q(p, "c") + m.group(1) + ">"
        attrs = _attrs(m.group(1))
        if "s" in attrs:
            head = _set_attr(head, "s", str(styles.map_xf(int(attrs["s"]))))
        inner = m.group(3)
        if attrs.get("t") == "s" and inner is not None:
            vm = v_re.search(inner)
            idx = int(vm.group(1)) if vm else -1
            if not 0 <= idx < len(strings):
                raise PackageError(f"{source}: shared string {idx} missing in scratch workbook")
            head = _set_attr(head, "t", "inlineStr")
            return f"{head}<is>{strings[idx]}</is></{_q(p, 'c')}>"
        if (date_shift and inner is not None and attrs.get("t", "n") == "n"
                and styles.is_date_xf(int(attrs.get("s", "0")))):
            vm = v_re.search(inner)
            if vm is not None:
                try:
                    serial = float(vm.group(1))
                except ValueError:
                    serial = None
                if serial is not None:
                    shifted = serial + date_shift
                    value = repr(int(shifted)) if shifted.is_integer() else repr(shifted)
                    inner = inner[: vm.start(1)] + value + inner[vm.end(1):]
        if inner is None:
            return head[:-1] + "/>"
        return f"{head}{inner}</{_q(p, 'c')}>"

    text = cell_re.sub(cell, text)
    text = _restyle(text, p, "row", "s", styles.map_xf)
    text = _restyle(text, p, "col", "style", styles.map_xf)
    text = _restyle(text, p, "cfRule", "dxfId", styles.map_dxf)
    return _Text(_select(text, p, selected), doc.encoding, doc.bom).encode()


def _restyle(text: str, p: str, tag: str, attr: str, mapper: Any) -> str:
    """Map the style index ``attr`` of every ``tag`` start tag through ``mapper``."""
    pat = re.compile(r"<" + re.escape(_q(p, tag)) + r"(?![\w:.-])" + _ATTRS + r"/?>", re.S)

    def sub(m: re.Match[str]) -> str:
        a = _attrs(m.group(0))
        if attr in a:
            return _set_attr(m.group(0), attr, str(mapper(int(a[attr]))))
        return m.group(0)

    return pat.sub(sub, text)


def _select(text: str, p: str, selected: bool) -> str:
    """The first sheet view marked as the selected tab, or not."""
    sv = re.compile(r"<" + re.escape(_q(p, "sheetView")) + r"(?![\w:.-])" + _ATTRS + r"/?>", re.S)

    def view(m: re.Match[str]) -> str:
        tag = _del_attr(m.group(0), "tabSelected")
        return _set_attr(tag, "tabSelected", "1") if selected else tag

    return sv.sub(view, text, count=1)


_S_ATTR_RE = re.compile(rb"""s\s*=\s*["']""")  # every attribute whose name ends in s


def _rewrite_styles_only(data: bytes, styles: _StyleMerger, selected: bool, *,
                         prefixed_ok: bool = True) -> bytes | None:
    """:func:`_rewrite_sheet` of a UTF-8 sheet with no shared string and no date to shift.

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
        p = _prefix_for(data[len(bom):len(bom) + 65536].decode("utf-8", "ignore"), MAIN_NS)
    except ValueError:
        return None
    if p is None or (p and not prefixed_ok):
        return None
    start = data.find(b"<" + _q(p, "sheetData").encode())
    end = data.rfind(b"</" + _q(p, "sheetData").encode())
    if not 0 <= start < end:
        return None
    try:  # sheet views and columns come before the cells, conditional formats after them
        head = data[len(bom):start].decode("utf-8")
        tail = data[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = _select(_restyle(head, p, "col", "style", styles.map_xf), p, selected)
    tail = _restyle(tail, p, "cfRule", "dxfId", styles.map_dxf)
    body = data[start:end]
    mapped = _IndexMap(styles.map_xf)
    qc = re.escape(_q(p, "c")).encode()
    parts = re.split(rb'(<' + qc + rb' r="[A-Z]{1,3}[0-9]+" s=")([0-9]+)"', body)
    if len(parts) // 3 == len(_S_ATTR_RE.findall(body)):
        parts[2::3] = [mapped[i] + b'"' for i in parts[2::3]]
        del body
    else:
        tags = b"|".join(re.escape(_q(p, t)).encode() for t in ("c", "row"))
        pat = re.compile(rb"(<(?:" + tags + rb")\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\ss\s*=\s*)"
                         rb"(?:\"(\d+)\"|'(\d+)')")
        parts = [pat.sub(lambda m: m[1] + b'"' + mapped[m[2] or m[3]] + b'"', body)]
    return b"".join([bom, head.encode("utf-8"), *parts, tail.encode("utf-8")])


class _IndexMap(dict[bytes, bytes]):
    """Style index digits → mapped index digits (bytes), computed on first use."""

    def __init__(self, mapper: Any):
        super().__init__()
        self.mapper = mapper

    def __missing__(self, key: bytes) -> bytes:
        value = self[key] = str(self.mapper(int(key))).encode()
        return value


# --------------------------------------------------------------------------------------------
# graft


_SHEET_REF_RE = re.compile(r"(?:'((?:[^']|'')+)'|([^\s'!,()=+\-*/^&<>:;\"{}]+))!")


def _referenced_sheets(formula: str) -> set[str]:
    out = set()
    for m in _SHEET_REF_RE.finditer(formula):
        name = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        if ":" in name:
            continue
        out.add(name.casefold())
    return out


def _new_part_name(wanted: str, taken: set[str]) -> str:
    folder, base = posixpath.split(wanted)
    stem, ext = posixpath.splitext(base)
    m = re.match(r"^(.*?)(\d*)$", stem)
    assert m is not None
    root = m.group(1) or stem
    n = 1
    while True:
        cand = posixpath.join(folder, f"{root}{n}{ext}")
        if cand.lower() not in taken and _rels_path(cand).lower() not in taken:
            return cand
        n += 1


def _next_rid(existing: Iterable[str]) -> Iterator[str]:
    used = set(existing)
    n = max([0, *(int(r[3:]) for r in used if re.fullmatch(r"rId\d+", r))]) + 1
    while True:
        rid = f"rId{n}"
        if rid not in used:
            used.add(rid)
            yield rid
        n += 1


def _reachable(pkg: _Package, roots: Iterable[str], skip: set[str]) -> set[str]:
    """Parts (lower-case names) reachable through internal relationships, rels parts included."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        part = stack.pop()
        key = part.lower()
        if key in seen or key in skip:
            continue
        seen.add(key)
        rp = _rels_path(part) if part else ROOT_RELS
        if pkg.has(rp):
            seen.add(rp.lower())
            for r in _parse_rels(pkg.get(rp), rp, pkg.path.name):
                if not r.external:
                    target = pkg.name(_resolve(part, r.target))
                    if pkg.has(target):
                        stack.append(target)
    seen.discard("")
    return seen


def _rels_xml(rels: list[_Rel]) -> bytes:
    body = "".join(
        f'<Relationship Id="{_esc_attr(r.id)}" Type="{_esc_attr(r.type)}" '
        f'Target="{_esc_attr(r.target)}"' + (' TargetMode="External"' if r.external else "")
        + "/>"
        for r in rels
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}">{body}</Relationships>'
    ).encode()


def _remove_rels(data: bytes, ids: set[str]) -> bytes:
    doc = _Text.decode(data)
    p = _prefix_for(doc.text, PKG_REL_NS) or ""
    edits = [(s, e, "") for s, e, a, _ in _elements(doc.text, p, "Relationship")
             if a.get("Id") in ids]
    doc.text = _splice(doc.text, edits)
    return doc.encode()


def _add_rels(data: bytes, rels: list[_Rel]) -> bytes:
    doc = _Text.decode(data)
    p = _prefix_for(doc.text, PKG_REL_NS) or ""
    qr = _q(p, "Relationship")
    items = "".join(
        f'<{qr} Id="{_esc_attr(r.id)}" Type="{_esc_attr(r.type)}" Target="{_esc_attr(r.target)}"/>'
        for r in rels
    )
    doc.text = _insert_before_close(doc.text, _q(p, "Relationships"), items)
    return doc.encode()


def _insert_before_close(text: str, qname: str, items: str) -> str:
    closing = "</" + qname
    at = text.rfind(closing)
    if at < 0:  # self-closing root
        m = re.search(r"<" + re.escape(qname) + r"(?![\w:.-])(" + _ATTRS + r")/>", text, re.S)
        if not m:
            raise PackageError(f"cannot edit part: <{qname}> not found")
        return text[: m.start()] + f"<{qname}{m.group(1)}>{items}</{qname}>" + text[m.end():]
    return text[:at] + items + text[at:]


def _edit_content_types(data: bytes, removed: set[str], added: list[tuple[str, str]]) -> bytes:
    doc = _Text.decode(data)
    p = _prefix_for(doc.text, CT_NS) or ""
    edits = [(s, e, "") for s, e, a, _ in _elements(doc.text, p, "Override")
             if a.get("PartName", "").lstrip("/").lower() in removed]
    doc.text = _splice(doc.text, edits)
    qo = _q(p, "Override")
    items = "".join(f'<{qo} PartName="/{_esc_attr(quote(part, safe="/._-~"))}" '
                    f'ContentType="{_esc_attr(ct)}"/>' for part, ct in added)
    doc.text = _insert_before_close(doc.text, _q(p, "Types"), items)
    return doc.encode()


def _calc_chain_mentions(data: bytes, sheet_ids: set[int], source: str) -> bool:
    root = _parse(data, "calcChain.xml", source)
    current = 0
    for c in root:
        if c.get("i") is not None:
            try:
                current = int(c.get("i", "0"))
            except ValueError:
                return True
        if current in sheet_ids:
            return True
    return False


@dataclass
class _DefinedName:
    name: str
    local: int | None
    value: str
    attrs: dict[str, str]


def _scratch_defined_names(pkg: _Package, wb_part: str) -> list[_DefinedName]:
    root = _parse(pkg.get(wb_part), wb_part, pkg.path.name)
    dn = root.find(f"{{{MAIN_NS}}}definedNames")
    out = []
    for el in [] if dn is None else dn.findall(f"{{{MAIN_NS}}}definedName"):
        local = el.get("localSheetId")
        attrs = {k: v for k, v in el.attrib.items()
                 if k not in ("name", "localSheetId") and not k.startswith("{")}
        out.append(_DefinedName(el.get("name", ""), int(local) if local is not None else None,
                                el.text or "", attrs))
    return out


def graft_sheets(
    target: Path,
    scratch: Path,
    out: Path,
    *,
    sheets: Sequence[str],
    remove: Sequence[str] = (),
    property_name: str = DEFAULT_PROPERTY,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
) -> None:
    """Write ``out``: the package ``target`` with sheets ``sheets`` of ``scratch`` grafted in.

    Sheets named in ``remove`` (if present; names compare case-insensitively, as in Excel) are
    first taken out with every part only they reach. A grafted sheet whose name was removed takes
    the removed sheet's tab position; other grafted sheets follow the previous grafted sheet, or
    go last. Styles are merged into the target's styles part, shared strings become inline
    strings, drawings and charts are copied under fresh part names, global defined names of the
    scratch workbook are carried over (a different same-named global name is an error unless it
    refers only to removed sheets) and the custom document property ``property_name`` records
    the owned sheet names as a JSON list.

    ``out`` is written atomically (it may be ``target`` itself). Raises :class:`PackageError`.
    """
    from costsheet.workbook.safety import atomic_write

    target, scratch, out = Path(target), Path(scratch), Path(out)
    tpkg = _Package.read(target, max_uncompressed)
    spkg = _Package.read(scratch, max_uncompressed)
    src = target.name
    t_wb = tpkg.workbook_part()
    s_wb = spkg.workbook_part()
    t_sheets = _workbook_sheets(tpkg, t_wb)
    s_sheets = {s.name: s for s in _workbook_sheets(spkg, s_wb)}

    wanted = list(dict.fromkeys(sheets))
    for name in wanted:
        if name not in s_sheets or s_sheets[name].part is None:
            raise PackageError(f"{scratch.name}: no sheet named {name!r} to graft")
    remove_keys = {n.casefold() for n in remove}
    removed = [s for s in t_sheets if s.name.casefold() in remove_keys]
    kept = [s for s in t_sheets if s.name.casefold() not in remove_keys]
    for name in wanted:
        if any(s.name.casefold() == name.casefold() for s in kept):
            raise PackageError(
                f"{src}: a sheet named {name!r} already exists and is not one of costsheet's",
                hint="rename that sheet in Excel, or let costsheet replace it",
            )

    # ---- parts to delete: reachable only from removed sheets
    removed_parts = {s.part.lower() for s in removed if s.part}
    keep_reach = _reachable(tpkg, [""], removed_parts)
    cand = _reachable(tpkg, [s.part for s in removed if s.part], set())
    deleted = {p for p in cand if p not in keep_reach}
    changed: dict[str, bytes] = {}

    wb_rels_part = _rels_path(t_wb)
    wb_rels = tpkg.rels(t_wb)
    drop_rids = {s.rid for s in removed}

    calc = [r for r in wb_rels if r.type == RT_CALC_CHAIN and not r.external]
    if calc and removed:
        calc_part = tpkg.name(_resolve(t_wb, calc[0].target))
        if tpkg.has(calc_part) and _calc_chain_mentions(
            tpkg.get(calc_part), {s.sheet_id for s in removed}, src
        ):
            deleted.add(calc_part.lower())
            drop_rids.add(calc[0].id)

    taken = {n for n in tpkg.lower if n not in deleted}

    # ---- plan the copy of scratch parts
    s_ct_defaults, s_ct_overrides = spkg.content_types()
    part_map: dict[str, str] = {}  # scratch part -> new target part
    order: list[str] = []

    def plan(part: str, wanted_name: str) -> None:
        if part in part_map:
            return
        new = _new_part_name(wanted_name, taken)
        taken.add(new.lower())
        taken.add(_rels_path(new).lower())
        part_map[part] = new
        order.append(part)
        for r in spkg.rels(part):
            if r.external:
                continue
            child = spkg.name(_resolve(part, r.target))
            if spkg.has(child):
                plan(child, child)

    for name in wanted:
        part = s_sheets[name].part
        assert part is not None
        plan(part, posixpath.join(posixpath.dirname(t_wb), "worksheets", "sheet1.xml"))

    # ---- styles
    t_styles_part = None
    for r in wb_rels:
        if r.type == RT_STYLES and not r.external:
            t_styles_part = tpkg.name(_resolve(t_wb, r.target))
    s_styles_part = None
    for r in spkg.rels(s_wb):
        if r.type == RT_STYLES and not r.external:
            s_styles_part = spkg.name(_resolve(s_wb, r.target))
    if s_styles_part is None or not spkg.has(s_styles_part):
        raise PackageError(f"{scratch.name}: scratch workbook has no styles part")
    new_styles_part: str | None = None
    if t_styles_part and tpkg.has(t_styles_part):
        merger = _StyleMerger(tpkg.get(t_styles_part), spkg.get(s_styles_part), src)
    else:
        merger = _StyleMerger(None, spkg.get(s_styles_part), src)
        new_styles_part = _new_part_name(
            posixpath.join(posixpath.dirname(t_wb), "styles.xml"), taken)
        taken.add(new_styles_part.lower())

    # ---- new sheet order
    new_entries: dict[str, _SheetEntry] = {}
    rid_gen = _next_rid(r.id for r in wb_rels if r.id not in drop_rids)
    used_ids = {s.sheet_id for s in kept}
    next_id = max([0, *used_ids, *(s.sheet_id for s in removed)]) + 1
    removed_by_key = {s.name.casefold(): s for s in removed}
    for name in wanted:
        old = removed_by_key.get(name.casefold())
        if old is not None and old.sheet_id not in used_ids and old.sheet_id > 0:
            sid = old.sheet_id
        else:
            sid = next_id
            next_id += 1
        used_ids.add(sid)
        part = s_sheets[name].part
        assert part is not None
        new_entries[name] = _SheetEntry(name, sid, next(rid_gen), part_map[part], "")

    layout: list[_SheetEntry] = []
    placed: set[str] = set()
    wanted_by_key = {n.casefold(): n for n in wanted}
    for s in t_sheets:
        if s.name.casefold() in remove_keys:
            match = wanted_by_key.get(s.name.casefold())
            if match is not None and match not in placed:
                layout.append(new_entries[match])
                placed.add(match)
        else:
            layout.append(s)
    for k, name in enumerate(wanted):
        if name in placed:
            continue
        entry = new_entries[name]
        names = [e.name for e in layout]
        if k > 0:
            layout.insert(names.index(wanted[k - 1]) + 1, entry)
        else:
            later = [names.index(n) for n in wanted if n in placed]
            layout.insert(min(later) if later else len(layout), entry)
        placed.add(name)

    new_index = {s.name.casefold(): i for i, s in enumerate(layout)}

    # ---- workbook.xml
    wb_doc = _Text.decode(tpkg.get(t_wb))
    text = wb_doc.text
    p = _prefix_for(text, MAIN_NS)
    if p is None:
        raise PackageError(f"{src}: workbook part is not SpreadsheetML (Strict OOXML?)")
    rp = _prefix_for(text, R_NS)
    sheet_tags = _elements(text, p, "sheet")
    if len(sheet_tags) != len(t_sheets):
        raise PackageError(f"{src}: cannot read the sheet list of the workbook")
    for entry, (s0, e0, _a, _i) in zip(t_sheets, sheet_tags, strict=True):
        entry.tag = text[s0:e0]

    # active tab / first sheet
    active_new = 0
    views = _elements(text, p, "workbookView")
    edits: list[tuple[int, int, str]] = []
    for vi, (s0, e0, a, _inner) in enumerate(views):
        tag_text = text[s0:e0]
        head_end = tag_text.index(">") + 1
        head = tag_text[:head_end]
        for attr in ("activeTab", "firstSheet"):
            if attr not in a:
                continue
            try:
                idx = int(a[attr])
            except ValueError:
                idx = 0
            idx = min(max(idx, 0), max(len(t_sheets) - 1, 0))
            name = t_sheets[idx].name.casefold() if t_sheets else ""
            if name in new_index:
                new = new_index[name]
            else:
                new = min(idx, max(len(layout) - 1, 0))
            if attr == "activeTab" and vi == 0:
                active_new = new
            if a[attr] != str(new):
                head = _set_attr(head, attr, str(new))
        edits.append((s0, s0 + head_end, head))
    sheet_start = sheet_tags[0][0] if sheet_tags else None
    # rebuild the <sheets> content
    qsheet = _q(p, "sheet")
    r_attr = _q(rp, "id") if rp is not None else "r:id"
    r_decl = "" if rp is not None else f' xmlns:r="{R_NS}"'
    pieces = []
    for entry in layout:
        if entry.tag:
            pieces.append(entry.tag)
        else:
            pieces.append(f'<{qsheet} name="{_esc_attr(entry.name)}" sheetId="{entry.sheet_id}" '
                          f'{r_attr}="{entry.rid}"{r_decl}/>')
    sheets_el = _elements(text, p, "sheets")
    if not sheets_el:
        raise PackageError(f"{src}: workbook has no <sheets> list")
    s0, e0, _a, _inner = sheets_el[0]
    whole = text[s0:e0]
    head = whole[: whole.index(">") + 1]
    if head.endswith("/>"):
        head = head[:-2].rstrip() + ">"
    edits.append((s0, e0, head + "".join(pieces) + f"</{_q(p, 'sheets')}>"))
    del sheet_start

    # defined names
    s_names = _scratch_defined_names(spkg, s_wb)
    s_sheet_order = [s.name for s in _workbook_sheets(spkg, s_wb)]
    grafted_keys = {n.casefold() for n in wanted}
    removed_only = remove_keys | grafted_keys
    dn_found = _elements(text, p, "definedNames")
    dn_pieces: list[str] = []
    existing_global: dict[str, tuple[int, str]] = {}
    if dn_found:
        ds, de, _da, dinner = dn_found[0]
        for (s1, e1, a1, inner1) in _elements(text, p, "definedName", ds, de):
            piece = text[s1:e1]
            local = a1.get("localSheetId")
            if local is not None:
                try:
                    li = int(local)
                except ValueError:
                    dn_pieces.append(piece)
                    continue
                if not 0 <= li < len(t_sheets):
                    dn_pieces.append(piece)
                    continue
                key = t_sheets[li].name.casefold()
                if key in remove_keys:
                    continue
                if new_index[key] != li:
                    head_end = piece.index(">") + 1
                    piece = _set_attr(piece[:head_end], "localSheetId",
                                      str(new_index[key])) + piece[head_end:]
                dn_pieces.append(piece)
            else:
                value = html.unescape(inner1 or "")
                refs = _referenced_sheets(value)
                if refs and refs <= remove_keys and not (refs & grafted_keys):
                    continue  # points only at sheets that are gone for good
                existing_global[a1.get("name", "").casefold()] = (len(dn_pieces), value)
                dn_pieces.append(piece)
    qdn = _q(p, "definedName")
    for dn in s_names:
        attrs = dict(dn.attrs)
        if dn.local is not None:
            if not 0 <= dn.local < len(s_sheet_order):
                continue
            sname = s_sheet_order[dn.local]
            if sname not in new_entries:
                continue
            local_attr = f' localSheetId="{new_index[sname.casefold()]}"'
        else:
            refs = _referenced_sheets(dn.value)
            if refs and not refs <= grafted_keys:
                continue  # refers to a scratch sheet that is not grafted
            local_attr = ""
            prev = existing_global.get(dn.name.casefold())
            if prev is not None:
                if prev[1].strip() == dn.value.strip():
                    continue
                prev_refs = _referenced_sheets(prev[1])
                if prev_refs and prev_refs <= removed_only:
                    dn_pieces[prev[0]] = ""
                else:
                    raise PackageError(
                        f"{src}: a defined name {dn.name!r} already exists "
                        f"({prev[1]}) and differs from costsheet's ({dn.value})",
                        hint="rename or delete that name in Excel (Formulas > Name Manager)",
                    )
        extra = "".join(f' {k}="{_esc_attr(v)}"' for k, v in attrs.items())
        dn_pieces.append(f'<{qdn} name="{_esc_attr(dn.name)}"{local_attr}{extra}>'
                         f"{_esc(dn.value)}</{qdn}>")
    dn_pieces = [x for x in dn_pieces if x]
    if dn_found:
        ds, de, da, dinner = dn_found[0]
        if dn_pieces:
            whole = text[ds:de]
            head = whole[: whole.index(">") + 1]
            if head.endswith("/>"):
                head = head[:-2].rstrip() + ">"
            edits.append((ds, de, head + "".join(dn_pieces) + f"</{_q(p, 'definedNames')}>"))
        else:
            edits.append((ds, de, ""))
    elif dn_pieces:
        block = f"<{_q(p, 'definedNames')}>{''.join(dn_pieces)}</{_q(p, 'definedNames')}>"
        anchor = _elements(text, p, "externalReferences") or _elements(text, p, "functionGroups")
        at = anchor[0][1] if anchor else sheets_el[0][1]
        edits.append((at, at, block))
    text = _splice(text, edits)
    changed[t_wb] = _Text(text, wb_doc.encoding, wb_doc.bom).encode()

    # ---- copy scratch parts
    table_ids, table_names = _existing_tables(tpkg, deleted)
    strings = _shared_strings(spkg, s_wb)
    date_shift = (_is_1904(spkg, s_wb) - _is_1904(tpkg, t_wb)) * 1462
    new_parts: list[tuple[str, bytes]] = []
    new_cts: list[tuple[str, str]] = []
    selected_part = layout[active_new].part if layout else None
    sheet_parts = {new_entries[n].part for n in wanted}
    for part in order:
        new = part_map[part]
        data = spkg.get(part)
        if new in sheet_parts:
            data = _rewrite_sheet(data, strings, merger, selected=(new == selected_part),
                                  source=scratch.name, date_shift=date_shift)
        ct = s_ct_overrides.get(part.lower()) or s_ct_defaults.get(
            posixpath.splitext(part)[1].lstrip(".").lower())
        if new in sheet_parts:
            ct = CT_WORKSHEET
        if ct is None:
            raise PackageError(f"{scratch.name}: no content type for {part}")
        if ct == CT_TABLE:
            data = _renumber_table(data, table_ids, table_names, src)
        new_parts.append((new, data))
        new_cts.append((new, ct))
        rels = spkg.rels(part)
        if rels:
            out_rels = []
            for r in rels:
                if r.external:
                    out_rels.append(r)
                    continue
                child = spkg.name(_resolve(part, r.target))
                if child in part_map:
                    out_rels.append(_Rel(r.id, r.type, _relative(new, part_map[child]), False))
            new_parts.append((_rels_path(new), _rels_xml(out_rels)))

    # ---- styles result
    if new_styles_part is not None:
        new_parts.append((new_styles_part, spkg.get(s_styles_part)))
        new_cts.append((new_styles_part, CT_STYLES))
    else:
        assert t_styles_part is not None
        merged = merger.result()
        if merged is not None:
            changed[t_styles_part] = merged

    # ---- workbook rels
    add_wb_rels = [_Rel(new_entries[n].rid, RT_WORKSHEET, _relative(t_wb, new_entries[n].part
                                                                    or ""), False)
                   for n in wanted]
    if new_styles_part is not None:
        add_wb_rels.append(_Rel(next(rid_gen), RT_STYLES, _relative(t_wb, new_styles_part),
                                False))
    wb_rels_data = tpkg.get(wb_rels_part)
    if drop_rids:
        wb_rels_data = _remove_rels(wb_rels_data, drop_rids)
    changed[tpkg.name(wb_rels_part)] = _add_rels(wb_rels_data, add_wb_rels)

    # ---- docProps/app.xml
    app_part = None
    for r in tpkg.rels(""):
        if r.type == RT_EXTENDED_PROPS and not r.external:
            app_part = tpkg.name(_resolve("", r.target))
    if app_part and tpkg.has(app_part) and app_part.lower() not in deleted:
        app = _edit_app(tpkg.get(app_part), [s.name for s in t_sheets],
                        [s.name for s in layout])
        if app is not None:
            changed[app_part] = app

    # ---- custom properties
    owned_json = json.dumps(list(wanted), ensure_ascii=False)
    custom_part = _custom_props_part(tpkg)
    if custom_part and tpkg.has(custom_part):
        changed[custom_part] = _set_custom_property(tpkg.get(custom_part), property_name,
                                                    owned_json, src)
    else:
        custom_part = custom_part or _new_part_name("docProps/custom1.xml", taken)
        if custom_part.lower() == "docprops/custom1.xml" and "docprops/custom.xml" not in taken:
            custom_part = "docProps/custom.xml"
        taken.add(custom_part.lower())
        new_parts.append((custom_part, _new_custom_props(property_name, owned_json)))
        new_cts.append((custom_part, CT_CUSTOM_PROPS))
        if not _custom_props_part(tpkg):
            root_rid = next(_next_rid(r.id for r in tpkg.rels("")))
            changed[ROOT_RELS] = _add_rels(
                changed.get(ROOT_RELS, tpkg.get(ROOT_RELS)),
                [_Rel(root_rid, RT_CUSTOM_PROPS, custom_part, False)],
            )

    # ---- content types
    ct_removed = set(deleted)
    changed[CONTENT_TYPES] = _edit_content_types(tpkg.get(CONTENT_TYPES), ct_removed, new_cts)

    # ---- write
    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in tpkg.infos:
                if info.filename.lower() in deleted:
                    continue
                data = changed.get(info.filename, tpkg.data[info.filename])
                zi = zipfile.ZipInfo(info.filename, info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr = info.external_attr
                zout.writestr(zi, data)
            for name, data in new_parts:
                zout.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data,
                              compress_type=zipfile.ZIP_DEFLATED)

    atomic_write(out, write)


def _existing_tables(pkg: _Package, deleted: set[str]) -> tuple[set[int], set[str]]:
    """Ids and names (case-folded) of the Excel tables that stay in the target."""
    _defaults, overrides = pkg.content_types()
    ids: set[int] = set()
    names: set[str] = set()
    for part, ct in overrides.items():
        if ct != CT_TABLE or part in deleted or not pkg.has(part):
            continue
        root = _parse(pkg.get(part), part, pkg.path.name)
        if (root.get("id") or "").isdigit():
            ids.add(int(root.get("id", "0")))
        for attr in ("name", "displayName"):
            if root.get(attr):
                names.add(root.get(attr, "").casefold())
    return ids, names


def _renumber_table(data: bytes, ids: set[int], names: set[str], source: str) -> bytes:
    """Give a grafted Excel table a workbook-unique id; refuse a table name already in use."""
    doc = _Text.decode(data)
    root = _root_tag(doc.text)
    attrs = _attrs(root.group(2))
    for attr in ("name", "displayName"):
        value = attrs.get(attr, "")
        if value and value.casefold() in names:
            raise PackageError(
                f"{source}: an Excel table named {value!r} already exists",
                hint="rename that table in Excel (Table Design > Table Name)",
            )
    names.update(attrs.get(a, "").casefold() for a in ("name", "displayName") if attrs.get(a))
    new_id = max([0, *ids]) + 1
    ids.add(new_id)
    head = _set_attr(root.group(0), "id", str(new_id))
    doc.text = doc.text[: root.start()] + head + doc.text[root.end():]
    return doc.encode()


def _is_1904(pkg: _Package, wb_part: str) -> int:
    root = _parse(pkg.get(wb_part), wb_part, pkg.path.name)
    pr = root.find(f"{{{MAIN_NS}}}workbookPr")
    return int(pr is not None and pr.get("date1904", "0").lower() in ("1", "true"))


def _edit_app(data: bytes, old_names: list[str], new_names: list[str]) -> bytes | None:
    """Update the worksheet titles and count in docProps/app.xml, or None to leave it."""
    try:
        root = SafeET.fromstring(data)
    except Exception:
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
    pair_index = None
    for k, (_label, count) in enumerate(pairs):
        if count == len(old_names) and titles[offset:offset + count] == old_names:
            pair_index = k
            break
        offset += count
    if pair_index is None:
        return None
    new_titles = titles[:offset] + new_names + titles[offset + len(old_names):]
    doc = _Text.decode(data)
    text = doc.text
    ap = _prefix_for(text, EXTENDED_NS)
    vt = _prefix_for(text, VT_NS)
    if ap is None or vt is None:
        return None
    edits: list[tuple[int, int, str]] = []
    tops = _elements(text, ap, "TitlesOfParts")
    hps = _elements(text, ap, "HeadingPairs")
    if not tops or not hps:
        return None
    ts, te, _a, _inner = tops[0]
    vec = _elements(text, vt, "vector", ts, te)
    if not vec:
        return None
    vs, ve, va, _vi = vec[0]
    qv = _q(vt, "vector")
    ql = _q(vt, "lpstr")
    vhead = text[vs:ve][: text[vs:ve].index(">") + 1]
    if vhead.endswith("/>"):
        vhead = vhead[:-2].rstrip() + ">"
    vhead = _set_attr(vhead, "size", str(len(new_titles)))
    items = "".join(f"<{ql}>{_esc(t)}</{ql}>" for t in new_titles)
    edits.append((vs, ve, f"{vhead}{items}</{qv}>"))
    hs, he, _a, _inner = hps[0]
    counts = list(re.finditer(r"(<" + re.escape(_q(vt, "i4")) + r">)\s*(\d+)\s*(</)", text[hs:he]))
    if len(counts) <= pair_index:
        return None
    m = counts[pair_index]
    edits.append((hs + m.start(2), hs + m.end(2), str(len(new_names))))
    doc.text = _splice(text, edits)
    return doc.encode()


def _set_custom_property(data: bytes, name: str, value: str, source: str) -> bytes:
    doc = _Text.decode(data)
    text = doc.text
    p = _prefix_for(text, CUSTOM_NS)
    if p is None:
        raise PackageError(f"{source}: docProps/custom.xml is not a custom-properties part")
    vt = _prefix_for(text, VT_NS)
    qv = _q(vt, "lpwstr") if vt is not None else "vt:lpwstr"
    decl = "" if vt is not None else f' xmlns:vt="{VT_NS}"'
    props = _elements(text, p, "property")
    qp = _q(p, "property")
    for s, e, a, _inner in props:
        if a.get("name") == name:
            whole = text[s:e]
            head = whole[: whole.index(">") + 1]
            if head.endswith("/>"):
                head = head[:-2].rstrip() + ">"
            new = f"{head}<{qv}{decl}>{_esc(value)}</{qv}></{qp}>"
            doc.text = text[:s] + new + text[e:]
            return doc.encode()
    pids = [int(a["pid"]) for _s, _e, a, _i in props if a.get("pid", "").isdigit()]
    pid = max([1, *pids]) + 1
    item = (f'<{qp} fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{_esc_attr(name)}">'
            f"<{qv}{decl}>{_esc(value)}</{qv}></{qp}>")
    doc.text = _insert_before_close(text, _q(p, "Properties"), item)
    return doc.encode()


def _new_custom_props(name: str, value: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">'
        f'<property fmtid="{CUSTOM_FMTID}" pid="2" name="{_esc_attr(name)}">'
        f"<vt:lpwstr>{_esc(value)}</vt:lpwstr></property></Properties>"
    ).encode()
