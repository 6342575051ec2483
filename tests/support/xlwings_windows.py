"""Run xlwings' own Windows UDF code (the classic add-in) on Linux, with fake COM modules.

On Windows, xlwings' ``__init__`` takes the ``pywin32`` branch: ``xw.func``/``xw.arg`` are
``xlwings.udfs.xlfunc``/``xlarg`` (which record ``__xlfunc__``), "Import Functions" runs
``xlwings.udfs.import_udfs`` (VBA wrappers written by ``generate_vba_wrapper``, then
``Application.MacroOptions`` for the description, category and argument help), and every
recalculation goes VBA ``XLPy.CallUDF`` → ``com_server.XLPython.CallUDF`` → ``udfs.call_udf``,
which converts each argument with ``conversion.read`` using the Excel engine's
``_clean_value_data_element`` (where error cells become None, or their text with
``err_to_str``) and the result with ``conversion.write``.

This module makes that exact code run here: it installs stand-ins for ``pywintypes``,
``pythoncom``, ``win32api``, ``win32com`` ... and imports xlwings with ``sys.platform`` set to
``"win32"``. Only the COM plumbing is fake: what pywin32 would hand over (a Range object whose
``.Value`` is a scalar or a tuple of row tuples, error cells as their COM codes, a missing
optional argument as DISP_E_PARAMNOTFOUND) is built by :class:`FakeRange` and :func:`decode`.
Not covered: Excel itself (whether it calls the VBA as written), pywin32's VARIANT conversion,
and the COM server's process start-up.

It changes the interpreter for good, so it runs in its own process: ``python -m
support.xlwings_windows`` reads one JSON request per line on stdin and answers one JSON line
(``XlwingsWindows`` in the tests starts and talks to it).
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any
from unittest import mock

RANGE_IID = "{00020846-0000-0000-C000-000000000046}"  # what is_range_instance() looks for
MISSING = -2147352572  # DISP_E_PARAMNOTFOUND: VBA passes an omitted Optional argument as this
#: Excel's error values as pywin32 passes them: 0x800A0000 + XlCVError, as a signed int.
ERROR_CODES = {
    "#NULL!": -2146826288, "#DIV/0!": -2146826281, "#VALUE!": -2146826273,
    "#REF!": -2146826265, "#NAME?": -2146826259, "#NUM!": -2146826252, "#N/A": -2146826246,
    "#SPILL!": -2146826243, "#CALC!": -2146826238,
}


class _StubModule(types.ModuleType):
    """A stand-in module: any attribute is a MagicMock unless set explicitly."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = mock.MagicMock(name=f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


def _stub(name: str, **attrs: Any) -> None:
    module = _StubModule(name)
    module.__file__ = None
    for key, value in attrs.items():
        setattr(module, key, value)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def _not_wrapped(obj: Any) -> Any:
    raise ValueError("not a wrapped COM object")  # win32com.server.util.unwrap on a plain value


def boot() -> Any:
    """Import xlwings as on Windows with pywin32; returns the xlwings module."""
    import numpy  # noqa: F401  (real imports first, before the platform is faked)
    import pandas  # noqa: F401

    time_type = type("TimeType", (), {})
    com_error = type("com_error", (Exception,), {})
    _stub("pywintypes", TimeType=time_type, com_error=com_error, error=com_error,
          IID=lambda s: s)
    for name in ("pythoncom", "win32api", "win32con", "win32gui", "win32process",
                 "win32timezone", "win32event", "win32com", "win32com.client.gencache",
                 "win32com.server", "win32com.server.dispatcher", "win32com.server.policy"):
        if name == "win32com.client.gencache":
            _stub("win32com.client", CDispatch=type("CDispatch", (), {}),
                  DispatchBaseClass=type("DispatchBaseClass", (), {}),
                  CoClassBaseClass=type("CoClassBaseClass", (), {}))
        _stub(name)
    _stub("win32com.server.util", unwrap=_not_wrapped, wrap=lambda obj, *a: obj)
    ctypes.windll = mock.MagicMock()  # type: ignore[attr-defined]
    ctypes.oledll = mock.MagicMock()  # type: ignore[attr-defined]
    real_pydll, platform = ctypes.PyDLL, sys.platform
    ctypes.PyDLL = mock.MagicMock()  # type: ignore[misc]
    sys.platform = "win32"
    try:
        import xlwings
    finally:
        sys.platform = platform
        ctypes.PyDLL = real_pydll  # type: ignore[misc]
    assert xlwings.has_pywin32 and xlwings.func is xlwings.udfs.xlfunc, "not the Windows path"
    return xlwings


