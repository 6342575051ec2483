"""A Chinese run, looked at: every owned sheet and chart in Chinese, the same numbers as English,
headings that fit their columns, and the sheets rendered by LibreOffice with a CJK font.

The workbook is what a Chinese user makes: `costsheet new b.xlsx --lang zh --example`, then
`costsheet run b.xlsx` (no --lang: the workbook remembers its language).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.i18n import text_width
from costsheet.workbook.monthly_sheets import MONTHLY_SHEETS
from costsheet.workbook.risk_sheets import RISK_SHEETS
from costsheet.workbook.sheetkit import header_width
from costsheet.workbook.writer import OWNED_SHEETS
from openpyxl.utils import get_column_letter
from support.libreoffice import convert_sheet_csvs, render_png

OWNED = (*OWNED_SHEETS, *RISK_SHEETS, *MONTHLY_SHEETS)
_NO_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
#: what stays as it is in a Chinese sheet: keys and identifiers (anything with _ . / digits),
#: cell references, numbers and money
KEYLIKE = re.compile(r"\S*[_\d./@$!:%]\S*")
#: words that read the same in both languages: scenario names, units and chip words, sheet names
#: (keys), distribution names (keys), product names
NEUTRAL = frozenset("""
Base Low High GPU GPUs MFU FLOP FLOPs TFLOP PUE TDP CO kWh MWh TB GB W h USD EUR CNY US P SFT RL
MoE BF FP H A B M T K k costsheet run check trials seed xlsx triangular pert uniform normal
lognormal bernoulli fixed sigma sd NVIDIA AMD DeepSeek Epoch AI Excel LibreOffice Summary Line
items Checks Scenarios Sensitivity Risk Monthly Variance Refresh log Actuals Uncertainty Drivers
Pools Runs Data Staff Other FX Overrides README token tokens
""".split())


def english_sentence(text: str) -> bool:
    """Text a Chinese reader should not find: two English words and no Chinese, or three
    English words in a row inside Chinese text (a fragment left untranslated)."""
    bare = KEYLIKE.sub(" ", text)
    words = [w for w in WORD.findall(bare) if w not in NEUTRAL]
    if not CJK.search(text):
        return len(words) >= 2
    return bool(re.search(r"(?:\b[a-z]{2,}\b[ ,;]+){2}\b[a-z]{2,}\b", bare))


def _run(folder: Path, name: str, lang: str) -> Path:
    runner = CliRunner()
    path = folder / name
    res = runner.invoke(main, ["new", str(path), "--lang", lang, "--example"], env=_NO_LOCALE)
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["run", str(path), "--trials", "2000"], env=_NO_LOCALE)
    assert res.exit_code == 0, res.output
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("zh-run")
    return {"zh": _run(folder, "预算.xlsx", "zh"), "en": _run(folder, "budget.xlsx", "en")}


def test_the_detector_flags_english_and_passes_keys() -> None:
    assert english_sentence("Cost by family and scenario")
    assert english_sentence("算力/硬件成本：all compute lines here")
    assert not english_sentence("pools.h100-cloud.price_per_gpu_hour")
    assert not english_sentence("triangular US$2.50 / US$2.50 / US$2.80")
    assert not english_sentence("最终训练：main-34b")
    assert not english_sentence("Base")


def test_every_owned_sheet_is_chinese(runs: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(runs["zh"])
    assert [s for s in OWNED if s in wb.sheetnames] == list(OWNED)  # tab names are keys
    english = []
    for name in OWNED:
        chinese = 0
        for row in wb[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    chinese += bool(CJK.search(cell.value))
                    if english_sentence(cell.value):
                        english.append(f"{name}!{cell.coordinate}: {cell.value[:80]!r}")
        assert chinese >= 3, name
    assert english == [], "\n".join(english[:40])
    # the English run is caught by the same detector (it is not blind)
    en = openpyxl.load_workbook(runs["en"])
    assert sum(english_sentence(str(c.value)) for row in en["Summary"].iter_rows()
               for c in row if isinstance(c.value, str)) >= 5


def test_every_chart_is_chinese(runs: dict[str, Path]) -> None:
    with zipfile.ZipFile(runs["zh"]) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        texts = {n: re.findall(r"<a:t>([^<]*)</a:t>", zf.read(n).decode("utf-8"))
                 for n in charts}
    assert len(charts) >= 10
    for name, found in texts.items():
        title = found[0]
        assert CJK.search(title), (name, title)  # every chart's title
        assert not any(english_sentence(t) for t in found), (name, found)
    # series names come from header cells, which the sheet test covers


def test_headings_fit_their_columns(runs: dict[str, Path]) -> None:
    """A heading (white on dark blue) is never wider than its column: CJK characters count
    double (sheetkit.text_width) and bold text a tenth more; a wrapping heading may take two
    lines."""
    wb = openpyxl.load_workbook(runs["zh"])
    clipped = []
    for name in OWNED:
        ws = wb[name]
        for row in ws.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill is not None else None
                if not isinstance(cell.value, str) or not str(rgb).endswith("1F3864"):
                    continue
                width = ws.column_dimensions[get_column_letter(cell.column)].width or 8.43
                # headings wrap (their styles do) in two lines at most: sheetkit.header_width
                need = header_width(cell.value) if cell.alignment.wrap_text \
                    else text_width(cell.value) * 1.1
                if need > width + 0.5:
                    clipped.append(f"{name}!{cell.coordinate} {cell.value!r} needs "
                                   f"{need:.1f}, has {width}")
    assert clipped == [], "\n".join(clipped)


def test_libreoffice_reads_the_same_numbers_in_both_summaries(runs: dict[str, Path],
                                                              tmp_path: Path) -> None:
    """LibreOffice's CSV export (raw values) of the Chinese Summary: every number the English
    Summary has, in the same cell; the words differ."""
    zh = convert_sheet_csvs(runs["zh"], tmp_path / "zh")["Summary"]
    en = convert_sheet_csvs(runs["en"], tmp_path / "en")["Summary"]

    def numbers(rows: list[list[str]]) -> dict[tuple[int, int], str]:
        out = {}
        for r, row in enumerate(rows[3:], start=3):  # below the title, source and note
            for c, value in enumerate(row):
                if re.fullmatch(r"-?\d+(?:\.\d+)?(?:E[-+]\d+)?", value.strip()):
                    out[(r, c)] = value.strip()
        return out

    assert len(numbers(en)) >= 40
    assert numbers(zh) == numbers(en)
    assert zh[4][0] != en[4][0] and CJK.search(zh[4][0])  # 算力/硬件成本 vs Hardware / compute


def test_every_owned_sheet_renders_with_a_cjk_font(runs: dict[str, Path],
                                                   tmp_path: Path) -> None:
    """Each owned sheet of the Chinese run, rendered by LibreOffice to PDF and PNG (as a
    reviewer looks at it): a CJK font is embedded (no tofu), and the page is not blank."""
    pdffonts = shutil.which("pdffonts")
    for sheet in OWNED:
        pages = render_png(runs["zh"], tmp_path / "png", sheet=sheet)
        assert pages and pages[0].stat().st_size > 5_000, sheet
        pdfs = list((tmp_path / "png" / "pdf").glob(f"*{sheet.replace(' ', '_')}*.pdf")) or \
            list((tmp_path / "png" / "pdf").glob("*.pdf"))
        if pdffonts is None:
            continue
        fonts = subprocess.run([pdffonts, str(max(pdfs, key=lambda p: p.stat().st_mtime))],
                               capture_output=True, text=True, timeout=60).stdout
        assert "CJK" in fonts, (sheet, fonts)
