"""A corpus of hostile and broken budget workbooks, generated at test time (nothing binary is
committed).

Each :class:`Case` builds one bad file from the worked-example template (or from nothing) and
says what ``costsheet check`` / ``costsheet run`` must answer: exit code 2 and a message that names
the file and, where there is one, the ``Sheet!Cell`` (``where``) and some ``words``.
:func:`accepted` lists the odd-but-fine inputs that must *run* (numbers stored as text, dates in
month cells, the 1904 date system, formulas saved without a result that costsheet can evaluate).

Builders work at three levels: raw bytes (not a zip, OLE2 compound files, truncated zips), zip
parts (entity bombs, NaN/INF values, declared zip-bomb sizes, broken XML) and cells (openpyxl
edits of our own template, which openpyxl round-trips safely).
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

Builder = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad workbook: how to build it and what costsheet must say about it."""

    name: str
    build: Builder
    where: str | None = None  # "Sheet!Cell" (or "Sheet", "Sheet!3:3") the message must name
    words: str = ""  # words the message must contain
    suffix: str = ".xlsx"

    @property
    def filename(self) -> str:
        return self.name + self.suffix

    def make(self, folder: Path, lang: str = "en") -> Path:
        """Build the file in ``folder``, from the worked example written in ``lang`` (a Chinese
        user's workbook: Chinese labels, and the ``costsheet.language`` property)."""
        path = folder / self.filename
        previous, _BUILD_LANG[0] = _BUILD_LANG[0], lang
        try:
            self.build(path)
        finally:
            _BUILD_LANG[0] = previous
        return path


# --------------------------------------------------------------------------------------------
# the valid starting point


#: the language the builders write the worked example in (Case.make sets it)
_BUILD_LANG = ["en"]


def example_bytes(lang: str | None = None) -> bytes:
    """The worked example template (``costsheet new --example``) as bytes, in ``lang`` (default:
    the language of the case being built)."""
    return _example_bytes(lang or _BUILD_LANG[0])


@functools.lru_cache(maxsize=4)
def _example_bytes(lang: str) -> bytes:
    from costsheet.workbook.examples import worked_example
    from costsheet.workbook.template import workbook_bytes

    return workbook_bytes(worked_example(lang), lang=lang)


def write_example(path: Path) -> None:
    path.write_bytes(example_bytes())


def set_cells(path: Path, edits: dict[str, Any], fn: Callable[[Any], None] | None = None) -> None:
    """Set ``{"Sheet!A1": value}`` in the workbook at ``path`` (openpyxl), then ``fn(wb)``."""
    wb = openpyxl.load_workbook(path)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
        if isinstance(value, str) and value.startswith("="):
            continue  # a formula, on purpose
    if fn is not None:
        fn(wb)
    wb.save(path)


def cells(edits: dict[str, Any], fn: Callable[[Any], None] | None = None) -> Builder:
    def build(path: Path) -> None:
        write_example(path)
        set_cells(path, edits, fn)

    return build


# --------------------------------------------------------------------------------------------
# zip-part level


def sheet_part(data: bytes, sheet: str) -> str:
    """The zip part name of ``sheet`` in the package ``data``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    m = re.search(r'<(?:\w+:)?sheet [^>]*name="' + re.escape(sheet) + r'"[^>]*r:id="([^"]+)"', wb)
    assert m, sheet
    t = re.search(r'<Relationship [^>]*Id="' + m.group(1) + r'"[^>]*/>', rels)
    assert t, m.group(1)
    target = re.search(r'Target="([^"]+)"', t.group(0)).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def rewrite_parts(data: bytes, edits: dict[str, Callable[[bytes], bytes] | None],
                  add: dict[str, bytes] | None = None) -> bytes:
    """A copy of the package with parts edited (``None`` deletes the part) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in edits:
                fn = edits[info.filename]
                if fn is None:
                    continue
                zout.writestr(info, fn(zin.read(info.filename)))
            else:
                zout.writestr(info, zin.read(info.filename))
        for name, blob in (add or {}).items():
            zout.writestr(name, blob)
    return out.getvalue()


