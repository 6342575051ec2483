"""The graft: sheets of costsheet's scratch workbook copied into a user's package, byte-safely.

:func:`graft_sheets` reads as its steps. A :class:`GraftPlan` holds the two packages and what
each step decides; each step is a function of the plan:

1. :func:`remove_old_sheets`: the sheets to replace go, with every part only they reach;
2. :func:`place_scratch_parts`: each scratch part to copy gets a free name in the target;
3. :func:`prepare_styles`: the style merger (or a new styles part when the target has none);
4. :func:`lay_out_sheets`: sheet ids, relationship ids and the new tab order;
5. :func:`rewrite_workbook_xml`: the sheet list, active tab, defined names (owner marks among
   them) and the calculation on open;
6. :func:`add_parts`: the scratch parts, sheets rewritten for their new home; then the
   workbook part again, each owner mark now ending with the digest of its sheet's parts;
7. :func:`merge_styles`, :func:`edit_workbook_rels`, :func:`edit_app_properties`,
   :func:`record_owned_sheets`, :func:`edit_content_types`: the shared parts;
   :func:`edit_user_sheets`: the only edits to the user's sheets, when the caller asks for
   them: saved results of formulas that read the replaced sheets dropped (``recalc``), and
   ``tabSelected`` taken off the user's sheet views when the workbook opens on a grafted sheet
   (``activate``);
8. :func:`write`: every other part of the user's file with the same bytes, in the same order.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...i18n import _
from .content_types import edit_content_types as _edit_content_types
from .docprops import edit_app, new_custom_props, set_custom_property
from .excel_tables import existing_tables, renumber_table
from .formula_refs import Area, FormulaContext, read_area
from .names import (
    CONTENT_TYPES,
    CT_CUSTOM_PROPS,
    CT_STYLES,
    CT_TABLE,
    CT_WORKSHEET,
    DEFAULT_MAX_UNCOMPRESSED,
    DEFAULT_PROPERTY,
    OWNER_MARK,
    ROOT_RELS,
    RT_CALC_CHAIN,
    RT_CUSTOM_PROPS,
    RT_EXTENDED_PROPS,
    RT_STYLES,
    RT_TABLE,
    RT_WORKSHEET,
    PackageError,
)
from .package import Package, SheetEntry
from .part_digest import sheet_parts_digest
from .rels import Rel, add_rels, next_rid, relative, rels_path, rels_xml, remove_rels, resolve
from .sheet_xml import (
    EPOCH_1904_SHIFT,
    deselect_tab,
    rewrite_sheet,
    shared_strings,
    tab_selected,
)
from .stale_results import SheetXml, clear_results, find_stale
from .styles import StyleMerger
from .workbook_xml import DefinedName, SheetMove, edit_workbook_xml, scratch_defined_names
from .xmltext import parse

__all__ = ["GraftPlan", "check_graft_parts", "graft_sheets"]


def graft_sheets(
    target: Path | Package,
    scratch: Path | Package,
    out: Path,
    *,
    sheets: Sequence[str],
    remove: Sequence[str] = (),
    property_name: str = DEFAULT_PROPERTY,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    before_replace: Callable[[], None] | None = None,
    marks: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    recalc: bool = False,
    activate: str | None = None,
) -> list[str]:
    """Write ``out``: the package ``target`` with sheets ``sheets`` of ``scratch`` grafted in.

    Sheets named in ``remove`` (if present; names compare case-insensitively, as in Excel) are
    first taken out with every part only they reach. A grafted sheet whose name was removed takes
    the removed sheet's tab position; other grafted sheets follow the previous grafted sheet, or
    go last. Styles are merged into the target's styles part, shared strings become inline
    strings, drawings and charts are copied under fresh part names, global defined names of the
    scratch workbook are carried over (a different same-named global name is an error unless it
    refers only to removed sheets) and the custom document property ``property_name`` records
    the owned sheet names as a JSON list. A grafted sheet that replaces a hidden one is hidden
    the same way.

    ``marks``: text of a hidden defined name :data:`OWNER_MARK` scoped to each grafted sheet
    named there (costsheet's proof that it wrote the sheet), followed by a space and the
    digest of the sheet's parts as written (:func:`.part_digest.sheet_parts_digest`);
    ``properties``: more custom
    document properties to set; ``recalc``: ask Excel for a full recalculation when it opens
    the file (``calcPr fullCalcOnLoad``) and drop the saved result of every formula of the
    target's other sheets that reads a grafted or removed sheet, directly or not
    (:mod:`.stale_results`: LibreOffice recalculates only those); ``activate``: the grafted
    sheet the workbook opens on, when it is visible (the ``tabSelected`` mark then comes off
    the kept sheets' views, or their tabs would be grouped with it).

    ``target`` and ``scratch`` are files or packages already open (a package whose file
    changed since it was read is refused, never read again: what was computed from it must not
    go into a newer save). ``out`` is written atomically (it may be ``target`` itself);
    ``before_replace`` runs just before the rename and may refuse (nothing is then written).
    Returns the cells (``Sheet!B1``) whose saved results were dropped. Raises
    :class:`PackageError`.
    """
    plan = GraftPlan.make(_opened(target, max_uncompressed), _opened(scratch, max_uncompressed),
                          sheets=sheets, remove=remove, property_name=property_name)
    plan.marks = dict(marks or {})
    plan.properties = dict(properties or {})
    plan.recalc, plan.activate = recalc, activate
    remove_old_sheets(plan)
    place_scratch_parts(plan)
    prepare_styles(plan)
    lay_out_sheets(plan)
    rewrite_workbook_xml(plan)
    add_parts(plan)
    rewrite_workbook_xml(plan)  # again, the owner marks now with their parts' digests
    merge_styles(plan)
    edit_workbook_rels(plan)
    edit_app_properties(plan)
    record_owned_sheets(plan)
    edit_content_types(plan)
    edit_user_sheets(plan)
    write(plan, Path(out), before_replace)
    return plan.cleared


def _opened(pkg: Path | Package, max_uncompressed: int) -> Package:
    """``pkg`` open; a package whose file changed since it was read is refused (a save made in
    between is never undone, and never mixed with what was computed from the old one)."""
    if isinstance(pkg, Package):
        if pkg.changed_on_disk():
            raise PackageError(
                _("{name} changed on disk while costsheet was computing; the results would "
                  "belong to the old inputs, so nothing was written").format(name=pkg.source),
                hint=_("run again to compute from the saved inputs"))
        return pkg
    return Package.open(pkg, max_uncompressed=max_uncompressed)


def check_graft_parts(pkg: Package) -> None:
    """Parse every part of ``pkg`` that a graft into it parses (content types, relationships,
    the workbook, styles, calculation chain, document properties), so that ``costsheet check``
    refuses a workbook ``run`` would: a damaged part or one nested too deep
    (:data:`~costsheet.workbook.ooxml.xmltext.MAX_XML_DEPTH`) is a :class:`PackageError`."""
    pkg.content_types()
    wb = pkg.workbook_part()
    pkg.tree(wb)
    for part in list(pkg.data):
        if part.lower().endswith(".rels"):
            parse(pkg.data[part], part, pkg.source)
    parts = [*pkg.related(wb, RT_STYLES), *pkg.related(wb, RT_CALC_CHAIN),
             *pkg.related("", RT_EXTENDED_PROPS), *pkg.related("", RT_CUSTOM_PROPS)]
    for part in parts:
        if pkg.has(part):
            pkg.tree(part)


@dataclass
class GraftPlan:
    """The two packages of a graft and what its steps decide, step by step."""

    target: Package
    scratch: Package
    sheets: list[str]  # scratch sheets to graft, in order
    remove_keys: set[str]  # case-folded names of the target sheets to replace
    property_name: str
    t_wb: str  # the workbook parts
    s_wb: str
    t_sheets: list[SheetEntry]  # the target's sheets before the graft
    s_sheets: dict[str, SheetEntry]
    # remove_old_sheets
    deleted: set[str] = field(default_factory=set)  # lower-case names of parts that go
    drop_rids: set[str] = field(default_factory=set)  # workbook relationships that go
    taken: set[str] = field(default_factory=set)  # lower-case part names in use
    # place_scratch_parts
    part_map: dict[str, str] = field(default_factory=dict)  # scratch part -> target part
    order: list[str] = field(default_factory=list)  # scratch parts in copy order
    # prepare_styles
    styles: StyleMerger | None = None
    t_styles_part: str | None = None
    s_styles_part: str = ""
    new_styles_part: str | None = None  # when the target has no styles part
    # lay_out_sheets, rewrite_workbook_xml
    rids: Iterator[str] = field(default_factory=lambda: iter(()))
    new_entries: dict[str, SheetEntry] = field(default_factory=dict)
    layout: list[SheetEntry] = field(default_factory=list)  # the new tab order
    active_tab: int = 0
    # what the caller asked for besides the sheets
    marks: dict[str, str] = field(default_factory=dict)  # grafted sheet -> owner mark text
    properties: dict[str, str] = field(default_factory=dict)  # more custom properties
    recalc: bool = False
    activate: str | None = None
    deselect: bool = False  # take tabSelected off the kept sheets (the workbook opens on ours)
    # the output
    changed: dict[str, bytes] = field(default_factory=dict)  # target part -> new bytes
    new_parts: list[tuple[str, bytes]] = field(default_factory=list)
    new_cts: list[tuple[str, str]] = field(default_factory=list)  # part, content type
    cleared: list[str] = field(default_factory=list)  # cells whose saved results were dropped
    part_digests: dict[str, str] = field(default_factory=dict)  # grafted sheet -> its parts' digest

    @classmethod
    def make(cls, target: Package, scratch: Package, *, sheets: Sequence[str],
             remove: Sequence[str], property_name: str) -> GraftPlan:
        """A plan, once the sheets to graft exist and no user sheet is in their way."""
        t_wb, s_wb = target.workbook_part(), scratch.workbook_part()
        plan = cls(target, scratch, list(dict.fromkeys(sheets)),
                   {n.casefold() for n in remove}, property_name, t_wb, s_wb,
                   target.sheets(), {s.name: s for s in scratch.sheets()})
        for name in plan.sheets:
            if name not in plan.s_sheets or plan.s_sheets[name].part is None:
                raise PackageError(f"{scratch.source}: " + _("no sheet named {name!r} to "
                                                             "graft").format(name=name))
        for name in plan.sheets:
            if any(s.name.casefold() == name.casefold() for s in plan.kept):
                raise PackageError(
                    f"{target.source}: " + _("a sheet named {name!r} already exists and is not "
                                             "one of costsheet's").format(name=name),
                    hint=_("rename that sheet in Excel, or let costsheet replace it"),
                )
        return plan

    @property
    def source(self) -> str:
        return self.target.source

    @property
    def removed(self) -> list[SheetEntry]:
        return [s for s in self.t_sheets if s.name.casefold() in self.remove_keys]

    @property
    def kept(self) -> list[SheetEntry]:
        return [s for s in self.t_sheets if s.name.casefold() not in self.remove_keys]

    def claim(self, wanted: str) -> str:
        """A free part name like ``wanted`` (``sheet1.xml``, ``sheet2.xml``, ...), now taken."""
        new = _new_part_name(wanted, self.taken)
        self.taken.add(new.lower())
        return new

    def scratch_part(self, name: str) -> str:
        part = self.s_sheets[name].part
        assert part is not None
        return part


def _new_part_name(wanted: str, taken: set[str]) -> str:
    folder, base = posixpath.split(wanted)
    stem, ext = posixpath.splitext(base)
    m = re.match(r"^(.*?)(\d*)$", stem)
    assert m is not None
    root = m.group(1) or stem
    n = 1
    while True:
        cand = posixpath.join(folder, f"{root}{n}{ext}")
        if cand.lower() not in taken and rels_path(cand).lower() not in taken:
            return cand
        n += 1


# ---- 1. the sheets to replace go, with the parts only they reach


def remove_old_sheets(plan: GraftPlan) -> None:
    """Parts reachable only from removed sheets are deleted; so is a calculation chain that
    mentions a removed sheet (Excel rebuilds it)."""
    tpkg, removed = plan.target, plan.removed
    removed_parts = {s.part.lower() for s in removed if s.part}
    keep_reach = tpkg.reachable([""], removed_parts)
    cand = tpkg.reachable([s.part for s in removed if s.part], set())
    plan.deleted = {p for p in cand if p not in keep_reach}
    plan.drop_rids = {s.rid for s in removed}
    calc = [r for r in tpkg.rels(plan.t_wb) if r.type == RT_CALC_CHAIN and not r.external]
    if calc and removed:
        calc_part = tpkg.part_name(resolve(plan.t_wb, calc[0].target))
        if tpkg.has(calc_part) and _calc_chain_mentions(
                tpkg, calc_part, {s.sheet_id for s in removed}):
            plan.deleted.add(calc_part.lower())
            plan.drop_rids.add(calc[0].id)
    plan.taken = {n for n in tpkg.lower if n not in plan.deleted}


def _calc_chain_mentions(pkg: Package, part: str, sheet_ids: set[int]) -> bool:
    root = parse(pkg.get(part), "calcChain.xml", pkg.source)
    current = 0
    for c in root:
        if c.get("i") is not None:
            try:
                current = int(c.get("i", "0"))
            except ValueError:
                return True
        if current in sheet_ids:
            return True
    return False


# ---- 2. each scratch part to copy gets a free name


def place_scratch_parts(plan: GraftPlan) -> None:
    """Name in the target every part the grafted sheets reach (drawings, charts, tables...)."""
    sheets_folder = posixpath.join(posixpath.dirname(plan.t_wb), "worksheets")
    for name in plan.sheets:
        _place(plan, plan.scratch_part(name), posixpath.join(sheets_folder, "sheet1.xml"))


def _place(plan: GraftPlan, part: str, wanted_name: str) -> None:
    if part in plan.part_map:
        return
    new = plan.claim(wanted_name)
    plan.taken.add(rels_path(new).lower())
    plan.part_map[part] = new
    plan.order.append(part)
    spkg = plan.scratch
    for r in spkg.rels(part):
        if r.external:
            continue
        child = spkg.part_name(resolve(part, r.target))
        if spkg.has(child):
            _place(plan, child, child)


# ---- 3. styles


def prepare_styles(plan: GraftPlan) -> None:
    """The merger of the scratch styles into the target's; a new part when it has none."""
    tpkg, spkg = plan.target, plan.scratch
    t_styles = tpkg.related(plan.t_wb, RT_STYLES)
    s_styles = spkg.related(plan.s_wb, RT_STYLES)
    plan.t_styles_part = t_styles[-1] if t_styles else None
    if not s_styles or not spkg.has(s_styles[-1]):
        raise PackageError(f"{spkg.source}: " + _("scratch workbook has no styles part"))
    plan.s_styles_part = s_styles[-1]
    scratch_styles = spkg.get(plan.s_styles_part)
    if plan.t_styles_part and tpkg.has(plan.t_styles_part):
        plan.styles = StyleMerger(tpkg.get(plan.t_styles_part), scratch_styles, plan.source)
    else:
        plan.styles = StyleMerger(None, scratch_styles, plan.source)
        plan.new_styles_part = plan.claim(
            posixpath.join(posixpath.dirname(plan.t_wb), "styles.xml"))


# ---- 4. sheet ids, relationship ids, tab order


def lay_out_sheets(plan: GraftPlan) -> None:
    """A new entry per grafted sheet (a replaced sheet's id is reused) and the tab order."""
    plan.rids = next_rid(r.id for r in plan.target.rels(plan.t_wb)
                         if r.id not in plan.drop_rids)
    kept, removed = plan.kept, plan.removed
    used_ids = {s.sheet_id for s in kept}
    next_id = max([0, *used_ids, *(s.sheet_id for s in removed)]) + 1
    removed_by_key = {s.name.casefold(): s for s in removed}
    for name in plan.sheets:
        old = removed_by_key.get(name.casefold())
        if old is not None and old.sheet_id not in used_ids and old.sheet_id > 0:
            sid = old.sheet_id
        else:
            sid, next_id = next_id, next_id + 1
        used_ids.add(sid)
        plan.new_entries[name] = SheetEntry(name, sid, next(plan.rids),
                                            plan.part_map[plan.scratch_part(name)], "",
                                            old.state if old is not None else "visible")
    plan.layout = _tab_order(plan)


def _tab_order(plan: GraftPlan) -> list[SheetEntry]:
    """A grafted sheet takes the tab of the sheet it replaces; the others follow the previous
    grafted sheet (the first one: before the next placed one, else last)."""
    layout: list[SheetEntry] = []
    placed: set[str] = set()
    wanted = plan.sheets
    wanted_by_key = {n.casefold(): n for n in wanted}
    for s in plan.t_sheets:
        if s.name.casefold() not in plan.remove_keys:
            layout.append(s)
            continue
        match = wanted_by_key.get(s.name.casefold())
        if match is not None and match not in placed:
            layout.append(plan.new_entries[match])
            placed.add(match)
    for k, name in enumerate(wanted):
        if name in placed:
            continue
        names = [e.name for e in layout]
        if k > 0:
            at = names.index(wanted[k - 1]) + 1
        else:
            later = [names.index(n) for n in wanted if n in placed]
            at = min(later) if later else len(layout)
        layout.insert(at, plan.new_entries[name])
        placed.add(name)
    return layout


# ---- 5. the workbook part


def rewrite_workbook_xml(plan: GraftPlan) -> None:
    """The sheet list in the new order, the active tab, the defined names (the owner marks
    among them), the calculation on open."""
    move = SheetMove(plan.t_sheets, plan.layout, plan.remove_keys, plan.sheets)
    scratch_order = [s.name for s in plan.scratch.sheets()]
    names = scratch_defined_names(plan.scratch, plan.s_wb)
    names += [DefinedName(OWNER_MARK, scratch_order.index(sheet),
                          f'"{_sealed(plan, sheet, text)}"', {"hidden": "1"})
              for sheet, text in plan.marks.items() if sheet in plan.new_entries]
    data, plan.active_tab = edit_workbook_xml(
        plan.target.get(plan.t_wb), move, names, scratch_order, plan.source,
        full_calc=plan.recalc, activate=_activation(plan))
    plan.changed[plan.t_wb] = data


def _sealed(plan: GraftPlan, sheet: str, text: str) -> str:
    """An owner mark's text, with the digest of its sheet's parts once they are made."""
    digest = plan.part_digests.get(plan.new_entries[sheet].part or "")
    return f"{text} {digest}" if digest else text


def _activation(plan: GraftPlan) -> int | None:
    """The new tab index of ``plan.activate``, when the workbook can open on it (it is grafted
    and visible); the kept sheets are then to be deselected."""
    entry = plan.new_entries.get(plan.activate or "")
    if entry is None or entry.state != "visible":
        return None
    plan.deselect = True
    return plan.layout.index(entry)


# ---- 6. the scratch parts, copied


@dataclass
class _CopyContext:
    """What copying the scratch parts needs to know, gathered once."""

    strings: list[str]  # the scratch shared strings, as inline string XML
    date_shift: int  # days added to dates (1900 vs 1904 date systems)
    table_ids: set[int]  # Excel table ids and names in use in the target
    table_names: set[str]
    selected_part: str | None  # the part of the sheet that is the active tab
    sheet_parts: set[str | None]  # target names of the grafted sheets


def add_parts(plan: GraftPlan) -> None:
    """Copy every placed scratch part; sheets rewritten, tables renumbered, rels re-pointed."""
    tpkg, spkg = plan.target, plan.scratch
    table_ids, table_names = existing_tables(tpkg, plan.deleted)
    ctx = _CopyContext(
        strings=shared_strings(spkg, plan.s_wb),
        date_shift=(int(spkg.is_1904()) - int(tpkg.is_1904())) * EPOCH_1904_SHIFT,
        table_ids=table_ids, table_names=table_names,
        selected_part=plan.layout[plan.active_tab].part if plan.layout else None,
        sheet_parts={plan.new_entries[n].part for n in plan.sheets})
    s_ct_defaults, s_ct_overrides = spkg.content_types()
    for part in plan.order:
        new = plan.part_map[part]
        ct = s_ct_overrides.get(part.lower()) or s_ct_defaults.get(
            posixpath.splitext(part)[1].lstrip(".").lower())
        if new in ctx.sheet_parts:
            ct = CT_WORKSHEET
        plan.new_parts.append((new, _part_bytes(plan, part, new, ct, ctx)))
        plan.new_cts.append((new, ct or ""))
        rels = spkg.rels(part)
        if rels:
            plan.new_parts.append((rels_path(new), rels_xml(_moved_rels(plan, part, new, rels))))
    made = {name.lower(): data for name, data in plan.new_parts}
    for name in plan.sheets:
        part = plan.new_entries[name].part or ""
        plan.part_digests[part] = sheet_parts_digest(name, part, lambda p: made.get(p.lower()),
                                                      plan.source)


def _part_bytes(plan: GraftPlan, part: str, new: str, ct: str | None,
                ctx: _CopyContext) -> bytes:
    data = plan.scratch.get(part)
    if new in ctx.sheet_parts:
        assert plan.styles is not None
        data = rewrite_sheet(data, ctx.strings, plan.styles, selected=(new == ctx.selected_part),
                             source=plan.scratch.source, date_shift=ctx.date_shift)
    if ct is None:
        raise PackageError(f"{plan.scratch.source}: " + _("no content type for {part}").format(
            part=part))
    if ct == CT_TABLE:
        data = renumber_table(data, ctx.table_ids, ctx.table_names, plan.source)
    return data


def _moved_rels(plan: GraftPlan, part: str, new: str, rels: list[Rel]) -> list[Rel]:
    """The relationships of a copied part, pointing at the copies (external ones kept)."""
    out = []
    for r in rels:
        if r.external:
            out.append(r)
            continue
        child = plan.scratch.part_name(resolve(part, r.target))
        if child in plan.part_map:
            out.append(Rel(r.id, r.type, relative(new, plan.part_map[child]), False))
    return out


# ---- 7. the shared parts


def merge_styles(plan: GraftPlan) -> None:
    """The target's styles part with the grafted cells' styles appended (or a new part)."""
    if plan.new_styles_part is not None:
        plan.new_parts.append((plan.new_styles_part, plan.scratch.get(plan.s_styles_part)))
        plan.new_cts.append((plan.new_styles_part, CT_STYLES))
        return
    assert plan.t_styles_part is not None and plan.styles is not None
    merged = plan.styles.result()
    if merged is not None:
        plan.changed[plan.t_styles_part] = merged


def edit_workbook_rels(plan: GraftPlan) -> None:
    """Relationships of removed sheets out, of grafted sheets (and new styles) in."""
    t_wb = plan.t_wb
    add = [Rel(plan.new_entries[n].rid, RT_WORKSHEET,
               relative(t_wb, plan.new_entries[n].part or ""), False) for n in plan.sheets]
    if plan.new_styles_part is not None:
        add.append(Rel(next(plan.rids), RT_STYLES, relative(t_wb, plan.new_styles_part), False))
    wb_rels_part = rels_path(t_wb)
    data = plan.target.get(wb_rels_part)
    if plan.drop_rids:
        data = remove_rels(data, plan.drop_rids)
    plan.changed[plan.target.part_name(wb_rels_part)] = add_rels(data, add)


def edit_app_properties(plan: GraftPlan) -> None:
    """The sheet titles of docProps/app.xml in the new order, when it lists them."""
    tpkg = plan.target
    app_parts = tpkg.related("", RT_EXTENDED_PROPS)
    app_part = app_parts[-1] if app_parts else None
    if app_part and tpkg.has(app_part) and app_part.lower() not in plan.deleted:
        app = edit_app(tpkg.get(app_part), [s.name for s in plan.t_sheets],
                       [s.name for s in plan.layout])
        if app is not None:
            plan.changed[app_part] = app


def record_owned_sheets(plan: GraftPlan) -> None:
    """The grafted sheet names, as a JSON list, in custom document property
    ``plan.property_name``, and ``plan.properties`` (docProps/custom.xml created when
    missing)."""
    tpkg = plan.target
    props = {plan.property_name: json.dumps(list(plan.sheets), ensure_ascii=False),
             **plan.properties}
    custom_part = tpkg.custom_props_part()
    if custom_part and tpkg.has(custom_part):
        data = tpkg.get(custom_part)
        for name, value in props.items():
            data = set_custom_property(data, name, value, plan.source)
        plan.changed[custom_part] = data
        return
    if custom_part is None:
        custom_part = _new_part_name("docProps/custom1.xml", plan.taken)
    if custom_part.lower() == "docprops/custom1.xml" and "docprops/custom.xml" not in plan.taken:
        custom_part = "docProps/custom.xml"
    plan.taken.add(custom_part.lower())
    first, *others = props.items()
    data = new_custom_props(*first)
    for name, value in others:
        data = set_custom_property(data, name, value, plan.source)
    plan.new_parts.append((custom_part, data))
    plan.new_cts.append((custom_part, CT_CUSTOM_PROPS))
    if tpkg.custom_props_part() is None:
        root_rid = next(next_rid(r.id for r in tpkg.rels("")))
        plan.changed[ROOT_RELS] = add_rels(
            plan.changed.get(ROOT_RELS, tpkg.get(ROOT_RELS)),
            [Rel(root_rid, RT_CUSTOM_PROPS, custom_part, False)])


def edit_content_types(plan: GraftPlan) -> None:
    """Overrides of deleted parts out, of new parts in."""
    plan.changed[CONTENT_TYPES] = _edit_content_types(
        plan.target.get(CONTENT_TYPES), set(plan.deleted), plan.new_cts)


def edit_user_sheets(plan: GraftPlan) -> None:
    """The only edits to the sheets the target keeps: ``tabSelected`` off their views when the
    workbook opens on a grafted sheet; with ``recalc``, the saved result of each formula that
    reads a grafted or removed sheet dropped (the formula kept)."""
    tpkg = plan.target
    kept = [s for s in plan.kept if s.part and tpkg.has(s.part)]
    data = {s.name: tpkg.get(s.part or "") for s in kept}
    edited: set[str] = set()
    if plan.deselect:
        for name, part_data in data.items():
            if tab_selected(part_data):
                data[name] = deselect_tab(part_data)
                edited.add(name)
    if plan.recalc:
        edited |= _drop_stale_results(plan, data)
    for s in kept:
        if s.name in edited:
            plan.changed[tpkg.part_name(s.part or "")] = data[s.name]


def _drop_stale_results(plan: GraftPlan, data: dict[str, bytes]) -> set[str]:
    """Saved results of formulas reading the replaced sheets, dropped in ``data`` (sheet
    name -> part bytes); the names of the sheets edited."""
    sheets = {}
    for name, part_data in data.items():
        sheet = SheetXml.read(name, part_data)
        if sheet is not None:
            sheets[sheet.key] = sheet
    if not sheets:
        return set()
    replaced = {n.casefold() for n in plan.sheets} | plan.remove_keys
    stale = find_stale(sheets, replaced, _formula_context(plan))
    for key, cells in stale.cells.items():
        sheet = sheets[key]
        data[sheet.name] = clear_results(sheet, cells, stale.arrays.get(key, []))
    plan.cleared = stale.addresses(sheets)
    return {sheets[key].name for key in stale.cells}


def _formula_context(plan: GraftPlan) -> FormulaContext:
    """The target's sheets (old and new tab order), defined names and Excel tables."""
    old = [s.name.casefold() for s in plan.t_sheets]
    names: dict[tuple[str | None, str], str] = {}
    for dn in scratch_defined_names(plan.target, plan.t_wb):
        scope = old[dn.local] if dn.local is not None and 0 <= dn.local < len(old) else None
        names[(scope, dn.name.casefold())] = dn.value
    return FormulaContext([old, [s.name.casefold() for s in plan.layout]], names,
                          _tables(plan))


def _tables(plan: GraftPlan) -> dict[str, Area]:
    """The Excel tables of the kept sheets, by case-folded name: their sheet and range."""
    tpkg, out = plan.target, {}
    for s in plan.kept:
        if not s.part or not tpkg.has(s.part):
            continue
        for r in tpkg.rels(s.part):
            part = None if r.external else tpkg.part_name(resolve(s.part, r.target))
            if r.type != RT_TABLE or part is None or not tpkg.has(part):
                continue
            root = tpkg.tree(part)
            area = read_area(root.get("ref", ""))
            for attr in ("name", "displayName"):
                if root.get(attr) and area is not None:
                    out[root.get(attr, "").casefold()] = (s.name.casefold(), *area)
    return out


# ---- 8. write


def write(plan: GraftPlan, out: Path, before_replace: Callable[[], None] | None = None) -> None:
    """Write the grafted package to ``out``, atomically: the target's entries in their order
    (deleted ones left out, changed ones replaced), then the new parts."""
    from ..safety import atomic_write

    tpkg = plan.target

    def write_zip(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in tpkg.infos:
                if info.filename.lower() in plan.deleted:
                    continue
                data = plan.changed.get(info.filename, tpkg.data[info.filename])
                zi = zipfile.ZipInfo(info.filename, info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr = info.external_attr
                zout.writestr(zi, data)
            for name, data in plan.new_parts:
                zout.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data,
                              compress_type=zipfile.ZIP_DEFLATED)

    atomic_write(out, write_zip, before_replace=before_replace)
