"""Evaluate input formulas that have no saved value, with the ``formulas`` library.

openpyxl never calculates: a workbook written by a script (or by openpyxl itself) holds formulas
such as ``=B2*2`` with no cached result, and Excel fills the results in only when someone opens
and saves the file. :class:`FormulaEvaluator` computes such a cell from the cells it refers to
(recursively, for formulas that refer to other uncalculated formulas), using the parser and the
Excel function library of `formulas <https://pypi.org/project/formulas/>`_. It is imported
lazily: only workbooks with uncalculated formulas pay for it.

What it refuses (each with a reason the reader reports at the cell): volatile functions (NOW,
TODAY, RAND, INDIRECT, OFFSET, ...), links to other workbooks, defined names, array formulas,
functions the library does not implement, references to sheets that do not exist, circular
references, results that are Excel errors (``#DIV/0!``) or ranges, and anything above
:data:`MAX_CELLS` referenced cells.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import column_index_from_string

from ..i18n import _

__all__ = ["MAX_CELLS", "FormulaEvaluator", "UnevaluableFormula"]

MAX_CELLS = 100_000
VOLATILE = frozenset({"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY", "INDIRECT", "OFFSET",
                      "INFO", "CELL"})
_FUNC_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_REF_RE = re.compile(
    r"^(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^!]+))!)?"
    r"\$?(?P<c1>[A-Z]{1,3})\$?(?P<r1>\d+)(?::\$?(?P<c2>[A-Z]{1,3})\$?(?P<r2>\d+))?$"
)

#: ``cell(sheet, row, col) -> (value, formula)``: the stored value (the saved result for a
#: formula cell, None when blank or not saved) and the formula text (None for plain values).
#: ``sheet`` is the name as written in the formula, or the formula's own sheet; raise KeyError
#: for a sheet that does not exist.
CellSource = Callable[[str, int, int], tuple[Any, str | None]]


class UnevaluableFormula(Exception):
    """A formula costsheet cannot evaluate; ``reason`` says why, for the cell's message (a
    clause in the current language: "it uses NOW, whose value changes …")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class FormulaEvaluator:
    """Evaluates formula cells with no saved value; remembers what it computed."""

    cell: CellSource
    _done: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    _busy: set[tuple[str, int, int]] = field(default_factory=set)
    _parser: Any = None

    def evaluate(self, sheet: str, row: int, col: int, formula: str) -> Any:
        """The value of ``formula`` in ``sheet`` at (row, col): a float, str or bool.

        Raises :class:`UnevaluableFormula`.
        """
        key = (sheet.casefold(), row, col)
        if key in self._done:
            return self._done[key]
        if key in self._busy:
            raise UnevaluableFormula(_("it is part of a circular reference"))
        self._busy.add(key)
        try:
            value = self._evaluate(sheet, formula)
        finally:
            self._busy.discard(key)
        self._done[key] = value
        return value

    # -- internals ------------------------------------------------------------------------------

    def _compile(self, formula: str) -> Any:
        import formulas  # lazy: a few hundred ms on first use

        logging.getLogger("schedula").setLevel(logging.CRITICAL)
        logging.getLogger("formulas").setLevel(logging.CRITICAL)
        if self._parser is None:
            self._parser = formulas.Parser()
        try:
            return self._parser.ast(formula)[1].compile()
        except Exception as exc:  # the parser raises its own kinds for bad syntax
            reason = _("it is not a formula costsheet can parse ({problem})").format(
                problem=_first_line(exc))
            raise UnevaluableFormula(reason) from None

    def _evaluate(self, sheet: str, formula: str) -> Any:
        text = formula.strip()
        bare = re.sub(r'"[^"]*"', '""', text)  # function names outside string literals
        for name in _FUNC_RE.findall(bare):
            if name.upper() in VOLATILE:
                raise UnevaluableFormula(_("it uses {function}, whose value changes on every "
                                           "calculation").format(function=name.upper()))
        if "[" in bare:
            raise UnevaluableFormula(_("it refers to another workbook"))
        func = self._compile(text)
        args = [self._input(sheet, name) for name in func.inputs]
        try:
            result = func(*args)
        except Exception as exc:  # functions not implemented, type errors inside the library
            reason = _("it uses what costsheet cannot evaluate ({problem})").format(
                problem=_first_line(exc))
            raise UnevaluableFormula(reason) from None
        return _scalar(result)

    def _input(self, sheet: str, name: str) -> Any:
        import numpy as np

        m = _REF_RE.match(name)
        if m is None:
            raise UnevaluableFormula(_("it uses the name {name}, which costsheet does not "
                                       "resolve").format(name=name))
        ref_sheet = m.group("qs").replace("''", "'") if m.group("qs") else m.group("s")
        ref_sheet = ref_sheet or sheet
        r1, c1 = int(m.group("r1")), column_index_from_string(m.group("c1"))
        r2 = int(m.group("r2") or r1)
        c2 = column_index_from_string(m.group("c2")) if m.group("c2") else c1
        r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_CELLS:
            raise UnevaluableFormula(_("it refers to {name}, too many cells to evaluate").format(
                name=name))
        values = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                values[r - r1, c - c1] = self._value(ref_sheet, r, c, name)
        if values.shape == (1, 1):
            return values[0, 0]
        return values

    def _value(self, sheet: str, row: int, col: int, name: str) -> Any:
        import schedula as sh

        try:
            value, formula = self.cell(sheet, row, col)
        except KeyError:
            raise UnevaluableFormula(_("it refers to {name}, but there is no sheet "
                                       "{sheet!r}").format(name=name, sheet=sheet)) from None
        if formula is not None and value is None:
            try:
                value = self.evaluate(sheet, row, col, formula)
            except UnevaluableFormula as exc:
                raise UnevaluableFormula(_("it refers to {name}, which cannot be evaluated: "
                                           "{reason}").format(name=name, reason=exc.reason)) \
                    from None
        if value is None:
            return sh.EMPTY
        if hasattr(value, "toordinal"):  # a date typed in a cell: Excel's serial number
            from openpyxl.utils.datetime import to_excel

            return to_excel(value)  # type: ignore[no-untyped-call]  # untyped in the stubs
        return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _scalar(result: Any) -> Any:
    import numpy as np

    value = result
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise UnevaluableFormula(_("it gives a range of cells, not one value"))
        value = value.reshape(-1)[0]
    if type(value).__name__ == "XlError" or (isinstance(value, str) and value.startswith("#")
                                              and value.upper() == value):
        raise UnevaluableFormula(_("it gives the Excel error {error}").format(error=value))
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        if not math.isfinite(f):
            raise UnevaluableFormula(_("it gives a number too large to store"))
        return f
    if isinstance(value, str):
        return value
    if value is None or type(value).__name__ == "EMPTY" or value is _empty():
        return 0.0  # Excel shows a reference to a blank cell as 0
    return str(value)


def _empty() -> Any:
    import schedula as sh

    return sh.EMPTY
