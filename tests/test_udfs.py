"""Excel functions (costsheet.udfs), called directly: on Linux the xlwings decorators pass through.

Every number is checked against ``costsheet.estimate`` for the same inputs (rel. tol. 1e-12),
on hand-picked and hypothesis-generated inputs, one cell at a time and as whole ranges.
"""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
import typing

import pytest
from costsheet import default_catalog, estimate
from costsheet.model.chinchilla import (
    TOKENS_PER_PARAM,
    compute_optimal_for_budget,
    optimal_params_tokens,
)
from costsheet.model.compute import training_flops
from costsheet.model.utilisation import published_mfu
from costsheet.udfs import (
    ARG_HELP,
    LLMCHINCHILLA,
    LLMCOST,
    LLMCOSTTABLE,
    LLMENERGY,
    LLMFLOPS,
    LLMGPUHOURS,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REL = 1e-12
GPUS = default_catalog().keys


def close(a: float | None, b: float | None) -> bool:
    assert a is not None and b is not None, (a, b)
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


def is_error(x: object) -> bool:
    return isinstance(x, str) and x.startswith("#costsheet: ")


# --- scalars ------------------------------------------------------------------------------------


def test_llmcost_golden_7b_2t_h100() -> None:
    # 6 × 7e9 × 2e12 = 8.4e22 FLOP; / (989.4e12 × 0.4 × 3600) = 58,958.29 GPU-h; × $2.99
    cost = LLMCOST("7B", "2T", "H100", None, "40%")
    assert cost == pytest.approx(8.4e22 / (989.4e12 * 0.4 * 3600) * 2.99, rel=1e-12)
    assert close(cost, estimate("7B", "2T", gpu="H100", mfu="40%").compute_cost)
    # MFU blank: the same default as `costsheet estimate` (published H100-class runs' median)
    default = LLMCOST("7B", "2T", "H100")
    assert close(default, estimate("7B", "2T", gpu="H100").compute_cost)
    assert close(default, estimate("7B", "2T", gpu="H100").total_cost)
    assert default == pytest.approx(8.4e22 / (989.4e12 * published_mfu("H100").point * 3600)
                                    * 2.99, rel=1e-12)


def test_every_scalar_function_equals_estimate() -> None:
    e = estimate("671B", "14.8T", active_params="37B", gpu="H800", mfu="35%", price=2)
    assert close(LLMCOST("671B", "14.8T", "H800", 2, "35%", "37B"), e.compute_cost)
    assert close(LLMGPUHOURS("671B", "14.8T", "H800", "35%", "37B"), e.gpu_hours)
    assert close(LLMFLOPS("671B", "14.8T", "37B"), e.flops)
    e2 = estimate(gpu_hours="2.788M", gpu="H800", price=2)
    assert close(LLMENERGY("2.788M", "H800"), e2.energy_kwh)
    e3 = estimate(gpu_hours=1e6, gpu="H100", pue=1.1, power_w=1000)
    assert close(LLMENERGY(1e6, "H100", 1.1, 1000), e3.energy_kwh)


def test_text_suffixes_commas_and_percentages() -> None:
    assert LLMFLOPS("7B", "2T") == LLMFLOPS(7e9, 2e12) == LLMFLOPS("7,000,000,000", "2e12")
    assert LLMGPUHOURS("7B", "2T", "H100", "40%") == LLMGPUHOURS(7e9, 2e12, "H100", 0.4)
    assert LLMCOST("7B", "2T", "h100 sxm", "$2.99") == LLMCOST("7B", "2T", "H100")


def test_omitted_optional_arguments_are_the_defaults() -> None:
    assert LLMCOST("7B", "2T", "H100") == LLMCOST("7B", "2T", "H100", None, None, None)
    assert LLMCOST("7B", "2T", "H100") == LLMCOST("7B", "2T", "H100", "", " ", None)
    assert LLMGPUHOURS("7B", "2T", "H100") == LLMGPUHOURS(
        "7B", "2T", "H100", published_mfu("H100").point)
    assert LLMENERGY(1000, "H100") == LLMENERGY(1000, "H100", 1.2, None)
    assert LLMFLOPS("7B", "2T") == LLMFLOPS("7B", "2T", None)


def test_blank_required_argument_gives_an_empty_cell() -> None:
    assert LLMCOST(None, "2T", "H100") is None
    assert LLMGPUHOURS("7B", "", "H100") is None
    assert LLMCHINCHILLA(None, "H100") is None


# --- bad inputs ---------------------------------------------------------------------------------


def test_unknown_gpu_lists_the_known_ones() -> None:
    msg = LLMCOST("7B", "2T", "H1000")
    assert is_error(msg)
    assert "unknown GPU 'H1000'" in msg and "known: " in msg
    assert all(k in msg for k in ("A100", "H100", "H800"))
    assert "Traceback" not in msg


def test_mfu_typed_as_40_is_refused_with_a_hint() -> None:
    msg = LLMGPUHOURS("7B", "2T", "H100", "40")
    assert msg == ("#costsheet: mfu: looks like a percentage typed as 40; write 40% or 0.4 "
                   "(got '40')")
    assert is_error(LLMCOST("7B", "2T", "H100", None, 40))


@pytest.mark.parametrize("bad, words", [
    ("abc", "params: not a number (got 'abc')"),
    (-7e9, "params: must not be negative"),
    (True, "params: not a number (got True)"),
    (float("nan"), "params: not a finite number"),
    (1e41, "params: too large"),
])
def test_bad_numbers_say_which_argument(bad: object, words: str) -> None:
    msg = LLMCOST(bad, "2T", "H100")
    assert is_error(msg) and words in msg


def test_other_bad_inputs_never_raise() -> None:
    assert "active_params: more active parameters" in LLMFLOPS("7B", "2T", "8B")
    assert "mfu: must be above 0" in LLMGPUHOURS("7B", "2T", "H100", 0)
    assert "pue: must be at least 1" in LLMENERGY(1000, "H100", 0.9)
    assert "give a GPU type or power_w" in LLMENERGY(1000, None)
    assert "not a GPU name" in LLMCOST("7B", "2T", 100)
    assert is_error(LLMCOST({"a": 1}, "2T", "H100"))
    assert is_error(LLMCOST(object(), "2T", "H100"))
    assert is_error(LLMCOST([[1, 2], [3]], "2T", "H100"))  # ragged
    assert is_error(LLMCOST([], "2T", "H100"))


def test_estimate_refuses_what_the_functions_refuse() -> None:
    from costsheet import InputError

    for kwargs in ({"mfu": "40"}, {"active_params": "8B"}, {"params": "abc"}):
        args = {"params": "7B", "tokens": "2T", "gpu": "H100", **kwargs}
        with pytest.raises(InputError):
            estimate(**args)


# --- ranges -------------------------------------------------------------------------------------


def test_a_column_gives_a_column_in_one_call() -> None:
    params = ["1B", 7e9, None, "abc", "70B"]
    out = LLMCOST(params, "2T", "H100")
    assert isinstance(out, list) and len(out) == 5 and all(len(r) == 1 for r in out)
    assert out[0][0] == LLMCOST("1B", "2T", "H100")
    assert out[1][0] == LLMCOST(7e9, "2T", "H100")
    assert out[2][0] is None  # empty cell → empty result
    assert out[3][0] == "#costsheet: params: not a number (got 'abc')"  # only this cell
    assert out[4][0] == LLMCOST("70B", "2T", "H100")
    # xlwings passes a column as a list of 1-element lists: same answer
    assert LLMCOST([[p] for p in params], "2T", "H100") == out


def test_a_row_stays_a_row_and_a_block_stays_a_block() -> None:
    row = LLMFLOPS([["1B", "2B", "3B"]], "1T")
    assert row == [[6e21, 1.2e22, 1.8e22]]
    block = LLMFLOPS([["1B", "2B"], ["3B", None]], "1T")
    assert block == [[6e21, 1.2e22], [1.8e22, None]]
    # a column of params against a row of tokens broadcasts to a table, as in Excel
    table = LLMFLOPS([["1B"], ["2B"]], [["1T", "2T"]])
    assert table == [[6e21, 1.2e22], [1.2e22, 2.4e22]]


def test_ranges_of_different_sizes_give_one_message() -> None:
    msg = LLMCOST(["1B", "2B", "3B"], ["1T", "2T"], "H100")
    assert msg == "#costsheet: ranges of different sizes (params 3×1, tokens 2×1)"


def test_per_cell_gpu_and_optional_ranges() -> None:
    out = LLMCOST("7B", "2T", ["H100", "H1000", "A100", ""], [None, 2, 1.5, 2])
    assert out[0][0] == LLMCOST("7B", "2T", "H100")  # blank price → catalog price
    assert "unknown GPU 'H1000'" in out[1][0]
    assert close(out[2][0], estimate("7B", "2T", gpu="A100", price=1.5).compute_cost)
    assert out[3][0] is None  # blank GPU → empty result
    mfus = LLMGPUHOURS("7B", "2T", "H100", ["40", "40%", None])
    assert is_error(mfus[0][0]) and mfus[1][0] == LLMGPUHOURS("7B", "2T", "H100", "40%")
    assert mfus[2][0] == LLMGPUHOURS("7B", "2T", "H100")  # blank MFU → the default


def test_a_one_cell_range_gives_a_one_cell_range() -> None:
    # with ndim=2 xlwings passes even a single cell as [[value]]
    assert LLMCOST([["7B"]], [["2T"]], [["H100"]]) == [[LLMCOST("7B", "2T", "H100")]]


def test_ten_thousand_rows_equal_ten_thousand_estimates_sampled() -> None:
    params = [float(1e8 * (i + 1)) for i in range(10_000)]
    out = LLMCOST([[p] for p in params], "2T", "H100", None, "38%")
    assert len(out) == 10_000
    for i in range(0, 10_000, 997):
        e = estimate(params[i], "2T", gpu="H100", mfu="38%")
        assert close(out[i][0], e.compute_cost)


# --- equality with estimate on generated inputs -------------------------------------------------

sizes = st.floats(min_value=1e6, max_value=2e12, allow_nan=False)
token_counts = st.floats(min_value=1e9, max_value=1e14, allow_nan=False)
as_text = st.sampled_from(["raw", "B", "T", "e"])


def typed(x: float, how: str) -> float | str:
    """The same number as a user might type it."""
    if how == "B":
        return f"{x / 1e9!r}B"
    if how == "T":
        return f"{x / 1e12!r}T"
    if how == "e":
        return f"{x!r}"
    return x


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    p=sizes, t=token_counts, how=as_text, gpu=st.sampled_from(GPUS),
    price=st.one_of(st.none(), st.floats(min_value=0.01, max_value=100)),
    mfu=st.one_of(st.none(), st.floats(min_value=0.01, max_value=1.0)),
    active_share=st.one_of(st.none(), st.floats(min_value=0.01, max_value=1.0)),
)
def test_scalars_equal_estimate(p: float, t: float, how: str, gpu: str, price: float | None,
                                mfu: float | None, active_share: float | None) -> None:
    active = None if active_share is None else p * active_share
    e = estimate(typed(p, how), typed(t, how), gpu=gpu, price=price, mfu=mfu,
                 active_params=active)
    assert close(LLMCOST(typed(p, how), typed(t, how), gpu, price, mfu, active), e.compute_cost)
    assert close(LLMCOST(p, t, gpu, price, mfu, active), e.total_cost)
    assert close(LLMGPUHOURS(p, t, gpu, mfu, active), e.gpu_hours)
    assert close(LLMFLOPS(p, t, active), e.flops)
    assert close(LLMENERGY(e.gpu_hours, gpu), e.energy_kwh)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(sizes, token_counts, st.sampled_from(GPUS),
                               st.one_of(st.none(), st.floats(min_value=0.05, max_value=0.9))),
                     min_size=1, max_size=30))
