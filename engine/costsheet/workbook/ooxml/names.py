"""The names Office Open XML packages use: namespaces, relationship and content types, parts."""

from __future__ import annotations

from costsheet.errors import CostsheetError

__all__ = [
    "CONTENT_TYPES",
    "DEFAULT_MAX_UNCOMPRESSED",
    "DEFAULT_PROPERTY",
    "OWNER_MARK",
    "ROOT_RELS",
    "SHARED_PARTS",
    "PackageError",
]

#: The custom document property that lists the sheets ``costsheet run`` owns (a JSON list).
DEFAULT_PROPERTY = "costsheet.owned_sheets"
#: The hidden defined name, scoped to one sheet, by which costsheet marks a sheet it wrote
#: (its text: :mod:`costsheet.workbook.sheet_digest`). Excel and LibreOffice keep sheet-scoped
#: names when they save, move them with their sheet and delete them with it.
OWNER_MARK = "costsheet.owner"
#: Refuse a package whose parts add up to more than this, uncompressed (zip bombs).
DEFAULT_MAX_UNCOMPRESSED = 1 << 30

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
EXTENDED_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
XML_NS = "http://www.w3.org/XML/1998/namespace"

RT_OFFICE_DOCUMENT = R_NS + "/officeDocument"
RT_WORKSHEET = R_NS + "/worksheet"
RT_STYLES = R_NS + "/styles"
RT_SHARED_STRINGS = R_NS + "/sharedStrings"
RT_CALC_CHAIN = R_NS + "/calcChain"
RT_CUSTOM_PROPS = R_NS + "/custom-properties"
RT_EXTENDED_PROPS = R_NS + "/extended-properties"
RT_TABLE = R_NS + "/table"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
#: Parts that may change besides the workbook part, its rels and the styles part.
SHARED_PARTS = (
    CONTENT_TYPES,
    ROOT_RELS,
    "docProps/app.xml",
    "docProps/custom.xml",
    "xl/calcChain.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
)


class PackageError(CostsheetError):
    """The file is not a workbook package costsheet can read or write safely."""
