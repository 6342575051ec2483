"""How fast is `costsheet run`, as whole processes, against the floor under our stack?

    .venv/bin/python bench/run_bench.py              # every sample + a 5,000-line budget
    .venv/bin/python bench/run_bench.py --repeat 5   # more repetitions (the median is shown)

For each workbook in samples/ (copied fresh to a temporary folder for every repetition):

* ``run``   – the process ``costsheet run copy.xlsx`` (read, compute every scenario, write the
  owned sheets and graft them into the file, with a backup);
* ``floor`` – a process that imports pandas, pydantic, click and openpyxl and does a bare
  ``openpyxl.load_workbook`` + ``save`` of the same file: what any Python tool that rewrites the
  workbook with this stack pays at least.

The ratio run / floor has a goal of <= 1.5x. A generated large budget (5,000 input lines,
12 scenarios) is run too, with its wall time and the child's peak memory (``os.wait4`` rusage);
goals <= 10 s and <= 500 MB. Everything is measured in this one run, on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COSTSHEET = BIN / "costsheet"
FLOOR = (
    "import sys, pandas, pydantic, click, openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1])\n"
    "wb.save(sys.argv[2])\n"
)
RATIO_GOAL = 1.5
LARGE_SECONDS_GOAL = 10.0
LARGE_MB_GOAL = 500.0


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one child process; raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.strip()}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux


def timed(src: Path, work: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall time and max peak memory of ``run`` and ``floor`` on fresh copies of src."""
    runs: list[tuple[float, float]] = []
    floors: list[tuple[float, float]] = []
    for i in range(repeat):  # interleaved, so both see the same machine load
        copy = work / f"{src.stem}-{i}{src.suffix}"
        shutil.copyfile(src, copy)
        runs.append(measure([str(COSTSHEET), "run", str(copy)]))
        copy2 = work / f"{src.stem}-{i}-floor{src.suffix}"
        shutil.copyfile(src, copy2)
        floors.append(measure([sys.executable, "-c", FLOOR, str(copy2),
                               str(work / f"{src.stem}-{i}-saved{src.suffix}")]))
    return {
        "run": (statistics.median(t for t, _ in runs), max(m for _, m in runs)),
        "floor": (statistics.median(t for t, _ in floors), max(m for _, m in floors)),
    }


def large_budget(lines: int = 5000, scenarios: int = 12):
    """A budget with ``lines`` input lines (pools, runs, data, staff, other) and 12 scenarios."""
    from costsheet.inputs import Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun

    pools = [GpuPool(name=f"pool-{i}", gpu_type=("H100", "H800", "A100")[i % 3],
                     gpu_count=512 * (1 + i % 4), price_per_gpu_hour=1.5 + 0.25 * (i % 5))
             for i in range(20)]
    runs = [TrainingRun(name=f"run-{i}", kind="final" if i < 5 else "experiment",
                        pool=f"pool-{i % 20}", params=f"{7 + i}B", tokens=f"{1 + i % 10}T",
                        count=1 if i < 5 else 1 + i % 4)
            for i in range(80)]
    rest = lines - len(pools) - len(runs)
    n_staff = rest // 5
    n_other = rest // 10
    n_data = rest - n_staff - n_other
    data = [CostLine(name=f"dataset {i:04d}", kind=("dataset", "crawl", "labelling")[i % 3],
                     quantity=10 + i % 90, unit="TB", unit_cost=20 + i % 400,
                     months=None if i % 4 else 6, overhead="10%" if i % 7 == 0 else 0)
            for i in range(n_data)]
    staff = [StaffLine(role=f"role {i:04d}", headcount=1 + i % 5, annual_salary=90_000 + 1_000 *
                       (i % 200), allocation="50%" if i % 3 == 0 else 1, months=6 + i % 7)
             for i in range(n_staff)]
    other = [CostLine(name=f"facility {i:04d}", family="power_facilities", quantity=1 + i % 12,
                      unit="month", unit_cost=1_000 + 10 * i) for i in range(n_other)]
    names = ["Low", "High", *[f"S{i:02d}" for i in range(3, scenarios)]]
    sc = {name: {"mfu": round(0.30 + 0.02 * k, 2), "staff_burden": round(0.2 + 0.01 * k, 2),
                 "experiment_multiplier": round(0.1 * k, 2)}
          for k, name in enumerate(names[: scenarios - 1], start=1)}
    return Budget(name="large", drivers=Drivers(experiment_multiplier=0.5), pools=pools,
                  runs=runs, data=data, staff=staff, other=other, scenarios=sc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    samples = sorted((ROOT / "samples").glob("*.xlsx"))
    with tempfile.TemporaryDirectory(prefix="costsheet-bench-") as tmp:
        work = Path(tmp)
        from costsheet.workbook.template import workbook_bytes

        budget = large_budget(args.lines)
        large = work / f"large-{args.lines}-lines.xlsx"
        large.write_bytes(workbook_bytes(budget))
        n_scen = len(budget.scenario_names)

        print(f"{'workbook':<28} {'run s':>7} {'floor s':>8} {'ratio':>6} {'goal':>6} "
              f"{'run MB':>7} {'floor MB':>8}")
        rows = []
        for src in [*samples, large]:
            t = timed(src, work, args.repeat)
            (rs, rm), (fs, fm) = t["run"], t["floor"]
            ratio = rs / fs
            rows.append((src, rs, rm, ratio))
            # the ratio goal is the samples'; the large budget has its own goals, below
            ok = "-" if src is large else ("ok" if ratio <= RATIO_GOAL else "MISS")
            print(f"{src.name:<28} {rs:>7.2f} {fs:>8.2f} {ratio:>5.2f}x {ok:>6} {rm:>7.0f} "
                  f"{fm:>8.0f}", flush=True)
        _src, secs, mb, _ratio = rows[-1]
        print()
        print(f"large budget: {args.lines:,} input lines, {n_scen} scenarios")
        print(f"  run wall time  {secs:6.2f} s   goal <= {LARGE_SECONDS_GOAL:.0f} s   "
              f"{'ok' if secs <= LARGE_SECONDS_GOAL else 'MISS'}")
        print(f"  run peak RSS   {mb:6.0f} MB  goal <= {LARGE_MB_GOAL:.0f} MB  "
              f"{'ok' if mb <= LARGE_MB_GOAL else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
