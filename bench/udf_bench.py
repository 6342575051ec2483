"""Speed of the Excel functions, measured in one run and printed as a table.

Goals (issue 5): one LLMCOST call on a 10,000-row range ≤ 20 ms in process; ``import
costsheet.udfs`` ≤ 0.5 s in a fresh process. Also measured (issue 14): the same call through
xlwings' own Windows UDF code (argument and result conversion), as far as it runs without
Excel. Also shown: the same 10,000 rows as 10,000 scalar calls (what a sheet of one-cell
formulas costs in Python alone), and 10,000 ``estimate()`` calls.

Run: ``.venv/bin/python bench/udf_bench.py``
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROWS = 10_000


def best_ms(fn: Callable[[], Any], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def fresh_import_s(block_xlwings: bool, runs: int = 5) -> tuple[float, float]:
    """Median seconds of (import costsheet.udfs alone, xlwings import before it) in new
    processes."""
    code = (
        "import sys, time, json\n"
        + ("sys.modules['xlwings'] = None\n" if block_xlwings else "")
        + "t = time.perf_counter()\n"
        + ("" if block_xlwings else "import xlwings\n")
        + "t1 = time.perf_counter()\n"
        + "import costsheet.udfs\n"
        + "t2 = time.perf_counter()\n"
        + "print(json.dumps([t2 - t1, t1 - t]))\n"
    )
    own, xlw = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        a, b = json.loads(out)
        own.append(a)
        xlw.append(b)
    return statistics.median(own), statistics.median(xlw)


_XLWINGS_CALL = """
import json, random, sys, time
sys.path.insert(0, {tests!r})
from support.xlwings_windows import MISSING, FakeRange, boot
boot()
from xlwings.com_server import XLPython
import costsheet.udfs as u
rng = random.Random(5)
rows = [[rng.uniform(1e8, 1e12)] for _ in range({rows})]
params, caller = FakeRange(rows), FakeRange([[None]] * {rows})
server = XLPython()
def best(fn, repeat=5):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out) * 1000
args = (params, "2T", "H100", MISSING, MISSING, MISSING)
via = best(lambda: server.CallUDF("costsheet.udfs", "LLMCOST", args, None, caller))
direct = best(lambda: u.LLMCOST.__wrapped__(rows, "2T", "H100"))
print(json.dumps([via, direct]))
"""


def xlwings_call_ms() -> tuple[float, float]:
    """(ms through xlwings' Windows UDF path, ms of the function alone) for LLMCOST on a
    10,000-row range: XLPython.CallUDF -> call_udf -> conversion.read of the Range, the call,
    conversion.write of the result, run on Linux with fake COM modules
    (tests/support/xlwings_windows.py). Excel's own side (COM marshalling of 10,000 values
    between the processes, the VBA wrapper) is not in it."""
    from pathlib import Path

    tests = str(Path(__file__).resolve().parents[1] / "tests")
    out = subprocess.run([sys.executable, "-c", _XLWINGS_CALL.format(tests=tests, rows=ROWS)],
                         capture_output=True, text=True, check=True).stdout
    via, direct = json.loads(out.strip().splitlines()[-1])
    return via, direct


def main() -> None:
    from costsheet import estimate
    from costsheet.udfs import LLMCHINCHILLA, LLMCOST, LLMENERGY

    rng = random.Random(5)
    params = [[rng.uniform(1e8, 1e12)] for _ in range(ROWS)]
    text_params = [[f"{p[0] / 1e9:.3f}B"] for p in params]
    budgets = [[rng.uniform(1e4, 1e9)] for _ in range(ROWS)]

    range_ms = best_ms(lambda: LLMCOST(params, "2T", "H100"))
    text_ms = best_ms(lambda: LLMCOST(text_params, "2T", "H100"), repeat=3)
    energy_ms = best_ms(lambda: LLMENERGY(params, "H100"))
    chin_ms = best_ms(lambda: LLMCHINCHILLA(budgets, "H100"))
    scalar_ms = best_ms(lambda: [LLMCOST(p[0], "2T", "H100") for p in params], repeat=3)
    est_rows = 1000  # estimate() is slow; timed on 1,000 rows and scaled to 10,000
    est_ms = best_ms(lambda: [estimate(p[0], "2T", gpu="H100") for p in params[:est_rows]],
                     repeat=2) * (ROWS / est_rows)
    own_s, xlwings_s = fresh_import_s(block_xlwings=False)
    lite_s, _ = fresh_import_s(block_xlwings=True)
    via_ms, alone_ms = xlwings_call_ms()

    rows = [
        ("LLMCOST, one call on a 10,000-row range of numbers", f"{range_ms:.1f} ms",
         "<= 20 ms", "ok" if range_ms <= 20 else "MISSED"),
        ("LLMCOST, one call on 10,000 distinct text cells ('1.234B')", f"{text_ms:.1f} ms",
         "-", ""),
        ("LLMENERGY, one call on a 10,000-row range", f"{energy_ms:.1f} ms", "<= 20 ms",
         "ok" if energy_ms <= 20 else "MISSED"),
        ("LLMCHINCHILLA, one call on a 10,000-row range", f"{chin_ms:.1f} ms", "<= 20 ms",
         "ok" if chin_ms <= 20 else "MISSED"),
        ("LLMCOST on 10,000 rows through xlwings' UDF path (CallUDF, no Excel)",
         f"{via_ms:.1f} ms", "-", ""),
        ("  of which the function itself (same process)", f"{alone_ms:.1f} ms", "-", ""),
        ("  so xlwings' argument and result conversion", f"{via_ms - alone_ms:.1f} ms", "-", ""),
        ("LLMCOST, 10,000 scalar calls", f"{scalar_ms:.0f} ms", "-", ""),
        ("estimate(), 10,000 calls (1,000 timed, scaled)", f"{est_ms:.0f} ms", "-", ""),
        ("range call vs 10,000 scalar calls", f"{scalar_ms / range_ms:.0f}x faster", "-", ""),
        ("range call vs 10,000 estimate() calls", f"{est_ms / range_ms:.0f}x faster", "-", ""),
        ("import costsheet.udfs, fresh process (xlwings already loaded)",
         f"{own_s:.2f} s", "<= 0.5 s", "ok" if own_s <= 0.5 else "MISSED"),
        ("import costsheet.udfs, fresh process, no xlwings (as in Lite)", f"{lite_s:.2f} s",
         "<= 0.5 s", "ok" if lite_s <= 0.5 else "MISSED"),
        ("  for reference: import xlwings itself (classic add-in)", f"{xlwings_s:.2f} s",
         "-", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>14}  {'goal':>9}  ")
    print("-" * (width + 32))
    for name, result, goal, verdict in rows:
        print(f"{name:<{width}}  {result:>14}  {goal:>9}  {verdict}")


if __name__ == "__main__":
    main()
