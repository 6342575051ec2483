"""`costsheet run` never imports pandas; the monthly tables are plain rows, pandas only on demand.

Importing pandas was the largest single cost of a `costsheet run` process (bench/run_bench.py),
and only the monthly tables used it. The run path now computes them as plain rows; the public
frames (`Timeline.frame()`, `Variance.monthly`, ...) are built from those rows when asked for.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from costsheet.inputs import FAMILIES
from costsheet.model.timeline import build_timeline
from costsheet.model.variance import compute_variance
from sample_budgets import monthly_actuals, monthly_budget

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx"))

# Runs the CLI in this process, then says whether pandas was imported (and exits with the CLI's
# code otherwise).
_RUN = """
import runpy, sys
sys.argv = ["costsheet", "run", sys.argv[1], "-o", sys.argv[2]]
try:
    runpy.run_module("costsheet.cli", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code or 0
if code:
    sys.exit(code)
print("pandas imported" if "pandas" in sys.modules else "no pandas")
"""


@pytest.mark.parametrize("name", [p.name for p in SAMPLES] or ["none"])
def test_costsheet_run_does_not_import_pandas(name: str, tmp_path: Path) -> None:
    if not SAMPLES:
        pytest.skip("no samples/*.xlsx yet")
    src = tmp_path / name
    shutil.copyfile(ROOT / "samples" / name, src)
    out = tmp_path / f"out-{name}"
    for _ in range(2):  # the first run, then a refresh of its output (Refresh log read back)
        proc = subprocess.run([sys.executable, "-c", _RUN, str(src), str(out)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.strip().splitlines()[-1] == "no pandas", proc.stdout
        src = out


def test_frames_are_views_of_the_plain_rows() -> None:
    """The public pandas frames hold exactly the numbers of the rows the sheets are written from."""
    budget = monthly_budget()
    tl = build_timeline(budget, view="cash")
    rows = tl.rows()
    frame = tl.frame()
    assert list(frame.index) == [r.month for r in rows] == tl.months
    for r in rows:
        for f in FAMILIES:
            assert frame.loc[r.month, f] == r.families[f]
        assert frame.loc[r.month, "total"] == r.total
        assert frame.loc[r.month, "cumulative"] == r.cumulative
    assert math.fsum(r.total for r in rows) == pytest.approx(tl.total, rel=1e-12)
    lines = tl.line_frame()
    assert len(lines) == len(tl.line_rows())
    assert math.fsum(lines["total"]) == pytest.approx(tl.total, rel=1e-12)

    v = compute_variance(budget, monthly_actuals(), timeline=tl, top=3)
    assert v.as_of is not None
    assert len(v.monthly) == len(v.monthly_rows) == len(tl.months) * len(FAMILIES)
    for r, (_, fr) in zip(v.monthly_rows, v.monthly.iterrows(), strict=True):
        assert (fr["month"], fr["family"], fr["status"]) == (r.month, r.family, r.status)
        assert fr["budget"] == r.budget
        assert fr["variance"] == r.variance or (math.isnan(r.variance) and
                                                math.isnan(fr["variance"]))
    assert list(v.ytd.index) == [*FAMILIES, "total"]
    assert v.ytd.loc["total", "variance"] == v.ytd_of("total").variance
    assert v.latest.loc["total", "latest_estimate"] == v.latest_estimate
    assert list(v.movers["item"]) == [r.item for r in v.mover_rows]
    assert len(v.mover_rows) <= 3
