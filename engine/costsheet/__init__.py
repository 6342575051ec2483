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

__all__ = [
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