def test_ranges_equal_estimate_row_by_row(rows: list[tuple[float, float, str, float | None]]
                                          ) -> None:
    p, t, g, m = ([[r[i]] for r in rows] for i in range(4))
    costs = LLMCOST(p, t, g, None, m)
    hours = LLMGPUHOURS(p, t, g, m)
    flops = LLMFLOPS(p, t)
    for i, (pi, ti, gi, mi) in enumerate(rows):
        e = estimate(pi, ti, gpu=gi, mfu=mi)
        assert close(costs[i][0], e.compute_cost)
        assert close(hours[i][0], e.gpu_hours)
        assert close(flops[i][0], e.flops)


@settings(max_examples=60, deadline=None)
@given(h=st.floats(min_value=1.0, max_value=1e8), gpu=st.sampled_from(GPUS),
       pue=st.one_of(st.none(), st.floats(min_value=1.0, max_value=2.0)),
       power=st.one_of(st.none(), st.floats(min_value=50, max_value=3000)))
def test_energy_equals_estimate(h: float, gpu: str, pue: float | None,
                                power: float | None) -> None:
    e = estimate(gpu_hours=h, gpu=gpu, pue=pue, power_w=power)
    assert close(LLMENERGY(h, gpu, pue, power), e.energy_kwh)
    assert close(LLMENERGY([[h]], [[gpu]], [[pue]], [[power]])[0][0], e.energy_kwh)


