"""`costsheet.__all__` is the public surface: everything listed exists, everything public is listed.

In the style of encode/httpx's ``tests/test_exported_members.py``.
"""

from __future__ import annotations
import __future__ as future

import inspect
import types

import costsheet

INCLUDED_PRIVATE_MEMBERS = {"__version__"}


def public_members() -> set[str]:
    """Public attributes of the package that are not submodules or `__future__` imports."""
    eager = {
        name
        for name, value in vars(costsheet).items()
        if (not name.startswith("_") or name in INCLUDED_PRIVATE_MEMBERS)
        and not isinstance(value, (types.ModuleType, future._Feature))
    }
    return eager | set(costsheet._LAZY)  # loaded on first use (module __getattr__)


def test_all_imports_are_exported() -> None:
    exported = costsheet.__all__
    assert len(exported) == len(set(exported)), "a name is listed twice"
    assert set(exported) == public_members()


def test_every_exported_name_exists() -> None:
    for name in costsheet.__all__:
        assert hasattr(costsheet, name), name


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from costsheet import *", namespace)
    namespace.pop("__builtins__", None)
    assert set(namespace) == set(costsheet.__all__)


def test_exported_classes_and_functions_are_documented() -> None:
    for name in costsheet.__all__:
        value = getattr(costsheet, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"costsheet.{name} has no docstring"


def test_the_issue_names_are_public() -> None:
    """What docs/TEAM.md and the issue promise to importers."""
    for name in ("estimate", "Estimate", "compute_budget", "Budget", "Drivers", "GpuPool",
                 "TrainingRun", "CostLine", "StaffLine", "BudgetResult", "LineItem",
                 "default_catalog", "Catalog", "GpuSpec", "UnknownGpuError", "CostsheetError",
                 "InputError", "CellError", "Report", "apply_scenario", "apply_overrides",
                 "parse_number", "parse_fraction", "FAMILIES"):
        assert name in costsheet.__all__, name
    assert callable(costsheet.estimate)
    assert isinstance(costsheet.__version__, str)


def test_lazy_names_load_and_keep_import_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, costsheet; "
        "assert 'openpyxl' not in sys.modules and 'pandas' not in sys.modules, 'heavy import'; "
        "[getattr(costsheet, n) for n in costsheet._LAZY]; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