def parts(edits: dict[str, Callable[[bytes], bytes] | None], *, sheet_edits:
          dict[str, Callable[[bytes], bytes]] | None = None,
          start: Builder = write_example) -> Builder:
    """Edit zip parts of the example (sheet_edits are keyed by sheet name)."""

    def build(path: Path) -> None:
        start(path)
        data = path.read_bytes()
        all_edits = dict(edits)
        for sheet, fn in (sheet_edits or {}).items():
            all_edits[sheet_part(data, sheet)] = fn
        path.write_bytes(rewrite_parts(data, all_edits))

    return build


def cell_xml(ref: str, inner: str, t: str | None = None) -> Callable[[bytes], bytes]:
    """Replace the cell ``ref`` of a sheet XML by ``<c r=ref [t=..]>inner</c>``."""

    def edit(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        pattern = re.compile(r'<c r="' + ref + r'"(?: [^>]*?)?(?:/>|>.*?</c>)', re.S)
        attr = f' t="{t}"' if t else ""
        new, n = pattern.subn(f'<c r="{ref}"{attr}>{inner}</c>', text, count=1)
        assert n == 1, ref
        return new.encode("utf-8")

    return edit


def entity_bomb(xml: bytes, depth: int = 9) -> bytes:
    """Billion laughs: a DOCTYPE with nested entities and a use of the biggest one."""
    text = xml.decode("utf-8")
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, depth + 1):
        ents.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    doctype = "<!DOCTYPE lolz [" + "".join(ents) + "]>"
    text = re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m.group(1) or "") + doctype, text, count=1)
    return text.encode("utf-8")


def bomb_in_first_text(xml: bytes) -> bytes:
    text = entity_bomb(xml).decode("utf-8")
    text = re.sub(r"<t>[^<]*</t>", "<t>&lol9;</t>", text, count=1)
    return text.encode("utf-8")


def shared_strings_bomb(path: Path) -> None:
    """The example with a sharedStrings part (which our template does not use) whose first
    string is a billion-laughs entity, used by the Staff sheet's first role cell."""
    data = example_bytes()
    sst = (b'<?xml version="1.0" encoding="UTF-8"?>'
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
           b'uniqueCount="1"><si><t>role</t></si></sst>')
    rel = (b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
           b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    ct = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats'
          b'-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    data = rewrite_parts(data, {
        "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"</Relationships>", rel),
        "[Content_Types].xml": lambda x: x.replace(b"</Types>", ct),
        sheet_part(data, "Staff"): cell_xml("A6", "<v>0</v>", "s"),
    }, add={"xl/sharedStrings.xml": bomb_in_first_text(sst)})
    path.write_bytes(data)


def external_entity(xml: bytes) -> bytes:
    text = xml.decode("utf-8")
    doctype = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    text = re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m.group(1) or "") + doctype, text, count=1)
    return text.encode("utf-8")


def declared_size(data: bytes, member: str, size: int) -> bytes:
    """Patch the central directory so ``member`` claims ``size`` uncompressed bytes."""
    buf = bytearray(data)
    name = member.encode()
    pos = 0
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        assert pos >= 0, member
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46: pos + 46 + n]) == name:
            struct.pack_into("<I", buf, pos + 24, size)
            return bytes(buf)
        pos += 4


def set_flag_bits(data: bytes, member: str, bit: int) -> bytes:
    buf = bytearray(data)
    name = member.encode()
    for sig, name_off, flag_off in ((b"PK\x01\x02", 46, 8), (b"PK\x03\x04", 30, 6)):
        pos = 0
        while (pos := buf.find(sig, pos)) >= 0:
            n = struct.unpack_from("<H", buf, pos + (28 if sig == b"PK\x01\x02" else 26))[0]
            if bytes(buf[pos + name_off: pos + name_off + n]) == name:
                flags = struct.unpack_from("<H", buf, pos + flag_off)[0]
                struct.pack_into("<H", buf, pos + flag_off, flags | bit)
            pos += 4
    return bytes(buf)


