"""The budget template (`costsheet new`): generated from the input models, finance conventions,
committed copy and reference doc in step with the code."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.catalog import default_catalog
from costsheet.cli import main
from costsheet.errors import InputError
from costsheet.inputs import DRIVER_KEYS, CostLine, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.scenarios import apply_scenario
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import (
    FIRST_ROW,
    HEADER_ROW,
    INPUT_FILL,
    INPUT_FONT,
    KEY_ROW,
    LAYOUT,
    SHEETS,
    new_template,
    readme_lines,
    reference_markdown,
    workbook_bytes,
)

ROOT = Path(__file__).resolve().parent.parent


def _cells(path: Path) -> dict[tuple[str, str], tuple]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                out[(ws.title, c.coordinate)] = (
                    c.value, c.number_format, c.fill.fgColor.rgb, c.font.color and c.font.color.rgb,
                    c.font.b, c.comment.text if c.comment else None)
        out[(ws.title, "freeze")] = (ws.freeze_panes,)
        out[(ws.title, "dv")] = tuple(sorted((str(dv.sqref), dv.type, dv.formula1, dv.prompt)
                                             for dv in ws.data_validations.dataValidation))
        out[(ws.title, "widths")] = tuple(sorted(
            (k, d.width) for k, d in ws.column_dimensions.items()))
    return out


def test_committed_template_matches_new_cell_by_cell(tmp_path: Path) -> None:
    made = new_template(tmp_path / "budget.xlsx")
    committed = ROOT / "templates" / "budget.xlsx"
    assert _cells(made) == _cells(committed)
    assert made.read_bytes() == committed.read_bytes()  # deterministic output


def test_output_is_deterministic() -> None:
    assert workbook_bytes() == workbook_bytes()
    assert workbook_bytes(lang="zh") == workbook_bytes(lang="zh")


def test_committed_reference_doc_matches_layout() -> None:
    doc = (ROOT / "docs" / "template.md").read_text(encoding="utf-8")
    assert doc == reference_markdown() + "\n", "run `python samples/make_samples.py`"
    zh = (ROOT / "docs" / "zh" / "template.md").read_text(encoding="utf-8")
    assert zh == reference_markdown("zh") + "\n", "run `python samples/make_samples.py`"
    for spec in LAYOUT:
        assert f"## {spec.name}" in doc
        for col in spec.columns:
            assert f"`{col.key}`" in doc


def test_layout_is_generated_from_the_models() -> None:
    assert tuple(SHEETS["drivers"].keys) == DRIVER_KEYS
    assert SHEETS["pools"].keys == list(GpuPool.model_fields)
    assert SHEETS["runs"].keys == list(TrainingRun.model_fields)
    assert SHEETS["staff"].keys == list(StaffLine.model_fields)
    assert SHEETS["other"].keys == list(CostLine.model_fields)
    assert SHEETS["data"].keys == [k for k in CostLine.model_fields if k != "family"]
    runs = SHEETS["runs"]
    assert runs.column("mfu").number_format == "0.0%"
    assert runs.column("count").number_format == "#,##0"
    assert SHEETS["pools"].column("gpu_count").number_format == "#,##0"
    assert runs.column("kind").choices == ("final", "experiment")
    assert runs.column("precision").choices == ("bf16", "fp8")
    assert SHEETS["pools"].column("ownership").choices == ("rent", "own")
    assert SHEETS["other"].column("family").default == "power_facilities"


def test_every_field_has_label_unit_and_help_in_both_languages() -> None:
    """The Chinese comes from the message catalog (one source: the field's English metadata is
    the msgid); a unit may stay as written where Chinese writes it the same (GB, TFLOP/s)."""
    same_in_chinese = {"YYYY-MM", "FLOP", "GB", "TFLOP/s", "PUE", "MFU", "TDP", "FP8 peak"}
    for spec in LAYOUT:
        assert spec.title("zh") != spec.title_en and spec.intro("zh") != spec.intro_en
        for col in spec.columns:
            assert col.label_en and col.help_en, (spec.name, col.key)
            assert col.help("zh") != col.help_en, (spec.name, col.key)
            if col.label_en not in same_in_chinese:
                assert col.label("zh") != col.label_en, (spec.name, col.key)
            if col.unit_en and col.unit_en not in same_in_chinese:
                assert col.unit("zh") != col.unit_en, col.unit_en


def test_finance_conventions(tmp_path: Path) -> None:
    path = new_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "README"
    readme = [c.value for c in wb["README"]["A"] if c.value]
    assert any("yellow" in str(v).lower() for v in
               [c.value for c in wb["README"]["B"] if c.value])
    assert "costsheet training budget template" in readme
    pools = wb["Pools"]
    assert pools.freeze_panes == f"B{FIRST_ROW}"
    assert [c.value for c in pools[KEY_ROW] if c.value] == SHEETS["pools"].keys
    assert pools.cell(HEADER_ROW, 2).value == "GPU type"
    for c in pools[FIRST_ROW]:
        assert c.fill.fgColor.rgb.endswith(INPUT_FILL)
        assert c.font.color.rgb.endswith(INPUT_FONT)
    for c in pools[HEADER_ROW]:
        if c.value:
            assert c.comment is not None and c.comment.text  # help on hover
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in pools.data_validations.dataValidation}
    gpu = dvs[f"B{FIRST_ROW}"]
    assert gpu.type == "list"
    assert set(gpu.formula1.strip('"').split(",")) == set(default_catalog().keys)
    assert dvs[f"D{FIRST_ROW}"].formula1 == '"rent,own"'
    assert all(dv.prompt for dv in pools.data_validations.dataValidation)
    runs = {str(dv.sqref).split(":")[0]: dv for dv in wb["Runs"].data_validations.dataValidation}
    assert runs[f"C{FIRST_ROW}"].formula1.startswith("Pools!$A$")
    other = {str(dv.sqref).split(":")[0]: dv for dv in wb["Other"].data_validations.dataValidation}
    assert other[f"B{FIRST_ROW}"].formula1 == (
        '"compute,data,staff,power_facilities,experiments"')
    drivers = wb["Drivers"]
    assert [drivers.cell(4, c).value for c in range(5, 8)] == ["Base", "Low", "High"]
    # the MFU is blank since issue 11: runs without one use published runs on their GPU
    assert drivers["A5"].value == "mfu" and drivers["E5"].value is None
    assert drivers["E5"].number_format == "0.0%"
    for spec in LAYOUT[1:]:
        ws = wb[spec.name]
        for j, col in enumerate(spec.columns, start=1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
            assert width >= len(col.label_en) + 1 or width >= 30, (spec.name, col.key)


def test_new_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(InputError, match="already exists"):
        new_template(path)
    assert path.read_bytes() == b"mine"
    res = CliRunner().invoke(main, ["new", str(path)])
    assert res.exit_code == 2 and "already exists" in res.output and "--force" in res.output
    assert path.read_bytes() == b"mine"
    res = CliRunner().invoke(main, ["new", "--force", str(path)])
    assert res.exit_code == 0, res.output
    assert read_budget(path).ok


def test_new_example_runs_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    res = CliRunner().invoke(main, ["new", "--example", str(path)])
    assert res.exit_code == 0, res.output
    result = read_budget(path)
    assert result.ok, [str(e) for e in result.report.errors]
    for scen in result.scenarios:
        total = compute_budget(apply_scenario(result.budget, scen), scenario=scen).total
        assert 0 < float(total) < 1e12


def test_new_zh_writes_chinese_labels(tmp_path: Path) -> None:
    path = tmp_path / "zh.xlsx"
    res = CliRunner().invoke(main, ["new", "--lang", "zh", "--example", str(path)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(path)
    assert wb["Runs"].cell(HEADER_ROW, 4).value == "参数量"
    assert wb["Runs"].cell(KEY_ROW, 4).value == "params"
    assert wb["Drivers"]["B5"].value == "默认 MFU"
    assert wb["README"]["A1"].value == "costsheet 训练预算模板"


def test_libreoffice_opens_the_template(tmp_path: Path) -> None:
    from support.libreoffice import convert_sheet_csvs

    path = new_template(tmp_path / "budget.xlsx", example=True)
    sheets = convert_sheet_csvs(path, tmp_path / "csv")
    assert {"README", "Drivers", "Pools", "Runs", "Data", "Staff", "Other"} <= set(sheets)
    pools = sheets["Pools"]
    assert pools[KEY_ROW - 1][:3] == ["name", "gpu_type", "gpu_count"]
    assert pools[FIRST_ROW - 1][:3] == ["h100-cloud", "H100", "512"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_readme_names_every_sheet_run_writes(lang: str) -> None:
    from costsheet.workbook.monthly_sheets import MONTHLY_SHEETS
    from costsheet.workbook.risk_sheets import RISK_SHEETS
    from costsheet.workbook.template import RUN_SHEETS
    from costsheet.workbook.writer import OWNED_SHEETS

    written = (*OWNED_SHEETS, *RISK_SHEETS, *MONTHLY_SHEETS)
    assert sorted(RUN_SHEETS) == sorted(written)
    lines = readme_lines(lang)
    (step,) = [ln for ln in lines if "costsheet run" in ln]
    for name in written:
        assert name in step, (lang, name)
    assert ("nine" if lang == "en" else "九") in step
