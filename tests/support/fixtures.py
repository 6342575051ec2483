"""The real workbooks in ../shared/fixtures/real-workbooks (shared/ sits beside the repo).

Locally a missing folder skips the tests that need it; in CI (CI=true) it is a failure, so a
green CI never means "the real workbooks were not there".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_WORKBOOKS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real-workbooks"


def real_workbook_names() -> list[str]:
    """File names of the real workbooks (empty when the folder is missing)."""
    if not REAL_WORKBOOKS.is_dir():
        return []
    return sorted(p.name for p in REAL_WORKBOOKS.glob("*.xls*"))


def require_real_workbooks() -> Path:
    """The folder, or a skip (locally) / failure (CI) naming where it was looked for."""
    if not REAL_WORKBOOKS.is_dir():
        message = f"real workbooks not found at {REAL_WORKBOOKS} (shared/ must sit beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return REAL_WORKBOOKS


def renamed_sheets(name: str, folder: Path, renames: dict[str, str]) -> Path:
    """A copy of real workbook ``name`` in ``folder`` whose sheets are renamed inside the
    package, as a spreadsheet renames a tab: the name in ``xl/workbook.xml``, the title in
    ``docProps/app.xml`` and the references other parts hold to it (defined names, formulas,
    pivot-cache sources). Every other part keeps the bytes Excel (or LibreOffice) wrote."""
    import re
    import zipfile

    src = require_real_workbooks() / name
    with zipfile.ZipFile(src) as zf:
        infos = zf.infolist()
        parts = {i.filename: zf.read(i) for i in infos}

    def refs(text: str) -> str:  # Old!A1, 'Old'!A1 -> 'New'!A1
        for old, new in renames.items():
            quoted = "'" + new.replace("'", "''") + "'"
            text = re.sub(r"(?<![\w.'])" + re.escape(old) + "!", lambda m, q=quoted: q + "!", text)
            text = text.replace(f"'{old}'!", quoted + "!")
        return text

    def edit(part: str, text: str) -> str:
        for old, new in renames.items():
            if part == "xl/workbook.xml":
                text = re.sub(r'(<(?:\w+:)?sheet\b[^>]*\bname=")' + re.escape(old) + '"',
                              lambda m, n=new: m.group(1) + n + '"', text)
            elif part == "docProps/app.xml":
                text = re.sub(r"(<(?:\w+:)?lpstr>)" + re.escape(old) + "(</)",
                              lambda m, n=new: m.group(1) + n + m.group(2), text)
            elif part.startswith("xl/pivotCache/pivotCacheDefinition"):
                text = text.replace(f'sheet="{old}"', f'sheet="{new}"')
        if part == "xl/workbook.xml" or part.startswith("xl/worksheets/sheet"):
            text = re.sub(r"(<(?:\w+:)?(?:definedName|f)\b[^>]*>)([^<]+)(</)",
                          lambda m: m.group(1) + refs(m.group(2)) + m.group(3), text)
        return text

    from costsheet.workbook.ooxml.xmltext import XmlText

    naming = ("xl/workbook.xml", "docProps/app.xml", "xl/pivotCache/pivotCacheDefinition",
              "xl/worksheets/sheet")
    for part, data in parts.items():
        if part.startswith(naming) and part.endswith(".xml"):
            doc = XmlText.decode(data)
            new_text = edit(part, doc.text)
            if new_text != doc.text:
                parts[part] = doc.replaced(new_text)
    dst = Path(folder) / name
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info, parts[info.filename])
    dst.chmod(0o644)
    return dst
