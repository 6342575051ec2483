"""Golden numbers: published training runs, hand-computed line items, and docs/model.md.

Every published figure is checked three ways where it applies: through the CLI (`--json`),
through ``costsheet.estimate(...)``, and (once) through the installed ``costsheet`` program.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import costsheet
import pytest
from click.testing import CliRunner
from costsheet import (
    Budget,
    BudgetResult,
    CostLine,
    Drivers,
    GpuPool,
    InputError,
    LineItem,
    StaffLine,
    TrainingRun,
    apply_overrides,
    apply_scenario,
    compute_budget,
    default_catalog,
    parse_number,
    training_flops,
)
from costsheet.cli import main
from costsheet.model.compute import implied_mfu
from costsheet.model.utilisation import published_mfu

ROOT = Path(__file__).resolve().parents[1]
MODEL_DOC = ROOT / "docs" / "model.md"
HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = 730.0

# --------------------------------------------------------------------------------------------
# helpers


def cli_json(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["estimate", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


_NUM = re.compile(r"[$€£¥]?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?(?:[kMBT](?![a-zA-Z]))?%?")


def numbers_in(text: str) -> list[float]:
    """Every number a reader sees in a basis text (2,048; 17.94M; $1.69; 40.0%; 3.791e25)."""
    out = []
    for token in _NUM.findall(text):
        try:
            out.append(parse_number(token))
        except ValueError:
            continue
    return out


def assert_mentions(text: str, *values: float, rel: float = 5e-3) -> None:
    """Each value appears in the text, as rounded for reading."""
    seen = numbers_in(text)
    for value in values:
        assert any(math.isclose(n, value, rel_tol=rel, abs_tol=1e-9) for n in seen), (
            f"{value:g} not in basis {text!r} (numbers: {seen})")


def item(result: BudgetResult, name: str) -> LineItem:
    found = [it for it in result.items if it.item == name]
    assert len(found) == 1, [it.item for it in result.items]
    return found[0]


def assert_families_sum(result: BudgetResult) -> None:
    assert set(result.totals) == set(costsheet.FAMILIES)
    assert sum(result.totals.values()) == pytest.approx(result.total, rel=1e-12)
    assert sum(it.amount for it in result.items) == pytest.approx(result.total, rel=1e-12)


# --------------------------------------------------------------------------------------------
# the "must show": CLI, library and installed program agree

GOLDEN = [
    pytest.param(
        ["--gpu", "H800", "--gpu-hours", "2.788M", "--price", "2"],
        {"gpu": "H800", "gpu_hours": "2.788M", "price": "2"},
        {"compute_cost": (5_576_000, 1e-9), "total_cost": (5_576_000, 1e-9),
         "energy_cost": (0.0, 0), "gpu_hours": (2_788_000, 1e-12)},
        id="deepseek-v3-cost",
    ),
    pytest.param(
        ["--params", "671B", "--active-params", "37B", "--tokens", "14.8T"],
        {"params": "671B", "active_params": "37B", "tokens": "14.8T"},
        {"flops": (3.2856e24, 1e-3)},
        id="deepseek-v3-flops",
    ),
    pytest.param(
        ["--params", "405B", "--tokens", "15.6T"],
        {"params": "405B", "tokens": "15.6T"},
        {"flops": (3.8e25, 1e-2)},
        id="llama-3.1-405b-flops",
    ),
    pytest.param(
        ["--gpu", "H100", "--gpu-hours", "30.84M", "--power-w", "700", "--pue", "1"],
        {"gpu": "H100", "gpu_hours": "30.84M", "power_w": "700", "pue": "1"},
        {"energy_kwh": (21_588_000, 1e-3)},
        id="llama-3.1-405b-energy",
    ),
    pytest.param(
        ["--params", "405B", "--tokens", "15.6T", "--gpu", "H100", "--mfu", "40%"],
        {"params": "405B", "tokens": "15.6T", "gpu": "H100", "mfu": "40%"},
        {"gpu_hours": (26.6e6, 1e-2),
         "flops": (6 * 405e9 * 15.6e12, 1e-12)},
        id="llama-3.1-405b-gpu-hours",
    ),
]


def _check(values: dict[str, Any], expected: dict[str, tuple[float, float]]) -> None:
    for key, (want, rel) in expected.items():
        got = values[key]
        assert got is not None, key
        assert got == pytest.approx(want, rel=rel, abs=1e-9), key


@pytest.mark.parametrize(("argv", "kwargs", "expected"), GOLDEN)
def test_golden_through_the_cli(argv: list[str], kwargs: dict[str, Any],
                                expected: dict[str, tuple[float, float]]) -> None:
    _check(cli_json(argv), expected)


@pytest.mark.parametrize(("argv", "kwargs", "expected"), GOLDEN)
def test_golden_through_the_library(argv: list[str], kwargs: dict[str, Any],
                                    expected: dict[str, tuple[float, float]]) -> None:
    est = costsheet.estimate(**kwargs)
    _check(vars(est), expected)
    # the library result and the CLI's JSON are the same numbers
    cli = cli_json(argv)
    for key in ("flops", "gpu_hours", "compute_cost", "energy_kwh", "energy_cost", "co2_kg",
                "total_cost"):
        assert cli[key] == (None if getattr(est, key) is None else pytest.approx(
            getattr(est, key), rel=1e-12)), key


def test_gpu_hours_formula_exactly() -> None:
    est = costsheet.estimate(params="405B", tokens="15.6T", gpu="H100", mfu="40%")
    assert est.gpu_hours == pytest.approx(3.7908e25 / (989.4e12 * 0.40 * 3600), rel=1e-9)


def _installed_program() -> Path:
    exe = Path(sys.executable).parent / "costsheet"
    if not exe.exists():
        exe = ROOT / ".venv" / "bin" / "costsheet"
    return exe


def test_golden_through_the_installed_program() -> None:
    exe = _installed_program()
    assert exe.exists(), f"{exe}: install with `make test` (pip install -e '.[test]')"
    proc = subprocess.run(
        [str(exe), "estimate", "--gpu", "H800", "--gpu-hours", "2.788M", "--price", "2",
         "--params", "671B", "--active-params", "37B", "--tokens", "14.8T", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert data["compute_cost"] == 5_576_000
    assert data["total_cost"] == 5_576_000
    assert data["energy_cost"] == 0
    assert data["flops"] == pytest.approx(3.2856e24, rel=1e-3)
    assert data["mfu"] == pytest.approx(0.331, abs=0.001)  # implied by the given GPU-hours
    # bad input: exit code 2, an error line naming the flag, no traceback
    bad = subprocess.run([str(exe), "estimate", "--mfu", "40", "--gpu", "H100"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert "error: --mfu:" in bad.stderr
    assert "Traceback" not in bad.stderr


# --------------------------------------------------------------------------------------------
# more published energy figures (the papers' own arithmetic: GPU-h × W × PUE)


def test_llama_65b_energy_and_co2() -> None:
    """LLaMA paper, Table 15: 1,022,362 A100 GPU-h at 400 W, PUE 1.1 → 449 MWh, 173 tCO2eq."""
    est = costsheet.estimate(gpu="A100", gpu_hours="1,022,362", power_w=400, pue=1.1,
                             carbon=0.385, price="1.79")
    assert est.energy_kwh == pytest.approx(449_839, rel=1e-5)
    assert 449 <= est.energy_kwh / 1000 < 450  # the paper's "449 MWh"
    assert est.co2_kg / 1000 == pytest.approx(173, abs=0.5)


def test_bloom_energy() -> None:
    """BLOOM: 1,082,990 A100 GPU-hours at 400 W → 433,196 kWh (Luccioni et al. 2022)."""
    est = costsheet.estimate(gpu="A100", gpu_hours="1,082,990", power_w=400, pue=1)
    assert est.energy_kwh == pytest.approx(433_196, rel=1e-9)


# --------------------------------------------------------------------------------------------
# published runs' implied MFU: the doc's table is the code's arithmetic


def _doc_section(title: str) -> str:
    text = MODEL_DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def _table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s\-|]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def published_runs() -> list[dict[str, Any]]:
    out = []
    rows = [r for r in _table_rows(_doc_section("Published runs' MFU")) if len(r) == 9]
    for row in rows:  # the worked examples; the dataset's tables: test_published_runs.py
        run, gpu, params, tokens, gpu_hours, flops, mfu_bf16, mfu_fp8, source = row
        out.append({"run": run, "gpu": gpu, "params": parse_number(params),
                    "tokens": parse_number(tokens), "gpu_hours": parse_number(gpu_hours),
                    "flops": parse_number(flops), "mfu_bf16": parse_number(mfu_bf16),
                    "mfu_fp8": parse_number(mfu_fp8) if mfu_fp8 else None, "source": source})
    return out


def test_published_runs_table_matches_the_code() -> None:
    runs = published_runs()
    assert {r["run"] for r in runs} >= {"DeepSeek-V3", "Llama 3.1 405B", "Llama 2 70B"}
    catalog = default_catalog()
    for r in runs:
        spec = catalog.get(r["gpu"])
        flops = training_flops(r["params"], r["tokens"])
        assert flops == pytest.approx(r["flops"], rel=5e-4), r["run"]
        mfu = implied_mfu(flops, r["gpu_hours"], spec.peak_flops("bf16"))
        assert mfu == pytest.approx(r["mfu_bf16"], abs=0.0006), r["run"]
        if r["mfu_fp8"] is not None:
            fp8 = implied_mfu(flops, r["gpu_hours"], spec.peak_flops("fp8"))
            assert fp8 == pytest.approx(r["mfu_fp8"], abs=0.0006), r["run"]
        assert r["source"], r["run"]


def test_published_runs_through_estimate() -> None:
    """The CLI's 'Implied MFU' for DeepSeek-V3 is the table's 33.1% (BF16) and 16.5% (FP8)."""
    bf16 = costsheet.estimate(params="671B", active_params="37B", tokens="14.8T", gpu="H800",
                              gpu_hours="2.788M", price=2)
    fp8 = costsheet.estimate(params="671B", active_params="37B", tokens="14.8T", gpu="H800",
                             gpu_hours="2.788M", price=2, precision="fp8")
    assert bf16.mfu == pytest.approx(0.3309, abs=5e-4)
    assert fp8.mfu == pytest.approx(0.1654, abs=5e-4)


def test_default_mfu_sits_where_published_runs_sit() -> None:
    """Blank MFU: the published runs' median on the GPU's generation (was 40%; issue 11)."""
    assert Drivers().mfu is None
    runs = published_runs()
    for r in runs:  # each worked example's generation median sits within its band
        est = published_mfu(r["gpu"])
        assert est.p10 <= est.point <= est.p90
    est = costsheet.estimate(params="405B", tokens="15.6T", gpu="H100")
    assert est.mfu == published_mfu("H100").point


# --------------------------------------------------------------------------------------------
# the doc's defaults and catalog tables are the code's


def test_doc_defaults_table_matches_drivers() -> None:
    rows = _table_rows(_doc_section("Defaults and their sources"))
    documented = {re.sub(r"`", "", r[0]): r for r in rows}
    defaults = Drivers()
    assert set(documented) == set(costsheet.DRIVER_KEYS), "every driver documented, once"
    for key, (_, value, unit, why) in documented.items():
        actual = getattr(defaults, key)
        if isinstance(actual, str) or actual is None:
            assert value == (actual or "blank"), key
        else:
            assert parse_number(value) == pytest.approx(actual, rel=1e-9), key
        assert unit, key
        assert len(why) > 20, f"{key}: say where the default comes from"


def test_doc_catalog_table_matches_the_catalog() -> None:
    rows = _table_rows(_doc_section("GPU catalog"))
    catalog = default_catalog()
    assert [r[0] for r in rows] == catalog.keys
    for key, bf16, fp8, tdp, ratio, rent, buy in rows:
        spec = catalog.get(key)
        assert parse_number(bf16) == pytest.approx(spec.bf16_dense_tflops), key
        assert (parse_number(fp8) if fp8 else None) == (
            pytest.approx(spec.fp8_dense_tflops) if spec.fp8_dense_tflops else None), key
        assert parse_number(tdp) == spec.tdp_w, key
        assert parse_number(ratio) == spec.server_power_ratio, key
        price, date = re.match(r"([\d.,]+) \((\d{4}-\d\d)\)", rent).groups()
        assert (parse_number(price), date) == (spec.price_per_gpu_hour, spec.price_date), key
        if spec.purchase_price_per_gpu is None:
            assert buy == "not sold", key
        else:
            price, date = re.match(r"([\d.,]+) \((\d{4}-\d\d)\)", buy).groups()
            assert (parse_number(price), date) == (
                spec.purchase_price_per_gpu, spec.purchase_price_date), key


def test_doc_worked_examples() -> None:
    """The doc's worked examples are what the model computes."""
    text = MODEL_DOC.read_text(encoding="utf-8")
    owned = 30_000 * 1.6 / (1 - 0.19) / (4 * HOURS_PER_YEAR)
    assert f"${owned:.2f} per\nGPU-hour" in text or f"${owned:.2f} per GPU-hour" in text
    assert "955.5 W" in text and 700 * 1.82 * 0.75 == pytest.approx(955.5)
    assert "$975,000" in text and "$115,000" in text and "$5,576,000" in text
    epoch_154 = 30_000 * 1.54 / 0.81 / (3.1 * HOURS_PER_YEAR)
    epoch_169 = 30_000 * 1.69 / 0.81 / (3.1 * HOURS_PER_YEAR)
    assert f"${epoch_154:.2f} per" in text and f"${epoch_169:.2f}." in text
    overhead = 0.47 * 16_384 * 1 / 24_000
    assert f"= {overhead:.0%}, a goodput of {1 / (1 + overhead):.0%}" in text
    # Meta's >90% effective training time implies about 20 minutes lost per interruption
    minutes = (1 / 0.9 - 1) * 24_000 / (419 / (54 * 16_384 / 1000) * 16_384) * 60
    assert 18 <= minutes <= 22


