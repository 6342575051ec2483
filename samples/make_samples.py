"""Regenerate the committed workbooks and the template reference from code.

    .venv/bin/python samples/make_samples.py

writes samples/*.xlsx (the budgets of samples/sample_budgets.py; monthly-actuals.xlsx with three
months of actuals), templates/budget.xlsx (what `costsheet new` makes) and docs/template.md
(every sheet, column, key, unit and default). The output is deterministic: running it twice
gives the same bytes. Tests check that the committed files match.

Sample generation lives here, outside the package: costsheet itself only writes templates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:  # sample_budgets.py, when imported from elsewhere (tests)
    sys.path.insert(0, str(HERE))

from costsheet.workbook.actuals import fill_actuals  # noqa: E402
from costsheet.workbook.sheetkit import wrapped_lines  # noqa: E402
from costsheet.workbook.template import README_SHEET, reference_markdown, workbook_bytes  # noqa: E402
from sample_budgets import (  # noqa: E402
    MONTHLY_FX,
    SAMPLE_NOTES,
    SAMPLES,
    monthly_actuals,
    monthly_budget,
)

MONTHLY_SAMPLE = "monthly-actuals.xlsx"


def write_monthly_sample(path: Path | str, *, lang: str = "en") -> Path:
    """Write the monthly sample (budget + three months of actuals) and return its path."""

    def fill(wb: object) -> None:
        fill_actuals(wb, monthly_actuals(), MONTHLY_FX)

    path = Path(path)
    path.write_bytes(workbook_bytes(monthly_budget(), lang=lang, fill=fill))
    return path


def add_notes(wb: Any, rows: list[tuple[str, str]]) -> None:
    """Rows about the sample at the end of its README sheet: a label in column A, the text in
    column B, wrapped, each row as tall as its text."""
    from openpyxl.styles import Alignment, Font

    ws = wb[README_SHEET]
    r = ws.max_row + 2
    ws.cell(r, 1, "About this sample").font = Font(bold=True, size=12)
    width = ws.column_dimensions["B"].width or 110
    for label, text in rows:
        r += 1
        ws.cell(r, 1, label).font = Font(bold=True)
        cell = ws.cell(r, 2, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        ws.row_dimensions[r].height = 15 * wrapped_lines(text, width)


def sample_bytes(name: str, *, lang: str = "en") -> bytes:
    """The workbook of sample ``name`` (a key of ``SAMPLES``), with its README notes."""
    notes = SAMPLE_NOTES.get(name)

    def fill(wb: Any) -> None:
        if notes is not None:
            add_notes(wb, notes())

    return workbook_bytes(SAMPLES[name](), lang=lang, fill=fill)


def write_samples(folder: Path | str, *, lang: str = "en") -> list[Path]:
    """Write every sample budget workbook into ``folder`` (deterministic bytes); a sample with
    notes (sample_budgets.SAMPLE_NOTES) says on its README sheet what it is and its sources."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SAMPLES:
        path = folder / name
        path.write_bytes(sample_bytes(name, lang=lang))
        paths.append(path)
    paths.append(write_monthly_sample(folder / MONTHLY_SAMPLE, lang=lang))
    return paths


def main() -> None:
    for path in write_samples(ROOT / "samples"):
        print(f"wrote {path.relative_to(ROOT)}")
    template = ROOT / "templates" / "budget.xlsx"
    template.parent.mkdir(exist_ok=True)
    template.write_bytes(workbook_bytes())
    print(f"wrote {template.relative_to(ROOT)}")
    doc = ROOT / "docs" / "template.md"
    doc.write_text(reference_markdown() + "\n", encoding="utf-8")
    (ROOT / "docs" / "zh" / "template.md").write_text(reference_markdown("zh") + "\n",
                                                      encoding="utf-8")
    print(f"wrote {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
