"""Render one sheet of a workbook to a single PNG for the docs, as LibreOffice prints it.

    .venv/bin/python tools/sheet_png.py samples-run/reasoning-model.xlsx Summary \\
        docs/images/summary-reasoning-model.png [--dpi 96]

The sheet is printed to PDF by LibreOffice (tests/support/libreoffice.py: its page setup,
breaks and scale, as costsheet planned them), every page rasterised by pdftoppm, the pages'
white margins and footers cut off, and the pages stacked into one image. Needs LibreOffice,
poppler-utils and the Carlito font (Calibri's metric twin); no imaging library: the PNG is
written with zlib.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.libreoffice import render_pdf  # noqa: E402

Image = tuple[int, int, bytes]  # width, height, RGB rows
WHITE = 250  # a pixel this light in every channel counts as margin
FOOTER = 0.08  # the bottom share of a page that holds the footer (sheet name, page number)


def read_ppm(path: Path) -> Image:
    data = path.read_bytes()
    magic, w, h, _maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P6"
    return int(w), int(h), pixels


def _is_white(row: bytes) -> bool:
    return min(row) >= WHITE


def crop(img: Image, keep_footer: bool = False) -> Image:
    """The page without its white margins (and without its footer)."""
    w, h, px = img
    stride = 3 * w
    bottom_limit = h if keep_footer else int(h * (1 - FOOTER))
    rows = [y for y in range(bottom_limit) if not _is_white(px[y * stride:(y + 1) * stride])]
    if not rows:
        return 0, 0, b""
    top, bottom = rows[0], rows[-1] + 1
    cols = [x for x in range(w) if any(
        min(px[y * stride + 3 * x: y * stride + 3 * x + 3]) < WHITE for y in range(top, bottom))]
    left, right = cols[0], cols[-1] + 1
    out = b"".join(px[y * stride + 3 * left: y * stride + 3 * right] for y in range(top, bottom))
    return right - left, bottom - top, out


def stack(images: list[Image], gap: int = 12, pad: int = 8) -> Image:
    """Images one under the other on white, ``gap`` pixels apart, ``pad`` around."""
    images = [i for i in images if i[0]]
    width = max(i[0] for i in images) + 2 * pad
    rows: list[bytes] = []
    blank = b"\xff" * (3 * width)
    rows += [blank] * pad
    for n, (w, h, px) in enumerate(images):
        for y in range(h):
            line = px[y * 3 * w:(y + 1) * 3 * w]
            rows.append(b"\xff" * (3 * pad) + line + b"\xff" * (3 * (width - w - pad)))
        rows += [blank] * (gap if n + 1 < len(images) else pad)
    return width, len(rows), b"".join(rows)


def write_png(img: Image, path: Path) -> None:
    w, h, px = img
    raw = b"".join(b"\x00" + px[y * 3 * w:(y + 1) * 3 * w] for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2,
                                                                         0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workbook", type=Path)
    ap.add_argument("sheet")
    ap.add_argument("out", type=Path)
    ap.add_argument("--dpi", type=int, default=96)
    ap.add_argument("--pages", type=int, default=0, help="only the first N pages (0: all)")
    args = ap.parse_args()
    pages = render_sheet(args.workbook, args.sheet, args.out, dpi=args.dpi, pages=args.pages)
    print(f"wrote {args.out} ({pages} pages)")


def render_sheet(workbook: Path, sheet: str, out: Path, *, dpi: int = 96, pages: int = 0) -> int:
    """Write ``out``: the printed pages of ``sheet`` (the first ``pages``; 0: all), cropped and
    stacked; the number of pages in the image."""
    with tempfile.TemporaryDirectory(prefix="sheet-png-") as tmp:
        pdf = render_pdf(workbook, Path(tmp), sheet=sheet)
        last = ["-l", str(pages)] if pages else []
        subprocess.run(["pdftoppm", "-r", str(dpi), *last, str(pdf), str(Path(tmp) / "page")],
                       check=True)
        images = [crop(read_ppm(p)) for p in sorted(Path(tmp).glob("page*.ppm"))]
    write_png(stack(images), out)
    return len(images)


if __name__ == "__main__":
    main()