# --------------------------------------------------------------------------------------------
# owning: Epoch AI's amortised capex, by hand


@pytest.mark.parametrize("premium", [1.54, 1.6, 1.69])
def test_epoch_ai_amortised_capex_reproduces(premium: float) -> None:
    # Epoch AI's life: hardware loses value at 0.14 orders of magnitude a year → 3.1 years
    assert 1 / (0.14 * math.log(10)) == pytest.approx(3.1, abs=0.01)
    drivers = Drivers(depreciation_life_years=3.1, networking_share="19%",
                      server_premium=premium, pue=1.1)
    budget = Budget(
        drivers=drivers,
        pools=[GpuPool(name="h100", gpu_type="H100", gpu_count=1024, ownership="own",
                       purchase_price_per_gpu="$30,000")],
        runs=[TrainingRun(name="main", gpu_hours="1M")],
    )
    result = compute_budget(budget)
    by_hand = 30_000 * premium / (1 - 0.19) / (3.1 * 8760)
    assert result.pools["h100"]["price_per_gpu_hour"] == pytest.approx(by_hand, rel=1e-12)
    line = item(result, "Final run: main")
    assert line.amount == pytest.approx(1e6 * by_hand, rel=1e-12)
    assert line.unit_cost == pytest.approx(by_hand, rel=1e-12)
    assert_mentions(line.basis, 30_000, premium, 0.19, 3.1, 8760, 1024, by_hand)
    assert "server premium" in line.basis and "networking" in line.basis
    # cluster cost / life / hours: the same rate from the cluster's capital cost
    cluster = 1024 * 30_000 * premium / 0.81
    assert cluster / 1024 / (3.1 * 8760) == pytest.approx(by_hand)


