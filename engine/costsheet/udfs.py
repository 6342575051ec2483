"""Live Excel functions: ``=LLMCOST("7B", "2T", "H100")`` and friends, through xlwings.

Thin adapters over the pure model (``costsheet.model``) and the GPU catalog: the numbers are the
ones ``costsheet estimate`` prints for the same inputs. Every argument accepts what people type
(numbers, ``7B`` / ``14.8T`` text, ``40%``) and whole ranges: a column of inputs gives a column of
results in one call, computed with numpy arrays (scalars are broadcast against ranges). An empty
cell in a range gives an empty result cell; a bad cell gives a short ``#costsheet: ...`` message in
its own result cell only. A function never raises into Excel.

Importing this module needs only numpy, pydantic and costsheet's pure modules (no openpyxl,
pandas, click or the CLI), so it runs in xlwings Lite (Pyodide) as well as with the classic
xlwings add-in on Windows. Without xlwings the decorators pass through.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from .catalog import GpuSpec, default_catalog
from .errors import CostsheetError
from .inputs import Drivers, GpuPool
from .model.chinchilla import compute_optimal_for_budget
from .model.compute import (
    average_power_w,
    gpu_hours_for_flops,
    interruption_overhead,
    training_flops,
)
from .model.power import energy_kwh
from .model.utilisation import published_mfu
from .units import UnitError, parse_count, parse_fraction, parse_number

try:  # the classic add-in and xlwings Lite both provide these
    from xlwings import arg, func
except ImportError:  # pragma: no cover - exercised in a subprocess test

    def func(f: Any = None, **kwargs: Any) -> Any:  # type: ignore[no-redef]
        return f if f is not None else (lambda g: g)

    def arg(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        return lambda g: g


__all__ = [
    "LLMCOST",
    "LLMGPUHOURS",
    "LLMFLOPS",
    "LLMENERGY",
    "LLMCOSTTABLE",
    "LLMCHINCHILLA",
]

ERROR_PREFIX = "#costsheet: "
CATEGORY = "costsheet"  # the group in Excel's Insert Function dialog

#: Excel's error values. xlwings hands them over as these strings when ``err_to_str=True`` (set
#: on every argument below); without it they arrive as None, i.e. as an empty cell, and an
#: optional argument would silently take its default.
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#FIELD!", "#CALC!", "#DATA!",
    "#PYTHON!", "#BUSY!",
})
#: The classic add-in (pywin32) passes the error values xlwings does not map (#SPILL!, #CALC!,
#: ...) as their COM codes: 0x800A0000 + XlCVError as a signed int.
_XL_ERROR_CODES = {
    -2146828288 + code: text for code, text in (
        (2000, "#NULL!"), (2007, "#DIV/0!"), (2015, "#VALUE!"), (2023, "#REF!"),
        (2029, "#NAME?"), (2036, "#NUM!"), (2042, "#N/A"), (2043, "#GETTING_DATA"),
        (2045, "#SPILL!"), (2046, "#CONNECT!"), (2047, "#BLOCKED!"), (2048, "#UNKNOWN!"),
        (2049, "#FIELD!"), (2050, "#CALC!"),
    )
}
PRECISION = "bf16"  # MFU refers to the GPU's BF16 dense peak, as in `costsheet estimate`

ARG_HELP: dict[str, str] = {
    "params": "Total parameters, e.g. 7B or 7e9.",
    "tokens": "Training tokens, e.g. 2T or 14.8T.",
    "gpu": "GPU type from the catalog, e.g. H100 (see `costsheet gpus`).",
    "price_per_gpu_hour": "Rental price per GPU-hour (blank: the catalog's on-demand price).",
    "mfu": "Model FLOPs utilisation, 0.4 or 40% (blank: the median of published runs on the "
           "GPU's generation, as `costsheet estimate`).",
    "active_params": "Active parameters per token for MoE models, e.g. 37B (blank: all).",
    "gpu_hours": "GPU-hours, e.g. 1.2M.",
    "pue": "Power usage effectiveness, >= 1 (blank: the default, 1.2).",
    "power_w": "Average W per GPU incl. its server share (blank: from the catalog).",
    "gpu_count": "GPUs in the cluster, for wall-clock days (blank: no wall-clock row).",
    "budget": "Money to spend on GPU-hours, e.g. 1M or 5000000.",
}

_DRIVERS = Drivers()  # the defaults `costsheet estimate` uses (MFU, PUE, power draw, carbon)


# --- reading arguments --------------------------------------------------------------------------


class _ShapeError(Exception):
    """A whole-call problem (ragged or mismatched ranges): one message for the whole result."""


@dataclass
class _Col:
    """One argument as arrays of its own shape: values, blank cells and per-cell errors."""

    name: str
    shape: tuple[int, ...]
    is_range: bool
    values: np.ndarray  # float; NaN where blank or bad
    blank: np.ndarray  # bool
    bad: np.ndarray  # bool
    errors: np.ndarray  # object: message where bad


def _grid(name: str, x: Any) -> tuple[list[Any], tuple[int, ...], bool]:
    """Cells of an argument, flattened, with their shape. A 1-D list is a column."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return [x.item()], (), False
        x = x.tolist()
    if not isinstance(x, (list, tuple)):
        return [x], (), False
    if not x:
        raise _ShapeError(f"{name}: the range is empty")
    rows = [r.tolist() if isinstance(r, np.ndarray) else r for r in x]
    if not any(isinstance(r, (list, tuple)) for r in rows):
        return list(rows), (len(rows), 1), True
    if not all(isinstance(r, (list, tuple)) for r in rows):
        raise _ShapeError(f"{name}: mixes single values and rows")
    width = len(rows[0])
    if width == 0 or any(len(r) != width for r in rows):
        raise _ShapeError(f"{name}: rows of different lengths")
    return [v for r in rows for v in r], (len(rows), width), True


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _message(name: str, problem: str, value: Any) -> str:
    return f"{ERROR_PREFIX}{name}: {problem} (got {value!r})"


