"""Sniff a file before anything else reads it: is it a safe, readable .xlsx/.xlsm package?

Legacy ``.xls``, password protection, CSV renamed ``.xlsx``, truncated zips and zip bombs are
refused here with a message that names the file and says what to do. Spreadsheets of another
format are named for what they are, with the way to save them as .xlsx: an OpenDocument
spreadsheet (``.ods``, LibreOffice), an Excel Binary Workbook (``.xlsb``), a Strict Open XML
Spreadsheet (Excel's "Strict" .xlsx), a password-protected workbook and a legacy ``.xls``.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
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

__all__ = ["check_package", "open_zip", "read_file", "read_members"]

#: Output of one step of inflating a member: memory stays this small above what is kept.
INFLATE_STEP = 1 << 20

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_MESSAGE = N_(
    "password-protected workbook: remove the password in Excel "
    "(File > Info > Protect Workbook) and try again"
)
PASSWORD_HINT = N_("in Excel: File > Info > Protect Workbook > Encrypt with Password, clear the "
                   "password, save, and run costsheet again")
SAVE_AS_XLSX = N_("open it in Excel and save it as an Excel Workbook (.xlsx)")
#: the root relationship of a Strict Open XML package (ISO/IEC 29500 Strict)
STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"


def _other_format(name: str, zf: zipfile.ZipFile, names: set[str]) -> PackageError | None:
    """A zip that is a spreadsheet of another format, named for what it is; else None."""
    if "mimetype" in names:
        kind = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
        if kind.startswith("application/vnd.oasis.opendocument"):
            what = (_("an OpenDocument spreadsheet (.ods, as LibreOffice Calc saves it), not an "
                      "Excel workbook") if kind.endswith("spreadsheet") else
                    _("an OpenDocument file ({kind}), not an Excel workbook").format(kind=kind))
            return PackageError(
                f"{name}: " + what,
                hint=_("open it in LibreOffice Calc and use File > Save As with the file type "
                       "Excel 2007-365 (.xlsx)"), code="ods_file")
    if ROOT_RELS not in names:
        return None
    rels = parse_rels(zf.read(ROOT_RELS), ROOT_RELS, name)
    if any(r.type == STRICT_OFFICE_DOCUMENT for r in rels):
        return PackageError(
            f"{name}: " + _("a Strict Open XML Spreadsheet, which costsheet does not read"),
            hint=_("open it in Excel and save it as an Excel Workbook (.xlsx), not Strict Open "
                   "XML Spreadsheet"), code="strict_ooxml")
    main = [r for r in rels if r.type == RT_OFFICE_DOCUMENT and not r.external]
    if main and resolve("", main[0].target).endswith(".bin"):
        return PackageError(
            f"{name}: " + _("an Excel Binary Workbook (.xlsb), not an Excel workbook costsheet "
                            "reads"), hint=_(SAVE_AS_XLSX), code="xlsb_file")
    return None


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
            raise PackageError(f"{name}: " + _(PASSWORD_MESSAGE), hint=_(PASSWORD_HINT),
                               code="encrypted")
        raise PackageError(
            f"{name}: " + _("legacy Excel 97-2003 (.xls) workbook, not .xlsx"),
            hint=_(SAVE_AS_XLSX), code="legacy_xls",
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
    other = _other_format(name, zf, names)
    if other is not None:
        raise other
    if CONTENT_TYPES not in names or ROOT_RELS not in names:
        raise PackageError(f"{name}: " + _("a zip file, but not an Excel workbook (no OOXML "
                                           "package)"))
    raw = zf.fp.getvalue() if isinstance(zf.fp, io.BytesIO) else None
    root_info = zf.getinfo(ROOT_RELS)
    blob = (inflate(raw, root_info, name, max_uncompressed) if raw is not None
            else zf.read(ROOT_RELS))
    rels = parse_rels(blob, ROOT_RELS, name)
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
            raise PackageError(f"{name}: " + _(PASSWORD_MESSAGE), hint=_(PASSWORD_HINT),
                               code="encrypted")
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


def read_members(zf: zipfile.ZipFile, raw: bytes, name: str,
                 max_uncompressed: int) -> dict[str, bytes]:
    """Every member of the zip ``zf`` (whose bytes are ``raw``), inflated under a cap on the
    bytes actually produced: a member may not inflate beyond the size its header declares, nor
    all members together beyond ``max_uncompressed``. Memory never holds more than what is kept
    plus :data:`INFLATE_STEP`, whatever the headers claim."""
    data: dict[str, bytes] = {}
    total = 0
    for info in zf.infolist():
        blob = inflate(raw, info, name, max_uncompressed - total, max_uncompressed)
        total += len(blob)
        data[info.filename] = blob
    return data


def inflate(raw: bytes, info: zipfile.ZipInfo, name: str, room: int,
            cap: int | None = None) -> bytes:
    """Member ``info`` of the zip ``raw``, inflated step by step (see :func:`read_members`);
    ``room``: how many more bytes the package may inflate to (of ``cap`` in all)."""
    cap = room if cap is None else cap
    comp = _compressed(raw, info, name)
    if info.compress_type == zipfile.ZIP_STORED:
        out = bytes(comp)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        out = _inflate_deflated(comp, info, name, room, cap)
    else:
        raise PackageError(f"{name}: " + _("damaged workbook ({entry} uses a compression Excel "
                                           "does not write)").format(entry=info.filename))
    if len(out) > room:
        raise _bomb(name, cap)
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise PackageError(f"{name}: " + _("damaged or truncated workbook ({entry} does not "
                                           "hold what its header says)").format(
                                               entry=info.filename))
    return out


def _compressed(raw: bytes, info: zipfile.ZipInfo, name: str) -> memoryview:
    """The compressed bytes of member ``info``, found through its local header."""
    at = info.header_offset
    head = raw[at:at + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise PackageError(f"{name}: " + _("damaged or truncated workbook (no local header "
                                           "for {entry})").format(entry=info.filename))
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    start = at + 30 + name_len + extra_len
    comp = memoryview(raw)[start:start + info.compress_size]
    if len(comp) != info.compress_size:
        raise PackageError(f"{name}: " + _("damaged or truncated workbook ({entry} is cut "
                                           "short)").format(entry=info.filename))
    return comp


def _inflate_deflated(comp: memoryview, info: zipfile.ZipInfo, name: str, room: int,
                      cap: int) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    produced = 0
    pending: bytes | memoryview = comp
    limit = min(info.file_size, room)
    try:
        while not inflater.eof:
            piece = inflater.decompress(pending, INFLATE_STEP)
            pending = inflater.unconsumed_tail
            produced += len(piece)
            if produced > limit:
                if produced > info.file_size:
                    raise PackageError(
                        f"{name}: " + _("refused: {entry} inflates to more than the {size} "
                                        "bytes its header declares (possible zip bomb); "
                                        "costsheet stopped inflating it").format(
                                            entry=info.filename, size=f"{info.file_size:,}"))
                raise _bomb(name, cap)
            pieces.append(piece)
            if not piece and not pending:
                break
    except zlib.error:
        raise PackageError(f"{name}: " + _("damaged or truncated workbook ({entry} cannot be "
                                           "inflated)").format(entry=info.filename)) from None
    return b"".join(pieces)


def _bomb(name: str, cap: int) -> PackageError:
    return PackageError(
        f"{name}: " + _("refused: uncompressed size exceeds {limit} bytes (possible zip "
                        "bomb)").format(limit=f"{cap:,}"))