def lying_member(inflated: int = 2 << 30, declared: int = 1000) -> Builder:
    """The example plus a member whose headers declare ``declared`` bytes but whose deflate
    stream inflates to ``inflated`` bytes of zeros (2 GiB in a 2 MB file, built in a second
    from one compressed block repeated). Its CRC is that of the declared bytes, so a reader that
    trusts the headers and cuts the output there would see nothing wrong; a reader that inflates
    the whole stream first (Python's ``ZipFile.read``) needs the 2 GiB."""

    def build(path: Path) -> None:
        block_size = 1 << 24
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = co.compress(b"\0" * block_size) + co.flush(zlib.Z_FULL_FLUSH)
        stream = block * (inflated // block_size) + b"\x03\x00"  # a final empty block
        name = "xl/media/image1.bin"
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(example_bytes())) as zin, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, zin.read(info.filename))
            zout.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), stream,
                          compress_type=zipfile.ZIP_STORED)
        buf = bytearray(out.getvalue())
        crc = zlib.crc32(b"\0" * declared)
        raw_name = name.encode()
        for sig, name_off, method_off, crc_off, size_off in (
                (b"PK\x03\x04", 30, 8, 14, 22), (b"PK\x01\x02", 46, 10, 16, 24)):
            pos = 0
            while (pos := buf.find(sig, pos)) >= 0:
                n = struct.unpack_from("<H", buf, pos + name_off - (4 if sig == b"PK\x03\x04"
                                                                    else 18))[0]
                if bytes(buf[pos + name_off: pos + name_off + n]) == raw_name:
                    struct.pack_into("<H", buf, pos + method_off, zipfile.ZIP_DEFLATED)
                    struct.pack_into("<I", buf, pos + crc_off, crc)
                    struct.pack_into("<I", buf, pos + size_off, declared)
                pos += 4
        path.write_bytes(bytes(buf))

    return build


def many_rows(n: int, first: int = 1000) -> Callable[[bytes], bytes]:
    """A sheet edit: ``n`` more filled rows (a name in column A) from row ``first`` on."""

    def edit(xml: bytes) -> bytes:
        rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>line {r}</t></is></c>'
                       "</row>" for r in range(first, first + n))
        return xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>", 1)

    return edit


def scenario_columns(n: int) -> Callable[[Any], None]:
    """``n`` more scenario columns on the Drivers sheet (names only: each inherits Base)."""
    from openpyxl.utils import get_column_letter

    def fn(wb: Any) -> None:
        ws = wb["Drivers"]
        for i in range(n):
            col = get_column_letter(8 + i)  # after Base, Low and High (E to G)
            ws[f"{col}3"] = "scenario"
            ws[f"{col}4"] = f"S{i:05d}"

    return fn


def nested(xml: bytes, depth: int = 20_000, after: bytes = b"</font>") -> bytes:
    """``depth`` nested elements put before the first ``after`` (in a style record, which the
    graft copies recursively)."""
    at = xml.index(after)
    return xml[:at] + b"<extLst>" * depth + b"</extLst>" * depth + xml[at:]


# --------------------------------------------------------------------------------------------
# OLE2 compound files, by hand (no olefile needed)


def compound_file(streams: list[str]) -> bytes:
    """A minimal, well-formed OLE2 (CFB v3) file whose directory lists empty ``streams``.

    Legacy .xls files hold a ``Workbook`` stream; password-protected .xlsx files are CFB files
    holding ``EncryptionInfo`` and ``EncryptedPackage``.
    """
    sector = 512
    free, end, fatsect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<IIII", header, 60, end, 0, end, 0)  # mini FAT, DIFAT chain
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, free)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<II", fat, 0, fatsect, end)

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        e = bytearray(128)
        raw = (name + "\0").encode("utf-16-le")
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, free, right, child)
        struct.pack_into("<I", e, 116, end)  # start sector (empty stream)
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1 if streams else free)]
    for i, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(streams) else free))
    directory = b"".join(entries).ljust(sector, b"\0")
    assert len(directory) == sector
    return bytes(header) + bytes(fat) + directory