def test_estimate_owned_uses_life_years_and_gpu_price() -> None:
    est = costsheet.estimate(params="405B", tokens="15.6T", gpu="H100", own=True,
                             gpu_price="25k", life_years=5, kwh_price="$0.10")
    rate = 25_000 * 1.6 / 0.81 / (5 * 8760)
    assert est.compute_cost == pytest.approx(est.gpu_hours * rate, rel=1e-12)
    assert est.energy_cost == pytest.approx(est.energy_kwh * 0.10, rel=1e-12)
    assert est.total_cost == pytest.approx(est.compute_cost + est.energy_cost, rel=1e-12)
    assert est.inputs["life_years"] == 5 and est.inputs["gpu_price"] == 25_000


# --------------------------------------------------------------------------------------------
# own vs rent: electricity is charged only when owning


def test_renting_reports_energy_but_never_charges_it() -> None:
    est = costsheet.estimate(gpu="H100", gpu_hours="1M", price="2.5", kwh_price="0.2")
    w = 700 * 1.82 * 0.75
    assert est.energy_kwh == pytest.approx(1e6 * w * 1.2 / 1000, rel=1e-12)
    assert est.co2_kg == pytest.approx(est.energy_kwh * 0.40, rel=1e-12)
    assert est.energy_cost == 0
    assert est.families["power_facilities"] == 0
    assert est.total_cost == pytest.approx(2.5e6)
    line = item(est.result, "Electricity: pool (in rental price)")
    assert line.amount == 0 and line.quantity == pytest.approx(est.energy_kwh)
    assert "not charged" in line.basis
    assert_mentions(line.basis, 1e6, w, 1.2, est.energy_kwh)


