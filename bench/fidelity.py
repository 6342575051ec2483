"""How well the default utilisation predicts published GPU-hours (``make bench``).

Leave one out over ``engine/costsheet/data/reference_runs.csv``: each run that enters the
statistics is predicted from all the other runs, as a user's run would be (the same chip
generation's median MFU and P10-P90 band; every run when fewer than five share it). Prints, for
the chosen grouping and for the candidates it was chosen against:

- the median |error| of the predicted GPU-hours (goal <= 20%),
- the share of runs whose published GPU-hours fall inside the predicted P10-P90 band (>= 75%),
- the band's median high / low ratio (<= 3.5x).

    .venv/bin/python bench/fidelity.py            # summary and goals
    .venv/bin/python bench/fidelity.py --runs     # and every run's prediction
"""

from __future__ import annotations

import argparse

from costsheet.model.utilisation import CHOSEN_GROUPING, GROUPINGS, LooResult, leave_one_out

GOALS = (("median |error|", "median_abs_error", 0.20, "<="),
         ("inside P10-P90", "share_inside", 0.75, ">="),
         ("band high/low", "median_band_ratio", 3.5, "<="))


def _fmt(name: str, x: float) -> str:
    return f"{x:.2f}x" if name == "median_band_ratio" else f"{x:.0%}"


def summary_row(result: LooResult) -> str:
    cells = [_fmt(attr, getattr(result, attr)) for _, attr, _, _ in GOALS]
    return (f"{result.grouping:<28} {result.n:>4} {cells[0]:>14} {result.median_error:>+9.0%} "
            f"{cells[1]:>14} {cells[2]:>13}")


def goal_lines(result: LooResult) -> list[str]:
    out = []
    for label, attr, goal, sense in GOALS:
        value = getattr(result, attr)
        met = value <= goal if sense == "<=" else value >= goal
        out.append(f"  {label:<16} {_fmt(attr, value):>7}   goal {sense} {_fmt(attr, goal):<6} "
                   f"{'ok' if met else 'MISSED'}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", action="store_true", help="print every run's prediction")
    args = parser.parse_args()
    results = {name: leave_one_out(name) for name in GROUPINGS}
    print(f"{'grouping':<28} {'runs':>4} {'median |error|':>14} {'signed':>9} "
          f"{'inside P10-P90':>14} {'band high/low':>13}")
    for name, result in results.items():
        mark = "  <- chosen" if name == CHOSEN_GROUPING else ""
        print(summary_row(result) + mark)
    chosen = results[CHOSEN_GROUPING]
    print(f"\nchosen: by {CHOSEN_GROUPING} (lowest leave-one-out median |error|)")
    for line in goal_lines(chosen):
        print(line)
    if args.runs:
        print(f"\n{'run':<34} {'published':>12} {'predicted':>12} {'error':>7}  band")
        for p in sorted(chosen.predictions, key=lambda p: p.error):
            print(f"{p.model[:34]:<34} {p.gpu_hours:>12,.0f} {p.predicted_gpu_hours:>12,.0f} "
                  f"{p.error:>+7.0%}  {p.low_gpu_hours:,.0f}-{p.high_gpu_hours:,.0f}"
                  f"{'' if p.inside else '  OUTSIDE'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
