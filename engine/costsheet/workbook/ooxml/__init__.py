"""The workbook package at the zip level: open once, sniff, read, graft sheets byte-safely.

openpyxl loses parts of a workbook it loads and saves again (shapes, sparklines, in-cell pictures,
2010 data bars, form controls, VBA, ...). So costsheet never re-saves the user's workbook with
openpyxl. The writer builds its owned sheets in a *scratch* workbook and :func:`graft_sheets`
copies them into the user's package at the zip level:

* every part of the user's file that is neither removed nor one of the few shared parts
  (``SHARED_PARTS`` plus the workbook part, its rels and the styles part) comes out with the
  same bytes, in the same zip entry order;
* the shared parts are edited at text level (no XML re-serialisation), so namespace prefixes,
  ``mc:Ignorable`` and extension lists stay as Excel wrote them;
* the grafted sheets' styles are merged into the user's ``styles.xml`` (deduplicated, so a
  re-run does not grow it) and their shared strings become inline strings, so the user's
  ``sharedStrings.xml`` is left alone.

User parts are parsed with :mod:`defusedxml` only. :func:`check_package` sniffs a file before
anything else reads it (legacy ``.xls``, password protection, CSV renamed ``.xlsx``, truncated
zips, zip bombs); :class:`Package` is a file opened once (and checked), passed to whatever reads
or writes it.

Modules: :mod:`.names` (namespaces, types, :class:`PackageError`), :mod:`.sniff`,
:mod:`.package`, :mod:`.rels`, :mod:`.xmltext`, :mod:`.styles`, :mod:`.sheet_xml`,
:mod:`.workbook_xml`, :mod:`.docprops`, :mod:`.content_types`, :mod:`.excel_tables`,
:mod:`.graft`.
"""

from __future__ import annotations

from .graft import GraftPlan, check_graft_parts, graft_sheets
from .names import DEFAULT_MAX_UNCOMPRESSED, DEFAULT_PROPERTY, SHARED_PARTS, PackageError
from .package import Package, SheetEntry, list_sheets, read_owned_sheets
from .sniff import check_package

__all__ = [
    "DEFAULT_MAX_UNCOMPRESSED",
    "DEFAULT_PROPERTY",
    "SHARED_PARTS",
    "GraftPlan",
    "Package",
    "PackageError",
    "SheetEntry",
    "check_graft_parts",
    "check_package",
    "graft_sheets",
    "list_sheets",
    "read_owned_sheets",
]