def test_owning_charges_electricity_and_colocation() -> None:
    budget = Budget(
        drivers=Drivers(kwh_price="$0.10", colocation_per_kw_month=150, pue=1.3),
        pools=[GpuPool(name="own", gpu_type="H100", ownership="own", power_w=1000),
               GpuPool(name="rent", gpu_type="H100", price_per_gpu_hour=3, power_w=1000)],
        runs=[TrainingRun(name="a", pool="own", gpu_hours="100k"),
              TrainingRun(name="b", pool="rent", kind="experiment", gpu_hours="100k")],
    )
    result = compute_budget(budget)
    elec = item(result, "Electricity: own")
    assert elec.quantity == pytest.approx(100e3 * 1000 * 1.3 / 1000)
    assert elec.amount == pytest.approx(130_000 * 0.10)
    assert_mentions(elec.basis, 100e3, 1000, 1.3, 130_000, 0.10)
    colo = item(result, "Colocation: own")
    kw_months = 100e3 * 1000 / 1000 / HOURS_PER_MONTH
    assert colo.quantity == pytest.approx(kw_months)
    assert colo.amount == pytest.approx(kw_months * 150)
    assert_mentions(colo.basis, 100e3, 1000, 730, kw_months, 150)
    # the rented pool: energy reported, nothing charged, no colocation
    assert item(result, "Electricity: rent (in rental price)").amount == 0
    assert not [it for it in result.items if it.item == "Colocation: rent"]
    assert result.totals["power_facilities"] == pytest.approx(13_000 + kw_months * 150)
    assert result.metrics["energy_kwh"] == pytest.approx(2 * 130_000)
    assert result.metrics["co2_kg"] == pytest.approx(2 * 130_000 * 0.40)
    assert_families_sum(result)