# --- the breakdown table ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(p=sizes, t=token_counts, gpu=st.sampled_from(GPUS),
       count=st.one_of(st.none(), st.integers(min_value=1, max_value=100_000)),
       price=st.one_of(st.none(), st.floats(min_value=0.1, max_value=10)))
def test_cost_table_equals_estimate(p: float, t: float, gpu: str, count: int | None,
                                    price: float | None) -> None:
    e = estimate(p, t, gpu=gpu, gpu_count=count, price=price)
    table = dict(LLMCOSTTABLE(p, t, gpu, count, price))
    assert close(table["FLOPs"], e.flops)
    assert close(table["GPU-hours"], e.gpu_hours)
    assert close(table["Compute cost (USD)"], e.compute_cost)
    assert close(table["Energy (kWh)"], e.energy_kwh)
    assert close(table["CO2 (kg)"], e.co2_kg)
    if count is None:
        assert "Wall-clock days" not in table and e.wall_clock_days is None
    else:
        assert close(table["Wall-clock days"], e.wall_clock_days)


def test_cost_table_is_labelled_two_columns() -> None:
    table = LLMCOSTTABLE("7B", "2T", "H100", 1024)
    assert [r[0] for r in table] == ["FLOPs", "GPU-hours", "Wall-clock days",
                                     "Compute cost (USD)", "Energy (kWh)", "CO2 (kg)"]
    assert all(len(r) == 2 and isinstance(r[1], float) for r in table)
    assert LLMCOSTTABLE([["7B"]], [["2T"]], [["H100"]]) == LLMCOSTTABLE("7B", "2T", "H100")
    assert "not ranges" in LLMCOSTTABLE(["7B", "13B"], "2T", "H100")
    assert "unknown GPU" in LLMCOSTTABLE("7B", "2T", "H1000")