def raw(data: bytes | Callable[[], bytes]) -> Builder:
    def build(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return build


def from_example(fn: Callable[[bytes], bytes]) -> Builder:
    def build(path: Path) -> None:
        path.write_bytes(fn(example_bytes()))

    return build


def zip_of(members: dict[str, bytes]) -> Builder:
    def build(path: Path) -> None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, blob in members.items():
                zf.writestr(name, blob)
        path.write_bytes(out.getvalue())

    return build


def duplicate_entry(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zout.writestr("xl/workbook.xml", zin.read("xl/workbook.xml"))
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# openpyxl-level helpers


def delete_sheet(name: str) -> Callable[[Any], None]:
    def fn(wb: Any) -> None:
        del wb[name]

    return fn


def rename_sheet(old: str, new: str) -> Callable[[Any], None]:
    def fn(wb: Any) -> None:
        wb[old].title = new

    return fn


def merge(sheet: str, ref: str) -> Callable[[Any], None]:
    def fn(wb: Any) -> None:
        wb[sheet].merge_cells(ref)

    return fn


def hide_row(sheet: str, row: int) -> Callable[[Any], None]:
    def fn(wb: Any) -> None:
        wb[sheet].row_dimensions[row].hidden = True

    return fn


def date_1904(wb: Any) -> None:
    """Switch the workbook to the 1904 date system (Excel for Mac before 2011): openpyxl then
    stores dates as days since 1904-01-01 and writes ``date1904="1"``."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb.epoch = CALENDAR_MAC_1904


# --------------------------------------------------------------------------------------------
# the corpus


def corpus() -> list[Case]:
    """At least 60 hostile or broken workbooks; each must give exit code 2."""
    c: list[Case] = []
    ex = example_bytes

    # ---- not a workbook at all
    c += [
        Case("not-a-zip", raw(bytes(range(256)) * 8), None, "not an Excel workbook"),
        Case("empty-file", raw(b""), None, "empty file"),
        Case("truncated-zip-half", from_example(lambda d: d[: len(d) // 2]), None,
             "damaged or truncated"),
        Case("truncated-zip-tail", from_example(lambda d: d[:-60]), None,
             "damaged or truncated"),
        Case("truncated-zip-head-only", from_example(lambda d: d[:200]), None,
             "damaged or truncated"),
        Case("legacy-xls", raw(lambda: compound_file(["Workbook", "\x05SummaryInformation"])),
             None, "legacy Excel 97-2003"),
        Case("legacy-xls-named-xls", raw(lambda: compound_file(["Workbook"])), None,
             "legacy Excel 97-2003", suffix=".xls"),
        Case("password-protected", raw(lambda: compound_file(
            ["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])), None,
             "password-protected"),
        Case("csv-renamed", raw(b"name,gpu_type,gpu_count\nh100,H100,512\n"), None,
             "looks like text/CSV"),
        Case("csv-with-bom", raw("\ufeffname;gpu\nh100;H100\n".encode()), None,
             "looks like text/CSV"),
        Case("html-table-renamed", raw(b"<html><body><table><tr><td>1</td></tr></table>"
                                       b"</body></html>"), None, "not an Excel workbook"),
        Case("zip-not-ooxml", zip_of({"readme.txt": b"hello"}), None,
             "not an Excel workbook"),
        Case("zip-no-main-part", zip_of({
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/'
                                   b'2006/content-types"/>',
            "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                           b'2006/relationships"/>'}), None, "no main part"),
        Case("zip-main-part-missing", from_example(
            lambda d: rewrite_parts(d, {"xl/workbook.xml": None})), None, "missing"),
        Case("zip-bomb-declared-size", from_example(
            lambda d: declared_size(d, "xl/styles.xml", 0x7FFF0000)), None, "zip bomb"),
        Case("zip-bomb-many-members", from_example(lambda d: functools.reduce(
            lambda acc, m: declared_size(acc, m, 0x30000000), [
                "xl/styles.xml", "xl/workbook.xml", "docProps/app.xml", "xl/theme/theme1.xml"],
            d)), None, "zip bomb"),
        Case("zip-encrypted-member", from_example(
            lambda d: set_flag_bits(d, "xl/workbook.xml", 0x1)), None, "password-protected"),
        Case("zip-duplicate-entry", from_example(duplicate_entry), None, "twice"),
    ]

    # ---- hostile or damaged XML inside a real package
    c += [
        Case("entity-bomb-shared-strings", shared_strings_bomb, None, "entity"),
        Case("entity-bomb-sheet", parts({}, sheet_edits={"Pools": bomb_in_first_text}), None,
             "entity"),
        Case("entity-bomb-workbook", parts({"xl/workbook.xml": entity_bomb}), None, "entit"),
        Case("entity-bomb-rels", parts({"_rels/.rels": entity_bomb}), None, "entit"),
        Case("external-entity-sheet", parts({}, sheet_edits={"Runs": external_entity}), None,
             "entit"),
        Case("sheet-xml-not-well-formed", parts(
            {}, sheet_edits={"Pools": lambda x: x[: len(x) // 2]}), "Pools",
             "cannot read the sheet"),
        Case("styles-xml-garbage", parts({"xl/styles.xml": lambda x: b"\x00\x01garbage"}),
             None, "cannot read the workbook"),
        Case("sheet-part-missing", lambda p: p.write_bytes(rewrite_parts(
            ex(), {sheet_part(ex(), "Pools"): None})), None, "Pools"),
    ]

    # ---- values the XML can hold but Excel would never write
    c += [
        Case("nan-in-number-cell", parts({}, sheet_edits={"Pools": cell_xml("C6", "<v>NaN</v>")}),
             "Pools!C6", "Excel can store"),
        Case("inf-in-number-cell", parts({}, sheet_edits={"Runs": cell_xml("F6", "<v>INF</v>")}),
             "Runs!F6", "Excel can store"),
        Case("minus-inf-in-price", parts(
            {}, sheet_edits={"Pools": cell_xml("E6", "<v>-INF</v>")}), "Pools!E6", ""),
        Case("overflow-1e309", parts(
            {}, sheet_edits={"Staff": cell_xml("C6", "<v>1e309</v>")}), "Staff!C6", ""),
        Case("huge-1e308-params", cells({"Runs!D6": 1e308}), "Runs!D6", "too large"),
        Case("huge-1e308-price", cells({"Pools!E6": 1e308}), "Pools!E6", "too large"),
        Case("excel-error-cached", parts(
            {}, sheet_edits={"Data": cell_xml("E6", "<v>#DIV/0!</v>", "e")}),
             "Data!E6", "#DIV/0!"),
        Case("excel-error-na-in-formula", parts({}, sheet_edits={
            "Data": cell_xml("C6", "<f>NA()</f><v>#N/A</v>", "e")}), "Data!C6", "#N/A"),
        Case("bad-shared-string-index", parts(
            {}, sheet_edits={"Pools": cell_xml("B6", "<v>9999</v>", "s")}), "Pools!B6",
             "Excel can store"),
    ]

    # ---- sheets and columns
    c += [
        Case("missing-drivers-sheet", cells({}, delete_sheet("Drivers")), "Drivers",
             "missing sheet"),
        Case("missing-pools-sheet", cells({}, delete_sheet("Pools")), "Pools",
             "missing sheet"),
        Case("missing-runs-sheet", cells({}, delete_sheet("Runs")), "Runs", "missing sheet"),
        Case("renamed-pools-sheet", cells({}, rename_sheet("Pools", "GPU pools")), "Pools",
             "missing sheet"),
        Case("renamed-staff-sheet", cells({}, rename_sheet("Staff", "People")), "Staff",
             "missing sheet"),
        # an optional column (a warning at Pools!3:3); the owned pool then cannot compute
        Case("missing-column-gpu-count", cells({"Pools!C3": None}), "Pools!3:3",
             "a reserved term needs a GPU count"),
        Case("renamed-column-key-tokens", cells({"Runs!F3": "tokns"}), "Runs!3:3",
             "missing column"),
        Case("duplicate-column-key", cells({"Runs!G3": "tokens"}), "Runs!G3",
             "duplicate column"),
        Case("drivers-key-row-missing", cells({"Drivers!A3": None, "Drivers!B3": None,
                                               "Drivers!C3": None, "Drivers!D3": None}),
             "Drivers!3:3", "missing key row"),
        Case("pools-key-row-cleared", cells({f"Pools!{col}3": None for col in "ABCDEFGHIJ"}),
             "Pools!3:3", "missing key row"),
        Case("drivers-unknown-key", cells({"Drivers!A23": "gpu_magic", "Drivers!E23": 3}),
             "Drivers!A23", "unknown driver key"),
        Case("drivers-duplicate-row", cells({"Drivers!A23": "mfu", "Drivers!E23": 0.5}),
             "Drivers!A23", "duplicate driver row"),
        Case("drivers-first-scenario-not-base", cells({"Drivers!E4": "Plan"}), "Drivers!E4",
             "must be named Base"),
        Case("drivers-duplicate-scenario", cells({"Drivers!G4": "low"}), "Drivers!G4",
             "duplicate scenario"),
        # the merge blanks B7:C7 (a warning at Pools!A7), so the run on that pool cannot compute
        Case("merged-cells-over-inputs", cells({}, merge("Pools", "A7:C7")), "Pools!A7",
             "merged cells over input cells"),
        Case("hidden-row-with-bad-value", cells({"Staff!B7": "six"}, hide_row("Staff", 7)),
             "Staff!B7", "not a number"),
    ]

    # ---- values in cells
    c += [
        Case("month-as-text-words", cells({"Runs!L6": "March 2026"}), "Runs!L6", "not a month"),
        Case("month-as-text-slash", cells({"Pools!I6": "03/2026"}), "Pools!I6", "not a month"),
        Case("month-13", cells({"Drivers!E22": "2026-13"}), "Drivers!E22", "not a month"),
        Case("month-as-number", cells({"Data!H6": 202603}), "Data!H6", "not a month"),
        Case("number-as-text-words", cells({"Pools!C6": "twelve"}), "Pools!C6", "not a number"),
        Case("number-as-text-units", cells({"Runs!F6": "4 trillion tokens"}), "Runs!F6", ""),
        Case("number-with-two-dots", cells({"Data!C6": "1.2.3"}), "Data!C6", ""),
        Case("fraction-typed-as-40", cells({"Drivers!E5": 40}), "Drivers!E5", "40"),
        Case("fraction-over-100-percent", cells({"Staff!E6": "150%"}), "Staff!E6", ""),
        Case("negative-count", cells({"Pools!C6": -512}), "Pools!C6", "negative"),
        Case("negative-price", cells({"Pools!E6": -2.5}), "Pools!E6", ""),
        Case("fractional-gpu-count", cells({"Pools!C6": 512.5}), "Pools!C6", ""),
        Case("boolean-in-number", cells({"Pools!C6": True}), "Pools!C6", ""),
        Case("date-in-number-cell", cells({"Data!E6": __import__("datetime").datetime(
            2026, 1, 1)}), "Data!E6", ""),
        Case("blank-required", cells({"Staff!C6": None}), "Staff!C6", "required"),
        Case("unknown-gpu", cells({"Pools!B6": "H1000"}), "Pools!B6", "unknown GPU type"),
        Case("unknown-pool", cells({"Runs!C6": "h100-clod"}), "Runs!C6", "unknown pool"),
        Case("duplicate-pool-name", cells({"Pools!A7": "H100-CLOUD"}), "Pools!A7",
             "duplicate pool"),
        Case("duplicate-run-name", cells({"Runs!A7": "main-34b"}), "Runs!A7", "duplicate run"),
        Case("unknown-run-kind", cells({"Runs!B6": "finale"}), "Runs!B6", "must be one of"),
        Case("active-params-over-params", cells({"Runs!E6": "40B"}), "Runs!E6", "active"),
        Case("mfu-over-one", cells({"Runs!H6": 1.5}), "Runs!H6", ""),
        Case("pue-below-one", cells({"Drivers!E6": 0.8}), "Drivers!E6", ""),
        Case("unknown-currency", cells({"Data!I6": "XYZ"}), "Data!I6", "currency"),
        Case("currency-without-fx", cells({"Data!I6": "GBP"}), "Data!I6", "exchange rate"),
        Case("fx-rate-zero", cells({"FX!B6": 0}), "FX!B6", ""),
        Case("overrides-unknown-scenario", cells({"Overrides!A6": "Hgh"}), "Overrides!A6",
             "unknown scenario"),
        Case("overrides-unknown-key", cells({"Overrides!B6": "pools.nope.price_per_gpu_hour"}),
             "Overrides!B6", ""),
        Case("catalog-new-gpu-without-flops", cells({"GPU catalog!A7": "X9000",
                                                     "GPU catalog!H7": 500}),
             "GPU catalog!F7", "required"),
        Case("formula-volatile-no-value", cells({"Data!E6": "=NOW()*0+50"}), "Data!E6",
             "no saved value"),
        Case("formula-indirect-no-value", cells({"Pools!C6": '=INDIRECT("C7")'}), "Pools!C6",
             "no saved value"),
        Case("formula-div-zero-no-value", cells({"Staff!C6": "=1/0"}), "Staff!C6",
             "#DIV/0!"),
        Case("formula-missing-sheet-no-value", cells({"Runs!F6": "=Nowhere!A1*2"}), "Runs!F6",
             "no sheet"),
        Case("formula-circular-no-value", cells({"Data!C6": "=C6+1"}), "Data!C6", "circular"),
        Case("formula-other-workbook-no-value", cells({"Data!C6": "=[1]Sheet1!A1"}), "Data!C6",
             "another workbook"),
        Case("formula-unknown-function-no-value", cells({"Data!C6": "=FOOBAR(1)"}), "Data!C6",
             "no saved value"),
        Case("formula-gives-text-in-number", cells({"Data!C6": '="abc"&"def"'}), "Data!C6",
             "not a number"),
        Case("user-text-in-count", cells({"Staff!B6": "=HYPERLINK(\"x\")"}), "Staff!B6", ""),
        Case("run-without-pool-two-pools", cells({"Runs!C6": None}), "Runs!C6",
             "name its pool"),
        Case("1904-with-text-month", cells({"Runs!L6": "Mar-26"}, date_1904), "Runs!L6",
             "not a month"),
    ]
    c += bounds_cases()
    names = [x.name for x in c]
    assert len(names) == len(set(names)), "duplicate case names"
    return c


def bounds_cases() -> list[Case]:
    """Every number finite, every run bounded, nothing ambiguous (issue 13): inputs that would
    overflow a cost or need absurd time or memory are refused with their cell, before any of
    that work; ``check`` refuses what ``run`` would."""
    tiny_gpu = {"GPU catalog!A6": "H100", "GPU catalog!C6": "NVIDIA H100",
                "GPU catalog!F6": 1e-300, "GPU catalog!H6": 700}
    return [
        # 2.8 GB and a traceback before: a plan of 1e40 months
        Case("interruption-rate-1e39", cells({"Drivers!E15": 1e39}), "Drivers!E15",
             "interruptions would cost"),
        # minutes before: 200,000 months of wall-clock time spread month by month
        Case("mfu-0.0004-percent", cells({"Runs!H6": "0.0004%"}), "Runs!H6", "below 0.1%"),
        Case("mfu-so-small-a-cost-overflows", cells({"Runs!H6": 1e-300}), "Runs!H6",
             "below 0.1%"),
        Case("gpu-throughput-so-small-a-cost-overflows", cells(tiny_gpu), "Runs!A6",
             "GPU catalog!F6"),
        Case("run-takes-13000-years", cells({"Runs!H6": 0.002, "Pools!C6": 1}), "Runs!H6",
             "years of wall-clock time"),
        Case("staff-months-5000", cells({"Staff!F6": 5000}), "Staff!F6",
             "longer than costsheet plans"),
        Case("reserved-term-100000-months", cells({"Pools!G7": 100_000}), "Pools!G7",
             "longer than costsheet plans"),
        Case("depreciation-life-1e6-years", cells({"Drivers!E10": 1e6}), "Drivers!E10",
             "longer than costsheet plans"),
        Case("start-month-in-2999", cells({"Staff!G6": "2999-01"}), "Staff!G6",
             "costsheet plans at most 1,200 months"),
        Case("budget-starts-in-year-1", cells({"Drivers!E22": "0001-01"}), "Drivers!E22",
             "costsheet plans at most 1,200 months"),
        # passed `check`, then a RecursionError in `run`
        Case("styles-nested-20000-deep", parts({"xl/styles.xml": nested}), None,
             "nests its elements more than 100 deep"),
        # the headers say 1,000 bytes; inflating it whole needs 2 GiB
        Case("zip-member-inflates-past-its-header", lying_member(), None,
             "inflates to more than the 1,000 bytes its header declares"),
        # memory and time grow with rows read and with lines times scenarios computed
        Case("data-sheet-60001-rows", parts({}, sheet_edits={"Data": many_rows(60_001)}),
             "Data!", "more than 60,000 filled rows"),
        Case("8000-scenarios", cells({}, scenario_columns(8000)), "Data",
             "more than costsheet computes in one workbook"),
        # item 3: ambiguity is an error at the cell
        Case("pool-with-0-gpus-used-by-a-run", cells({"Pools!C6": 0}), "Pools!C6",
             "has 0 GPUs"),
        Case("scenario-header-deleted", cells({"Drivers!F4": None}), "Drivers!F5",
             "without a scenario name"),
    ]


# --------------------------------------------------------------------------------------------
# odd but fine: must run (exit 0)


@dataclass(frozen=True)
class Accepted:
    name: str
    build: Builder
    check: Callable[[Any], None]  # gets the ReadResult
    warns: str | None = None  # a warning (location) the report must hold


def _pool(name: str) -> Callable[[Any], Any]:
    return lambda r: next(p for p in r.budget.pools if p.name == name)


def accepted() -> list[Accepted]:
    import datetime as dt

    def eq(get: Callable[[Any], Any], want: Any) -> Callable[[Any], None]:
        def check(result: Any) -> None:
            got = get(result)
            assert got == want, (got, want)

        return check

    h100 = _pool("h100-cloud")
    run = lambda r: r.budget.runs[0]  # noqa: E731
    return [
        Accepted("number-text-thousands", cells({"Pools!C6": "1,024"}),
                 eq(lambda r: h100(r).gpu_count, 1024)),
        Accepted("number-text-suffix", cells({"Runs!F6": "4T"}),
                 eq(lambda r: run(r).tokens, 4e12)),
        Accepted("number-text-spaces", cells({"Runs!D6": "  34B  "}),
                 eq(lambda r: run(r).params, 34e9)),
        Accepted("fraction-text-percent", cells({"Drivers!E5": "40%"}),
                 eq(lambda r: r.budget.drivers.mfu, 0.4)),
        Accepted("money-text-dollar", cells({"Pools!E6": "$2.50"}),
                 eq(lambda r: h100(r).price_per_gpu_hour, 2.5)),
        Accepted("month-as-date", cells({"Runs!L6": dt.datetime(2026, 3, 1)}),
                 eq(lambda r: run(r).start_month, "2026-03")),
        Accepted("month-as-iso-date-text", cells({"Runs!L6": "2026-03-15"}),
                 eq(lambda r: run(r).start_month, "2026-03")),
        Accepted("date-1904-system", cells(
            {"Runs!L6": dt.datetime(2026, 3, 1), "Pools!I6": dt.datetime(2026, 3, 1)},
            date_1904),
            eq(lambda r: (run(r).start_month, h100(r).start_month), ("2026-03", "2026-03"))),
        Accepted("hidden-row-valid", cells({}, hide_row("Staff", 7)),
                 eq(lambda r: len(r.budget.staff), 3), warns="Staff!A7"),
        Accepted("formula-evaluated", cells({"Pools!C6": "=C7*4"}),
                 eq(lambda r: h100(r).gpu_count, 512), warns="Pools!C6"),
        Accepted("formula-evaluated-cross-sheet", cells({"Data!C6": "=SUM(Pools!C6:C7)/2"}),
                 eq(lambda r: r.budget.data[0].quantity, 320), warns="Data!C6"),
        Accepted("unicode-names", cells({"Staff!A6": "研究员 ✓ «Größe»"}),
                 eq(lambda r: r.budget.staff[0].role, "研究员 ✓ «Größe»")),
    ]
