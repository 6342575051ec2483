"""Render the Chinese Summary, Risk and Variance sheets for the docs (docs/images/zh-*.png).

    .venv/bin/python tools/render_zh_images.py

Makes what a Chinese user makes (`costsheet new b.xlsx --lang zh --example`, then `costsheet
run b.xlsx`; the monthly sample written in Chinese for the Variance sheet, which needs
actuals), renders each sheet with LibreOffice (PDF, then poppler's pdftoppm) and keeps page 1,
cropped to the part with content. Needs soffice, pdftoppm and a CJK font (fonts-noto-cjk).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "samples")]

from click.testing import CliRunner  # noqa: E402
from costsheet.cli import main as cli  # noqa: E402
from make_samples import write_monthly_sample  # noqa: E402
from support.libreoffice import render_png  # noqa: E402

OUT = ROOT / "docs" / "images"
#: sheet → (image name, dots per inch, crop box in points from the page's top left: x, y,
#: width, height); LibreOffice fits each sheet to one page wide, so wide sheets get more dots
SHEETS = {
    "example": {"Summary": ("zh-summary.png", 110, (40, 45, 780, 500)),
                "Risk": ("zh-risk.png", 170, (40, 60, 490, 150))},
    "monthly": {"Variance": ("zh-variance.png", 190, (40, 60, 450, 200))},
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
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed"
    with tempfile.TemporaryDirectory(prefix="costsheet-zh-images-") as tmp:
        folder = Path(tmp)
        books = _workbooks(folder)
        for book, sheets in SHEETS.items():
            for sheet, (name, dpi, (x, y, w, h)) in sheets.items():
                render_png(books[book], folder / "png", sheet=sheet)
                pdf = max((folder / "png" / "pdf").glob("*.pdf"), key=lambda p: p.stat().st_mtime)
                scale = dpi / 72
                prefix = folder / name.removesuffix(".png")
                subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1",
                                "-x", str(int(x * scale)), "-y", str(int(y * scale)),
                                "-W", str(int(w * scale)), "-H", str(int(h * scale)),
                                "-singlefile", str(pdf), str(prefix)], check=True, timeout=120)
                OUT.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(prefix.with_suffix(".png"), OUT / name)
                print(f"wrote {(OUT / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