# --- compute-optimal ----------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(budget=st.floats(min_value=1e3, max_value=1e10), gpu=st.sampled_from(GPUS),
       price=st.one_of(st.none(), st.floats(min_value=0.1, max_value=10)),
       mfu=st.one_of(st.none(), st.floats(min_value=0.05, max_value=0.9)))
def test_chinchilla_spends_the_budget_exactly(budget: float, gpu: str, price: float | None,
                                              mfu: float | None) -> None:
    [[n, d]] = LLMCHINCHILLA(budget, gpu, price, mfu)
    assert close(d, TOKENS_PER_PARAM * n)
    # training N on D tokens with the same GPU, price and MFU costs the budget
    e = estimate(n, d, gpu=gpu, price=price, mfu=mfu)
    assert math.isclose(e.compute_cost, budget, rel_tol=1e-12)


def test_chinchilla_model_is_array_safe_and_inverts_training_flops() -> None:
    import numpy as np

    flops = np.array([1e20, 3.8e25, 0.0])
    n, d = optimal_params_tokens(flops)
    assert np.allclose(training_flops(n, d), flops, rtol=1e-12)
    assert np.allclose(n, np.sqrt(flops / 120.0), rtol=1e-15)
    best = compute_optimal_for_budget(np.array([1e6, 2e6]), 2.0, 989.4e12, 0.4)
    assert best.gpu_hours.tolist() == [5e5, 1e6]
    assert np.allclose(training_flops(best.params, best.tokens), best.flops, rtol=1e-12)


