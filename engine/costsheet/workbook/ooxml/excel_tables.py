"""Excel tables (list objects) of a grafted sheet: ids and names unique in the workbook."""

from __future__ import annotations

from ...i18n import _
from .names import CT_TABLE, PackageError
from .package import Package
from .xmltext import XmlText, attrs, root_tag, set_attr

__all__ = ["existing_tables", "renumber_table"]


def existing_tables(pkg: Package, deleted: set[str]) -> tuple[set[int], set[str]]:
    """Ids and names (case-folded) of the Excel tables that stay in the target."""
    _defaults, overrides = pkg.content_types()
    ids: set[int] = set()
    names: set[str] = set()
    for part, ct in overrides.items():
        if ct != CT_TABLE or part in deleted or not pkg.has(part):
            continue
        root = pkg.tree(part)
        if (root.get("id") or "").isdigit():
            ids.add(int(root.get("id", "0")))
        for attr in ("name", "displayName"):
            if root.get(attr):
                names.add(root.get(attr, "").casefold())
    return ids, names


def renumber_table(data: bytes, ids: set[int], names: set[str], source: str) -> bytes:
    """Give a grafted Excel table a workbook-unique id; refuse a table name already in use."""
    doc = XmlText.decode(data)
    root = root_tag(doc.text)
    found = attrs(root.group(2))
    for attr in ("name", "displayName"):
        value = found.get(attr, "")
        if value and value.casefold() in names:
            raise PackageError(
                f"{source}: " + _("an Excel table named {name!r} already exists").format(
                    name=value),
                hint=_("rename that table in Excel (Table Design > Table Name)"),
            )
    names.update(found.get(a, "").casefold() for a in ("name", "displayName") if found.get(a))
    new_id = max([0, *ids]) + 1
    ids.add(new_id)
    head = set_attr(root.group(0), "id", str(new_id))
    doc.text = doc.text[: root.start()] + head + doc.text[root.end():]
    return doc.encode()
