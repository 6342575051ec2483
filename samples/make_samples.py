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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:  # sample_budgets.py, when imported from elsewhere (tests)
    sys.path.insert(0, str(HERE))

from costsheet.workbook.actuals import fill_actuals  # noqa: E402
from costsheet.workbook.template import reference_markdown, workbook_bytes  # noqa: E402
from sample_budgets import MONTHLY_FX, SAMPLES, monthly_actuals, monthly_budget  # noqa: E402

MONTHLY_SAMPLE = "monthly-actuals.xlsx"


def write_monthly_sample(path: Path | str, *, lang: str = "en") -> Path:
    """Write the monthly sample (budget + three months of actuals) and return its path."""

    def fill(wb: object) -> None:
        fill_actuals(wb, monthly_actuals(), MONTHLY_FX)

    path = Path(path)
    path.write_bytes(workbook_bytes(monthly_budget(), lang=lang, fill=fill))
    return path


def write_samples(folder: Path | str, *, lang: str = "en") -> list[Path]:
    """Write every sample budget workbook into ``folder`` (deterministic bytes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in SAMPLES.items():
        path = folder / name
        path.write_bytes(workbook_bytes(build(), lang=lang))
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
