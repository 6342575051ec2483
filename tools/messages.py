"""`make messages`: extract every translatable string with Babel, update each language's catalog,
compile it.

    python tools/messages.py             extract (babel.cfg) → locale/costsheet.pot,
                                         update every locale/<lang>/LC_MESSAGES/costsheet.po,
                                         compile each to costsheet.mo
    python tools/messages.py --check     change nothing; exit 1 and list what is out of date:
                                         a msgid missing from a catalog, an untranslated or fuzzy
                                         entry, a translation whose {placeholders} differ
    python tools/messages.py --init ja   start a new language (then translate its .po and run
                                         `make messages`)

The catalogs are written for merging: sorted by msgid, no source locations, no line wrapping and
a fixed header date, so two people adding strings touch different lines.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "engine" / "costsheet"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "costsheet.pot"
DOMAIN = "costsheet"
FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)
#: costsheet.i18n's markers besides gettext's own (_, N_, ngettext, pgettext)
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy": None, "gettext_in": (2,)}
COMMENT_TAGS = ("Translators:",)
_FIELD = re.compile(r"(?<!\{)\{([^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def extract() -> Catalog:
    """Every msgid the source marks (babel.cfg), as a template catalog."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="costsheet", version="", fuzzy=False,
                       creation_date=FIXED_DATE, revision_date=FIXED_DATE)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        template.add(message, None, [(f"costsheet/{filename}", lineno)],
                     auto_comments=comments, context=context)
    for lineno, doc in command_docstrings():
        template.add(doc, None, [("costsheet/cli.py", lineno)],
                     auto_comments=["the --help text of a command (click's \\b: keep the "
                                    "lines as they are)"])
    return template


def command_docstrings() -> list[tuple[int, str]]:
    """The docstring of every command and group in cli.py: its --help text (translated by
    cli.translated_doc, with click's backspace mark written \\b)."""
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        decorated = any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                        and d.func.attr in ("command", "group") for d in node.decorator_list)
        doc = ast.get_docstring(node, clean=True)
        if decorated and doc:
            out.append((node.lineno, doc.replace("\b", "\\b")))
    return out


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    out = io.BytesIO()
    write_po(out, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def updated(lang: str, template: Catalog) -> Catalog:
    """``lang``'s catalog with the template's msgids (new ones empty or fuzzy, gone ones out)."""
    catalog = read_catalog(lang)
    catalog.update(template, update_creation_date=False)
    return catalog


def placeholders(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def problems(catalog: Catalog) -> list[str]:
    """Untranslated, fuzzy or mismatched entries of a catalog (empty: complete)."""
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strs = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        name = ids[0]
        if msg.fuzzy:
            out.append(f"fuzzy: {name!r}")
        elif not all(strs):
            out.append(f"untranslated: {name!r}")
        elif any(placeholders(s) != placeholders(ids[0]) for s in strs):
            out.append(f"placeholders differ: {name!r} -> {strs[0]!r}")
    return out


def write(lang: str, template: Catalog) -> list[str]:
    """Update and compile ``lang``; returns its problems."""
    catalog = updated(lang, template)
    po_path(lang).write_bytes(po_bytes(catalog))
    catalog = read_catalog(lang)
    po_path(lang).with_suffix(".mo").write_bytes(mo_bytes(catalog))
    return problems(catalog)


def check(template: Catalog) -> list[str]:
    """What `make messages` would change, and every incomplete entry, per language."""
    out = []
    if not TEMPLATE.exists() or TEMPLATE.read_bytes() != po_bytes(template):
        out.append(f"{TEMPLATE.relative_to(ROOT)} is out of date: run `make messages`")
    for lang in languages():
        catalog = read_catalog(lang)
        want = {m.id for m in template if m.id}
        have = {m.id for m in catalog if m.id}
        out += [f"{lang}: not in the catalog: {m!r}" for m in sorted(want - have, key=str)]
        out += [f"{lang}: no longer in the source: {m!r}" for m in sorted(have - want, key=str)]
        out += [f"{lang}: {p}" for p in problems(catalog)]
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != mo_bytes(catalog):
            out.append(f"{lang}: {mo.relative_to(ROOT)} does not match the .po: run "
                       "`make messages`")
    return out


def init(lang: str, template: Catalog) -> None:
    path = po_path(lang)
    if path.exists():
        sys.exit(f"{path} exists")
    catalog = Catalog(locale=lang, domain=DOMAIN, project="costsheet", version="",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False)
    for msg in template:
        if msg.id:
            catalog.add(msg.id, None, auto_comments=msg.auto_comments, context=msg.context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(po_bytes(catalog))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; list problems")
    parser.add_argument("--init", metavar="LANG", help="start the catalog of a new language")
    args = parser.parse_args(argv)
    template = extract()
    if args.check:
        found = check(template)
        for line in found:
            print(line)
        return 1 if found else 0
    if args.init:
        init(args.init, template)
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(po_bytes(template))
    status = 0
    for lang in languages():
        found = write(lang, template)
        done = len([m for m in read_catalog(lang) if m.id])
        print(f"{lang}: {done} messages, {len(found)} to translate")
        for line in found[:20]:
            print(f"  {line}")
        status = status or (1 if found else 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
