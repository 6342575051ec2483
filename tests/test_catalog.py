"""The GPU catalog: required accelerators, aliases, unknown names, dated and sourced prices."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from costsheet import Catalog, CostsheetError, GpuSpec, InputError, UnknownGpuError
from costsheet import default_catalog as load_catalog
from costsheet.cli import main

REQUIRED = {
    # name a user types → (catalog key, memory GB)
    "V100": ("V100", 32),
    "A100-40GB": ("A100-40GB", 40),
    "A100 80GB": ("A100", 80),
    "H100 SXM": ("H100", 80),
    "H800": ("H800", 80),
    "H200": ("H200", 141),
    "B200": ("B200", 180),
    "MI300X": ("MI300X", 192),
    "TPU v4": ("TPU-v4", 32),
    "TPU v5p": ("TPU-v5p", 95),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_accelerators_are_present(catalog: Catalog, name: str) -> None:
    key, memory_gb = REQUIRED[name]
    spec = catalog.get(name)
    assert spec.key == key
    assert spec.memory_gb == memory_gb


@pytest.mark.parametrize(
    ("alias", "key"),
    [("H100", "H100"), ("h100", "H100"), ("h100-sxm", "H100"), ("H100_SXM5", "H100"),
     ("A100", "A100"), ("a100-80gb", "A100"), ("A100-40GB", "A100-40GB"),
     ("a100 40gb", "A100-40GB"), ("tpu-v5p", "TPU-v5p"), ("v4", "TPU-v4"),
     ("AMD MI300X", "MI300X"), ("Tesla V100", "V100")],
)
def test_aliases(catalog: Catalog, alias: str, key: str) -> None:
    assert catalog.get(alias).key == key
    assert alias in catalog


def test_short_a100_means_the_80gb_part(catalog: Catalog) -> None:
    assert catalog.get("A100").memory_gb == 80
    assert catalog.get("A100-40GB").memory_gb == 40


def test_unknown_gpu_lists_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(UnknownGpuError) as info:
        catalog.get("H1000")
    err = info.value
    assert isinstance(err, InputError) and isinstance(err, CostsheetError)
    assert "unknown GPU 'H1000'" in err.message
    listed = re.search(r"\(known: (.*)\)", err.message)
    assert listed is not None
    assert listed.group(1).split(", ") == catalog.keys
    assert err.hint
    assert "H1000" not in catalog


def test_every_row_has_a_dated_sourced_price(catalog: Catalog) -> None:
    month = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
    assert len(catalog) >= len(REQUIRED)
    for spec in catalog:
        # renting: every accelerator has an on-demand price with its month and source
        assert spec.price_per_gpu_hour is not None and spec.price_per_gpu_hour > 0, spec.key
        assert month.match(spec.price_date), (spec.key, spec.price_date)
        assert len(spec.price_source) > 10, spec.key
        # buying: a dated, sourced price, or the source says it is not sold
        if spec.purchase_price_per_gpu is None:
            assert "not sold" in spec.purchase_price_source, spec.key
        else:
            assert spec.purchase_price_per_gpu > 0, spec.key
            assert month.match(spec.purchase_price_date), (spec.key, spec.purchase_price_date)
            assert spec.purchase_price_source, spec.key
        assert spec.spec_source, spec.key


def test_every_row_has_sane_specs(catalog: Catalog) -> None:
    for spec in catalog:
        assert 50 <= spec.bf16_dense_tflops <= 5000, spec.key
        if spec.fp8_dense_tflops is not None:
            assert spec.fp8_dense_tflops == pytest.approx(2 * spec.bf16_dense_tflops,
                                                          rel=0.01), spec.key
        assert 100 <= spec.tdp_w <= 1500, spec.key
        assert 1.0 <= spec.server_power_ratio <= 2.7, spec.key  # TPU v4: 2.63 (PaLM measured)
        assert spec.vendor and spec.name


def test_only_tpus_are_not_sold(catalog: Catalog) -> None:
    not_sold = {s.key for s in catalog if s.purchase_price_per_gpu is None}
    assert not_sold == {"TPU-v4", "TPU-v5p"}


def test_datasheet_numbers(catalog: Catalog) -> None:
    """The numbers the golden tests rely on, from the vendors' datasheets."""
    h100 = catalog.get("H100")
    assert h100.bf16_dense_tflops == 989.4
    assert h100.peak_flops("bf16") == 989.4e12
    assert h100.peak_flops("fp8") == 1978.9e12
    assert h100.tdp_w == 700
    # DGX H100: 10.2 kW for 8 GPUs of 700 W (Epoch AI uses the same ratio)
    assert h100.server_power_ratio == pytest.approx(10.2e3 / 8 / 700, abs=0.005)
    assert catalog.get("H800").bf16_dense_tflops == h100.bf16_dense_tflops
    a100 = catalog.get("A100")
    assert a100.bf16_dense_tflops == 312
    assert a100.peak_flops("bf16") == 312e12
    assert a100.server_power_ratio == pytest.approx(6.5e3 / 8 / 400, abs=0.005)  # DGX A100
    assert catalog.get("H800").price_per_gpu_hour == 2.0  # DeepSeek-V3's assumption


def test_fp8_falls_back_to_bf16_where_there_is_none(catalog: Catalog) -> None:
    a100 = catalog.get("A100")
    assert a100.fp8_dense_tflops is None
    assert a100.peak_flops("fp8") == 312e12
    assert a100.peak_flops("bf16") == 312e12


def test_overrides_update_by_alias_and_add(catalog: Catalog) -> None:
    custom = catalog.with_overrides([
        {"key": "h100-sxm", "price_per_gpu_hour": 1.85, "price_date": "2025-09"},
        {"key": "Gaudi3", "bf16_flops": 1835e12, "tdp_w": 900, "price_per_gpu_hour": 1.5},
    ])
    assert custom.get("H100").price_per_gpu_hour == 1.85
    assert custom.get("H100").peak_flops() == 989.4e12  # untouched fields stay
    assert custom.get("gaudi3").peak_flops() == 1835e12  # an old key, in FLOP/s
    assert custom.get("gaudi3").bf16_dense_tflops == 1835
    assert catalog.get("H100").price_per_gpu_hour == 2.99  # the shipped catalog is unchanged
    assert "Gaudi3" not in catalog


def test_catalog_of_specs_keys_win_over_aliases() -> None:
    a = GpuSpec(key="X1", name="X1", bf16_dense_tflops=100, tdp_w=300, aliases=("X2",))
    b = GpuSpec(key="X2", name="X2", bf16_dense_tflops=200, tdp_w=300)
    cat = Catalog([a, b])
    assert cat.get("X2").key == "X2"
    assert cat.get("x1").key == "X1"


def test_gpus_command_lists_the_catalog(catalog: Catalog) -> None:
    result = CliRunner().invoke(main, ["gpus"])
    assert result.exit_code == 0, result.output
    for spec in catalog:
        assert spec.key in result.output
        assert spec.price_date in result.output
    data = json.loads(CliRunner().invoke(main, ["gpus", "--json"]).output)
    assert [row["key"] for row in data] == catalog.keys
    for row in data:
        assert row["bf16_dense_tflops"] > 0
        assert row["price_date"] and row["price_source"]