# --------------------------------------------------------------------------------------------
# reserved pools: billed for the whole term, with utilisation and an idle line


def test_reserved_pool_is_billed_for_its_whole_term() -> None:
    budget = Budget(
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2,
                       term_months=3)],
        runs=[TrainingRun(name="main", gpu_hours="2.788M")],
    )
    result = compute_budget(budget)
    capacity = 2048 * 3 * HOURS_PER_MONTH
    assert capacity == 4_485_120
    run = item(result, "Final run: main")
    idle = item(result, "Idle reserved capacity: h800")
    assert run.amount == pytest.approx(2.788e6 * 2)
    assert idle.quantity == pytest.approx(capacity - 2.788e6)
    assert idle.amount == pytest.approx((capacity - 2.788e6) * 2)
    assert result.totals["compute"] == pytest.approx(capacity * 2)
    assert result.pools["h800"]["utilisation"] == pytest.approx(2.788e6 / capacity)
    assert result.pools["h800"]["capacity_gpu_hours"] == pytest.approx(capacity)
    assert_mentions(idle.basis, 2048, 3, 730, capacity, 2.788e6, capacity - 2.788e6, 2)
    assert_mentions(run.basis, 2048, 2.788e6 / 2048, 2)
    assert_families_sum(result)


def test_reserved_pool_overused_charges_the_excess_and_warns() -> None:
    budget = Budget(
        pools=[GpuPool(name="p", gpu_type="H100", gpu_count=100, price_per_gpu_hour=2,
                       term_months=1)],
        runs=[TrainingRun(name="main", gpu_hours="100k")],
    )
    result = compute_budget(budget)
    assert item(result, "Idle reserved capacity: p").amount == 0
    assert result.totals["compute"] == pytest.approx(100e3 * 2)
    assert result.pools["p"]["utilisation"] == pytest.approx(100e3 / 73e3)
    assert any("excess" in w for w in result.warnings)


def test_reserved_pool_needs_a_gpu_count() -> None:
    budget = Budget(pools=[GpuPool(name="p", gpu_type="H100", price_per_gpu_hour=2,
                                   term_months=1)],
                    runs=[TrainingRun(name="main", gpu_hours="100k")])
    with pytest.raises(InputError, match="needs a GPU count"):
        compute_budget(budget)


def test_owned_pool_with_a_term_is_charged_for_the_term() -> None:
    budget = Budget(
        pools=[GpuPool(name="own", gpu_type="H100", gpu_count=1000, ownership="own",
                       purchase_price_per_gpu=30_000, term_months=12)],
        runs=[TrainingRun(name="main", gpu_hours="1M")],
    )
    result = compute_budget(budget)
    rate = 30_000 * 1.6 / 0.81 / (4 * 8760)
    assert result.totals["compute"] == pytest.approx(1000 * 12 * 730 * rate)
    assert item(result, "Idle owned capacity: own").quantity == pytest.approx(8.76e6 - 1e6)


# --------------------------------------------------------------------------------------------
# experiments and failures


def _big_run(**drivers: Any) -> Budget:
    # MFU stated: these tests check interruption and restart arithmetic at 40%, not the default
    return Budget(
        drivers=Drivers(**{"mfu": 0.40, **drivers}),
        pools=[GpuPool(name="h100", gpu_type="H100", gpu_count=16_384, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="main", params="405B", tokens="15.6T")],
    )


