"""Headless LibreOffice for tests: export every sheet to CSV, render sheets to PNG, save again.

Private user profiles per test session (no desktop profile is touched) and one soffice at a time
(a process-wide lock plus a file lock, so parallel test workers do not collide). By default the
profile makes LibreOffice recalculate every formula on load, never read stale cached values;
``recalc=False`` uses a profile with LibreOffice's own defaults instead (for Excel 2007 and newer
files: "Never recalculate", the saved results are shown), as a user's LibreOffice opens a file.
"""

from __future__ import annotations

import atexit
import csv
import fcntl
import html
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

#: Export every sheet (last token -1) as UTF-8 (76) comma-separated (44), '"'-quoted (34) CSV,
#: raw values (token 9 "as shown" false), no formulas. Needs LibreOffice 7.2 or newer; each
#: sheet goes to ``<stem>-<SheetName>.csv``.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
TIMEOUT = 180

_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" \
oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_lock = threading.Lock()
_profiles: dict[bool, Path] = {}


def soffice_path() -> str | None:
    """The soffice (or libreoffice) executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """Return soffice's path; skip the test when missing (but fail on CI, where it must be)."""
    path = soffice_path()
    if path is None:
        message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _profile_dir(recalc: bool = True) -> Path:
    """A private profile: always recalculating on load, or LibreOffice's defaults."""
    if recalc not in _profiles:
        base = Path(tempfile.mkdtemp(prefix="costsheet-lo-profile-"))
        user = base / "user"
        user.mkdir()
        if recalc:
            (user / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        atexit.register(shutil.rmtree, base, True)
        _profiles[recalc] = base
    return _profiles[recalc]


def _run(args: list[str], outdir: Path, recalc: bool = True) -> subprocess.CompletedProcess[str]:
    soffice = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        soffice,
        f"-env:UserInstallation={_profile_dir(recalc).as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        *args,
        "--outdir",
        str(outdir),
    ]
    lock_path = Path(tempfile.gettempdir()) / "costsheet-soffice.lock"
    with _lock, open(lock_path, "w") as lockfile:
        fcntl.flock(lockfile, fcntl.LOCK_EX)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        finally:
            fcntl.flock(lockfile, fcntl.LOCK_UN)
    if proc.returncode != 0:
        raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    return proc


def convert_sheet_csvs(xlsx: Path, outdir: Path, *,
                       recalc: bool = True) -> dict[str, list[list[str]]]:
    """Export every sheet of ``xlsx`` to CSV with LibreOffice; {sheet name: rows}.

    Formulas are recalculated on load (private profile; with ``recalc=False``, LibreOffice's
    default settings decide), values are exported raw.
    """
    xlsx = Path(xlsx)
    outdir = Path(outdir)
    before = set(outdir.glob("*.csv")) if outdir.exists() else set()
    _run(["--convert-to", CSV_FILTER, str(xlsx)], outdir, recalc)
    produced = sorted(set(outdir.glob("*.csv")) - before)
    prefix = xlsx.stem + "-"
    result: dict[str, list[list[str]]] = {}
    for path in produced:
        name = path.stem[len(prefix):] if path.stem.startswith(prefix) else path.stem
        with open(path, encoding="utf-8", newline="") as fh:
            result[name] = [row for row in csv.reader(fh)]
    if not result:
        raise RuntimeError(f"soffice wrote no CSV for {xlsx}")
    return result


def resave_xlsx(xlsx: Path, outdir: Path) -> Path:
    """``xlsx`` opened and saved again by LibreOffice as an Excel workbook (a user's "Save" in
    LibreOffice Calc): the new file, under the same name in ``outdir``."""
    xlsx = Path(xlsx)
    _run(["--convert-to", "xlsx:Calc MS Excel 2007 XML", str(xlsx)], Path(outdir))
    out = Path(outdir) / xlsx.name
    if not out.exists():
        raise RuntimeError(f"soffice wrote no workbook for {xlsx}")
    return out


