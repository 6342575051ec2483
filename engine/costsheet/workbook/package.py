"""The old import path of :mod:`costsheet.workbook.ooxml` (the zip-level package and graft).

Kept for the modules that still import from here (the reader); new code imports
:mod:`costsheet.workbook.ooxml`.
"""

from __future__ import annotations

from .ooxml import (
    DEFAULT_PROPERTY,
    SHARED_PARTS,
    Package,
    PackageError,
    check_package,
    graft_sheets,
    list_sheets,
    read_owned_sheets,
)

__all__ = [
    "DEFAULT_PROPERTY",
    "SHARED_PARTS",
    "Package",
    "PackageError",
    "check_package",
    "graft_sheets",
    "list_sheets",
    "read_owned_sheets",
]