def _excel_error(v: Any) -> str | None:
    """The Excel error value a cell holds (#DIV/0!, #N/A, ...), or None."""
    if type(v) is str:
        text = v.strip().upper()
        return text if text in EXCEL_ERRORS else None
    if type(v) is int:
        return _XL_ERROR_CODES.get(v)
    return None


def _error_message(name: str, error: str) -> str:
    return f"{ERROR_PREFIX}{name}: the cell holds the error {error}; fix that cell"


def _read_numbers(name: str, x: Any, parse: Callable[[Any], float], fast_max: float,
                  whole: bool = False) -> _Col:
    """Parse every cell with ``parse`` (a costsheet.units parser).

    Plain floats inside [0, fast_max] (whole numbers when ``whole``) are what ``parse`` returns
    unchanged, so they are taken as they are, checked with numpy; every other cell (text,
    out-of-range numbers, booleans, dates) goes through ``parse`` itself, so accepted forms and
    error messages are exactly those of ``costsheet estimate``.
    """
    cells, shape, is_range = _grid(name, x)
    n = len(cells)
    values = np.full(n, np.nan)
    blank = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    errors = np.full(n, None, dtype=object)
    fast_idx: list[int] = []
    fast_val: list[float] = []
    slow: list[int] = []
    for i, v in enumerate(cells):
        t = type(v)
        if t is float or t is np.float64 or (t is int and v not in _XL_ERROR_CODES):
            fast_idx.append(i)
            fast_val.append(v)
        elif t is Decimal:  # a currency-formatted cell through pywin32 (VT_CY)
            fast_idx.append(i)
            fast_val.append(float(v))
        elif v is None or (t is str and not v.strip()):
            blank[i] = True
        else:
            slow.append(i)
    if fast_idx:
        idx = np.asarray(fast_idx, dtype=np.intp)
        arr = np.asarray(fast_val, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = (arr >= 0.0) & (arr <= fast_max)
            if whole:
                ok &= arr == np.floor(arr)
        values[idx[ok]] = arr[ok]
        slow.extend(idx[~ok].tolist())
    cache: dict[Any, float | str] = {}
    for i in slow:
        v = cells[i]
        if type(v) is Decimal:
            v = float(v)
        key = (type(v), v) if isinstance(v, (str, int, float)) else None
        got = cache.get(key) if key is not None else None
        if got is None:
            error = _excel_error(v)
            try:
                got = _error_message(name, error) if error else float(parse(v))
            except UnitError as exc:
                got = _message(name, str(exc), v)
            if key is not None:
                cache[key] = got
        if isinstance(got, str):
            bad[i] = True
            errors[i] = got
        else:
            values[i] = got
    return _Col(name, shape, is_range, values.reshape(shape), blank.reshape(shape),
                bad.reshape(shape), errors.reshape(shape))


def _number(name: str, x: Any) -> _Col:
    return _read_numbers(name, x, parse_number, 1e40)


def _fraction(name: str, x: Any) -> _Col:
    return _read_numbers(name, x, parse_fraction, 1.0)


def _count(name: str, x: Any) -> _Col:
    return _read_numbers(name, x, parse_count, 1e15, whole=True)


@dataclass
class _Gpus:
    """The GPU argument resolved against the catalog: per-cell peak, price and default power."""

    col: _Col  # values unused (NaN); blank, bad and errors per cell
    peak_flops: np.ndarray
    price_per_gpu_hour: np.ndarray  # NaN where the catalog has no rental price
    power_w: np.ndarray  # average W per GPU incl. server share, at the default draw
    keys: np.ndarray  # object: catalog key per cell
    mfu: np.ndarray  # the default MFU: median of published runs on the GPU's generation


@functools.lru_cache(maxsize=256)
def _gpu_facts(name: str) -> tuple[str, float, float, float, float] | str:
    """(key, peak FLOP/s, catalog price per GPU-hour or NaN, default power W, default MFU), or a
    message."""
    try:
        spec: GpuSpec = default_catalog().get(name)
    except CostsheetError as exc:
        return ERROR_PREFIX + exc.message
    pool = GpuPool(name="udf", gpu_type=spec.key)
    power_w = float(average_power_w(pool, spec, _DRIVERS)[0])
    price = spec.price_per_gpu_hour
    mfu = published_mfu(spec).point
    return (spec.key, spec.peak_flops(PRECISION), np.nan if price is None else price, power_w,
            mfu)


def _gpus(x: Any, name: str = "gpu") -> _Gpus:
    cells, shape, is_range = _grid(name, x)
    n = len(cells)
    blank = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    errors = np.full(n, None, dtype=object)
    keys = np.full(n, None, dtype=object)
    facts = np.full((n, 4), np.nan)
    for i, v in enumerate(cells):
        if _is_blank(v):
            blank[i] = True
            continue
        error = _excel_error(v)
        if error:
            got: tuple[str, float, float, float, float] | str = _error_message(name, error)
        elif isinstance(v, str):
            got = _gpu_facts(v.strip())
        else:
            got = _message(name, "not a GPU name", v)
        if isinstance(got, str):
            bad[i] = True
            errors[i] = got
        else:
            keys[i] = got[0]
            facts[i] = got[1:]
    col = _Col(name, shape, is_range, np.full(shape, np.nan), blank.reshape(shape),
               bad.reshape(shape), errors.reshape(shape))
    return _Gpus(col, facts[:, 0].reshape(shape), facts[:, 1].reshape(shape),
                 facts[:, 2].reshape(shape), keys.reshape(shape), facts[:, 3].reshape(shape))


# --- combining and answering --------------------------------------------------------------------


@dataclass
class _Frame:
    """All arguments broadcast to one shape; cells that are blank or bad so far."""

    shape: tuple[int, ...]
    is_range: bool
    blank: np.ndarray
    bad: np.ndarray
    errors: np.ndarray

    def fit(self, a: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(a), self.shape)

    def fail(self, where: Any, message: Any, *, blank_too: bool = False) -> None:
        """Mark cells as bad; the first problem of a cell wins. A rule on computed values skips
        blank cells; a cell that cannot be read is an error even in a row left blank."""
        if not np.any(where):  # the usual case: nothing to do
            return
        new = self.fit(where) & ~self.bad
        if not blank_too:
            new &= ~self.blank
        if new.any():
            msgs = self.fit(np.asarray(message, dtype=object))
            self.errors[new] = msgs[new]
            self.bad |= new


def _frame(required: list[_Col], optional: list[_Col]) -> _Frame:
    """Broadcast the arguments. A blank required cell gives a blank result; a blank optional
    cell takes the default (as an omitted argument does)."""
    cols = required + optional
    try:
        shape = np.broadcast_shapes(*(c.shape for c in cols))
    except ValueError:
        sizes = ", ".join(f"{c.name} {'×'.join(map(str, c.shape))}" for c in cols if c.is_range)
        raise _ShapeError(f"ranges of different sizes ({sizes})") from None
    if len(shape) == 1:  # pragma: no cover - every range is 2-D
        shape = (shape[0], 1)
    is_range = any(c.is_range for c in cols)
    blank = np.zeros(shape, dtype=bool)
    for c in required:
        blank |= np.broadcast_to(c.blank, shape)
    frame = _Frame(shape, is_range, blank, np.zeros(shape, dtype=bool),
                   np.full(shape, None, dtype=object))
    for c in cols:
        frame.fail(c.bad, c.errors, blank_too=True)
    return frame


def _or_default(col: _Col, default: Any) -> np.ndarray:
    """The column's values, with the default where a cell is blank (or the argument omitted)."""
    return np.where(col.blank, default, col.values)


def _answer(frame: _Frame, values: np.ndarray) -> Any:
    """A float (or message, or None) for scalar calls; a 2-D list for range calls."""
    values = frame.fit(values)
    if not frame.is_range:
        if frame.bad.item():
            return frame.errors.item()
        return None if frame.blank.item() else float(values)
    rows: list[list[Any]] = values.tolist()
    for i, j in zip(*np.nonzero(frame.blank | frame.bad), strict=True):
        rows[i][j] = frame.errors[i, j] if frame.bad[i, j] else None
    return rows


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring on one line: what Excel shows as the description."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())


def _excel(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn`` as an Excel function in the ``costsheet`` category: every argument may
    be a range (``ndim=2``) and keeps error cells as their text (``err_to_str``), its help comes
    from :data:`ARG_HELP`, and no exception ever reaches the cell.

    xlwings takes the description Excel shows from ``__doc__`` (cut at 255 characters), so the
    registered function carries only the docstring's first paragraph; the whole docstring stays
    on the Python function (``__wrapped__``) for ``costsheet functions`` and the docs."""

    @functools.wraps(fn)
    def safe(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _ShapeError as exc:
            return ERROR_PREFIX + str(exc)
        except CostsheetError as exc:
            return ERROR_PREFIX + exc.message
        except Exception as exc:  # a cell shows a message, never a traceback
            return f"{ERROR_PREFIX}unexpected error ({type(exc).__name__}: {exc})"

    safe.__doc__ = summary(fn.__doc__)
    wrapped: Any = safe
    for name in reversed(fn.__code__.co_varnames[: fn.__code__.co_argcount]):
        wrapped = arg(name, ndim=2, err_to_str=True, doc=ARG_HELP[name])(wrapped)
    return func(category=CATEGORY)(wrapped)


# --- shared pieces of the model path ------------------------------------------------------------


@dataclass
class _Run:
    frame: _Frame
    gpus: _Gpus
    flops: np.ndarray
    gpu_hours: np.ndarray


def _flops_cols(params: Any, tokens: Any, active_params: Any) -> tuple[_Col, _Col, _Col]:
    return _number("params", params), _number("tokens", tokens), _number(
        "active_params", active_params)


def _check_active(frame: _Frame, p: _Col, a: _Col) -> None:
    """The rule ``TrainingRun`` enforces: no more active parameters than parameters."""
    frame.fail(~a.blank & (a.values > p.values),
               ERROR_PREFIX + "active_params: more active parameters than parameters")


def _flops_of(p: _Col, t: _Col, a: _Col) -> np.ndarray:
    return training_flops(_or_default(a, p.values), t.values)


def _mfu(frame: _Frame, mfu: _Col, gpus: _Gpus) -> np.ndarray:
    values = _or_default(mfu, gpus.mfu)
    frame.fail(values <= 0.0, _message("mfu", "must be above 0", 0))
    return values


def _run(params: Any, tokens: Any, gpu: Any, mfu: Any, active_params: Any,
         extra_required: tuple[_Col, ...] = (), extra_optional: tuple[_Col, ...] = ()) -> _Run:
    p, t, a = _flops_cols(params, tokens, active_params)
    g = _gpus(gpu)
    m = _fraction("mfu", mfu)
    frame = _frame([p, t, g.col, *extra_required], [m, a, *extra_optional])
    _check_active(frame, p, a)
    mfu_values = _mfu(frame, m, g)
    with np.errstate(all="ignore"):
        flops = _flops_of(p, t, a)
        gpu_hours = gpu_hours_for_flops(flops, g.peak_flops, mfu_values)
    return _Run(frame, g, flops, gpu_hours)


def _rent(frame: _Frame, g: _Gpus, price: _Col) -> np.ndarray:
    values = _or_default(price, g.price_per_gpu_hour)
    frame.fail(np.isnan(values) & ~g.col.bad,
               ERROR_PREFIX + "price_per_gpu_hour: the catalog has no rental price for this "
               "GPU; give one")
    return values


# --- the functions ------------------------------------------------------------------------------


@_excel
def LLMCOST(params: Any, tokens: Any, gpu: Any, price_per_gpu_hour: Any = None,
            mfu: Any = None, active_params: Any = None) -> Any:
    """Cost of one training run on rented GPUs (in the price's currency; catalog prices: USD).

    GPU-hours = 6 × active parameters × tokens / (GPU peak BF16 FLOP/s × MFU × 3,600), times the
    price per GPU-hour (blank: the catalog's on-demand price for that GPU). Equals the compute
    cost of `costsheet estimate --params P --tokens T --gpu G [--price X] [--mfu M]`.
    """
    price = _number("price_per_gpu_hour", price_per_gpu_hour)
    run = _run(params, tokens, gpu, mfu, active_params, extra_optional=(price,))
    rate = _rent(run.frame, run.gpus, price)
    return _answer(run.frame, run.gpu_hours * rate)


@_excel
def LLMGPUHOURS(params: Any, tokens: Any, gpu: Any, mfu: Any = None,
                active_params: Any = None) -> Any:
    """GPU-hours to train: 6 × active parameters × tokens / (peak BF16 FLOP/s × MFU × 3,600).

    MFU blank: the median of published runs on the GPU's generation. Equals the GPU-hours of
    `costsheet estimate`.
    """
    run = _run(params, tokens, gpu, mfu, active_params)
    return _answer(run.frame, run.gpu_hours)


@_excel
def LLMFLOPS(params: Any, tokens: Any, active_params: Any = None) -> Any:
    """Training FLOPs: 6 × active parameters × tokens (active parameters blank: all of them)."""
    p, t, a = _flops_cols(params, tokens, active_params)
    frame = _frame([p, t], [a])
    _check_active(frame, p, a)
    return _answer(frame, _flops_of(p, t, a))


@_excel
def LLMENERGY(gpu_hours: Any, gpu: Any, pue: Any = None, power_w: Any = None) -> Any:
    """Facility energy in kWh: GPU-hours × average W per GPU × PUE / 1,000.

    Average power (blank: the GPU's TDP × server ratio × 75% average draw, from the catalog) and
    PUE (blank: 1.2) as in `costsheet estimate`. Give a GPU, or power_w.
    """
    h = _number("gpu_hours", gpu_hours)
    g = _gpus(gpu)
    e = _number("pue", pue)
    w = _number("power_w", power_w)
    frame = _frame([h], [g.col, e, w])
    frame.fail(g.col.blank & w.blank,
               ERROR_PREFIX + "gpu: give a GPU type or power_w (average W per GPU)")
    pue_values = _or_default(e, _DRIVERS.pue)
    frame.fail(pue_values < 1.0, ERROR_PREFIX + "pue: must be at least 1")
    watts = _or_default(w, g.power_w)
    return _answer(frame, energy_kwh(h.values, watts, pue_values))


COSTTABLE_LABELS = ("FLOPs", "GPU-hours", "Wall-clock days", "Compute cost", "Energy (kWh)",
                    "CO2 (kg)")


@_excel
def LLMCOSTTABLE(params: Any, tokens: Any, gpu: Any, gpu_count: Any = None,
                 price_per_gpu_hour: Any = None, mfu: Any = None,
                 active_params: Any = None) -> Any:
    """A labelled two-column breakdown of one run (spills down): FLOPs, GPU-hours, wall-clock
    days (only when a GPU count is given), compute cost, energy in kWh and CO2 in kg.

    One value per argument (for columns of runs use LLMCOST, LLMGPUHOURS, LLMENERGY). Energy and
    CO2 use the catalog's power, PUE 1.2 and 0.4 kg CO2/kWh, as `costsheet estimate` does.
    """
    price = _number("price_per_gpu_hour", price_per_gpu_hour)
    count = _count("gpu_count", gpu_count)
    run = _run(params, tokens, gpu, mfu, active_params, extra_optional=(price, count))
    frame = run.frame
    if frame.is_range and frame.blank.size != 1:
        raise _ShapeError("LLMCOSTTABLE takes one value per argument, not ranges; for a column "
                          "of runs use LLMCOST, LLMGPUHOURS or LLMENERGY")
    rate = _rent(frame, run.gpus, price)
    if frame.bad.any():
        return frame.errors.ravel()[0]
    if frame.blank.any():
        return None
    gpu_hours = float(run.gpu_hours.ravel()[0])
    kwh = float(energy_kwh(gpu_hours, float(run.gpus.power_w.ravel()[0]), _DRIVERS.pue))
    n_gpus = float(count.values.ravel()[0])
    rows: list[list[Any]] = [["FLOPs", float(run.flops.ravel()[0])], ["GPU-hours", gpu_hours]]
    if n_gpus > 0:  # blank (NaN) or 0: no wall-clock row, as in `costsheet estimate`
        lost = gpu_hours * interruption_overhead(_DRIVERS, n_gpus)
        rows.append(["Wall-clock days", float((gpu_hours + lost) / (n_gpus * 24.0))])
    rows += [
        [f"Compute cost ({_DRIVERS.currency})", gpu_hours * float(rate.ravel()[0])],
        ["Energy (kWh)", kwh],
        ["CO2 (kg)", kwh * _DRIVERS.grid_kg_co2_per_kwh],
    ]
    return rows


@_excel
def LLMCHINCHILLA(budget: Any, gpu: Any, price_per_gpu_hour: Any = None,
                  mfu: Any = None) -> Any:
    """Compute-optimal model for a budget (spills right): parameters N and tokens D = 20 × N.

    GPU-hours = budget / price per GPU-hour (blank: the catalog's); FLOPs = GPU-hours × peak BF16
    FLOP/s × MFU × 3,600; N = sqrt(FLOPs / 120). A column of budgets gives one row per budget.
    """
    b = _number("budget", budget)
    g = _gpus(gpu)
    price = _number("price_per_gpu_hour", price_per_gpu_hour)
    m = _fraction("mfu", mfu)
    frame = _frame([b, g.col], [price, m])
    if frame.is_range and frame.shape[1] != 1:
        raise _ShapeError("LLMCHINCHILLA takes a single budget or a column of budgets")
    rate = _rent(frame, g, price)
    frame.fail(rate <= 0.0, ERROR_PREFIX + "price_per_gpu_hour: must be above 0")
    mfu_values = _mfu(frame, m, g)
    with np.errstate(all="ignore"):
        best = compute_optimal_for_budget(b.values, rate, g.peak_flops, mfu_values)
    params = _answer(frame, best.params)
    tokens = _answer(frame, best.tokens)
    if not frame.is_range:
        return params if isinstance(params, str) or params is None else [[params, tokens]]
    return [[pr[0], tk[0] if not isinstance(pr[0], str) else None]
            for pr, tk in zip(params, tokens, strict=True)]
