"""The GPU catalog: peak throughput, power and dated, sourced prices for each accelerator.

The shipped catalog lives in ``data/gpus.csv`` beside this module. A workbook can override or add
entries (see :func:`Catalog.with_overrides`). Look-ups accept the short aliases people use
(``H100``, ``A100``, ``a100-80gb``); an unknown name raises an :class:`UnknownGpuError` that lists
the known ones.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError

TFLOPS = 1e12


@dataclass(frozen=True)
class GpuSpec:
    """One accelerator type. Throughput in FLOP/s, power in W, prices in USD."""

    key: str
    name: str
    vendor: str = ""
    memory_gb: float | None = None
    bf16_flops: float = 0.0
    fp8_flops: float | None = None
    tdp_w: float = 0.0
    server_power_ratio: float = 1.0
    purchase_price_per_gpu: float | None = None
    purchase_price_date: str = ""
    purchase_price_source: str = ""
    price_per_gpu_hour: float | None = None
    price_date: str = ""
    price_source: str = ""
    spec_source: str = ""
    aliases: tuple[str, ...] = field(default=())
    generation: str = ""  # chip generation (Ampere, Hopper, TPU v4, ...): groups published runs
    price_basis: str = "on-demand"  # what price_per_gpu_hour is: on-demand, assumed, estimate
    committed_price_per_gpu_hour: float | None = None
    committed_price_term: str = ""
    committed_price_date: str = ""
    committed_price_source: str = ""

    def peak_flops(self, precision: str = "bf16") -> float:
        """Peak dense throughput (FLOP/s) at ``bf16`` or ``fp8``; fp8 falls back to bf16."""
        if precision == "fp8" and self.fp8_flops:
            return self.fp8_flops
        return self.bf16_flops

    def rental_price(self, basis: str = "on-demand") -> tuple[float | None, str]:
        """(price per GPU-hour, how it is described) on the ``on-demand`` or ``committed`` basis."""
        if basis == "committed":
            return self.committed_price_per_gpu_hour, (
                f"catalog {self.committed_price_term} committed price "
                f"({self.committed_price_source.split(': ')[-1]}, {self.committed_price_date})")
        return self.price_per_gpu_hour, (
            f"catalog {self.price_basis} price ({self.price_source}, {self.price_date})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "vendor": self.vendor,
            "memory_gb": self.memory_gb,
            "bf16_dense_flops": self.bf16_flops,
            "fp8_dense_flops": self.fp8_flops,
            "tdp_w": self.tdp_w,
            "server_power_ratio": self.server_power_ratio,
            "purchase_price_per_gpu": self.purchase_price_per_gpu,
            "purchase_price_date": self.purchase_price_date,
            "purchase_price_source": self.purchase_price_source,
            "price_per_gpu_hour": self.price_per_gpu_hour,
            "price_date": self.price_date,
            "price_source": self.price_source,
            "spec_source": self.spec_source,
            "aliases": list(self.aliases),
            "generation": self.generation,
            "price_basis": self.price_basis,
            "committed_price_per_gpu_hour": self.committed_price_per_gpu_hour,
            "committed_price_term": self.committed_price_term,
            "committed_price_date": self.committed_price_date,
            "committed_price_source": self.committed_price_source,
        }


class UnknownGpuError(InputError):
    """A GPU type that is not in the catalog."""


def normalise_name(name: str) -> str:
    """``'H100 SXM'``, ``'h100-sxm'`` and ``'H100_SXM'`` all normalise to ``'H100SXM'``."""
    return re.sub(r"[\s_\-]+", "", str(name)).upper()


def _opt_float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _spec_from_row(row: Mapping[str, str]) -> GpuSpec:
    return GpuSpec(
        key=row["key"].strip(),
        name=row.get("name", "").strip() or row["key"].strip(),
        vendor=row.get("vendor", "").strip(),
        memory_gb=_opt_float(row.get("memory_gb", "")),
        bf16_flops=float(row["bf16_dense_tflops"]) * TFLOPS,
        fp8_flops=(
            float(row["fp8_dense_tflops"]) * TFLOPS if row.get("fp8_dense_tflops") else None
        ),
        tdp_w=float(row["tdp_w"]),
        server_power_ratio=float(row.get("server_power_ratio") or 1.0),
        purchase_price_per_gpu=_opt_float(row.get("purchase_price_per_gpu", "")),
        purchase_price_date=row.get("purchase_price_date", "").strip(),
        purchase_price_source=row.get("purchase_price_source", "").strip(),
        price_per_gpu_hour=_opt_float(row.get("price_per_gpu_hour", "")),
        price_date=row.get("price_date", "").strip(),
        price_source=row.get("price_source", "").strip(),
        spec_source=row.get("spec_source", "").strip(),
        aliases=tuple(a.strip() for a in row.get("aliases", "").split(";") if a.strip()),
        generation=row.get("generation", "").strip(),
        price_basis=row.get("price_basis", "").strip() or "on-demand",
        committed_price_per_gpu_hour=_opt_float(row.get("committed_price_per_gpu_hour", "")),
        committed_price_term=row.get("committed_price_term", "").strip(),
        committed_price_date=row.get("committed_price_date", "").strip(),
        committed_price_source=row.get("committed_price_source", "").strip(),
    )


class Catalog:
    """An ordered set of :class:`GpuSpec`, looked up by key or alias, case-insensitively."""

    def __init__(self, specs: Iterable[GpuSpec]):
        self._specs: dict[str, GpuSpec] = {}
        for spec in specs:
            self._specs[spec.key] = spec
        self._index: dict[str, str] = {}
        for spec in self._specs.values():
            for alias in (spec.key, *spec.aliases):
                self._index.setdefault(normalise_name(alias), spec.key)
        # keys win over aliases of other entries
        for key in self._specs:
            self._index[normalise_name(key)] = key

    def __iter__(self):
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_name(name) in self._index

    @property
    def keys(self) -> list[str]:
        return list(self._specs)

    def resolve_key(self, name: str) -> str:
        """The catalog key for a name or alias, or :class:`UnknownGpuError`."""
        key = self._index.get(normalise_name(name))
        if key is None:
            raise UnknownGpuError(
                f"unknown GPU {name!r} (known: {', '.join(self.keys)})",
                hint="add it on the GPU catalog sheet, or use one of the known names",
            )
        return key

    def get(self, name: str) -> GpuSpec:
        return self._specs[self.resolve_key(name)]

    def with_overrides(self, rows: Iterable[Mapping[str, Any]]) -> Catalog:
        """A new catalog where each row updates an existing entry (by key or alias) or adds one.

        A row is a mapping of :class:`GpuSpec` field names to values; ``None`` leaves a field as
        it is. A new entry needs at least ``bf16_flops`` and ``tdp_w``.
        """
        specs = dict(self._specs)
        for row in rows:
            name = str(row["key"])
            updates = {k: v for k, v in row.items() if v is not None and k != "key"}
            if name in self:
                key = self.resolve_key(name)
                specs[key] = replace(specs[key], **updates)
            else:
                specs[name] = GpuSpec(key=name, name=updates.pop("name", name), **updates)
        return Catalog(specs.values())


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped in ``costsheet/data/gpus.csv``."""
    text = resources.files("costsheet").joinpath("data/gpus.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return Catalog(_spec_from_row(row) for row in rows)
