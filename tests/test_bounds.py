"""Every number finite, every run bounded: the bounds of model/bounds.py, the zip and XML limits
of the package reader, and the last lines at the sheet writer and --json.

The workbooks that exercise each bound end to end (check and run, as real processes, within a
minute and 1 GB) are in the corpus: tests/support/hostile.py, ``bounds_cases``."""

from __future__ import annotations

import io
import json
import math
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from costsheet.cli import dump_json, main
from costsheet.errors import CostsheetError, InputError
from costsheet.model.bounds import (
    MAX_DRAWS,
    MAX_PLAN_MONTHS,
    MAX_TRIALS,
    MIN_MFU,
    check_result,
    check_simulation,
    check_size,
    finite,
)
from costsheet.model.budget import compute_budget
from costsheet.model.montecarlo import Distribution, simulate
from costsheet.workbook.examples import worked_example
from costsheet.workbook.ooxml import Package, PackageError
from costsheet.workbook.ooxml.xmltext import MAX_XML_DEPTH, parse
from hypothesis import given, settings
from hypothesis import strategies as st
from support.hostile import example_bytes, lying_member

EXAMPLE = worked_example()


def _with(**changes: object) -> object:
    """The worked example with drivers, the first pool or the first run changed."""
    b = EXAMPLE
    drivers = {k: v for k, v in changes.items() if k in type(b.drivers).model_fields}
    pool = {k.removeprefix("pool_"): v for k, v in changes.items() if k.startswith("pool_")}
    run = {k.removeprefix("run_"): v for k, v in changes.items() if k.startswith("run_")}
    return b.model_copy(update={
        "drivers": b.drivers.model_copy(update=drivers),
        "pools": [b.pools[0].model_copy(update=pool), *b.pools[1:]],
        "runs": [b.runs[0].model_copy(update=run), *b.runs[1:]]})


def _refusal(budget: object) -> InputError:
    with pytest.raises(InputError) as info:
        check_result(budget, compute_budget(budget))  # type: ignore[arg-type]
    return info.value


def test_the_worked_example_is_within_every_bound() -> None:
    check_result(EXAMPLE, compute_budget(EXAMPLE))


def test_an_mfu_below_the_floor_is_refused_at_its_input() -> None:
    exc = _refusal(_with(run_mfu=0.000004))
    assert exc.code == "mfu_too_low" and exc.key == f"runs.{EXAMPLE.runs[0].name}.mfu"
    assert "0.0004% is below 0.1%" in exc.message
    assert MIN_MFU == 1e-3


def test_interruptions_beyond_100_times_the_work_are_refused() -> None:
    exc = _refusal(_with(interruption_rate_per_1000_gpu_days=1e39))
    assert exc.code == "too_many_interruptions"
    assert exc.key == "drivers.interruption_rate_per_1000_gpu_days"
    assert f"pools.{EXAMPLE.pools[0].name}.gpu_count" in exc.related


def test_a_run_longer_than_the_plan_is_refused_naming_its_inputs() -> None:
    exc = _refusal(_with(run_mfu=0.002, pool_gpu_count=1))
    run = EXAMPLE.runs[0].name
    assert exc.code == "run_too_long" and exc.key == f"runs.{run}.mfu"
    assert {f"runs.{run}.tokens", f"pools.{EXAMPLE.pools[0].name}.gpu_count"} <= set(exc.related)
    assert "years of wall-clock time" in exc.message


def test_an_overflow_is_an_error_naming_the_cells_it_comes_from() -> None:
    """A GPU throughput of 1e-300 TFLOP/s makes the GPU-hours infinite: refused at the run,
    with the pool's GPU type and its catalog row among the inputs named."""
    from costsheet.inputs import GpuCatalogRow

    gpu = EXAMPLE.pools[0].gpu_type
    assert gpu is not None
    row = GpuCatalogRow(key=gpu, name="tiny", bf16_dense_tflops=1e-300, tdp_w=700)
    budget = EXAMPLE.model_copy(update={"gpu_catalog": [*EXAMPLE.gpu_catalog, row]})
    result = compute_budget(budget)  # type: ignore[arg-type]
    assert not finite(result.total)
    exc = _refusal(budget)
    assert exc.code == "not_finite" and exc.key == f"runs.{EXAMPLE.runs[0].name}"
    assert f"gpu_catalog.{gpu}.bf16_dense_tflops" in exc.related


@pytest.mark.parametrize(("where", "change"), [
    ("staff", {"months": MAX_PLAN_MONTHS + 1}),
    ("start", {"start_month": "2999-01"}),
])
def test_a_plan_longer_than_100_years_is_refused(where: str, change: dict[str, object]) -> None:
    staff = [EXAMPLE.staff[0].model_copy(update=change), *EXAMPLE.staff[1:]]
    exc = _refusal(EXAMPLE.model_copy(update={"staff": staff}))
    assert exc.code == "plan_too_long"
    role = EXAMPLE.staff[0].role
    assert exc.key == f"staff.{role}.{'months' if where == 'staff' else 'start_month'}"