def test_interruptions_goodput_and_extra_gpu_hours() -> None:
    result = compute_budget(_big_run(interruption_rate_per_1000_gpu_days=0.47,
                                     checkpoint_interval_hours=1, restart_hours=0.5))
    gpu_hours = 3.7908e25 / (989.4e12 * 0.40 * 3600)
    overhead = 0.47 * 16_384 * (1 / 2 + 0.5) / 24_000
    extra = gpu_hours * overhead
    line = item(result, "Interruptions: main")
    assert line.family == "experiments"
    assert line.quantity == pytest.approx(extra, rel=1e-9)
    assert line.amount == pytest.approx(extra * 2, rel=1e-9)
    assert result.metrics["interruption_gpu_hours"] == pytest.approx(extra, rel=1e-9)
    goodput = 1 / (1 + overhead)
    assert result.metrics["goodput"] == pytest.approx(goodput)
    assert result.metrics["wall_clock_days"] == pytest.approx(
        gpu_hours / (16_384 * 24 * goodput), rel=1e-9)
    assert_mentions(line.basis, 0.47, 16_384, 1, 0.5, 24_000, gpu_hours, goodput)
    # the extra hours use energy like any other
    no_int = compute_budget(_big_run())
    assert result.metrics["energy_kwh"] == pytest.approx(
        no_int.metrics["energy_kwh"] * (1 + overhead))
    assert_families_sum(result)


def test_restart_risk_is_an_expected_cost() -> None:
    result = compute_budget(_big_run(restart_probability="10%", restart_share_lost="50%"))
    run_cost = item(result, "Final run: main").amount
    line = item(result, "Restart risk (expected): main")
    assert line.family == "experiments"
    assert line.amount == pytest.approx(0.10 * 0.50 * run_cost)
    assert line.quantity * line.unit_cost == pytest.approx(line.amount)
    assert_mentions(line.basis, 0.10, 0.50, run_cost)


def test_sweeps_multiply_the_final_run() -> None:
    base = compute_budget(_big_run())
    result = compute_budget(_big_run(experiment_multiplier=0.5))
    final = item(result, "Final run: main")
    sweeps = item(result, "Sweeps and ablations: main")
    assert sweeps.family == "experiments"
    assert sweeps.quantity == pytest.approx(0.5 * final.quantity)
    assert sweeps.amount == pytest.approx(0.5 * final.amount)
    assert result.total == pytest.approx(1.5 * base.total)
    assert_mentions(sweeps.basis, 0.5, final.quantity, 2)


def test_listed_experiment_runs_with_repeats() -> None:
    budget = Budget(
        pools=[GpuPool(name="a100", gpu_type="A100", price_per_gpu_hour=1.5)],
        runs=[TrainingRun(name="main", gpu_hours="10k"),
              TrainingRun(name="ablation", kind="experiment", params="1B", tokens="20B",
                          count=4, mfu="40%")],
    )
    result = compute_budget(budget)
    one = 6 * 1e9 * 20e9 / (312e12 * 0.4 * 3600)
    line = item(result, "Experiment: ablation")
    assert line.quantity == pytest.approx(4 * one)
    assert line.amount == pytest.approx(4 * one * 1.5)
    assert "4 runs" in line.basis
    assert result.metrics["gpu_hours"] == pytest.approx(10e3)  # final runs only


# --------------------------------------------------------------------------------------------
# staff and data


def test_staff_formula() -> None:
    budget = Budget(
        drivers=Drivers(staff_burden="30%"),
        staff=[StaffLine(role="research scientist", headcount=10, annual_salary="$300k",
                         allocation="50%", months=6),
               StaffLine(role="ML engineer", headcount=2.5, annual_salary="250,000",
                         burden="40%")],
    )
    result = compute_budget(budget)
    rs = item(result, "research scientist")
    assert rs.amount == pytest.approx(10 * 300_000 * 1.3 * 0.5 * 6 / 12) == 975_000
    assert_mentions(rs.basis, 10, 300_000, 0.30, 0.50, 6, 12)
    ml = item(result, "ML engineer")
    assert ml.amount == pytest.approx(2.5 * 250_000 * 1.4)
    assert ml.quantity * ml.unit_cost == pytest.approx(ml.amount)
    assert result.totals["staff"] == pytest.approx(975_000 + 875_000)
    assert_families_sum(result)


