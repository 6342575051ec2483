"""Spreadsheets of another format are named for what they are, with the way to save them as
.xlsx (issue 12): an OpenDocument spreadsheet (.ods), an Excel Binary Workbook (.xlsb), a Strict
Open XML Spreadsheet, a password-protected workbook, a legacy .xls. `check` and `run` alike;
the file is never touched."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import main
from support.hostile import compound_file, example_bytes

TRANSITIONAL = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main":
        b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def strict(data: bytes) -> bytes:
    """The example as Excel's "Strict Open XML Spreadsheet" names its namespaces."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for old, new in TRANSITIONAL.items():
                    body = body.replace(old, new)
            dst.writestr(info, body)
    return out.getvalue()


def xlsb() -> bytes:
    """The parts every Excel Binary Workbook has: its main part is ``xl/workbook.bin``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/xl/workbook.bin" '
                   'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
                   '</Types>')
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="xl/workbook.bin"/></Relationships>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return out.getvalue()


def ods(folder: Path) -> bytes:
    """The example saved by LibreOffice Calc as .ods (the program itself, headless)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    src = folder / "example.xlsx"
    src.write_bytes(example_bytes())
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/lo",
                    "--convert-to", "ods", "--outdir", str(folder), str(src)],
                   check=True, capture_output=True, timeout=180)
    return (folder / "example.ods").read_bytes()


CASES = {
    "ods": (".xlsx", "an OpenDocument spreadsheet (.ods", "Excel 2007-365 (.xlsx)"),
    "xlsb": (".xlsb", "an Excel Binary Workbook (.xlsb)", "save it as an Excel Workbook"),
    "strict": (".xlsx", "a Strict Open XML Spreadsheet", "not Strict Open XML Spreadsheet"),
    "password": (".xlsx", "password-protected workbook", "Encrypt with Password"),
    "legacy": (".xls", "legacy Excel 97-2003 (.xls) workbook", "save it as an Excel Workbook"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_another_format_is_named_with_a_tip(kind: str, tmp_path: Path) -> None:
    suffix, what, tip = CASES[kind]
    data = {"ods": lambda: ods(tmp_path), "xlsb": xlsb,
            "strict": lambda: strict(example_bytes()),
            "password": lambda: compound_file(["EncryptionInfo", "EncryptedPackage"]),
            "legacy": lambda: compound_file(["Workbook"])}[kind]()
    path = tmp_path / f"budget{suffix}"
    path.write_bytes(data)
    for command in ("check", "run"):
        res = CliRunner().invoke(main, [command, str(path)])
        assert res.exit_code == 2, res.output
        first = res.output.splitlines()[0]
        assert first.startswith(f"error: budget{suffix}: {what}"), res.output
        assert any(ln.startswith("tip: ") and tip in ln for ln in res.output.splitlines()), \
            res.output
        assert "Traceback" not in res.output
        assert path.read_bytes() == data
