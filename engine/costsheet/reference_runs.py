"""Published training runs: parameters, tokens, accelerator and the GPU-hours their authors report.

The dataset ships in ``data/reference_runs.csv`` beside this module, one row per run, each with
its source and what its GPU-hours cover (``data/reference_runs.md`` explains every column).
It is the evidence behind costsheet's default utilisation (``costsheet.model.utilisation``) and
the ``costsheet runs`` command. Numbers are kept as their sources write them (``1.46M``,
``1,082,990``) and parsed here; a blank cell is a figure no stored source gives.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .catalog import Catalog, default_catalog
from .units import parse_number

GPU_HOURS_KINDS = ("reported", "derived", "upper_bound")
GPU_HOURS_COVERS = ("pre-training", "all training stages", "whole programme", "partial run",
                    "post-training")
CONFIDENCE = ("primary", "secondary")


@dataclass(frozen=True)
class ReferenceRun:
    """One published training run. Counts are plain numbers; ``None`` where no source gives one."""

    id: str
    model: str
    organisation: str
    date: str
    params_total: float | None
    params_active: float | None
    architecture: str  # "dense" or "moe"
    tokens: float | None
    accelerator: str  # a GPU catalog key
    accelerator_count: int | None
    gpu_hours: float
    gpu_hours_kind: str  # reported | derived | upper_bound
    gpu_hours_cover: str  # what the GPU-hours include, see GPU_HOURS_COVERS
    gpu_hours_derivation: str
    implied_mfu: float | None  # as written in the file (4 decimals); recomputed by the tests
    in_statistics: bool
    energy_kwh: float | None
    co2_t: float | None
    cost_usd: float | None
    confidence: str
    source_url: str
    seen_in: str
    notes: str

    @property
    def moe(self) -> bool:
        return self.architecture == "moe"

    @property
    def params_for_flops(self) -> float | None:
        """Parameters that do the work per token: the active ones (MoE), else all."""
        return self.params_active if self.params_active is not None else self.params_total

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _num(text: str) -> float | None:
    text = (text or "").strip()
    return None if not text else parse_number(text)


def _run_from_row(row: dict[str, str]) -> ReferenceRun:
    count = _num(row["accelerator_count"])
    run = ReferenceRun(
        id=row["id"].strip(),
        model=row["model"].strip(),
        organisation=row["organisation"].strip(),
        date=row["date"].strip(),
        params_total=_num(row["params_total"]),
        params_active=_num(row["params_active"]),
        architecture=row["architecture"].strip(),
        tokens=_num(row["tokens"]),
        accelerator=row["accelerator"].strip(),
        accelerator_count=None if count is None else int(count),
        gpu_hours=float(parse_number(row["gpu_hours"])),
        gpu_hours_kind=row["gpu_hours_kind"].strip(),
        gpu_hours_cover=row["gpu_hours_cover"].strip(),
        gpu_hours_derivation=row["gpu_hours_derivation"].strip(),
        implied_mfu=_num(row["implied_mfu"]),
        in_statistics=row["in_statistics"].strip() == "yes",
        energy_kwh=_num(row["energy_kwh"]),
        co2_t=_num(row["co2_t"]),
        cost_usd=_num(row["cost_usd"]),
        confidence=row["confidence"].strip(),
        source_url=row["source_url"].strip(),
        seen_in=row["seen_in"].strip(),
        notes=row["notes"].strip(),
    )
    _check(run)
    return run


def _check(run: ReferenceRun) -> None:
    problems = []
    if run.architecture not in ("dense", "moe"):
        problems.append(f"architecture {run.architecture!r}")
    if run.gpu_hours_kind not in GPU_HOURS_KINDS:
        problems.append(f"gpu_hours_kind {run.gpu_hours_kind!r}")
    if run.gpu_hours_cover not in GPU_HOURS_COVERS:
        problems.append(f"gpu_hours_cover {run.gpu_hours_cover!r}")
    if run.confidence not in CONFIDENCE:
        problems.append(f"confidence {run.confidence!r}")
    if run.gpu_hours_kind != "reported" and not run.gpu_hours_derivation:
        problems.append("a derived or bounded GPU-hours figure needs its derivation")
    if not run.source_url.startswith("https://"):
        problems.append("source_url")
    if problems:
        raise ValueError(f"reference run {run.id!r}: bad {', '.join(problems)}")


def parse_reference_runs(lines: Iterable[str]) -> list[ReferenceRun]:
    """Runs from the CSV text (header first). Raises ``ValueError`` naming a malformed row."""
    return [_run_from_row(row) for row in csv.DictReader(lines)]


@lru_cache(maxsize=1)
def load_reference_runs() -> tuple[ReferenceRun, ...]:
    """The runs shipped in ``costsheet/data/reference_runs.csv``, in file order."""
    text = resources.files("costsheet").joinpath("data/reference_runs.csv").read_text(
        encoding="utf-8")
    return tuple(parse_reference_runs(text.splitlines()))


def select_runs(runs: Iterable[ReferenceRun] | None = None, *, gpu: str | None = None,
                moe: bool | None = None, catalog: Catalog | None = None) -> list[ReferenceRun]:
    """Runs on ``gpu``'s chip generation (``H100`` also lists H800 runs), MoE or dense only.

    An unknown GPU name raises :class:`~costsheet.catalog.UnknownGpuError`.
    """
    cat = catalog or default_catalog()
    out = list(load_reference_runs() if runs is None else runs)
    if gpu is not None:
        generation = cat.get(gpu).generation
        out = [r for r in out if cat.get(r.accelerator).generation == generation]
    if moe is not None:
        out = [r for r in out if r.moe == moe]
    return out