def test_data_lines() -> None:
    budget = Budget(data=[
        CostLine(name="web crawl", kind="crawl", quantity="120", unit="TB", unit_cost=50),
        CostLine(name="storage", kind="storage", quantity=500, unit="TB-month",
                 unit_cost=20, months=12),
        CostLine(name="labelling", kind="labelling", quantity="50k", unit="item",
                 unit_cost="$2", overhead="15%"),
        CostLine(name="annotators", kind="labelling", quantity="4,000", unit="hour",
                 unit_cost=40, overhead="10%"),
        CostLine(name="dedup", kind="processing", quantity="2M", unit="core-hour",
                 unit_cost=0.02),
        CostLine(name="books licence", kind="dataset", unit_cost="$1.5M"),
    ])
    result = compute_budget(budget)
    expected = {
        "web crawl": 120 * 50,
        "storage": 500 * 20 * 12,
        "labelling": 50_000 * 2 * 1.15,
        "annotators": 4000 * 40 * 1.10,
        "dedup": 2e6 * 0.02,
        "books licence": 1.5e6,
    }
    for name, amount in expected.items():
        line = item(result, name)
        assert line.family == "data"
        assert line.amount == pytest.approx(amount), name
    assert_mentions(item(result, "storage").basis, 500, 20, 12)
    assert_mentions(item(result, "labelling").basis, 50_000, 2, 0.15)
    assert result.totals["data"] == pytest.approx(sum(expected.values()))
    assert_families_sum(result)


def test_other_lines_go_to_their_family() -> None:
    budget = Budget(other=[
        CostLine(name="datacenter fit-out", family="power_facilities", unit_cost="$250k"),
        CostLine(name="eval contractors", family="experiments", quantity=3, unit_cost=10_000,
                 months=4),
    ])
    result = compute_budget(budget)
    assert result.totals["power_facilities"] == 250_000
    assert result.totals["experiments"] == 120_000
    assert item(result, "eval contractors").source == "other.eval contractors"


# --------------------------------------------------------------------------------------------
# currencies


def test_fx_conversion() -> None:
    budget = Budget(
        drivers=Drivers(currency="USD"),
        pools=[GpuPool(name="eu", gpu_type="A100", price_per_gpu_hour="€1.50", currency="EUR")],
        runs=[TrainingRun(name="main", gpu_hours="100k")],
        data=[CostLine(name="labels", quantity="50k", unit="item", unit_cost=2,
                       overhead="15%", currency="EUR")],
        staff=[StaffLine(role="engineer", headcount=1, annual_salary="¥1M", currency="CNY")],
        fx_rates={"EUR": 1.1, "CNY": 0.14},
    )
    result = compute_budget(budget)
    run = item(result, "Final run: main")
    assert run.amount == pytest.approx(100e3 * 1.5 * 1.1)
    assert run.unit_cost == pytest.approx(1.65)
    assert "1.1 USD/EUR" in run.basis and "€1.50" in run.basis
    labels = item(result, "labels")
    assert labels.amount == pytest.approx(50_000 * 2 * 1.15 * 1.1)
    assert "1.1 USD/EUR" in labels.basis
    eng = item(result, "engineer")
    assert eng.amount == pytest.approx(1e6 * 1.3 * 0.14)
    assert "0.14 USD/CNY" in eng.basis
    assert {it.currency for it in result.items} == {"USD"}
    assert result.currency == "USD"


def test_reporting_currency_shows_in_lines_without_their_own() -> None:
    budget = Budget(drivers=Drivers(currency="EUR"),
                    data=[CostLine(name="crawl", quantity=10, unit="TB", unit_cost=50)])
    line = item(compute_budget(budget), "crawl")
    assert "€50.00/TB" in line.basis and "$" not in line.basis
    assert line.currency == "EUR"


def test_missing_fx_rate_is_an_error() -> None:
    budget = Budget(data=[CostLine(name="labels", quantity=1, unit_cost=10, currency="GBP")],
                    fx_rates={"EUR": 1.1})
    with pytest.raises(InputError) as info:
        compute_budget(budget)
    assert "no exchange rate from GBP to USD" in info.value.message
    # catalog prices are USD: a EUR budget that uses them needs a USD rate
    budget = Budget(drivers=Drivers(currency="EUR"),
                    pools=[GpuPool(name="p", gpu_type="H100")],
                    runs=[TrainingRun(name="main", gpu_hours="1k")])
    with pytest.raises(InputError, match="no exchange rate from USD to EUR"):
        compute_budget(budget)
    budget = budget.model_copy(update={"fx_rates": {"USD": 0.9}})
    assert item(compute_budget(budget), "Final run: main").amount == pytest.approx(
        1000 * 2.99 * 0.9)


# --------------------------------------------------------------------------------------------
# scenarios


def _scenario_budget() -> Budget:
    return Budget(
        drivers=Drivers(mfu="40%"),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="main", params="671B", active_params="37B", tokens="14.8T")],
        staff=[StaffLine(role="researcher", headcount=10, annual_salary=300_000)],
        scenarios={"High": {"mfu": 0.30, "pools.h800.price_per_gpu_hour": 3.0},
                   "Low": {"staff.researcher.headcount": 5, "drivers.mfu": 0.5}},
    )


