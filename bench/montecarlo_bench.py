"""Monte Carlo speed: 1,000,000 trials of the full model, vectorised, against a per-trial loop.

Run: ``.venv/bin/python bench/montecarlo_bench.py [--trials 1000000] [--loop-trials 200]``

The budget is DeepSeek-V3-like (671B/37B MoE on 14.8T tokens, 2,048 rented H800s, FP8) with an
owned ablation pool, sweeps, interruptions, restart risk, data and staff; eight inputs are
uncertain. The vectorised path draws every trial and runs the model once per chunk of 250,000
trials on numpy arrays. The loop path runs the same model once per trial with scalar inputs
(what a spreadsheet Monte Carlo add-in does); it is timed on ``--loop-trials`` trials and scaled.
Both are measured in this one run, and the table prints the ratio. The vectorised path is run
``--repeats`` times and the best time counts (the machine is shared; the loop is long enough to
average out noise on its own).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from costsheet.inputs import Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.montecarlo import Distribution, draw, parse_interval, simulate
from costsheet.model.scenarios import apply_overrides


def deepseek_like() -> Budget:
    return Budget(
        name="deepseek-v3-like",
        drivers=Drivers(mfu=0.38, experiment_multiplier=0.3, restart_probability=0.05,
                        interruption_rate_per_1000_gpu_days=0.47, colocation_per_kw_month=150),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2.0),
               GpuPool(name="lab", gpu_type="H800", gpu_count=256, ownership="own",
                       term_months=9)],
        runs=[TrainingRun(name="v3", pool="h800", params="671B", active_params="37B",
                          tokens="14.8T", precision="fp8"),
              TrainingRun(name="ablations", kind="experiment", pool="lab", params="16B",
                          active_params="2.4B", tokens="1.33T", count=12)],
        data=[CostLine(name="crawl", quantity=3000, unit="TB", unit_cost=40),
              CostLine(name="sft", quantity=1_500_000, unit="item", unit_cost=0.8,
                       overhead=0.15)],
        staff=[StaffLine(role="researchers", headcount=140, annual_salary=150_000, months=9)],
    )


UNCERTAINTIES = {
    "mfu": parse_interval("0.32 to 0.45"),
    "pools.h800.price_per_gpu_hour": Distribution.triangular(1.6, 2.0, 2.8),
    "experiment_multiplier": Distribution.pert(0.1, 0.3, 1.0),
    "kwh_price": Distribution.uniform(0.05, 0.12),
    "pue": Distribution.pert(1.1, 1.2, 1.5),
    "interruption_rate_per_1000_gpu_days": Distribution.lognormal(0.47, 0.4),
    "staff.researchers.headcount": Distribution.normal(140, 15),
    "data.sft.unit_cost": parse_interval("$0.50 to $1.50"),
}


def time_vectorised(b: Budget, trials: int, repeats: int) -> tuple[float, float, float, float]:
    """Best of ``repeats``: (draws, draws + model, stats, mean total)."""
    best_draw = best_sim = best_stats = float("inf")
    mean = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        draw(b, UNCERTAINTIES, trials, seed=1)
        t1 = time.perf_counter()
        risk = simulate(b, UNCERTAINTIES, trials=trials, seed=1)
        t2 = time.perf_counter()
        _ = risk.summary
        risk.contributions()
        risk.histogram()
        risk.s_curve()
        t3 = time.perf_counter()
        best_draw, best_sim = min(best_draw, t1 - t0), min(best_sim, t2 - t1)
        best_stats = min(best_stats, t3 - t2)
        mean = float(risk.total.mean())
    return best_draw, best_sim, best_stats, mean


def time_loop(b: Budget, trials: int) -> tuple[float, float]:
    draws = draw(b, UNCERTAINTIES, trials, seed=1)
    t0 = time.perf_counter()
    totals = []
    for i in range(trials):
        one = {k: float(v[i]) for k, v in draws.items()}
        totals.append(compute_budget(apply_overrides(b, one)).total)
    return time.perf_counter() - t0, float(np.mean(totals))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1_000_000)
    ap.add_argument("--loop-trials", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="vectorised runs; the best counts")
    args = ap.parse_args()
    b = deepseek_like()
    compute_budget(b)  # warm the catalog and imports
    simulate(b, UNCERTAINTIES, trials=1_000, seed=1)
    draw_s, sim_s, stats_s, mean_vec = time_vectorised(b, args.trials, args.repeats)
    loop_s, mean_loop = time_loop(b, args.loop_trials)
    per_trial = loop_s / args.loop_trials
    loop_scaled = per_trial * args.trials
    det = compute_budget(b).total
    rows = [
        ("deterministic total", f"${det:,.0f}"),
        (f"vectorised: {args.trials:,} trials (draws + model)", f"{sim_s:.3f} s"),
        (f"  of which drawing {len(UNCERTAINTIES)} inputs + restart risk", f"{draw_s:.3f} s"),
        ("  of which the model", f"{max(sim_s - draw_s, 0.0):.3f} s"),
        ("  + stats, shares of spread, histogram, S-curve", f"{stats_s:.3f} s"),
        ("  mean total", f"${mean_vec:,.0f}"),
        (f"loop: {args.loop_trials:,} trials, one model call each", f"{loop_s:.3f} s"),
        ("  per trial", f"{per_trial * 1e3:.2f} ms"),
        (f"  scaled to {args.trials:,} trials", f"{loop_scaled:,.0f} s"),
        (f"  mean total ({args.loop_trials} trials)", f"${mean_loop:,.0f}"),
        ("speed-up (loop / vectorised model)", f"{loop_scaled / sim_s:,.0f}x"),
        ("speed-up incl. stats", f"{loop_scaled / (sim_s + stats_s):,.0f}x"),
        ("goal: 1M trials <= 1 s", "met" if args.trials >= 1_000_000 and sim_s <= 1.0
         else "not met"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 14}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
