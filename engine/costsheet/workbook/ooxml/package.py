"""One workbook package, opened once: its parts, relationships, content types and sheet list.

:meth:`Package.open` reads the file once, sniffs it (:mod:`.sniff`) and keeps every part in
memory; callers pass the object around instead of opening the file again (``costsheet run`` reads
the sheet list, the owned-sheet property and the Refresh log from it, then grafts into it).
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...i18n import _
from .names import (
    CONTENT_TYPES,
    DEFAULT_MAX_UNCOMPRESSED,
    DEFAULT_PROPERTY,
    MAIN_NS,
    R_NS,
    ROOT_RELS,
    RT_CUSTOM_PROPS,
    RT_OFFICE_DOCUMENT,
    PackageError,
)
from .rels import Rel, parse_rels, rels_path, resolve
from .sniff import open_zip, read_file, read_members
from .xmltext import local_name, parse

__all__ = ["Package", "SheetEntry", "list_sheets", "read_owned_sheets"]


@dataclass
class SheetEntry:
    """One ``<sheet>`` of a workbook's sheet list."""

    name: str
    sheet_id: int
    rid: str
    part: str | None
    tag: str = ""  # the original <sheet .../> text (empty for new sheets)
    state: str = "visible"  # "hidden" or "veryHidden" for a hidden tab


