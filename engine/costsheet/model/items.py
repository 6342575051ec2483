"""Line items: the unit every model function returns, and the result of a whole budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..inputs import FAMILIES, STAGE_NAMES
from ..units import format_money, format_quantity

if TYPE_CHECKING:  # pandas is imported only when a frame is asked for
    import pandas as pd

Value = Any  # a float, or a numpy array of trials when the model runs vectorised

LINE_COLUMNS = [
    "family", "item", "quantity", "unit", "unit_cost", "amount", "currency", "basis",
    "source", "start_month", "months", "kind", "stage",
]

#: What a line is, whatever its words say (its ``item`` text is for people, not for code).
KINDS: dict[str, str] = {
    "final_run": "GPU-hours of a final training run",
    "experiment_run": "GPU-hours of a listed experiment run (ablation, test run)",
    "interruptions": "GPU-hours a final run loses to interruptions (checkpoint and restart)",
    "sweep": "GPU-hours of sweeps and ablations, a multiple of a final run's",
    "idle_capacity": "GPU-hours a reserved or owned pool holds but no run uses",
    "restart_risk": "expected cost of redoing part of a failed final run",
    "electricity": "energy of a pool's GPU-hours (charged for owned pools; 0 when rented)",
    "colocation": "datacenter space and cooling of an owned pool",
    "data": "a line of the Data sheet",
    "staff": "a line of the Staff sheet",
    "other": "a line of the Other sheet",
    "purchase": "owned GPUs bought (monthly cash view)",
    "depreciation": "owned GPUs depreciated straight-line (monthly P&L view)",
}
#: expected-value lines: a probability-weighted cost held as a reserve, not spent as cash (kept
#: out of the monthly cash plan and of the variance against actuals; see model/variance.py)
RESERVE_KINDS = frozenset({"restart_risk"})
#: kinds that price GPU-hours of a pool at its rate
GPU_HOUR_KINDS = frozenset({"final_run", "experiment_run", "interruptions", "sweep",
                            "idle_capacity"})


@dataclass
class LineItem:
    """One costed line. ``amount`` is in the reporting ``currency``.

    ``basis`` says how the amount was computed, in words and numbers a reader can check
    (``2,048 GPUs x 1,361 h x $2.00/GPU-h``). ``source`` names the input it came from
    (``pools.h800``, ``staff.research scientist``). ``start_month``/``months`` place it in time.
    ``kind`` says what the line is (one of :data:`KINDS`), ``pool`` the GPU pool it belongs to
    (GPU-hour, electricity and colocation lines), ``run`` the training run it prices (run,
    interruption, sweep and restart-risk lines), ``stage`` that run's training stage (one of
    :data:`costsheet.inputs.STAGE_NAMES`; None for pool, data, staff and other lines): code
    finds lines by these, never by ``item``.
    """

    family: str
    item: str
    quantity: Value
    unit: str
    unit_cost: Value
    amount: Value
    currency: str
    basis: str
    source: str = ""
    start_month: str | None = None
    months: float | None = None
    kind: str = field(kw_only=True)
    pool: str | None = field(default=None, kw_only=True)
    run: str | None = field(default=None, kw_only=True)
    stage: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown line kind {self.kind!r} (known: {', '.join(KINDS)})")
        if self.stage is not None and self.stage not in STAGE_NAMES:
            raise ValueError(f"unknown stage {self.stage!r} (known: {', '.join(STAGE_NAMES)})")

    def as_row(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in LINE_COLUMNS}


def is_scalar(x: Value) -> bool:
    if isinstance(x, (int, float)):  # the common case (np.float64 too), without numpy dispatch
        return True
    return np.ndim(x) == 0


def q(x: Value, unit: str = "") -> str:
    """Format a quantity for a basis text; arrays (Monte Carlo trials) show as a range."""
    if x is None:
        return "?"
    if not is_scalar(x):
        arr = np.asarray(x, dtype=float)
        return f"{format_quantity(float(arr.min()))}..{format_quantity(float(arr.max()))}{unit}"
    return f"{format_quantity(float(x))}{unit}"


def m(x: Value, currency: str) -> str:
    if not is_scalar(x):
        arr = np.asarray(x, dtype=float)
        lo, hi = float(arr.min()), float(arr.max())
        return f"{format_money(lo, currency)}..{format_money(hi, currency)}"
    return format_money(float(x), currency)


def pct(x: Value) -> str:
    if not is_scalar(x):
        arr = np.asarray(x, dtype=float)
        return f"{arr.min():.1%}..{arr.max():.1%}"
    return f"{float(x):.1%}"


@dataclass
class BudgetResult:
    """Everything the model computed for one budget (one scenario).

    ``items`` are the line items; ``lines`` the same as a pandas frame; ``totals`` the amount per
    family (every family present, zero when empty); ``total`` their sum; ``metrics`` the key
    figures (FLOPs, GPU-hours, wall-clock days, energy, CO2, tokens, cost per million tokens);
    ``pools`` utilisation per pool; ``warnings`` things worth a look that are not errors.
    """

    items: list[LineItem]
    currency: str
    metrics: dict[str, Any]
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    scenario: str = "Base"

    @cached_property
    def totals(self) -> dict[str, Value]:
        out: dict[str, Value] = {f: 0.0 for f in FAMILIES}
        for it in self.items:
            out[it.family] = out[it.family] + it.amount
        return out

    @property
    def total(self) -> Value:
        total: Value = 0.0
        for f in FAMILIES:
            total = total + self.totals[f]
        return total

    @cached_property
    def lines(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame([it.as_row() for it in self.items], columns=LINE_COLUMNS)
        frame.insert(0, "scenario", self.scenario)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "total": _num(self.total),
            "families": {f: _num(v) for f, v in self.totals.items()},
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "pools": {k: {kk: _num(vv) for kk, vv in v.items()} for k, v in self.pools.items()},
            "warnings": list(self.warnings),
        }


def _num(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool)):
        return v
    if is_scalar(v):
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    return [float(x) for x in np.asarray(v).ravel()]