class FakeRange:
    """A worksheet Range as pywin32 hands it to xlwings: ``.Value`` is the cell's value for one
    cell, else a tuple of row tuples; empty cells None; error cells their COM codes."""

    def __init__(self, rows: list[list[Any]], row: int = 1, column: int = 1) -> None:
        self._rows = [tuple(r) for r in rows]
        self._oleobj_ = mock.MagicMock()
        self._oleobj_.GetTypeInfo.return_value.GetTypeAttr.return_value.iid = RANGE_IID
        self.Worksheet = mock.MagicMock(name="Worksheet")
        self.Row, self.Column = row, column
        self.Rows = mock.MagicMock(Count=len(rows))
        self.Columns = mock.MagicMock(Count=len(rows[0]))
        self.Count = len(rows) * len(rows[0])

    @property
    def Value(self) -> Any:  # noqa: N802 - the COM property's name
        return self._rows[0][0] if self.Count == 1 else tuple(self._rows)


def decode(x: Any) -> Any:
    """A JSON argument as pywin32 would pass it: {"range": rows} a Range, {"error": "#N/A"} an
    error value, {"missing": true} an omitted optional argument, {"decimal": "2.5"} a
    currency cell (VT_CY), anything else as it is (a number or text typed into the formula)."""
    if isinstance(x, dict):
        if "range" in x:
            return FakeRange([[decode(v) for v in row] for row in x["range"]])
        if "error" in x:
            return ERROR_CODES[x["error"]]
        if x.get("missing"):
            return MISSING
        if "decimal" in x:
            from decimal import Decimal

            return Decimal(x["decimal"])
    return x


def _import_functions(xlwings: Any, module: str, book_name: str) -> dict[str, Any]:
    """Run xlwings' "Import Functions" (``import_udfs``) against a fake workbook; return the VBA
    module it imports and every ``Application.MacroOptions`` call it makes."""
    written: dict[str, str] = {}

    def keep(path: str) -> None:
        written["vba"] = Path(path).read_text()

    book = mock.MagicMock(name="Workbook")
    book.Name = book_name
    book.Application.Version = "16.0"
    book.VBProject.VBComponents.Import.side_effect = keep
    xlwings.udfs.import_udfs(module, book)
    options = [{"macro": c.args[0], **{k: v for k, v in c.kwargs.items() if v is not None}}
               for c in book.Application.MacroOptions.call_args_list]
    return {"vba": written["vba"], "macro_options": options}


def _plain(x: Any) -> Any:
    """A call result as JSON: tuples to lists (what goes back to VBA as a Variant array)."""
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def serve() -> None:
    xlwings = boot()
    from xlwings.com_server import XLPython

    server = XLPython()
    out_stream = sys.stdout
    sys.stdout = sys.stderr  # xlwings prints ("Imported functions ..."): keep stdout for answers
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        try:
            if op == "call":
                args = tuple(decode(a) for a in request["args"])
                caller = FakeRange(request.get("caller", [[None]]))
                out: Any = _plain(server.CallUDF(request.get("module", "costsheet.udfs"),
                                                 request["func"], args, None, caller))
            elif op == "import_functions":
                out = _import_functions(xlwings, request["module"], request["book"])
            elif op == "xlfunc":
                import costsheet.udfs as udfs

                info = getattr(udfs, request["func"]).__xlfunc__
                out = json.loads(json.dumps(info, default=repr))
            else:
                raise ValueError(op)
            answer = {"ok": out}
        except Exception as exc:  # reported to the test, which fails on it
            answer = {"raised": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), file=out_stream, flush=True)


class XlwingsWindows:
    """The test side: one server process, asked one thing at a time."""

    def __init__(self) -> None:
        tests = Path(__file__).resolve().parents[1]
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "support.xlwings_windows"], cwd=tests,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **request: Any) -> Any:
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the xlwings server process ended")
        answer = json.loads(line)
        if "raised" in answer:
            raise AssertionError(f"xlwings raised {answer['raised']}")
        return answer["ok"]

    def call(self, func: str, *args: Any, caller: list[list[Any]] | None = None) -> Any:
        """What the cell gets: ``=func(args...)`` through VBA's XLPy.CallUDF."""
        return self.ask(op="call", func=func, args=list(args), caller=caller or [[None]])

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)


if __name__ == "__main__":
    serve()