def render_pdf(xlsx: Path, outdir: Path, sheet: str | None = None) -> Path:
    """Print ``xlsx`` (or only its sheet ``sheet``) to PDF with LibreOffice, as it would print
    (page setup, breaks, scale); the PDF's path (in ``outdir/pdf``). For one sheet, a copy of
    the workbook holding only that sheet is made at the zip level first."""
    xlsx = Path(xlsx)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    source = xlsx
    if sheet is not None:
        from costsheet.workbook.ooxml import graft_sheets, list_sheets

        others = [s for s in list_sheets(xlsx) if s != sheet]
        if len(others) == len(list_sheets(xlsx)):
            raise KeyError(f"no sheet {sheet!r} in {xlsx.name}")
        work = Path(tempfile.mkdtemp(prefix="costsheet-render-"))
        source = work / f"{xlsx.stem}-{_safe(sheet)}{xlsx.suffix}"
        graft_sheets(xlsx, xlsx, source, sheets=[], remove=others)
    pdfdir = outdir / "pdf"
    _run(["--convert-to", "pdf", str(source)], pdfdir)
    return pdfdir / (source.stem + ".pdf")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed: apt-get install poppler-utils"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def render_png(xlsx: Path, outdir: Path, sheet: str | None = None) -> list[Path]:
    """Render ``xlsx`` (or only its sheet ``sheet``) to PNG pages at 80 dpi; the page paths.

    Goes through PDF (:func:`render_pdf`) and pdftoppm (poppler-utils).
    """
    pdf = render_pdf(xlsx, outdir, sheet)
    prefix = Path(outdir) / pdf.stem
    subprocess.run([_poppler("pdftoppm"), "-png", "-r", "80", str(pdf), str(prefix)],
                   check=True, timeout=TIMEOUT, capture_output=True)
    return sorted(Path(outdir).glob(f"{pdf.stem}*.png"))


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, from pdfinfo."""
    out = subprocess.run([_poppler("pdfinfo"), "-f", "1", "-l", "9999", str(pdf)],
                         check=True, timeout=TIMEOUT, capture_output=True, text=True).stdout
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    return [(float(w), float(h)) for w, h in sizes]


def pdf_words(pdf: Path) -> list[list[tuple[str, float]]]:
    """Each page's words with their box heights in points (pdftotext -bbox): a word's height
    is proportional to its printed type size."""
    out = subprocess.run([_poppler("pdftotext"), "-bbox", str(pdf), "-"], check=True,
                         timeout=TIMEOUT, capture_output=True, text=True).stdout
    pages: list[list[tuple[str, float]]] = []
    for page in out.split("<page ")[1:]:
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                           r'yMax="([\d.]+)">([^<]*)</word>', page)
        pages.append([(html.unescape(w), float(y1) - float(y0)) for y0, y1, w in words])
    return pages


def require_carlito() -> None:
    """Skip (fail on CI) unless Calibri prints as Carlito, its metric-compatible twin: other
    substitutes are wider, so columns, pages and breaks would not be Excel's."""
    fc = shutil.which("fc-match")
    found = subprocess.run([fc, "Calibri"], capture_output=True, text=True).stdout if fc else ""
    if "Carlito" not in found:
        message = ("Calibri is not printed as Carlito here (fc-match Calibri: "
                   f"{found.strip() or 'no fc-match'}): apt-get install fonts-crosextra-carlito")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def save_as_xlsx(xlsx: Path, outdir: Path, *, recalc: bool = False) -> Path:
    """``xlsx`` opened and saved again by LibreOffice (as a user who opens the file and saves
    it), with LibreOffice's default settings unless ``recalc``; the new file's path."""
    xlsx = Path(xlsx)
    _run(["--convert-to", "xlsx:Calc MS Excel 2007 XML", str(xlsx)], Path(outdir), recalc)
    out = Path(outdir) / (xlsx.stem + ".xlsx")
    if not out.exists():
        raise RuntimeError(f"soffice wrote no xlsx for {xlsx}")
    return out
