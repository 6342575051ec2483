"""Render the Chinese Summary, Risk and Variance sheets for the docs (docs/images/zh-*.png).

    .venv/bin/python tools/render_zh_images.py

Makes what a Chinese user makes (`costsheet new b.xlsx --lang zh --example`, then `costsheet
run b.xlsx`; the monthly sample written in Chinese for the Variance sheet, which needs
actuals), renders each sheet as LibreOffice prints it (tools/sheet_png.py: PDF, then poppler's
pdftoppm) and keeps its first page, cropped to the part with content. Needs soffice, pdftoppm
and a CJK font (fonts-noto-cjk).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "samples"), str(ROOT / "tools")]

from click.testing import CliRunner  # noqa: E402
from costsheet.cli import main as cli  # noqa: E402
from make_samples import write_monthly_sample  # noqa: E402
from sheet_png import render_sheet  # noqa: E402

OUT = ROOT / "docs" / "images"
#: workbook → sheet → (image name, dots per inch, pages): each sheet as LibreOffice prints it
#: (costsheet's print setup), its first pages cropped to the content and stacked
SHEETS = {
    "example": {"Summary": ("zh-summary.png", 96, 2), "Risk": ("zh-risk.png", 96, 1)},
    "monthly": {"Variance": ("zh-variance.png", 96, 1)},
}
_ENV = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


def _workbooks(folder: Path) -> dict[str, Path]:
    runner = CliRunner()
    example = folder / "预算.xlsx"
    runner.invoke(cli, ["new", str(example), "--lang", "zh", "--example"], env=_ENV,
                  catch_exceptions=False)
    monthly = write_monthly_sample(folder / "月度.xlsx", lang="zh")
    for path in (example, monthly):
        res = runner.invoke(cli, ["run", str(path)], env=_ENV, catch_exceptions=False)
        assert res.exit_code == 0, res.output
    return {"example": example, "monthly": monthly}


def main() -> None:
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed"
    with tempfile.TemporaryDirectory(prefix="costsheet-zh-images-") as tmp:
        books = _workbooks(Path(tmp))
        OUT.mkdir(parents=True, exist_ok=True)
        for book, sheets in SHEETS.items():
            for sheet, (name, dpi, pages) in sheets.items():
                render_sheet(books[book], sheet, OUT / name, dpi=dpi, pages=pages)
                print(f"wrote {(OUT / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
