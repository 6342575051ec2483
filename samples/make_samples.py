"""Regenerate the committed workbooks and the template reference from code.

    .venv/bin/python samples/make_samples.py

writes samples/*.xlsx (the sample budgets in costsheet.workbook.examples), templates/budget.xlsx
(what `costsheet new` makes) and docs/template.md (every sheet, column, key, unit and default).
The output is deterministic: running it twice gives the same bytes. Tests check that the
committed files match.
"""

from __future__ import annotations

from pathlib import Path

from costsheet.workbook.examples import write_samples
from costsheet.workbook.template import reference_markdown, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for path in write_samples(ROOT / "samples"):
        print(f"wrote {path.relative_to(ROOT)}")
    template = ROOT / "templates" / "budget.xlsx"
    template.parent.mkdir(exist_ok=True)
    template.write_bytes(workbook_bytes())
    print(f"wrote {template.relative_to(ROOT)}")
    doc = ROOT / "docs" / "template.md"
    doc.write_text(reference_markdown() + "\n", encoding="utf-8")
    print(f"wrote {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