def test_chinchilla_column_gives_one_row_per_budget() -> None:
    out = LLMCHINCHILLA(["1M", None, "abc", 2e6], "H100")
    assert out[0] == LLMCHINCHILLA("1M", "H100")[0]
    assert out[1] == [None, None]
    assert out[2][0] == "#costsheet: budget: not a number (got 'abc')" and out[2][1] is None
    assert len(out[3]) == 2
    assert is_error(LLMCHINCHILLA([["1M", "2M"]], "H100"))  # a row of budgets: one message
    assert "price_per_gpu_hour: must be above 0" in LLMCHINCHILLA(1e6, "H100", 0)


# --- what xlwings needs, and what xlwings Lite needs --------------------------------------------


@pytest.mark.parametrize("fn", [LLMCOST, LLMGPUHOURS, LLMFLOPS, LLMENERGY, LLMCOSTTABLE,
                                LLMCHINCHILLA])
def test_functions_fit_xlwings(fn: typing.Callable[..., object]) -> None:
    # xlwings refuses keyword-only arguments and turns type hints into converters: every
    # argument must be positional and hinted Any (its default converter); every one documented.
    sig = inspect.signature(fn)
    hints = typing.get_type_hints(fn)
    for p in sig.parameters.values():
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert hints[p.name] is typing.Any
        assert ARG_HELP[p.name]
        assert p.default is inspect.Parameter.empty or p.default is None
    assert fn.__doc__


_IMPORT_CHECK = """
import json, sys, time
{block}
t = time.perf_counter()
import costsheet.udfs as u
took = time.perf_counter() - t
print(json.dumps({{
    "loaded": sorted(m for m in ("pandas", "openpyxl", "click", "costsheet.cli",
                                 "costsheet.workbook") if m in sys.modules),
    "cost": u.LLMCOST("7B", "2T", "H100"),
}}))
"""


def _run_import_check(block: str) -> dict[str, typing.Any]:
    code = _IMPORT_CHECK.format(block=block)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_import_needs_no_openpyxl_pandas_or_cli_as_in_xlwings_lite() -> None:
    # xlwings Lite (Pyodide) ships its own small `xlwings`; here none at all: the decorators
    # pass through, and pandas, openpyxl, click and the CLI are never imported.
    blocked = "sys.modules['xlwings'] = None"
    got = _run_import_check(blocked)
    assert got["loaded"] == []
    assert close(got["cost"], estimate("7B", "2T", gpu="H100").compute_cost)


def test_import_with_real_xlwings_loads_no_openpyxl_or_cli() -> None:
    got = _run_import_check("")
    # (the full xlwings package itself imports pandas when it is installed; costsheet does not)
    assert not {"openpyxl", "click", "costsheet.cli", "costsheet.workbook"} & set(got["loaded"])
    assert close(got["cost"], estimate("7B", "2T", gpu="H100").compute_cost)
