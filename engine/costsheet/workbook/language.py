"""The language a workbook remembers: the custom document property ``costsheet.language``.

``costsheet new --lang zh`` writes it (template.py); ``check`` and ``run`` on that workbook then
speak Chinese without ``--lang``. Anyone may change it (Excel: File > Info > Properties >
Advanced Properties > Custom; LibreOffice: File > Properties > Custom Properties): it decides
only the language of what costsheet says and writes, never what is read.

Read from the package without openpyxl, small and bounded: a file that is not a workbook, or a
property that is missing or names no language costsheet has, gives None (the caller falls back
to the environment's locale).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from ..i18n import normalise_language
from .ooxml import Package
from .template import LANGUAGE_PROPERTY

__all__ = ["LANGUAGE_PROPERTY", "workbook_language"]

_RELS = "_rels/.rels"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/" \
    "custom-properties"
_MAX_PART = 1 << 20  # a custom-properties part larger than 1 MB is not costsheet's


def workbook_language(path: Path | str | Package) -> str | None:
    """The language recorded in workbook ``path`` (``zh``, ``en``), or None. Given the
    workbook's :class:`~costsheet.workbook.ooxml.Package`, the file is not read again."""
    if isinstance(path, Package):
        part = path.custom_props_part()
        if part is None or not path.has(part) or len(path.get(part)) > _MAX_PART:
            return None
        return _property(path.get(part))
    try:
        with zipfile.ZipFile(path) as zf:
            part = _custom_part(zf)
            if part is None:
                return None
            info = zf.getinfo(part)
            if info.file_size > _MAX_PART:
                return None
            with zf.open(info) as f:
                data = f.read(_MAX_PART + 1)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, ValueError, EOFError):
        return None
    if len(data) > _MAX_PART:
        return None
    return _property(data)


def _custom_part(zf: zipfile.ZipFile) -> str | None:
    import defusedxml.ElementTree as SafeET

    names = {n.lower(): n for n in zf.namelist()}
    rels = names.get(_RELS)
    if rels is None or zf.getinfo(rels).file_size > _MAX_PART:
        return None
    try:
        root = SafeET.fromstring(zf.read(rels))
    except Exception:
        return None
    for rel in root:
        if rel.get("Type") == _CUSTOM_REL and rel.get("TargetMode") != "External":
            target = posixpath.normpath(str(rel.get("Target", "")).lstrip("/"))
            return names.get(target.lower())
    return None


def _property(data: bytes) -> str | None:
    import defusedxml.ElementTree as SafeET

    try:
        root = SafeET.fromstring(data)
    except Exception:
        return None
    for prop in root:
        if prop.tag.rsplit("}", 1)[-1] == "property" and prop.get("name") == LANGUAGE_PROPERTY:
            return normalise_language("".join(prop.itertext()).strip())
    return None