def test_scenarios_apply_their_overrides() -> None:
    budget = _scenario_budget()
    base = compute_budget(budget)
    high = compute_budget(apply_scenario(budget, "High"), scenario="High")
    low = compute_budget(apply_scenario(budget, "Low"), scenario="Low")
    gpu_h = 3.2856e24 / (989.4e12 * 0.40 * 3600)
    assert base.totals["compute"] == pytest.approx(gpu_h * 2, rel=1e-4)
    assert high.totals["compute"] == pytest.approx(gpu_h * 0.40 / 0.30 * 3, rel=1e-4)
    assert high.totals["staff"] == base.totals["staff"]
    assert low.totals["staff"] == pytest.approx(base.totals["staff"] / 2)
    assert low.totals["compute"] == pytest.approx(gpu_h * 0.40 / 0.50 * 2, rel=1e-4)
    assert high.scenario == "High" and set(high.lines["scenario"]) == {"High"}
    assert apply_scenario(budget, "Base") is budget
    assert budget.drivers.mfu == 0.40  # Base is not changed by applying a scenario
    assert budget.scenario_names == ["Base", "High", "Low"]


def test_unknown_scenario_and_keys_are_errors() -> None:
    budget = _scenario_budget()
    with pytest.raises(InputError, match=r"unknown scenario 'Worst' \(known: Base, High, Low\)"):
        apply_scenario(budget, "Worst")
    with pytest.raises(InputError, match="unknown input key"):
        apply_overrides(budget, {"nonsense": 1})
    with pytest.raises(InputError, match="unknown pool 'h100'"):
        apply_overrides(budget, {"pools.h100.price_per_gpu_hour": 1})
    with pytest.raises(InputError, match="no field 'colour'"):
        apply_overrides(budget, {"pools.h800.colour": 1})


# --------------------------------------------------------------------------------------------
# a whole budget: every basis lets a reader recompute its amount


def full_budget() -> Budget:
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
              TrainingRun(name="abl", kind="experiment", pool="reserved", params="7B",
                          tokens="200B", count=3),
              TrainingRun(name="small", kind="experiment", pool="cloud", params="1B",
                          tokens="20B")],
        data=[CostLine(name="crawl", quantity=120, unit="TB", unit_cost=50)],
        staff=[StaffLine(role="researcher", headcount=10, annual_salary="300k")],
        other=[CostLine(name="fit-out", family="power_facilities", unit_cost="250k")],
        fx_rates={"EUR": 1.1},
    )


def test_every_line_is_recomputable_from_its_numbers() -> None:
    result = compute_budget(full_budget())
    assert_families_sum(result)
    per_unit = {"GPU-hour", "kWh", "kW-month", "person", "chance"}
    for it in result.items:
        assert it.amount >= 0, it.item
        assert it.basis and it.source, it.item
        assert it.currency == "USD"
        if it.unit in per_unit:
            assert it.quantity * it.unit_cost == pytest.approx(it.amount, rel=1e-9), it.item
        if it.unit == "GPU-hour":
            # "<GPUs> GPUs × <h> h × <rate>/GPU-h" or "<GPU-h> GPU-h × <rate>/GPU-h"
            m = re.match(r"([\d.,]+[kMBT]?) GPUs × ([\d.,]+[kMBT]?) h × ([$€][\d.,]+)/GPU-h",
                         it.basis)
            if m:
                n, h, rate = (parse_number(x) for x in m.groups())
                qty = n * h
            else:
                m = (re.match(r"([\d.,]+[kMBT]?) GPU-h × ([$€][\d.,]+)/GPU-h", it.basis)
                     or re.search(r"= ([\d.,]+[kMBT]?) idle × ([$€][\d.,]+)/GPU-h", it.basis))
                assert m, it.basis
                qty, rate = (parse_number(x) for x in m.groups())
            fx = 1.1 if "USD/EUR" in it.basis else 1.0
            assert qty * rate * fx == pytest.approx(it.amount, rel=5e-3), it.basis
    frame = result.lines
    assert list(frame.columns[:3]) == ["scenario", "family", "item"]
    assert len(frame) == len(result.items)
    assert frame["amount"].sum() == pytest.approx(result.total)
    data = result.to_dict()
    assert data["total"] == pytest.approx(result.total)
    assert sum(data["families"].values()) == pytest.approx(result.total)
    json.dumps(data)  # plain JSON


def test_cost_per_million_tokens() -> None:
    result = compute_budget(_big_run())
    assert result.metrics["tokens"] == 15.6e12
    assert result.metrics["cost_per_million_tokens"] == pytest.approx(
        result.total / 15.6e6)
