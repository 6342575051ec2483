"""One name per catalog quantity (``bf16_dense_tflops``, ``fp8_dense_tflops``, in TFLOP/s) in the
CSV, the model fields, the template's key row and the JSON; the old names still read."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.catalog import GpuSpec, default_catalog
from costsheet.cli import main
from costsheet.inputs import Budget, GpuCatalogRow
from costsheet.model.budget import compute_budget
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import SHEETS, workbook_bytes

NAMES = ("bf16_dense_tflops", "fp8_dense_tflops")


def test_one_name_in_csv_fields_template_and_json() -> None:
    text = resources.files("costsheet").joinpath("data/gpus.csv").read_text(encoding="utf-8")
    header = next(csv.reader(text.splitlines()))
    data = json.loads(CliRunner().invoke(main, ["gpus", "--json"]).output)
    for name in NAMES:
        assert name in header
        assert name in GpuSpec.__dataclass_fields__
        assert name in GpuCatalogRow.model_fields
        assert name in SHEETS["gpu_catalog"].keys
        assert name in data[0]
    h100 = next(row for row in data if row["key"] == "H100")
    assert (h100["bf16_dense_tflops"], h100["fp8_dense_tflops"]) == (989.4, 1978.9)
    for old in ("bf16_flops", "fp8_flops", "bf16_dense_flops", "fp8_dense_flops"):
        assert old not in header and old not in data[0] and old not in SHEETS["gpu_catalog"].keys


def _new_gpu_workbook(path: Path, keys: tuple[str, str]) -> Path:
    """The worked example with a new GPU type on the GPU catalog sheet, run on its pool; the
    key row names the throughput columns ``keys``."""
    path.write_bytes(workbook_bytes(worked_example()))
    wb = openpyxl.load_workbook(path)
    ws = wb["GPU catalog"]
    cols = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    for new, old in zip(NAMES, keys, strict=True):
        ws.cell(3, cols[new]).value = old
    row = {"key": "X9000", "tdp_w": 800, "price_per_gpu_hour": 3.5}
    for key, value in row.items():
        ws.cell(7, cols[key]).value = value
    ws.cell(7, cols["bf16_dense_tflops"]).value = "1,500"
    ws.cell(7, cols["fp8_dense_tflops"]).value = 3000
    wb["Pools"]["B6"] = "X9000"
    wb.save(path)
    return path


def test_workbooks_written_with_the_old_keys_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = read_budget(_new_gpu_workbook(tmp_path / "old" / "b.xlsx", ("bf16_flops", "fp8_flops")))
    new = read_budget(_new_gpu_workbook(tmp_path / "new" / "b.xlsx", NAMES))
    assert old.ok, [str(e) for e in old.report.errors]
    assert new.ok, [str(e) for e in new.report.errors]
    assert old.budget == new.budget
    assert not old.report.warnings  # the old key is not a missing column
    row = old.budget.gpu_catalog[1]
    assert (row.key, row.bf16_dense_tflops, row.fp8_dense_tflops) == ("X9000", 1500, 3000)
    assert old.cells["drivers.mfu"] == new.cells["drivers.mfu"]
    totals = [compute_budget(r.budget).total for r in (old, new)]
    assert totals[0] == totals[1] > 0


def test_a_new_gpu_without_its_peak_is_reported_under_the_one_name(tmp_path: Path) -> None:
    path = _new_gpu_workbook(tmp_path / "b.xlsx", ("bf16_flops", "fp8_flops"))
    wb = openpyxl.load_workbook(path)
    wb["GPU catalog"]["F7"] = None
    wb.save(path)
    problems = read_budget(path).report.problems
    (err,) = [e for e in problems if e.sheet == "GPU catalog"]
    assert (err.location, err.field, err.code) == (
        "GPU catalog!F7", "bf16_dense_tflops", "required_for_new_gpu")
    # the pool on that GPU type is then an unknown type
    assert [(e.location, e.code) for e in problems if e is not err] == [
        ("Pools!B6", "unknown_gpu")]


def test_old_python_keys_in_flop_per_second_still_read() -> None:
    """Mappings written for the library before the names were unified (FLOP/s)."""
    budget = Budget(gpu_catalog=[{"key": "Gaudi3", "bf16_flops": 1835e12, "tdp_w": 900}])
    assert budget.gpu_catalog[0].bf16_dense_tflops == 1835
    assert GpuCatalogRow.model_validate(
        {"key": "X", "bf16_dense_flops": 1e15, "fp8_dense_flops": 2e15}).model_dump() == {
        "key": "X", "bf16_dense_tflops": 1000.0, "fp8_dense_tflops": 2000.0}
    spec = default_catalog().with_overrides([{"key": "Gaudi3", "fp8_flops": 3670e12,
                                              "bf16_flops": 1835e12, "tdp_w": 900}]).get("gaudi3")
    assert (spec.peak_flops("bf16"), spec.peak_flops("fp8")) == (1835e12, 3670e12)
    with pytest.raises(ValueError, match="give bf16_dense_tflops"):
        GpuCatalogRow.model_validate({"key": "X", "bf16_flops": 1e15, "bf16_dense_tflops": 1})


def test_a_catalog_row_dumps_only_what_it_sets() -> None:
    """Blank cells keep the catalog's values, and the budget's fingerprint (Refresh log) is the
    one of the rows as they were written before the rows became a model."""
    row = worked_example().gpu_catalog[0]
    assert row.model_dump() == {"key": "A100", "purchase_price_per_gpu": 12_000.0,
                                "purchase_price_date": "2025-06",
                                "purchase_price_source": "illustrative quote"}
