"""The Excel functions through xlwings' own Windows UDF code, not called directly (issue 14).

support/xlwings_windows.py runs xlwings' classic-add-in path on Linux in its own process:
"Import Functions" (``xlwings.udfs.import_udfs``: the VBA module it imports and the
``Application.MacroOptions`` it sets), and every cell's call through ``XLPython.CallUDF`` →
``call_udf`` → ``conversion.read`` / ``conversion.write`` with the Excel engine's value
cleaning. Arguments are what pywin32 hands over: Range objects, error cells as COM codes,
omitted optional arguments as DISP_E_PARAMNOTFOUND. Excel itself is not here: whether it runs the
VBA as written is the part these tests cannot show (docs/excel-functions.md says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from costsheet import udfs
from costsheet.udfs import ARG_HELP, LLMCHINCHILLA, LLMCOST, LLMENERGY, LLMGPUHOURS
from support.xlwings_windows import ERROR_CODES, XlwingsWindows

MISSING = {"missing": True}
BOOK = "costsheet-functions.xlsm"


@pytest.fixture(scope="module")
def xl() -> Iterator[XlwingsWindows]:
    server = XlwingsWindows()
    yield server
    server.close()


def rng(*rows: list[Any]) -> dict[str, Any]:
    return {"range": [list(r) for r in rows]}


def err(code: str) -> dict[str, str]:
    return {"error": code}


def column(values: list[Any]) -> dict[str, Any]:
    return rng(*([v] for v in values))


# --- Import Functions -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported(xl: XlwingsWindows) -> dict[str, Any]:
    return xl.ask(op="import_functions", module="costsheet.udfs", book=BOOK)


def test_import_functions_writes_one_vba_wrapper_per_function(imported: dict[str, Any]) -> None:
    vba = imported["vba"]
    declared = re.findall(r"^Function (\w+)\((.*)\)$", vba, flags=re.M)
    assert sorted(name for name, _ in declared) == sorted(udfs.__all__)
    sigs = dict(declared)
    assert sigs["LLMCOST"] == ("params, tokens, gpu, Optional price_per_gpu_hour, Optional mfu, "
                               "Optional active_params")
    assert sigs["LLMFLOPS"] == "params, tokens, Optional active_params"
    # each wrapper hands its arguments to the module named on the xlwings.conf sheet
    assert ('LLMCOST = XLPy.CallUDF("costsheet.udfs", "LLMCOST", Array(params, tokens, gpu, '
            'price_per_gpu_hour, mfu, active_params), ThisWorkbook, Application.Caller)') in vba
    assert "Application.Volatile" not in vba  # recalculated when an input changes, not always


def test_import_functions_sets_category_description_and_argument_help(
        imported: dict[str, Any]) -> None:
    options = {o["macro"]: o for o in imported["macro_options"]}
    assert set(options) == {f"'{BOOK}'!{name}" for name in udfs.__all__}
    for name in udfs.__all__:
        o = options[f"'{BOOK}'!{name}"]
        full_doc = getattr(udfs, name).__wrapped__.__doc__
        assert o["Category"] == "costsheet"
        # Excel's dialog gets the docstring's whole first paragraph: short, not cut mid-sentence
        assert o["Description"] == udfs.summary(full_doc)
        assert len(o["Description"]) <= 255 and o["Description"].endswith((".", ")"))
        params = list(getattr(udfs, name).__wrapped__.__code__.co_varnames[
            : getattr(udfs, name).__wrapped__.__code__.co_argcount])
        assert o["ArgumentDescriptions"] == [ARG_HELP[p] for p in params]
        assert all(len(d) <= 255 for d in o["ArgumentDescriptions"])


def test_every_argument_keeps_error_cells_as_text(xl: XlwingsWindows) -> None:
    for name in udfs.__all__:
        info = xl.ask(op="xlfunc", func=name)
        for a in info["args"]:
            assert a["options"]["err_to_str"] is True, (name, a["name"])
            assert a["options"]["ndim"] == 2


# --- a cell's call: VBA → XLPython.CallUDF → call_udf → conversion -----------------------------


def test_a_cell_gets_the_same_number_as_the_python_function(xl: XlwingsWindows) -> None:
    got = xl.call("LLMCOST", rng(["7B"]), rng(["2T"]), "H100", MISSING, MISSING, MISSING)
    assert got == LLMCOST("7B", "2T", "H100")
    got = xl.call("LLMGPUHOURS", 7e9, "2T", rng(["H100"]), rng(["40%"]), MISSING)
    assert got == LLMGPUHOURS("7B", "2T", "H100", "40%")


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_an_error_in_the_price_cell_is_a_message_not_the_catalog_price(
        xl: XlwingsWindows, code: str) -> None:
    # Before err_to_str, xlwings turned #DIV/0! into None: the cost at the catalog price
    got = xl.call("LLMCOST", "7B", "2T", "H100", rng([err(code)]), MISSING, MISSING)
    assert got == (f"#costsheet: price_per_gpu_hour: the cell holds the error {code}; "
                   "fix that cell")
    assert got != LLMCOST("7B", "2T", "H100")


def test_an_error_typed_into_the_formula_is_a_message(xl: XlwingsWindows) -> None:
    # =LLMCOST("7B","2T","H100",1/0): VBA gets the error value itself, not a Range
    got = xl.call("LLMCOST", "7B", "2T", "H100", err("#DIV/0!"), MISSING, MISSING)
    assert got.startswith("#costsheet: price_per_gpu_hour: the cell holds the error #DIV/0!")


def test_error_cells_in_every_kind_of_argument(xl: XlwingsWindows) -> None:
    assert "gpu: the cell holds the error #N/A" in xl.call(
        "LLMCOST", "7B", "2T", rng([err("#N/A")]), MISSING, MISSING, MISSING)
    assert "mfu: the cell holds the error #VALUE!" in xl.call(
        "LLMGPUHOURS", "7B", "2T", "H100", rng([err("#VALUE!")]), MISSING)
    assert "pue: the cell holds the error #REF!" in xl.call(
        "LLMENERGY", 1000, "H100", rng([err("#REF!")]), MISSING)
    assert xl.call("LLMCHINCHILLA", rng([err("#NUM!")]), "H100", MISSING, MISSING) == [
        "#costsheet: budget: the cell holds the error #NUM!; fix that cell", ""]


def test_a_column_with_blank_and_error_cells(xl: XlwingsWindows) -> None:
    params = ["7B", err("#DIV/0!"), None, "13B", "abc"]
    caller = [[None]] * len(params)
    got = xl.call("LLMCOST", column(params), "2T", "H100", MISSING, MISSING, MISSING,
                  caller=caller)
    direct = LLMCOST([["7B"], ["#DIV/0!"], [None], ["13B"], ["abc"]], "2T", "H100")
    assert got[0] == direct[0] and got[3] == direct[3]
    assert got[1] == ["#costsheet: params: the cell holds the error #DIV/0!; fix that cell"]
    assert got[2] == [""]  # an empty input row gives an empty cell (xlwings writes None as "")
    assert got[4] == ["#costsheet: params: not a number (got 'abc')"]


def test_blank_optional_cells_take_the_default_but_errors_do_not(xl: XlwingsWindows) -> None:
    prices = column([None, 2.0, err("#N/A")])
    got = xl.call("LLMCOST", "7B", "2T", "H100", prices, MISSING, MISSING,
                  caller=[[None]] * 3)
    assert got[0] == [LLMCOST("7B", "2T", "H100")]
    assert got[1] == [LLMCOST("7B", "2T", "H100", 2.0)]
    assert got[2][0].startswith("#costsheet: price_per_gpu_hour: the cell holds the error #N/A")


def test_a_currency_formatted_price_cell_is_a_number(xl: XlwingsWindows) -> None:
    # pywin32 passes a cell formatted as currency as a Decimal (VT_CY)
    got = xl.call("LLMCOST", "7B", "2T", "H100", rng([{"decimal": "2.99"}]), MISSING, MISSING)
    assert got == LLMCOST("7B", "2T", "H100", 2.99)


def test_spilling_results_keep_their_shape(xl: XlwingsWindows) -> None:
    got = xl.call("LLMCHINCHILLA", 1_000_000, "H100", MISSING, MISSING, caller=[[None, None]])
    assert got == LLMCHINCHILLA(1_000_000, "H100")[0]  # one row comes back as a 1-D array
    table = xl.call("LLMCOSTTABLE", "7B", "2T", "H100", 1024, MISSING, MISSING, MISSING,
                    caller=[[None, None]] * 6)
    assert [r[0] for r in table][:2] == ["FLOPs", "GPU-hours"] and len(table) == 6


def test_energy_through_xlwings(xl: XlwingsWindows) -> None:
    hours = column([1e6, "2.788M", None])
    got = xl.call("LLMENERGY", hours, "H800", MISSING, MISSING, caller=[[None]] * 3)
    assert got == [[LLMENERGY(1e6, "H800")], [LLMENERGY("2.788M", "H800")], [""]]
