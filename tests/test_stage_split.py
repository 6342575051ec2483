"""The split by stage on the Summary (a table and a native chart) and on Line items (a column).

The amounts are the model's (``stages.stage_totals``, ``group_totals``); the sheets only show
them, so the checks here are that every amount lands in its row and the chart reads those rows.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from costsheet.model.budget import compute_budget
from costsheet.model.scenarios import apply_scenario
from costsheet.model.stages import STAGE_LABELS, group_totals
from costsheet.workbook.writer import LINE_ITEM_HEADERS, OTHER_STAGE_LABEL, write_scratch
from sample_budgets import k2_thinking_like, reasoning_model, small_7b_rented


def _write(tmp_path: Path, budget: object) -> tuple[Path, list[object]]:
    results = [compute_budget(apply_scenario(budget, s), scenario=s)  # type: ignore[arg-type]
               for s in budget.scenario_names]  # type: ignore[attr-defined]
    path = write_scratch(tmp_path / "out.xlsx", results, run_time=datetime(2025, 1, 1),
                         version="test")
    return path, results


def _table(rows: list[tuple[object, ...]], title: str) -> list[tuple[object, ...]]:
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith(title))
    end = next(i for i in range(start, len(rows)) if rows[i][0] is None)
    return rows[start:end]


def test_summary_splits_the_bill_by_stage(tmp_path: Path) -> None:
    path, results = _write(tmp_path, reasoning_model())
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    table = _table(rows, "Cost by stage (USD)")
    assert table[0][1:4] == ("Base", "Low", "High")
    by = {r[0]: r[1:4] for r in table[1:]}
    for i, res in enumerate(results):
        split = group_totals(res)  # type: ignore[arg-type]
        assert by["Pre-training"][i] == pytest.approx(split["pre-training"])
        assert by["Post-training"][i] == pytest.approx(split["post-training"])
        assert by["Data generation"][i] == pytest.approx(split["data generation"])
        assert by["Total"][i] == pytest.approx(float(res.total))  # type: ignore[attr-defined]
    # pre-training has two stages here: each is shown below the group
    assert by["of which Pre-training"][0] == pytest.approx(2_664_000 * 2.0)
    assert by["of which Mid-training"][0] == pytest.approx(119_000 * 2.0)
    assert "Evaluation" not in by and OTHER_STAGE_LABEL not in by  # nothing to show


def test_the_stage_chart_reads_the_stage_rows(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, k2_thinking_like())
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[0] == "Cost by stage (USD)") + 1
    with zipfile.ZipFile(path) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist()
                  if re.match(r"xl/charts/chart\d+\.xml$", n)]
    stage = [c for c in charts if "Cost by stage and scenario" in c]
    assert len(stage) == 1
    refs = re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", stage[0])
    assert f"'Summary'!$A${head + 1}" in refs  # Pre-training, its label ...
    assert f"'Summary'!$B${head + 1}:$C${head + 1}" in refs  # ... and its amounts
    assert f"'Summary'!$A${head + 2}" in refs  # Post-training
    assert f"'Summary'!$B${head}:$C${head}" in refs  # scenario names as categories


def test_a_pretraining_only_budget_shows_no_stage_split(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, small_7b_rented())
    rows = [r[0] for r in openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True)]
    assert not any(str(r).startswith("Cost by stage") for r in rows)
    with zipfile.ZipFile(path) as zf:
        assert not any(b"Cost by stage" in zf.read(n) for n in zf.namelist()
                       if n.startswith("xl/charts/"))


def test_line_items_carry_each_lines_stage(tmp_path: Path) -> None:
    path, results = _write(tmp_path, reasoning_model())
    ws = openpyxl.load_workbook(path)["Line items"]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == LINE_ITEM_HEADERS
    col = LINE_ITEM_HEADERS.index("Stage")
    items = [it for res in results for it in res.items]  # type: ignore[attr-defined]
    assert [r[col] or None for r in rows[1:]] == [
        STAGE_LABELS[it.stage] if it.stage else None for it in items]
    stages = {r[col] for r in rows[1:]}
    assert {"Pre-training", "Mid-training", "RL", "Synthetic data"} <= stages