@dataclass
class Package:
    """A workbook package in memory: zip entries in their order, part bytes by name.

    Part names compare case-insensitively, as in OPC: :meth:`part_name` gives the spelling the
    zip uses.
    """

    path: Path
    raw: bytes
    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]
    lower: dict[str, str] = field(default_factory=dict)
    stat: tuple[int, int] = (0, 0)  # size and mtime (ns) of the file when it was read

    @classmethod
    def open(cls, path: Path | str, *,
             max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> Package:
        """Read and check the package at ``path`` (raises :class:`PackageError`)."""
        path = Path(path)
        stat = _stat(path)
        raw = read_file(path)
        with open_zip(path.name, raw, max_uncompressed) as zf:
            try:
                infos = zf.infolist()
                data = read_members(zf, raw, path.name, max_uncompressed)
            except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
                raise PackageError(
                    f"{path.name}: " + _("damaged or truncated workbook ({problem})").format(
                        problem=exc)) from None
        return cls(path, raw, infos, data, {n.lower(): n for n in data}, stat)

    @property
    def source(self) -> str:
        """The file name, for messages."""
        return self.path.name

    def changed_on_disk(self) -> bool:
        """Whether the file was replaced or changed since it was read."""
        return _stat(self.path) != self.stat

    # ---- parts

    def has(self, part: str) -> bool:
        return part.lower() in self.lower

    def part_name(self, part: str) -> str:
        """``part`` as the zip spells it (or as given, when absent)."""
        return self.lower.get(part.lower(), part)

    def get(self, part: str) -> bytes:
        return self.data[self.part_name(part)]

    def tree(self, part: str) -> Any:
        """Part ``part`` parsed (safely)."""
        return parse(self.get(part), part, self.source)

    # ---- relationships

    def rels(self, part: str) -> list[Rel]:
        """The relationships of ``part`` ('' for the package's own)."""
        rp = rels_path(part) if part else ROOT_RELS
        if not self.has(rp):
            return []
        return parse_rels(self.get(rp), rp, self.source)

    def related(self, part: str, rel_type: str) -> list[str]:
        """The parts ``part`` points at with internal relationships of type ``rel_type``."""
        return [self.part_name(resolve(part, r.target)) for r in self.rels(part)
                if r.type == rel_type and not r.external]

    def workbook_part(self) -> str:
        """The main (workbook) part."""
        main = self.related("", RT_OFFICE_DOCUMENT)
        if not main:
            raise PackageError(f"{self.source}: " + _("not an Excel workbook (no main part)"))
        return main[0]

    def custom_props_part(self) -> str | None:
        """The custom document properties part, when the package points at one."""
        parts = self.related("", RT_CUSTOM_PROPS)
        return parts[0] if parts else None

    def reachable(self, roots: list[str], skip: set[str]) -> set[str]:
        """Parts (lower-case names) reachable from ``roots`` through internal relationships,
        rels parts included, not going through the parts in ``skip``."""
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            part = stack.pop()
            key = part.lower()
            if key in seen or key in skip:
                continue
            seen.add(key)
            rp = rels_path(part) if part else ROOT_RELS
            if self.has(rp):
                seen.add(rp.lower())
                for r in parse_rels(self.get(rp), rp, self.source):
                    if not r.external:
                        target = self.part_name(resolve(part, r.target))
                        if self.has(target):
                            stack.append(target)
        seen.discard("")
        return seen

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(defaults by lower-case extension, overrides by lower-case part name)."""
        root = self.tree(CONTENT_TYPES)
        defaults: dict[str, str] = {}
        overrides: dict[str, str] = {}
        for el in root:
            if local_name(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local_name(el.tag) == "Override":
                overrides[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
        return defaults, overrides

    def content_type(self, part: str) -> str | None:
        """The content type of ``part``: its override, else its extension's default."""
        defaults, overrides = self.content_types()
        if part.lower() in overrides:
            return overrides[part.lower()]
        return defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())

    # ---- the workbook

    def sheets(self) -> list[SheetEntry]:
        """The workbook's sheets in tab order."""
        wb_part = self.workbook_part()
        root = self.tree(wb_part)
        rels = {r.id: r for r in self.rels(wb_part)}
        out: list[SheetEntry] = []
        sheets_el = root.find(f"{{{MAIN_NS}}}sheets")
        if sheets_el is None:
            return out
        for el in sheets_el.findall(f"{{{MAIN_NS}}}sheet"):
            rid = el.get(f"{{{R_NS}}}id", "")
            rel = rels.get(rid)
            part = (self.part_name(resolve(wb_part, rel.target)) if rel and not rel.external
                    else None)
            try:
                sid = int(el.get("sheetId", "0"))
            except ValueError:
                sid = 0
            out.append(SheetEntry(el.get("name", ""), sid, rid, part, "",
                                  el.get("state", "visible") or "visible"))
        return out

    def sheet_names(self) -> list[str]:
        """Sheet names in workbook (tab) order."""
        return [s.name for s in self.sheets()]

    def is_1904(self) -> bool:
        """Whether the workbook counts dates from 1904 (old Mac Excel)."""
        pr = self.tree(self.workbook_part()).find(f"{{{MAIN_NS}}}workbookPr")
        return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

    def custom_property(self, name: str) -> str | None:
        """The text of custom document property ``name`` (None when there is none)."""
        part = self.custom_props_part()
        if part is None or not self.has(part):
            return None
        for prop in self.tree(part):
            if local_name(prop.tag) == "property" and prop.get("name") == name:
                return "".join(prop.itertext())
        return None

    def owned_sheets(self, property_name: str = DEFAULT_PROPERTY) -> list[str]:
        """The sheet names a graft recorded in custom property ``property_name`` (or ``[]``).

        Anyone can edit this property (File > Properties): it is a list for people to read, and
        the start of the one-time migration of workbooks written before sheets carried their
        own mark (:mod:`costsheet.workbook.ownership`), never a proof of ownership."""
        text = self.custom_property(property_name)
        if text is None:
            return []
        try:
            names = json.loads(text)
        except ValueError:
            return []
        return [str(n) for n in names] if isinstance(names, list) else []

    def open_workbook(self, *, data_only: bool = False) -> Any:
        """An openpyxl read-only workbook of this package, from the bytes already read (sheets
        nobody reads are never parsed: :mod:`costsheet.workbook.readonly_workbook`)."""
        from ..readonly_workbook import open_read_only

        return open_read_only(io.BytesIO(self.raw), data_only=data_only)


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_size, st.st_mtime_ns)


def list_sheets(path: Path | Package) -> list[str]:
    """Sheet names in workbook (tab) order, read from the package without openpyxl."""
    pkg = path if isinstance(path, Package) else Package.open(path)
    return pkg.sheet_names()


def read_owned_sheets(path: Path | Package, property_name: str = DEFAULT_PROPERTY) -> list[str]:
    """The owned sheet names recorded by a graft (``[]`` when none recorded)."""
    pkg = path if isinstance(path, Package) else Package.open(path)
    return pkg.owned_sheets(property_name)
