"""Every user-visible string goes through the message catalogs, and every one has a translation.

Three nets, from the source to what a user sees:

1. the source: no English text is handed to an error, a warning, a report or the terminal without
   ``_()`` / ``ngettext()`` (an AST scan of the package: `test_no_untranslated_message_literals`);
2. the catalogs: what Babel extracts is exactly what each language's ``.po`` holds, every entry
   is translated (non-empty, not fuzzy, same ``{placeholders}``), and the committed ``.mo`` is the
   ``.po`` compiled (`make messages` keeps them so);
3. the output: tests/test_i18n_sheets.py renders a Chinese run and looks for English sentences.

How to add a string: docs/TEAM.md, *Languages*.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine" / "costsheet"


def _messages_tool():
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "tools" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# the catalogs


def test_catalogs_hold_every_extracted_string_translated_and_compiled() -> None:
    """`python tools/messages.py --check`: the .pot is what Babel extracts from the source, each
    language's .po has exactly its msgids, every one translated (not fuzzy, same placeholders),
    and the committed .mo is that .po compiled. Fix: `make messages`, then translate."""
    tool = _messages_tool()
    problems = tool.check(tool.extract())
    assert problems == [], "\n".join(problems[:40])


def test_chinese_catalog_exists_and_is_shipped() -> None:
    from costsheet.i18n import available_languages

    assert "zh" in available_languages()
    mo = ENGINE / "locale" / "zh" / "LC_MESSAGES" / "costsheet.mo"
    assert mo.stat().st_size > 50_000  # hundreds of messages, not an empty catalog
    text = (ROOT / "pyproject.toml").read_text()
    assert "locale/*/LC_MESSAGES/costsheet.mo" in text  # package data: installed with costsheet


def test_placeholder_check_catches_a_broken_translation() -> None:
    tool = _messages_tool()
    from babel.messages.catalog import Catalog

    cat = Catalog(locale="zh")
    cat.add("unknown pool {name!r} (known: {known})", "未知的 GPU 池 {名称!r}")
    cat.add("is required", "")
    found = tool.problems(cat)
    assert any("placeholders differ" in p for p in found)
    assert any("untranslated" in p for p in found)


def test_glossary_terms_are_the_catalog_terms() -> None:
    """The five families and the monthly words read the same in the catalog as in the glossary
    (docs/zh/glossary.md) and the Chinese docs."""
    from costsheet.i18n import use_language
    from costsheet.inputs import FAMILY_LABELS

    glossary = (ROOT / "docs" / "zh" / "glossary.md").read_text(encoding="utf-8")
    with use_language("zh"):
        labels = [FAMILY_LABELS[f] for f in FAMILY_LABELS]
    assert labels == ["算力/硬件成本", "数据成本", "研发人力成本", "电力与基础设施成本",
                      "实验与试错成本"]
    for label in labels:
        assert f"| {label} |" in glossary


# ---------------------------------------------------------------------------------------------
# the source: English handed to a user without _()

#: calls whose first argument (and ``message=``/``hint=``) a user reads
_MESSAGE_CALLS = {"CostsheetError", "InputError", "UnitError", "PackageError", "UnknownGpuError",
                  "MarkError", "UnevaluableFormula", "UsageError", "BadParameter", "echo",
                  "secho", "_error", "echo_warning"}
#: methods whose fifth argument (sheet, cell, field, value, message) is a message
_REPORT_METHODS = {"add", "error", "warn"}
#: markers that translate (or mark for translation) what they wrap
_TRANSLATING = {"_", "ngettext", "pgettext", "gettext_in", "N_", "lazy"}
#: files whose text is deliberately English (docs/TEAM.md, *Languages*): the Excel functions
#: register their descriptions with Excel once, in English; the published-runs and functions
#: references generate English docs; reference_runs validates our own CSV (developer errors).
_ENGLISH_FILES = {"udfs.py", "published_runs_doc.py", "functions.py", "reference_runs.py",
                  "i18n.py"}
_WORDS = re.compile(r"[A-Za-z]{2,}")
#: tokens that read the same in every language: keys, part names, cells (``kv_heads``,
#: ``docProps/custom.xml``), units and chip names, distribution names (keys a user types)
_KEYLIKE = re.compile(r"\S*[_\d./@!]\S*")
_NEUTRAL_WORDS = frozenset({"GPU", "TFLOP", "MFU", "TDP", "normal", "lognormal", "bernoulli"})


def _is_english(text: str) -> bool:
    words = _WORDS.findall(_KEYLIKE.sub(" ", text))
    return any(w not in _NEUTRAL_WORDS for w in words)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _english(node: ast.AST) -> list[str]:
    """Literal English text in an expression, outside any translating call."""
    if isinstance(node, ast.Call) and _name(node.func) in _TRANSLATING:
        return []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("join", "format", "replace", "partition", "split", "strip"):
        return _english(node.func.value) + [t for a in node.args for t in _english(a)]
    if isinstance(node, ast.Call):
        return []  # a helper builds the text (its own strings are checked where they are)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if _is_english(node.value) else []
    if isinstance(node, ast.Compare):  # a condition inside the message, not its text
        return []
    if isinstance(node, ast.FormattedValue):
        return _english(node.value)
    out: list[str] = []
    for child in ast.iter_child_nodes(node):
        out += _english(child)
    return out


def _messages_of(call: ast.Call) -> list[ast.expr]:
    name = _name(call.func)
    out: list[ast.expr] = []
    if name in _MESSAGE_CALLS:
        out += call.args[:1]
    elif name in _REPORT_METHODS and isinstance(call.func, ast.Attribute):
        out += call.args[4:5]
    elif name == "append" and isinstance(call.func, ast.Attribute) and \
            _name(call.func.value) in ("warnings", "notes"):
        out += call.args[:1]
    out += [k.value for k in call.keywords if k.arg in ("message", "hint", "help_text")]
    return out


def _untranslated(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for arg in _messages_of(node):
            for text in _english(arg):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:70]!r}")
    return found


def test_no_untranslated_message_literals() -> None:
    """A message, tip, warning or terminal line written as English text must be wrapped in
    ``_()`` (or ``ngettext``): `_("unknown pool {name!r}").format(name=name)`, never an
    f-string. Then `make messages` and translate the new entry in the Chinese .po."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name in _ENGLISH_FILES:
            continue
        found += _untranslated(path)
    assert found == [], "English text without _():\n" + "\n".join(found[:60])


