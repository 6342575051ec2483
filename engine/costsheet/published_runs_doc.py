"""The published-runs tables of the docs, generated from ``data/reference_runs.csv``.

``docs/published-runs.md`` and ``docs/model.md`` hold these tables verbatim; the tests generate
them again and compare, so the docs cannot drift from the dataset. After changing the dataset,
``python -m costsheet.published_runs_doc`` prints them to paste.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .catalog import default_catalog
from .model.utilisation import (
    CHOSEN_GROUPING,
    GROUPINGS,
    MIN_GROUP_RUNS,
    calibration_runs,
    leave_one_out,
    predictive_quantile,
    run_implied_mfu,
)
from .reference_runs import load_reference_runs
from .units import format_quantity


def _pct(x: float) -> str:
    return f"{x:.1%}"


def generation_table() -> str:
    """Per chip generation: runs, median implied MFU, the P10-P90 band for one more run, range."""
    groups: dict[str, list[float]] = defaultdict(list)
    for c in calibration_runs():
        groups[c.generation].append(c.mfu)
    every = [m for values in groups.values() for m in values]
    lines = ["| chip generation | runs | median MFU (the default) | P10 | P90 | lowest | highest |",
             "|---|---|---|---|---|---|---|"]
    for gen, values in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        if len(values) < MIN_GROUP_RUNS:
            lines.append(f"| {gen} (fewer than {MIN_GROUP_RUNS}: all runs are used) | "
                         f"{len(values)} | - | - | - | {_pct(min(values))} | {_pct(max(values))} |")
            continue
        lines.append(f"| {gen} | {len(values)} | {_pct(float(np.median(values)))} | "
                     f"{_pct(predictive_quantile(values, 0.1))} | "
                     f"{_pct(predictive_quantile(values, 0.9))} | {_pct(min(values))} | "
                     f"{_pct(max(values))} |")
    lines.append(f"| all runs (any other GPU) | {len(every)} | {_pct(float(np.median(every)))} | "
                 f"{_pct(predictive_quantile(every, 0.1))} | "
                 f"{_pct(predictive_quantile(every, 0.9))} | {_pct(min(every))} | "
                 f"{_pct(max(every))} |")
    return "\n".join(lines) + "\n"


def grouping_table() -> str:
    """Leave-one-out fidelity of every candidate grouping (``bench/fidelity.py``)."""
    lines = ["| grouping | median \\|error\\| of GPU-hours | median signed error | "
             "runs inside P10-P90 | median band high/low |", "|---|---|---|---|---|"]
    for name in GROUPINGS:
        r = leave_one_out(name)
        mark = " (chosen)" if name == CHOSEN_GROUPING else ""
        lines.append(f"| {name}{mark} | {r.median_abs_error:.0%} | {r.median_error:+.0%} | "
                     f"{r.share_inside:.0%} | {r.median_band_ratio:.2f}x |")
    return "\n".join(lines) + "\n"


def runs_table() -> str:
    """Every run of the dataset, with what its GPU-hours cover and the MFU they imply."""
    cat = default_catalog()
    lines = ["| run | organisation | date | parameters (active) | tokens | accelerator | "
             "GPU-hours | what they cover | implied MFU | in statistics | confidence |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in load_reference_runs():
        params = format_quantity(r.params_total) if r.params_total else "not stated"
        if r.params_active is not None:
            params += f" ({format_quantity(r.params_active)})"
        mfu = run_implied_mfu(r, cat)
        cover = r.gpu_hours_cover + ("" if r.gpu_hours_kind == "reported"
                                     else f"; {r.gpu_hours_kind.replace('_', ' ')}")
        lines.append(
            f"| [{r.model}]({r.source_url}) | {r.organisation} | {r.date} | {params} | "
            f"{format_quantity(r.tokens) if r.tokens else 'not stated'} | {r.accelerator} | "
            f"{format_quantity(r.gpu_hours)} | {cover} | {'-' if mfu is None else _pct(mfu)} | "
            f"{'yes' if r.in_statistics else 'no'} | {r.confidence} |")
    return "\n".join(lines) + "\n"


def main() -> None:  # pragma: no cover - a helper to paste tables into the docs
    for title, table in (("per generation", generation_table()),
                         ("groupings", grouping_table()), ("runs", runs_table())):
        print(f"<!-- {title} -->\n{table}")


if __name__ == "__main__":  # pragma: no cover
    main()