def test_a_pool_of_0_gpus_that_a_run_uses_is_an_error() -> None:
    with pytest.raises(InputError) as info:
        compute_budget(_with(pool_gpu_count=0))  # type: ignore[arg-type]
    assert info.value.code == "pool_without_gpus"
    assert info.value.key == f"pools.{EXAMPLE.pools[0].name}.gpu_count"


def test_simulation_and_size_bounds() -> None:
    check_simulation(MAX_TRIALS, 0)
    with pytest.raises(InputError) as info:
        check_simulation(MAX_TRIALS + 1, 0)
    assert info.value.key == "trials" and info.value.code == "too_many_trials"
    with pytest.raises(InputError, match="draws") as info:
        check_simulation(100_000, MAX_DRAWS // 100_000)
    assert info.value.hint is not None and "trials or fewer" in info.value.hint
    check_size(10_000, 10)
    with pytest.raises(InputError, match="lines to compute") as info:
        check_size(10_000, 11)
    assert info.value.hint == "keep 10 scenarios or fewer, or fewer lines"
    with pytest.raises(InputError, match="input lines are more"):
        check_size(50_001, 1)


def test_monte_carlo_trials_that_overflow_are_refused() -> None:
    key = f"pools.{EXAMPLE.pools[0].name}.price_per_gpu_hour"
    with pytest.raises(InputError) as info:
        simulate(EXAMPLE, {key: Distribution.uniform(1e300, 1.7e308)}, trials=50, seed=1)
    assert info.value.code == "not_finite" and info.value.key == key


def test_run_trials_over_the_bound_is_refused_with_its_flag(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(example_bytes())
    res = CliRunner().invoke(main, ["run", str(book), "--trials", "2000000"])
    assert res.exit_code == 2
    assert "error: --trials: 2,000,000 Monte Carlo trials is more than costsheet runs" \
        in res.output
    assert book.read_bytes() == example_bytes()


@settings(max_examples=40, deadline=None)
@given(mfu=st.floats(min_value=1e-300, max_value=1.0),
       tokens=st.floats(min_value=1.0, max_value=1e40),
       gpus=st.integers(min_value=1, max_value=10**9),
       rate=st.floats(min_value=0.0, max_value=1e40))
def test_a_result_is_finite_and_bounded_or_refused(mfu: float, tokens: float, gpus: int,
                                                   rate: float) -> None:
    """Whatever the inputs within what a cell accepts, a result that passes the bounds is
    finite everywhere; the rest are refused with a key, never passed on as NaN."""
    budget = _with(run_mfu=mfu, run_tokens=tokens, pool_gpu_count=gpus,
                   interruption_rate_per_1000_gpu_days=rate)
    result = compute_budget(budget)  # type: ignore[arg-type]
    try:
        check_result(budget, result)  # type: ignore[arg-type]
    except InputError as exc:
        assert exc.key and exc.code in {"mfu_too_low", "not_finite", "run_too_long",
                                         "too_many_interruptions", "plan_too_long"}
        return
    assert finite(result.total) and all(finite(v) for v in result.metrics.values())
    assert all(finite(it.amount) and finite(it.quantity) for it in result.items)


# ---- the package: bytes actually inflated, XML depth


def test_a_member_inflating_past_its_header_is_refused_without_the_memory(
        tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    lying_member()(path)  # 2 GiB of zeros declared as 1,000 bytes, in a 2 MB file
    assert path.stat().st_size < 4 << 20
    tracemalloc.start()
    try:
        with pytest.raises(PackageError, match="inflates to more than the 1,000 bytes its "
                           "header declares"):
            Package.open(path)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, peak  # a few steps of 1 MB, never the 2 GiB


def test_a_member_shorter_than_its_header_is_damaged(tmp_path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(example_bytes())) as src, \
            zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
    from support.hostile import declared_size

    path = tmp_path / "short.xlsx"
    path.write_bytes(declared_size(data.getvalue(), "docProps/app.xml", 10_000))
    with pytest.raises(PackageError, match="damaged"):
        Package.open(path)


def test_xml_nested_deeper_than_the_bound_is_refused_without_recursion() -> None:
    ok = b"<a>" * MAX_XML_DEPTH + b"</a>" * MAX_XML_DEPTH
    parse(ok, "x.xml", "book.xlsx")
    deep = b"<a>" * 200_000 + b"</a>" * 200_000
    with pytest.raises(PackageError, match="nests its elements more than 100 deep") as info:
        parse(deep, "xl/styles.xml", "book.xlsx")
    assert info.value.code == "xml_too_deep"


# ---- the last lines: the sheet writer and --json


def test_json_with_a_number_that_is_not_finite_is_refused() -> None:
    with pytest.raises(CostsheetError) as info:
        dump_json({"total": math.nan})
    assert info.value.code == "not_finite_output"
    with pytest.raises(CostsheetError):
        dump_json({"total": np.float64("inf")})
    assert finite(json.loads(json.dumps({"x": 1.0}))["x"])
