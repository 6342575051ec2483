"""The layers are a contract, not a picture: the model is pure, the CLI is the only translator.

`make lint` runs the contracts of pyproject.toml (`lint-imports`); these tests run them too, and
check at run time what the static check cannot see (imports made through importlib).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine" / "costsheet"


def test_import_contracts_are_kept() -> None:
    """Layers cli > workbook > estimate/udfs > flags > model > inputs/catalog > units/errors, a
    pure model, Excel functions without openpyxl, no import cycles (pyproject.toml)."""
    lint = Path(sys.executable).parent / "lint-imports"
    res = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


_LOADED = """
import importlib, json, pkgutil, sys
import costsheet.model
for info in pkgutil.iter_modules(costsheet.model.__path__, "costsheet.model."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_model_loads_no_workbook_cli_click_or_openpyxl() -> None:
    res = subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True,
                         timeout=120, check=True)
    loaded = json.loads(res.stdout)
    assert len([m for m in loaded if m.startswith("costsheet.model.")]) >= 10
    bad = [m for m in loaded if m.split(".")[0] in ("click", "openpyxl")
           or m.startswith(("costsheet.workbook", "costsheet.cli"))]
    assert bad == []


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal (f-string parts too) that is not a docstring."""
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_library_messages_never_spell_a_flag() -> None:
    """Flags are the CLI's words: the library names inputs and arguments (``key``) instead,
    and the CLI maps them to its flags (``vary`` → ``--vary``)."""
    offenders = []
    library = [p for p in [*ENGINE.glob("*.py"), *ENGINE.glob("model/*.py")]
               if p.name not in ("cli.py", "udfs.py", "functions.py")]  # CLI; Excel help texts
    assert len(library) >= 20
    for path in library:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _strings(tree):
            if re.search(r"(?<![\w-])--[a-z]", text):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert offenders == []


def test_openpyxl_takes_its_standard_library_path_even_with_lxml_installed() -> None:
    """lxml (installed with the test tools) must not change what costsheet writes or parses."""
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENPYXL_LXML"}
    code = ("import lxml, costsheet.workbook.reader, openpyxl.xml; "
            "print(openpyxl.xml.LXML)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
