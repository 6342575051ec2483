"""The GPU catalog: peak throughput, power and dated, sourced prices for each accelerator.

The shipped catalog lives in ``data/gpus.csv`` beside this module. A workbook can override or add
entries (see :func:`Catalog.with_overrides`). Look-ups accept the short aliases people use
(``H100``, ``A100``, ``a100-80gb``); an unknown name raises an :class:`UnknownGpuError` that lists
the known ones.

One name per quantity: the CSV header, the GPU catalog sheet's keys, :class:`GpuSpec`'s fields,
:class:`~costsheet.inputs.GpuCatalogRow` and ``to_dict()`` all say ``bf16_dense_tflops`` (peak
dense throughput in TFLOP/s); :meth:`GpuSpec.peak_flops` gives FLOP/s to the model.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError, closest
from .i18n import N_, _
from .inputs import TFLOPS, GpuCatalogRow

__all__ = ["TFLOPS", "Catalog", "GpuSpec", "UnknownGpuError", "default_catalog",
           "normalise_name"]


@dataclass(frozen=True)
class GpuSpec:
    """One accelerator type. Throughput in TFLOP/s (dense), power in W, prices in USD."""

    key: str
    name: str
    vendor: str = ""
    memory_gb: float | None = None
    bf16_dense_tflops: float = 0.0
    fp8_dense_tflops: float | None = None
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
        if precision == "fp8" and self.fp8_dense_tflops:
            return self.fp8_dense_tflops * TFLOPS
        return self.bf16_dense_tflops * TFLOPS

    def rental_price(self, basis: str = "on-demand") -> tuple[float | None, str]:
        """(price per GPU-hour, how it is described) on the ``on-demand`` or ``committed`` basis."""
        if basis == "committed":
            return self.committed_price_per_gpu_hour, _(
                "catalog {term} committed price ({source}, {date})").format(
                term=self.committed_price_term,
                source=self.committed_price_source.split(": ")[-1],
                date=self.committed_price_date)
        return self.price_per_gpu_hour, _("catalog {basis} price ({source}, {date})").format(
            basis=_(PRICE_BASIS_WORDS.get(self.price_basis, self.price_basis)),
            source=self.price_source, date=self.price_date)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["aliases"] = list(self.aliases)
        return out

    @classmethod
    def from_row(cls, row: GpuCatalogRow) -> GpuSpec:
        """A new catalog entry from a row (``bf16_dense_tflops`` and ``tdp_w`` needed)."""
        values = {k: v for k, v in row.model_dump().items() if k != "key"}
        values.setdefault("name", row.key)
        return cls(key=row.key, **values)


#: the catalog's price_basis words, for people
PRICE_BASIS_WORDS = {"on-demand": N_("on-demand"), "assumed": N_("assumed"),
                     "estimate": N_("estimate")}


class UnknownGpuError(InputError):
    """A GPU type that is not in the catalog."""


def normalise_name(name: str) -> str:
    """``'H100 SXM'``, ``'h100-sxm'`` and ``'H100_SXM'`` all normalise to ``'H100SXM'``."""
    return re.sub(r"[\s_\-]+", "", str(name)).upper()


def _csv_row(row: Mapping[str, str]) -> GpuCatalogRow:
    values: dict[str, Any] = {k: v for k, v in row.items() if k and (v or "").strip()}
    values.setdefault("server_power_ratio", 1.0)
    return GpuCatalogRow.model_validate(values)


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

    def __iter__(self) -> Iterator[GpuSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_name(name) in self._index

    @property
    def keys(self) -> list[str]:
        return list(self._specs)

    def suggest(self, name: str) -> str | None:
        """The catalog key nearest to an unknown ``name`` (by key or alias), or None."""
        found = closest(normalise_name(name), self._index)
        return None if found is None else self._index[found]

    def unknown_message(self, name: str, what: str = "GPU") -> str:
        """``unknown GPU 'H1000': did you mean H100? (known: …)``."""
        near = self.suggest(name)
        known = ", ".join(self.keys)
        if what == "GPU type":
            if near is None:
                return _("unknown GPU type {name!r} (known: {known})").format(
                    name=name, known=known)
            return _("unknown GPU type {name!r}: did you mean {near}? (known: {known})").format(
                name=name, near=near, known=known)
        if near is None:
            return _("unknown GPU {name!r} (known: {known})").format(name=name, known=known)
        return _("unknown GPU {name!r}: did you mean {near}? (known: {known})").format(
            name=name, near=near, known=known)

    def resolve_key(self, name: str) -> str:
        """The catalog key for a name or alias, or :class:`UnknownGpuError`."""
        key = self._index.get(normalise_name(name))
        if key is None:
            raise UnknownGpuError(
                self.unknown_message(name),
                hint=_("add it on the GPU catalog sheet, or use one of the known names"),
                code="unknown_gpu",
            )
        return key

    def get(self, name: str) -> GpuSpec:
        return self._specs[self.resolve_key(name)]

    def with_overrides(self, rows: Iterable[GpuCatalogRow | Mapping[str, Any]]) -> Catalog:
        """A new catalog where each row updates an existing entry (by key or alias) or adds one.

        A row is a :class:`~costsheet.inputs.GpuCatalogRow` or a mapping of its field names
        (old names such as ``bf16_flops`` in FLOP/s are accepted); a blank (``None``) value
        leaves a field as it is. A new entry needs at least ``bf16_dense_tflops`` and ``tdp_w``.
        """
        specs = dict(self._specs)
        for given in rows:
            row = given if isinstance(given, GpuCatalogRow) else GpuCatalogRow.model_validate(
                dict(given))
            updates = {k: v for k, v in row.model_dump().items() if k != "key"}
            if row.key in self:
                key = self.resolve_key(row.key)
                specs[key] = replace(specs[key], **updates)
            else:
                specs[row.key] = GpuSpec.from_row(row)
        return Catalog(specs.values())


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped in ``costsheet/data/gpus.csv``."""
    text = resources.files("costsheet").joinpath("data/gpus.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return Catalog(GpuSpec.from_row(_csv_row(row)) for row in rows)
