"""Replace one module's source in a VBA project (vbaProject.bin) without changing its size.

Used by templates/build_functions_template.py to take the sample macro (``SampleCall``) out of
the VBA project that ``xlwings quickstart`` ships, keeping everything else of it (its reference
to the xlwings add-in, the document modules, the OLE compound file) byte for byte.

How, per [MS-OVBA]: a module stream is a performance cache (compiled p-code) followed by the
module's source, compressed (2.4.1); the ``dir`` stream says where the source starts
(MODULEOFFSET). The new source is compressed to exactly the old source's length (a comment of
filler text is sized to fit), so ``olefile`` can write the stream in place; the p-code is
zeroed and the ``_VBA_PROJECT`` stream's version set to 0xFFFF, which the spec requires of a
writer and which makes Office discard every performance cache and compile from source (2.3.4.1).
"""

from __future__ import annotations

import io
import struct

import olefile

CHUNK = 4096

#: What Module1 of the functions workbook holds instead of xlwings' SampleCall macro.
SAMPLE_REMOVED = (
    'Attribute VB_Name = "Module1"\r\n'
    "' costsheet: the sample macro of xlwings quickstart (SampleCall) was removed here.\r\n"
    "' The functions are imported with Import Functions on the xlwings tab.\r\n"
)


# --- [MS-OVBA] 2.4.1 compression -----------------------------------------------------------------


def _copy_token_split(position: int) -> tuple[int, int]:
    """(bit count of the length, mask of the length) at ``position`` in a chunk (2.4.1.3.19.1)."""
    bits = max((position - 1).bit_length(), 4)
    return 16 - bits, 0xFFFF >> bits


def decompress(data: bytes) -> bytes:
    """A CompressedContainer → its bytes (2.4.1.3.1)."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed container (signature byte is not 1)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size = (header & 0x0FFF) + 3
        compressed = header & 0x8000
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not compressed:
            out += data[pos:pos + CHUNK]
            pos += CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                length_bits, length_mask = _copy_token_split(len(out) - start)
                length = (token & length_mask) + 3
                offset = (token >> length_bits) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    pos = 0
    while pos < len(chunk):
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if pos >= len(chunk):
                break
            length_bits, length_mask = _copy_token_split(pos)
            max_len = length_mask + 3
            best_len, best_off = 0, 0
            for cand in range(pos - 1, max(-1, pos - (1 << (16 - length_bits)) - 1), -1):
                n = 0
                while (n < max_len and pos + n < len(chunk)
                       and chunk[cand + n] == chunk[pos + n]):
                    n += 1
                if n > best_len:
                    best_len, best_off = n, pos - cand
            if best_len >= 3:
                token = ((best_off - 1) << length_bits) | (best_len - 3)
                body += struct.pack("<H", token)
                body[flag_at] |= 1 << bit
                pos += best_len
            else:
                body.append(chunk[pos])
                pos += 1
    return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body


def compress(data: bytes) -> bytes:
    """Bytes → a CompressedContainer (2.4.1.3.6), every chunk compressed."""
    return b"\x01" + b"".join(_compress_chunk(data[i:i + CHUNK])
                              for i in range(0, len(data), CHUNK))


# --- the dir stream -------------------------------------------------------------------------------


def module_offsets(dir_stream: bytes) -> tuple[int, dict[str, tuple[str, int]]]:
    """(code page, {module name: (stream name, MODULEOFFSET)}) from the decompressed dir stream
    (2.3.4.2): records are id (2 bytes), size (4), data, except PROJECTVERSION (id 9), whose
    size field says 4 but 6 bytes follow."""
    pos, codepage = 0, 1252
    name = stream = ""
    found: dict[str, tuple[str, int]] = {}
    while pos + 6 <= len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, pos)
        pos += 6
        if rid == 0x0009:
            size = 6
        data = dir_stream[pos:pos + size]
        pos += size
        if rid == 0x0003:
            codepage = struct.unpack("<H", data)[0]
        elif rid == 0x0019:
            name = data.decode(f"cp{codepage}")
        elif rid == 0x001A:
            stream = data.decode(f"cp{codepage}")
        elif rid == 0x0031:
            found[name] = (stream, struct.unpack("<I", data)[0])
    return codepage, found


def _filler(n: int) -> str:
    """n characters of comment text that barely compress (no 3-byte repeats nearby)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out, x = [], 7
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(letters[(x >> 16) % 26])
    return "".join(out)


def fit_source(text: str, size: int, codepage: int) -> bytes:
    """``text`` (VBA source lines) plus a filler comment, compressed to exactly ``size``."""
    for n in range(0, 8 * size):
        for tail in ("", "'", "' '"):  # a second knob when one length skips ``size``
            body = text
            if n or tail:
                body += "'" + _filler(n) + "\r\n" + (tail + "\r\n" if tail else "")
            packed = compress(body.encode(f"cp{codepage}"))
            if len(packed) == size:
                return packed
            if len(packed) > size + 8:
                break
    raise ValueError(f"cannot fit the new source into {size} bytes")


def replace_module_source(vba_project: bytes, module: str, new_source: str) -> bytes:
    """The VBA project with ``module``'s source replaced by ``new_source`` (CRLF lines), same
    size, its p-code zeroed and the project's performance caches marked stale."""
    buf = io.BytesIO(vba_project)
    ole = olefile.OleFileIO(buf, write_mode=True)
    codepage, modules = module_offsets(decompress(ole.openstream("VBA/dir").read()))
    stream_name, offset = modules[module]
    path = f"VBA/{stream_name}"
    old = ole.openstream(path).read()
    packed = fit_source(new_source, len(old) - offset, codepage)
    ole.write_stream(path, bytes(offset) + packed)
    project = bytearray(ole.openstream("VBA/_VBA_PROJECT").read())
    project[2:4] = b"\xff\xff"  # Version: 0xFFFF on write, so the caches are not used
    ole.write_stream("VBA/_VBA_PROJECT", bytes(project))
    ole.close()
    return buf.getvalue()


def module_source(vba_project: bytes, module: str) -> str:
    """The source text of ``module``."""
    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    codepage, modules = module_offsets(decompress(ole.openstream("VBA/dir").read()))
    stream_name, offset = modules[module]
    return decompress(ole.openstream(f"VBA/{stream_name}").read()[offset:]).decode(
        f"cp{codepage}")