def test_the_scan_sees_what_it_must() -> None:
    """The scan flags the forms people write, and passes the translated ones."""
    src = '''
raise InputError(f"unknown pool {name!r}", hint="add it")
report.add(sheet, cell, "field", value, "is required")
warnings.append("pool is idle")
click.echo(_("ok: {summary}").format(summary=s))
raise InputError(_("x {a}").format(a=a) + got_text(v), hint=_("y"))
report.add(sheet, cell, "field", value, str(exc))
'''
    tree = ast.parse(src)
    texts = [t for node in ast.walk(tree) if isinstance(node, ast.Call)
             for arg in _messages_of(node) for t in _english(arg)]
    assert texts == ["unknown pool ", "add it", "is required", "pool is idle"] or \
        sorted(texts) == sorted(["unknown pool ", "add it", "is required", "pool is idle"])


def test_no_function_shadows_the_translation_function() -> None:
    """``for _ in ...`` or ``a, _ = ...`` inside a function that calls ``_()`` turns every
    message of that function into a crash (``'int' object is not callable``)."""
    bad = []
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            binds = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == "_"
                     and isinstance(n.ctx, ast.Store)]
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id == "_"]
            if binds and calls:
                bad.append(f"{path.relative_to(ROOT)}:{binds[0].lineno}")
    assert bad == []


# ---------------------------------------------------------------------------------------------
# the Excel functions stay light


def test_udfs_do_not_import_babel() -> None:
    """xlwings Lite loads costsheet.udfs in the browser: Babel (CLDR data) loads only when a
    non-English number is formatted, never on import."""
    code = ("import sys, costsheet.udfs, costsheet.i18n; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('babel', 'openpyxl', 'click')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert res.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["costsheet.i18n", "costsheet.errors", "costsheet.units"])
def test_bottom_layers_import_no_babel(module: str) -> None:
    code = f"import sys, {module}; print('babel' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert res.stdout.strip() == "False"


def test_every_translated_literal_is_extracted() -> None:
    """A literal passed to ``_()`` that Babel does not extract is never translated: Babel does
    not look inside f-strings (``f"{_('run')}"``) or other expressions it cannot tokenise."""
    tool = _messages_tool()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in tool.extract() if m.id}
    missing = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            index = 1 if name == "gettext_in" else 0 if name in _TRANSLATING else None
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value \
                    and arg.value not in ids:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {arg.value!r}")
    assert missing == [], "\n".join(missing)
