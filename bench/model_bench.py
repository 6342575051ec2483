"""Measure the cost model in process and print a table of median times and ratios.

    .venv/bin/python bench/model_bench.py            # default: a 5,000-line budget
    .venv/bin/python bench/model_bench.py --lines 20000 --min-time 1

Every case is timed in this one run next to a baseline measured in the same run (building a
pandas DataFrame of the large budget's 5,000 result rows), so the ratios mean the same on a
fast or a slow machine. Nothing here asserts a time: speed goals are read from the table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from costsheet import (
    Budget,
    CostLine,
    Drivers,
    GpuPool,
    StaffLine,
    TrainingRun,
    apply_overrides,
    compute_budget,
    default_catalog,
    estimate,
)
from costsheet.model.items import LINE_COLUMNS

GPUS = ["H100", "H800", "A100", "H200", "B200", "MI300X"]
FAMILIES = ["compute", "data", "staff", "power_facilities", "experiments"]


def small_budget() -> Budget:
    """A realistic plan: three pools (own, reserved, on demand), runs, data, staff, other."""
    return Budget(
        drivers=Drivers(interruption_rate_per_1000_gpu_days=0.47, experiment_multiplier=0.3,
                        restart_probability="10%", colocation_per_kw_month=150),
        pools=[GpuPool(name="own", gpu_type="H100", gpu_count=2048, ownership="own",
                       term_months=12),
               GpuPool(name="reserved", gpu_type="H800", gpu_count=512, price_per_gpu_hour=2,
                       term_months=6),
               GpuPool(name="cloud", gpu_type="A100", price_per_gpu_hour="€1.5",
                       currency="EUR")],
        runs=[TrainingRun(name="main", pool="own", params="70B", tokens="2T"),
              TrainingRun(name="ablation", kind="experiment", pool="reserved", params="7B",
                          tokens="200B", count=3),
              TrainingRun(name="probe", kind="experiment", pool="cloud", params="1B",
                          tokens="20B")],
        data=[CostLine(name="crawl", quantity=120, unit="TB", unit_cost=50),
              CostLine(name="storage", quantity=500, unit="TB", unit_cost=20, months=12),
              CostLine(name="labels", quantity="50k", unit="item", unit_cost=2,
                       overhead="15%", currency="EUR")],
        staff=[StaffLine(role="research scientist", headcount=10, annual_salary="300k"),
               StaffLine(role="ML engineer", headcount=6, annual_salary="250k")],
        other=[CostLine(name="fit-out", family="power_facilities", unit_cost="250k")],
        fx_rates={"EUR": 1.1},
    )


def large_budget_input(lines: int, seed: int = 7) -> dict[str, Any]:
    """The raw input of a budget of about ``lines`` lines, as a reader would hand it over."""
    rng = np.random.default_rng(seed)
    n_pools = max(lines // 100, 1)
    n_runs = max(lines // 10, 1)
    n_staff = lines * 3 // 10
    n_other = lines // 10
    n_data = max(lines - n_pools - n_runs - n_staff - n_other, 0)
    pools = []
    for i in range(n_pools):
        own = i % 3 == 0
        pools.append({
            "name": f"pool{i}", "gpu_type": GPUS[i % len(GPUS)],
            "gpu_count": int(rng.integers(64, 4096)), "ownership": "own" if own else "rent",
            "price_per_gpu_hour": None if own else f"{rng.uniform(1, 5):.2f}",
            "term_months": str(int(rng.integers(3, 24))) if i % 2 else None,
        })
    runs = [{
        "name": f"run{i}", "kind": "final" if i % 50 == 0 else "experiment",
        "pool": f"pool{i % n_pools}", "params": f"{rng.uniform(0.1, 70):.1f}B",
        "tokens": f"{rng.uniform(0.01, 2):.2f}T", "count": int(rng.integers(1, 4)),
    } for i in range(n_runs)]
    data = [{
        "name": f"data{i}", "kind": "storage", "quantity": f"{rng.uniform(1, 500):.1f}",
        "unit": "TB", "unit_cost": f"{'€' if i % 4 == 0 else '$'}{rng.uniform(5, 50):.2f}",
        "months": int(rng.integers(1, 24)), "overhead": "10%",
        "currency": "EUR" if i % 4 == 0 else None,
    } for i in range(n_data)]
    staff = [{
        "role": f"role{i}", "headcount": int(rng.integers(1, 10)),
        "annual_salary": f"{int(rng.integers(100, 500))}k", "allocation": "50%",
        "months": int(rng.integers(1, 24)),
    } for i in range(n_staff)]
    other = [{
        "name": f"other{i}", "family": FAMILIES[i % len(FAMILIES)], "quantity": 1,
        "unit_cost": f"{int(rng.integers(1, 100))}k",
    } for i in range(n_other)]
    return {"drivers": {"interruption_rate_per_1000_gpu_days": 0.47,
                        "experiment_multiplier": 0.2, "colocation_per_kw_month": 120},
            "pools": pools, "runs": runs, "data": data, "staff": staff, "other": other,
            "fx_rates": {"EUR": 1.1}}


def measure(fn: Callable[[], Any], min_time: float, min_runs: int = 5,
            max_runs: int = 200) -> tuple[int, float]:
    """(runs, median seconds): repeat until ``min_time`` has passed and ``min_runs`` ran."""
    fn()  # warm up: imports, caches
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < min_time
                                    and len(times) < max_runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return len(times), statistics.median(times)


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds:,.2f} s"


def _fmt_ratio(ratio: float) -> str:
    return f"{ratio:,.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000, help="lines of the large budget")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="seconds to spend on each case (at least 5 runs)")
    parser.add_argument("--trials", type=int, default=1000,
                        help="Monte Carlo trials for the vectorised case")
    args = parser.parse_args(argv)

    default_catalog()  # loaded once per process, as in real use
    small = small_budget()
    raw = large_budget_input(args.lines)
    large = Budget(**raw)
    large_result = compute_budget(large)
    rows = [it.as_row() for it in large_result.items]
    n_input = sum(len(raw[k]) for k in ("pools", "runs", "data", "staff", "other"))
    rng = np.random.default_rng(1)
    mfu_trials = rng.uniform(0.3, 0.5, args.trials)
    price_trials = rng.uniform(1.5, 2.5, args.trials)

    def monte_carlo() -> Any:
        return compute_budget(apply_overrides(small, {
            "mfu": mfu_trials, "pools.reserved.price_per_gpu_hour": price_trials})).total

    cases: list[tuple[str, Callable[[], Any]]] = [
        (f"baseline: pandas DataFrame of {len(rows):,} result rows",
         lambda: pd.DataFrame(rows, columns=LINE_COLUMNS)),
        ("pydantic: Drivers() with defaults", Drivers),
        ("estimate(): 405B x 15.6T on H100", lambda: estimate(
            params="405B", tokens="15.6T", gpu="H100", gpu_count="16,384")),
        ("estimate(): DeepSeek-V3 2.788M GPU-h x $2", lambda: estimate(
            gpu="H800", gpu_hours="2.788M", price="2")),
        (f"compute_budget(): small ({len(small_budget().runs)} runs, "
         f"{len(compute_budget(small).items)} lines)", lambda: compute_budget(small)),
        (f"compute_budget(): small, {args.trials:,} Monte Carlo trials", monte_carlo),
        (f"Budget(...) validation: {n_input:,} input lines", lambda: Budget(**raw)),
        (f"compute_budget(): large ({len(large_result.items):,} lines)",
         lambda: compute_budget(large)),
        ("compute_budget(large).lines: DataFrame",
         lambda: compute_budget(large).lines),
    ]

    results = []
    for name, fn in cases:
        runs, median = measure(fn, args.min_time)
        results.append((name, runs, median))
    baseline = results[0][2]

    width = max(len(name) for name, _, _ in results)
    print(f"costsheet model benchmark: Python {platform.python_version()}, "
          f"{platform.machine()}, pandas {pd.__version__}, numpy {np.__version__}")
    print(f"ratio = median time / median time of the baseline "
          f"({_fmt_time(baseline)}), measured in this run\n")
    print(f"{'case':<{width}}  {'runs':>5}  {'median':>11}  {'ratio':>8}")
    print(f"{'-' * width}  {'-' * 5}  {'-' * 11}  {'-' * 8}")
    for name, runs, median in results:
        print(f"{name:<{width}}  {runs:>5}  {_fmt_time(median):>11}  "
              f"{_fmt_ratio(median / baseline):>8}")


if __name__ == "__main__":
    main()
