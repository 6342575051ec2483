"""One reader for every input sheet: the sheets, the key row, the columns, the lines, the cells.

Every input sheet (Drivers, Pools, Runs, Data, Staff, Other, GPU catalog, FX, Overrides,
Uncertainty, Actuals) is read here, the same way:

- :class:`Book` loads the sheets once from the workbook's :class:`~costsheet.workbook.ooxml.Package`
  (opened once per run and passed in; openpyxl read-only over its bytes: the cells, then the
  saved results of formulas; hidden rows and columns and merged cells from the sheet XML);
- :func:`read_table` finds the key row (the row among the first :data:`KEY_ROW_SCAN` that holds
  the sheet's first key, and the most of its keys), maps keys to columns (keys of workbooks
  written before a column was renamed included), and returns one :class:`Row` per line;
- a cell's value follows one rule (:meth:`Book.value`): a formula is read as its saved result;
  a formula saved without a result is evaluated (a warning says so) or reported at its cell; a
  cell showing an Excel error (``#REF!``, ``#DIV/0!``, ...) is reported at its cell; text, choice
  and currency columns read numbers and dates as text;
- a row with nothing filled, or only heading columns (a line's name, a note), is skipped (a
  formula with no saved result counts as filled until it is evaluated);
  hidden rows and columns holding inputs, and merged cells over input cells, are warnings.

Problems go to the book's :class:`~costsheet.errors.Report` with their ``Sheet!Cell`` and code.
Keys are matched exactly (after trimming spaces), never by label.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError

from ..errors import CostsheetError, Report, closest
from ..i18n import N_, _
from ..inputs import validation_problems
from .ooxml import Package, PackageError
from .sheet_names import AmbiguousSheetError, find_sheet, sheet_prefix
from .sheet_parts import defused, impossible_cell, scan_layout
from .template import FIRST_ROW, KEY_ROW, ColumnSpec, SheetSpec

__all__ = ["EXCEL_ERRORS", "FORMULA_NO_VALUE", "KEY_ROW_SCAN", "Book", "Grid", "Row", "Table",
           "TableSpec", "find_key_row", "key_columns", "read_table", "shown", "validate_row"]

FORMULA_NO_VALUE = N_(
    "formula with no saved value: open and save the file in Excel, or type the value"
)  # English; translated where it is reported
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#UNKNOWN!"})
KEY_ROW_SCAN = 15  # the key row is one of the first rows
RENAMED_SCAN = 12  # sheets whose first rows are looked at for a missing input sheet's keys
TEXT_KINDS = ("text", "choice", "currency")


class _Bad:
    """A cell that holds something, but nothing usable (already reported)."""


BAD = _Bad()


# --------------------------------------------------------------------------------------------
# one sheet's cells


@dataclass
class Grid:
    """The cells of one sheet: cached values, which ones are formulas, hidden rows, merges."""

    name: str
    rows: list[tuple[Any, ...]]
    formulas: set[tuple[int, int]] = field(default_factory=set)
    cached: dict[tuple[int, int], Any] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # c1, r1, c2, r2

    @property
    def max_row(self) -> int:
        return len(self.rows)

    def raw(self, r: int, c: int) -> Any:
        """The cell's value (1-based), the saved result for a formula."""
        if (r, c) in self.formulas:
            return self.cached.get((r, c))
        if r > len(self.rows):
            return None
        row = self.rows[r - 1]
        return row[c - 1] if c <= len(row) else None

    def width(self, r: int) -> int:
        return len(self.rows[r - 1]) if r <= len(self.rows) else 0

    def ref(self, r: int, c: int) -> str:
        return f"{get_column_letter(c)}{r}"

    def text(self, r: int, c: int) -> str:
        return _text(self.raw(r, c))

    def filled(self, r: int, c: int) -> bool:
        """Whether the cell holds something: a value, or a formula whose result is not saved
        (it must be evaluated to know)."""
        return self.unsaved(r, c) or _clean(self.raw(r, c)) is not None

    def unsaved(self, r: int, c: int) -> bool:
        """Whether the cell is a formula saved without its result."""
        return (r, c) in self.formulas and self.cached.get((r, c)) is None

    def top_rows(self) -> list[list[Any]]:
        """The first :data:`KEY_ROW_SCAN` rows as shown (saved results of formulas)."""
        return [[self.raw(r, c) for c in range(1, self.width(r) + 1)]
                for r in range(1, min(self.max_row, KEY_ROW_SCAN) + 1)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _is_formula(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=") and len(value) > 1
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def shown(value: Any) -> Any:
    """A cell's value as a message shows it (dates as ``YYYY-MM-DD``)."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return value


def find_key_row(rows: Sequence[Sequence[Any]], keys: Iterable[str], must: str) -> int | None:
    """The row (1-based, among the first :data:`KEY_ROW_SCAN`) that holds ``must`` and the most
    of ``keys``; the first such row on a tie. ``rows`` are the sheet's values."""
    wanted = set(keys)
    best, best_n = None, 0
    for r, row in enumerate(rows[:KEY_ROW_SCAN], start=1):
        found = {_text(v) for v in row}
        if must not in found:
            continue
        n = len(found & wanted)
        if n > best_n:
            best, best_n = r, n
    return best


def key_columns(ws: Any, keys: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(key row, key → column) of a sheet being written with openpyxl (a template's table),
    found as :func:`read_table` finds them; KeyError when it has no key row."""
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(max_row=KEY_ROW_SCAN)]
    key_row = find_key_row(rows, keys, keys[0])
    if key_row is None:
        raise KeyError(f"the {ws.title} sheet has no key row")
    return key_row, {_text(v): c for c, v in enumerate(rows[key_row - 1], start=1)
                     if _text(v) in keys}


# --------------------------------------------------------------------------------------------
# the sheets of one workbook


@dataclass
class Book:
    """The input sheets of one workbook, read once; every problem goes to ``report``.

    Open it with :meth:`open`. ``failed`` is set when a sheet (or the file) could not be read,
    ``fatal`` when the file could not be read at all. ``package``: the file, read once; every
    sheet and part is read from it.
    """

    path: Path
    report: Report
    package: Package | None = None
    grids: dict[str, Grid] = field(default_factory=dict)  # by the sheet's stable name
    sheet_order: list[str] = field(default_factory=list)
    fatal: CostsheetError | None = None
    failed: bool = False
    _formulas: _Formulas | None = None
    matched: list[str] = field(default_factory=list)  # the workbook's names of loaded sheets
    prefix: str = ""  # the workbook's sheet prefix (:mod:`.sheet_names`)

    @classmethod
    def open(cls, source: Path | Package, sheets: Iterable[str],
             report: Report | None = None) -> Book:
        """Load ``sheets`` (stable names, found case-insensitively) of the workbook ``source``:
        its package already open, or a path (opened and sniffed here; a refusal is ``fatal``)."""
        path = source.path if isinstance(source, Package) else Path(source)
        book = cls(path, report if report is not None else Report(source=str(path)))
        book._formulas = _Formulas(book)
        try:
            book.package = source if isinstance(source, Package) else Package.open(path)
        except PackageError as exc:
            book._refused(exc)
            return book
        book._load(list(sheets))
        return book

    def reporting_to(self, report: Report) -> Book:
        """The same sheets, with problems going to ``report``."""
        return replace(self, report=report)

    def grid(self, name: str) -> Grid | None:
        return self.grids.get(name)

    def renamed(self, name: str, keys: Sequence[str], first_key: str
                ) -> tuple[str | None, bool]:
        """A sheet that looks like input sheet ``name`` renamed: (its name, whether it has the
        sheet's key row), else ``(None, False)``. Sheets are tried nearest name first; one whose
        first rows hold the keys wins, else a near-miss name (:func:`difflib`)."""
        taken = {n.strip().casefold() for n in self.grids} | {n.casefold() for n in self.matched}
        others = [n for n in self.sheet_order if n.strip().casefold() not in taken]
        ranked = sorted(others, key=lambda n: -difflib.SequenceMatcher(
            None, n.strip().casefold(), name.casefold()).ratio())
        for other in ranked[:RENAMED_SCAN]:
            rows = self._top_rows(other)
            if rows and find_key_row(rows, keys, first_key) is not None:
                return other, True
        near = closest(name, others, cutoff=0.75)
        return near, False

    def _top_rows(self, sheet: str) -> list[list[Any]]:
        """The first :data:`KEY_ROW_SCAN` rows of a sheet costsheet did not load (values)."""
        from .readonly_workbook import open_read_only

        try:
            wb = open_read_only(self.path, data_only=True)
            try:
                ws = wb[sheet]
                return [list(r) for r in ws.iter_rows(max_row=KEY_ROW_SCAN, values_only=True)]
            finally:
                wb.close()
        except Exception:  # a sheet costsheet does not own and cannot read: not a candidate
            return []

    # -- problems ---------------------------------------------------------------------------

    def error(self, sheet: str, cell: str, field_name: str, value: Any, message: str,
              code: str) -> None:
        self.report.add(sheet, cell, field_name, value, message, code=code)

    def warn(self, sheet: str, cell: str, field_name: str, value: Any, message: str,
             code: str) -> None:
        self.report.add(sheet, cell, field_name, value, message, severity="warning", code=code)

    # -- the one rule for a cell's value ----------------------------------------------------

    def value(self, g: Grid, r: int, c: int, field_name: str, kind: str | None) -> Any:
        """A cell's usable value: None when blank, :data:`BAD` when reported here."""
        if (r, c) in g.formulas and g.cached.get((r, c)) is None:
            assert self._formulas is not None
            evaluated = self._formulas.evaluate(self, g, r, c, field_name)
            if evaluated is BAD:
                return BAD
            g.cached[(r, c)] = evaluated
        value = _clean(g.raw(r, c))
        if value is None:
            return None
        if isinstance(value, str) and value.upper() in EXCEL_ERRORS:
            self.error(g.name, g.ref(r, c), field_name, value,
                       _("the cell shows the Excel error {error}; fix the formula or type a "
                         "value").format(error=value), "excel_error")
            return BAD
        if kind in TEXT_KINDS:
            return _as_text(value)
        return value

    # -- loading ----------------------------------------------------------------------------

    def _workbook(self, *, data_only: bool) -> Any:
        """An openpyxl read-only view of the package's bytes."""
        assert self.package is not None
        return self.package.open_workbook(data_only=data_only)

    def _load(self, wanted: list[str]) -> None:
        try:
            wb = self._workbook(data_only=False)
        except Exception as exc:  # openpyxl raises many kinds on damaged parts
            self._unreadable_file(exc)
            return
        try:
            self.sheet_order = list(wb.sheetnames)
            found = self._find(wanted)
            if found is None:
                return
            self.matched = list(found.values())
            for name, actual in found.items():
                rows = _sheet_rows(wb, actual)
                if isinstance(rows, TooManyRows):
                    self.failed = True
                    self.error(name, f"{rows.row}:{rows.row}", "rows", None,
                               _("more than {most} filled rows; costsheet reads at most that "
                                 "many on a sheet (split the budget, or sum similar lines into "
                                 "one)").format(most=f"{MAX_SHEET_ROWS:,}"), "too_many_rows")
                    return
                if isinstance(rows, Exception):  # NaN/INF values, broken XML, a chart sheet
                    self._sheet_unreadable(name, actual, rows)
                    return
                self.grids[name] = _grid(actual, rows)
        finally:
            wb.close()
        if not self._load_saved_results(found):
            return
        self._scan_xml(found)

    def _find(self, wanted: list[str]) -> dict[str, str] | None:
        """{stable name: the workbook's name} of the wanted sheets there, with the workbook's
        sheet prefix; None (reported) when the prefix is unusable or two sheets answer to one
        name (``Pools`` and a very hidden ``Pools ``)."""
        assert self.package is not None
        try:
            self.prefix = sheet_prefix(self.package)
        except CostsheetError as exc:
            self.error("", "", "file", None, exc.message + (f"; {exc.hint}" if exc.hint else ""),
                       exc.code)
            self.failed = True
            return None
        listed = self.package.sheets()
        found: dict[str, str] = {}
        for name in wanted:
            try:
                actual = find_sheet(listed, self.prefix + name)
            except AmbiguousSheetError as exc:
                self.error(exc.sheets[0].name, "", "sheet", None,
                           f"{exc.message}; {exc.hint}", exc.code)
                self.failed = True
                continue
            if actual is not None:
                found[name] = actual
        return None if self.failed else found

    def sheet_name(self, name: str) -> str:
        """Input sheet ``name`` (stable) as this workbook names it (with its prefix)."""
        g = self.grids.get(name)
        return g.name if g is not None else self.prefix + name

    def _refused(self, exc: PackageError) -> None:
        """The file is not a package costsheet reads (sniffed when opened): say why."""
        tip = _("; {tip}").format(tip=exc.hint) if exc.hint else ""
        code = exc.code if exc.code != "error" else "unreadable_file"
        self.error("", "", "file", None, exc.message + tip, code)
        self.failed = True
        self.fatal = exc

    def _unreadable_file(self, exc: Exception) -> None:
        message = _("{name}: cannot read the workbook ({problem})").format(
            name=self.path.name, problem=exc)
        code = "unreadable_file"
        if defused(exc):
            message = _("{name}: refused: its XML declares entities or a DTD (possible XML "
                        "entity bomb); costsheet does not expand them").format(
                name=self.path.name)
            code = "xml_entities"
        self.error("", "", "file", None, message, code)
        self.failed = True
        self.fatal = CostsheetError(message, hint=_("open it in Excel and save it again"),
                                    code=code)

    def _load_saved_results(self, found: dict[str, str]) -> bool:
        """The saved result of every formula cell, read in a second pass (data_only)."""
        with_formulas = [name for name in found if self.grids[name].formulas]
        if not with_formulas:
            return True
        wb = self._workbook(data_only=True)
        try:
            for name in with_formulas:
                g = self.grids[name]
                rows = _sheet_rows(wb, found[name])
                if isinstance(rows, Exception):  # a saved result Excel could not have written
                    self._sheet_unreadable(name, found[name], rows)
                    return False
                for (i, j) in g.formulas:
                    row = rows[i - 1] if i <= len(rows) else ()
                    g.cached[(i, j)] = row[j - 1] if j <= len(row) else None
        finally:
            wb.close()
        return True

    def _sheet_unreadable(self, name: str, actual: str, exc: Exception) -> None:
        """Report a sheet openpyxl cannot read, at its first impossible cell when there is one."""
        self.failed = True
        assert self.package is not None
        found = impossible_cell(self.package, actual)
        if found is not None:
            self.error(actual, found[0], "value", found[1],
                       _("not a value Excel can store (NaN, INF or a broken reference); type "
                         "the value again"), "impossible_value")
        else:
            self.error(actual, "", "sheet", None,
                       _("cannot read the sheet ({problem}); open the file in Excel and save it "
                         "again").format(problem=str(exc)[:120] or type(exc).__name__),
                       "unreadable_sheet")

    def _scan_xml(self, found: dict[str, str]) -> None:
        """Hidden rows and columns, and merged cells, read from the sheet XML."""
        assert self.package is not None
        scan_layout(self.package,
                    {actual: self.grids[name] for name, actual in found.items()})

    # -- formulas with no saved value -------------------------------------------------------

    def formula_cell(self, sheet: str, r: int, c: int) -> tuple[Any, str | None]:
        """(saved value, formula text or None) of any cell, for the formula evaluator."""
        assert self._formulas is not None
        return self._formulas.cell(sheet, r, c)


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return value


#: Filled rows an input sheet may hold: reading stops past them (memory and time grow with
#: every row read); :data:`~costsheet.model.bounds.MAX_INPUT_LINES` lines fit on one sheet.
MAX_SHEET_ROWS = 60_000


class TooManyRows(Exception):
    """A sheet with more than :data:`MAX_SHEET_ROWS` filled rows (``row``: the first past)."""

    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


def _sheet_rows(wb: Any, name: str) -> list[tuple[Any, ...]] | Exception:
    try:
        ws = wb[name]
        ws.reset_dimensions()
        rows: list[tuple[Any, ...]] = []
        filled = 0
        for r in ws.iter_rows(values_only=True):
            row = tuple(r)
            if any(v is not None for v in row):
                filled += 1
                if filled > MAX_SHEET_ROWS:
                    return TooManyRows(len(rows) + 1)
            rows.append(row)
        return rows
    except Exception as exc:  # NaN/INF values, broken XML, a chart sheet, ...
        return exc


def _grid(name: str, rows: list[tuple[Any, ...]]) -> Grid:
    g = Grid(name, rows)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            if _is_formula(v):
                g.formulas.add((i, j))
    return g


@dataclass
class _Formulas:
    """Formulas saved without a result: evaluated with :mod:`.formulas_eval` on demand."""

    book: Book
    evaluator: Any = None  # a FormulaEvaluator, made on the first uncalculated formula
    extra: dict[str, Grid] = field(default_factory=dict)  # other sheets formulas refer to

    def evaluate(self, book: Book, g: Grid, r: int, c: int, field_name: str) -> Any:
        """A formula cell with no saved value, computed (a warning to ``book``'s report says
        so), else ``BAD``."""
        from .formulas_eval import FormulaEvaluator, UnevaluableFormula

        formula = g.rows[r - 1][c - 1]
        if not isinstance(formula, str):  # array and data-table formulas
            book.error(g.name, g.ref(r, c), field_name, None, FORMULA_NO_VALUE,
                       "formula_without_value")
            return BAD
        if self.evaluator is None:
            self.evaluator = FormulaEvaluator(self.cell)
        try:
            value = self.evaluator.evaluate(g.name, r, c, formula)
        except UnevaluableFormula as exc:
            book.error(g.name, g.ref(r, c), field_name, formula,
                       _("{problem} (costsheet cannot evaluate it: {reason})").format(
                           problem=_(FORMULA_NO_VALUE), reason=exc.reason),
                       "formula_without_value")
            return BAD
        book.warn(g.name, g.ref(r, c), field_name, formula,
                  _("formula with no saved value, evaluated by costsheet as {value!r}; open and "
                    "save the file in Excel to keep Excel's own result").format(value=value),
                  "formula_evaluated")
        return value

    def cell(self, sheet: str, r: int, c: int) -> tuple[Any, str | None]:
        key = sheet.strip().casefold()
        g = next((g for g in self.book.grids.values() if g.name.strip().casefold() == key),
                 None)
        if g is None:
            g = self.extra.get(key) or self._load_extra(sheet)
        if r > g.max_row:
            return None, None
        row = g.rows[r - 1]
        value = row[c - 1] if c <= len(row) else None
        if (r, c) in g.formulas:
            return g.cached.get((r, c)), value if isinstance(value, str) else ""
        return value, None

    def _load_extra(self, sheet: str) -> Grid:
        """A sheet costsheet does not read, that a formula refers to (KeyError if none)."""
        from .formulas_eval import UnevaluableFormula

        order = {n.strip().casefold(): n for n in self.book.sheet_order}
        actual = order.get(sheet.strip().casefold())
        if actual is None:
            raise KeyError(sheet)
        grids = []
        for data_only in (False, True):
            try:
                wb = self.book._workbook(data_only=data_only)
                try:
                    rows = _sheet_rows(wb, actual)
                finally:
                    wb.close()
            except Exception as exc:  # openpyxl's many kinds, on a sheet costsheet does not own
                rows = exc
            if isinstance(rows, Exception):
                raise UnevaluableFormula(_("it refers to sheet {sheet!r}, which cannot be "
                                           "read").format(sheet=actual))
            grids.append(rows)
        g = _grid(actual, grids[0])
        for (i, j) in g.formulas:
            cached = grids[1][i - 1] if i <= len(grids[1]) else ()
            g.cached[(i, j)] = cached[j - 1] if j <= len(cached) else None
        self.extra[sheet.strip().casefold()] = g
        return g


# --------------------------------------------------------------------------------------------
# tables


@dataclass(frozen=True)
class TableSpec:
    """How to read one input sheet as a table.

    ``columns`` are its keyed columns (the first one marks the key row and names each line);
    ``first_offset``: the first line is this many rows below the key row. The Drivers sheet has
    ``scenario_columns``: every column right of the keyed ones is named by its header (the row
    below the keys), and holds one value per driver, of the kind ``row_kinds`` gives for the
    row's key (only they are inputs); its ``descriptive`` columns (label, unit, help) are not
    read.
    """

    sheet: str
    title: str
    columns: tuple[ColumnSpec, ...]
    required: bool = True
    first_offset: int = FIRST_ROW - KEY_ROW
    scenario_columns: bool = False
    row_kinds: dict[str, str] = field(default_factory=dict)
    descriptive: frozenset[str] = frozenset()

    @classmethod
    def of(cls, spec: SheetSpec) -> TableSpec:
        return cls(spec.name, spec.title_en, spec.columns, required=spec.required)

    @property
    def first_key(self) -> str:
        return self.columns[0].key

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> ColumnSpec:
        return next(c for c in self.columns if c.key == key)

    def key_for(self, text: str) -> str | None:
        """The column key a key cell holds: a key, or one it had in older workbooks."""
        for col in self.columns:
            if text == col.key or text in col.old_keys:
                return col.key
        return None


@dataclass
class Row:
    """One line of a table sheet.

    ``values``: the usable value of each filled cell, by column key (a scenario's name on the
    Drivers sheet); ``cells``: the cell (``E6``) of every column the sheet has; ``bad``: columns
    whose cell was reported already (an Excel error, a formula that cannot be evaluated);
    ``filled``: columns whose cell holds anything.
    """

    sheet: str
    number: int
    values: dict[str, Any]
    cells: dict[str, str]
    bad: set[str] = field(default_factory=set)
    filled: set[str] = field(default_factory=set)
    first: str = ""  # the cell of the line's first column: problems of the whole line go here

    def ref(self, key: str) -> str:
        """``Sheet!Cell`` of column ``key`` (the line's first cell when the sheet lacks it)."""
        return f"{self.sheet}!{self.cells.get(key, self.first)}"

    def get(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class Table:
    """What :func:`read_table` found: the key row, column numbers by key, the lines."""

    sheet: str
    key_row: int
    columns: dict[str, int]
    rows: list[Row]
    scenarios: list[tuple[str, int]] = field(default_factory=list)  # Drivers: (name, column)


def read_table(book: Book, spec: TableSpec) -> Table | None:
    """The lines of one input sheet; None when the sheet (or its key row) is missing.

    Missing sheets, key rows and required columns are errors; missing optional columns are
    warnings (every line then takes the default); hidden rows or columns that hold inputs, and
    merged cells over them, are warnings.
    """
    g = book.grid(spec.sheet)
    if g is None:
        _missing_sheet(book, spec)
        return None
    keys = [k for c in spec.columns for k in (c.key, *c.old_keys)]
    key_row = find_key_row(g.top_rows(), keys, spec.first_key)
    if key_row is None:
        book.error(g.name, f"{KEY_ROW}:{KEY_ROW}", "keys", None,
                   _("missing key row: expected the keys {keys}, … in row {row} (copy the top "
                     "rows from a new template)").format(keys=", ".join(spec.keys[:4]),
                                                         row=KEY_ROW), "missing_key_row")
        return None
    table = Table(g.name, key_row, _columns(book, g, spec, key_row), [])
    if spec.scenario_columns:
        table.scenarios = _scenario_columns(book, g, key_row, max(table.columns.values()))
    _missing_columns(book, g, spec, table)
    rows = range(key_row + spec.first_offset, g.max_row + 1)
    for r in rows:
        row = _row(book, g, spec, table, r)
        if row is not None:
            table.rows.append(row)
    inputs = ([c for _name, c in table.scenarios] if spec.scenario_columns
              else list(table.columns.values()))
    _warn_layout(book, g, list(rows), inputs)
    return table


def _missing_sheet(book: Book, spec: TableSpec) -> None:
    """A required sheet that is missing is an error; an optional one is fine, unless another
    sheet looks like it renamed (its keys, or a near-miss name): then it is named, so that its
    lines are not silently left out."""
    name = book.sheet_name(spec.sheet)
    renamed, has_keys = book.renamed(name, [c.key for c in spec.columns], spec.first_key)
    names = {"sheet": name, "title": _(spec.title), "renamed": renamed}
    if spec.required:
        if renamed is not None and has_keys:
            text = _("missing sheet {sheet!r} ({title}); the sheet {renamed!r} has its keys: "
                     "rename it to {sheet!r} so costsheet reads it")
        elif renamed is not None:
            text = _("missing sheet {sheet!r} ({title}); did you mean the sheet {renamed!r}? "
                     "Rename it to {sheet!r}")
        else:
            text = _("missing sheet {sheet!r} ({title}); copy it from a new template "
                     "(`costsheet new`)")
        book.error(name, "", "sheet", None, text.format(**names), "missing_sheet")
    elif renamed is not None:
        text = (_("no sheet {sheet!r} ({title}), so none is read; the sheet {renamed!r} has its "
                  "keys: rename it to {sheet!r} so costsheet reads it") if has_keys else
                _("no sheet {sheet!r} ({title}), so none is read; did you mean the sheet "
                  "{renamed!r}? Rename it to {sheet!r}"))
        book.warn(name, "", "sheet", None, text.format(**names), "renamed_sheet")


def _columns(book: Book, g: Grid, spec: TableSpec, key_row: int) -> dict[str, int]:
    cols: dict[str, int] = {}
    for c in range(1, g.width(key_row) + 1):
        key = spec.key_for(g.text(key_row, c))
        if key is None:
            continue
        if key in cols:
            book.error(g.name, g.ref(key_row, c), key, key,
                       _("duplicate column key (also in column {column})").format(
                           column=get_column_letter(cols[key])), "duplicate_column")
            continue
        cols[key] = c
    return cols


def _scenario_columns(book: Book, g: Grid, key_row: int, last: int) -> list[tuple[str, int]]:
    """The Drivers sheet's scenario columns: right of the keyed ones, named by their header."""
    header = key_row + 1
    out: list[tuple[str, int]] = []
    seen: dict[str, str] = {}
    for c in range(last + 1, g.width(header) + 1):
        name = g.text(header, c)
        if not name:
            continue
        if name.lower() in seen:
            book.error(g.name, g.ref(header, c), "scenario", name,
                       _("duplicate scenario name (also in {where})").format(
                           where=f"{g.name}!{seen[name.lower()]}"), "duplicate_scenario")
            continue
        seen[name.lower()] = g.ref(header, c)
        out.append((name, c))
    _orphaned_values(book, g, header, last, {c for _name, c in out})
    return out


def _orphaned_values(book: Book, g: Grid, header: int, last: int, named: set[int]) -> None:
    """Values in a column right of the keyed ones whose scenario name (header) is blank: the
    scenario they belong to is unknown, so they are an error, never silently dropped."""
    for c in range(last + 1, max((g.width(r) for r in range(header, g.max_row + 1)),
                                 default=0) + 1):
        if c in named:
            continue
        cell = next((r for r in range(header + 1, g.max_row + 1) if g.filled(r, c)), None)
        if cell is not None:
            book.error(g.name, g.ref(cell, c), "scenario", g.raw(cell, c),
                       _("a value in a scenario column without a scenario name: the header "
                         "{header} above it is blank; name the scenario there, or delete the "
                         "column's values").format(header=g.ref(header, c)),
                       "unnamed_scenario")


def _missing_columns(book: Book, g: Grid, spec: TableSpec, table: Table) -> None:
    at = f"{table.key_row}:{table.key_row}"
    for col in spec.columns:
        if col.key in table.columns or col.key in spec.descriptive or col.quiet_if_missing:
            continue  # quiet_if_missing: added later, a workbook without it reads as before
        msg = _("missing column {label!r} (key {key!r} in row {row})").format(
            label=_(col.label_en), key=col.key, row=table.key_row)
        if col.required:
            book.error(g.name, at, col.key, None, msg, "missing_column")
        else:
            book.warn(g.name, at, col.key, None, msg + _("; using the default for every line"),
                      "missing_column")


def _row(book: Book, g: Grid, spec: TableSpec, table: Table, r: int) -> Row | None:
    """Line ``r``, or None when it holds nothing, or only headings (a name, a note)."""
    cols = {**table.columns, **dict(table.scenarios)}
    filled = {k for k, c in cols.items() if g.filled(r, c)}
    headings = {c.key for c in spec.columns if c.heading}
    if not filled or filled <= headings:
        return None
    row = Row(g.name, r, {}, {k: g.ref(r, c) for k, c in cols.items()}, filled=filled,
              first=g.ref(r, table.columns[spec.first_key]))
    for k, c in table.columns.items():
        if k not in spec.descriptive:
            _read_cell(book, g, row, k, c, spec.column(k).kind)
    unsaved = {k for k in filled if g.unsaved(r, cols[k])}
    if filled - headings <= unsaved and not row.bad and set(row.values) <= headings:
        return None  # its only inputs were formulas, and they gave nothing
    if table.scenarios:
        key = row.values.get(spec.first_key)
        kind = spec.row_kinds.get(key) if isinstance(key, str) else None
        if kind is not None:  # a row without a known key is only checked for content
            for name, c in table.scenarios:
                _read_cell(book, g, row, name, c, kind, field_name=key)
    return row


def _read_cell(book: Book, g: Grid, row: Row, key: str, c: int, kind: str,
               field_name: str | None = None) -> None:
    v = book.value(g, row.number, c, field_name or key, kind)
    if v is BAD:
        row.bad.add(key)
    elif v is not None:
        row.values[key] = v


def _warn_layout(book: Book, g: Grid, rows: list[int], cols: list[int]) -> None:
    """Warnings for hidden rows/columns and merged cells over input cells."""
    for r in rows:
        filled = [c for c in cols if g.filled(r, c)]
        if not filled:
            continue
        if r in g.hidden_rows:
            book.warn(g.name, g.ref(r, filled[0]), "row", None,
                      _("row {row} is hidden but holds inputs; they are read as they "
                        "are").format(row=r), "hidden_row")
        hidden = next((c for c in filled if c in g.hidden_cols), None)
        if hidden is not None:
            book.warn(g.name, g.ref(r, hidden), "column", None,
                      _("column {column} is hidden but holds inputs; they are read as they "
                        "are").format(column=get_column_letter(hidden)), "hidden_column")
    row_set = set(rows)
    for c1, r1, c2, r2 in g.merges:
        if any(r in row_set for r in range(r1, r2 + 1)) and any(
                c in cols for c in range(c1, c2 + 1)):
            ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
            book.warn(g.name, g.ref(r1, c1), "cells", ref,
                      _("merged cells over input cells: only the top-left cell is read"),
                      "merged_cells")


def validate_row(book: Book, model: type[BaseModel], row: Row,
                 fixed: dict[str, Any] | None = None) -> BaseModel | None:
    """``row`` validated as ``model`` (with ``fixed`` values added); each problem reported at
    its cell, except for cells reported already. None on any problem."""
    raw = {**row.values, **(fixed or {})}
    try:
        obj = model.model_validate(raw)
    except ValidationError as exc:
        for p in validation_problems(exc):
            name = str(p.loc[0]) if p.loc else ""
            if name in row.bad:
                continue
            where = row.cells.get(name, row.first)
            value = shown(raw.get(name)) if name in raw else None
            book.error(row.sheet, where, name or "row", value, p.message, p.code)
        return None
    return None if row.bad else obj
