"""Sniff a file before anything else reads it: is it a safe, readable .xlsx/.xlsm package?

Legacy ``.xls``, password protection, CSV renamed ``.xlsx``, truncated zips and zip bombs are
refused here with a message that names the file and says what to do.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ...i18n import N_, _
from .names import (
    CONTENT_TYPES,
    DEFAULT_MAX_UNCOMPRESSED,
    ROOT_RELS,
    RT_OFFICE_DOCUMENT,
    PackageError,
)
from .rels import parse_rels, resolve

__all__ = ["check_package", "open_zip", "read_file"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_MESSAGE = N_(
    "password-protected workbook: remove the password in Excel "
    "(File > Info > Protect Workbook) and try again"
)


def check_package(path: Path, *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> None:
    """Refuse files that are not safe, readable .xlsx/.xlsm packages, with a clear message.

    Raises :class:`PackageError` for: a missing or empty file, a legacy ``.xls`` or a
    password-protected workbook (both OLE2 compound files), text or CSV renamed ``.xlsx``,
    a truncated or damaged zip, encrypted zip members, a zip bomb (total uncompressed size
    above ``max_uncompressed`` or a member compressed more than 1000:1 and above 50 MB) and a
    zip that is not an Office Open XML package.
    """
    path = Path(path)
    open_zip(path.name, read_file(path), max_uncompressed).close()


def read_file(path: Path) -> bytes:
    """The bytes of ``path``; a missing, folder or unreadable path is a PackageError."""
    name = path.name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PackageError(f"{name}: " + _("file not found")) from None
    except IsADirectoryError:
        raise PackageError(f"{name}: " + _("is a folder, not a workbook")) from None
    except PermissionError:
        raise PackageError(f"{name}: " + _("permission denied (cannot read the file)")) \
            from None


def open_zip(name: str, raw: bytes, max_uncompressed: int) -> zipfile.ZipFile:
    """The checked zip of file ``name`` (bytes ``raw``); the caller closes it."""
    _sniff(name, raw)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        try:
            _check_zip(zf, name, max_uncompressed)
        except BaseException:
            zf.close()
            raise
        return zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise PackageError(
            f"{name}: " + _("damaged or truncated workbook (not a complete zip package)"),
            hint=_("was it still being copied or downloaded? Try the file again from its "
                   "source"),
        ) from None


def _sniff(name: str, raw: bytes) -> None:
    """Refuse what is plainly not a zip package: OLE2 (.xls, password), empty, text."""
    if raw[:8] == OLE2_MAGIC:
        if "EncryptionInfo".encode("utf-16-le") in raw[: 16 << 20]:
            raise PackageError(f"{name}: " + _(PASSWORD_MESSAGE))
        raise PackageError(
            f"{name}: " + _("legacy Excel 97-2003 (.xls) workbook, not .xlsx"),
            hint=_("open it in Excel and save it as an Excel Workbook (.xlsx)"),
        )
    sample = raw[:4096]
    if not sample:
        raise PackageError(f"{name}: " + _("empty file, not an Excel workbook"))
    if not sample.startswith(b"PK"):
        if _looks_like_text(sample):
            raise PackageError(
                f"{name}: " + _("not an Excel workbook (looks like text/CSV)"),
                hint=_("open it in Excel and save it as an Excel Workbook (.xlsx)"),
            )
        raise PackageError(f"{name}: " + _("not an Excel workbook (not a zip package)"))


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
    _check_members(infos, name, max_uncompressed)
    names = {i.filename for i in infos}
    if CONTENT_TYPES not in names or ROOT_RELS not in names:
        raise PackageError(f"{name}: " + _("a zip file, but not an Excel workbook (no OOXML "
                                           "package)"))
    rels = parse_rels(zf.read(ROOT_RELS), ROOT_RELS, name)
    main = [r for r in rels if r.type == RT_OFFICE_DOCUMENT and not r.external]
    if not main:
        raise PackageError(f"{name}: " + _("a zip file, but not an Excel workbook (no main "
                                           "part)"))
    wb = resolve("", main[0].target)
    if wb not in names or not wb.endswith(".xml"):
        raise PackageError(
            f"{name}: " + _("not an Excel workbook (main part {part} missing or not a "
                            "spreadsheet)").format(part=wb)
        )


def _check_members(infos: list[zipfile.ZipInfo], name: str, max_uncompressed: int) -> None:
    """Encrypted members, duplicate entries and zip bombs."""
    total = 0
    seen: set[str] = set()
    for info in infos:
        if info.flag_bits & 0x1:
            raise PackageError(f"{name}: " + _(PASSWORD_MESSAGE))
        key = info.filename.lower()
        if key in seen:
            raise PackageError(f"{name}: " + _("damaged workbook (zip entry {entry} "
                                               "twice)").format(entry=info.filename))
        seen.add(key)
        total += info.file_size
        if total > max_uncompressed:
            raise PackageError(
                f"{name}: " + _("refused: uncompressed size exceeds {limit} bytes (possible zip "
                                "bomb)").format(limit=f"{max_uncompressed:,}")
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > 1000 and info.file_size > 50 * 1024 * 1024:
            raise PackageError(
                f"{name}: " + _("refused: {entry} is compressed {ratio}:1 (possible zip "
                                "bomb)").format(entry=info.filename, ratio=f"{ratio:,.0f}")
            )
