"""costsheet: the cost of training a large language model, planned in Excel.

The public surface is what ``__all__`` lists; modules not named here are internal.
"""

from __future__ import annotations

from .catalog import Catalog, GpuSpec, UnknownGpuError, default_catalog
from .errors import CellError, CostsheetError, InputError, Report
from .estimate import Estimate, estimate
from .inputs import (
    DRIVER_KEYS,
    FAMILIES,
    FAMILY_LABELS,
    Budget,
    CostLine,
    Drivers,
    GpuPool,
    StaffLine,
    TrainingRun,
)
from .model.budget import compute_budget
from .model.compute import gpu_hours_for_flops, training_flops
from .model.items import BudgetResult, LineItem
from .model.scenarios import apply_overrides, apply_scenario
from .units import UnitError, parse_count, parse_fraction, parse_number

__version__ = "0.1.0"

# Workbook and analysis functions load on first use, so that `import costsheet` (and the Excel
# functions in `costsheet.udfs`, which must run without openpyxl or pandas) stays light.
_LAZY: dict[str, tuple[str, str]] = {
    "read_budget": ("costsheet.workbook.reader", "read_budget"),
    "ReadResult": ("costsheet.workbook.reader", "ReadResult"),
    "run_workbook": ("costsheet.workbook.run", "run_workbook"),
    "run_budget": ("costsheet.workbook.run", "run_budget"),
    "RunResult": ("costsheet.workbook.run", "RunResult"),
    "new_template": ("costsheet.workbook.template", "new_template"),
    "add_input_sheets": ("costsheet.workbook.add_inputs", "add_input_sheets"),
    "simulate": ("costsheet.model.montecarlo", "simulate"),
    "Distribution": ("costsheet.model.montecarlo", "Distribution"),
    "tornado": ("costsheet.model.sensitivity", "tornado"),
    "compare_scenarios": ("costsheet.model.sensitivity", "compare_scenarios"),
    "goal_seek": ("costsheet.model.solve", "goal_seek"),
    "biggest_run": ("costsheet.model.solve", "biggest_run"),
    "build_timeline": ("costsheet.model.timeline", "build_timeline"),
    "compute_variance": ("costsheet.model.variance", "compute_variance"),
    "published_mfu": ("costsheet.model.utilisation", "published_mfu"),
    "PublishedMfu": ("costsheet.model.utilisation", "PublishedMfu"),
    "load_reference_runs": ("costsheet.reference_runs", "load_reference_runs"),
    "ReferenceRun": ("costsheet.reference_runs", "ReferenceRun"),
}


def __getattr__(name: str) -> object:
    """Load a workbook or analysis name from `_LAZY` on first use."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'costsheet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "Distribution",
    "PublishedMfu",
    "ReferenceRun",
    "load_reference_runs",
    "published_mfu",
    "ReadResult",
    "RunResult",
    "add_input_sheets",
    "biggest_run",
    "build_timeline",
    "compare_scenarios",
    "compute_variance",
    "goal_seek",
    "new_template",
    "read_budget",
    "run_budget",
    "run_workbook",
    "simulate",
    "tornado",
    "DRIVER_KEYS",
    "FAMILIES",
    "FAMILY_LABELS",
    "Budget",
    "BudgetResult",
    "Catalog",
    "CellError",
    "CostLine",
    "CostsheetError",
    "Drivers",
    "Estimate",
    "GpuPool",
    "GpuSpec",
    "InputError",
    "LineItem",
    "Report",
    "StaffLine",
    "TrainingRun",
    "UnitError",
    "UnknownGpuError",
    "__version__",
    "apply_overrides",
    "apply_scenario",
    "compute_budget",
    "default_catalog",
    "estimate",
    "gpu_hours_for_flops",
    "parse_count",
    "parse_fraction",
    "parse_number",
    "training_flops",
]
