"""The real workbooks in ../shared/fixtures/real-workbooks (shared/ sits beside the repo).

Locally a missing folder skips the tests that need it; in CI (CI=true) it is a failure, so a
green CI never means "the real workbooks were not there".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_WORKBOOKS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real-workbooks"


def real_workbook_names() -> list[str]:
    """File names of the real workbooks (empty when the folder is missing)."""
    if not REAL_WORKBOOKS.is_dir():
        return []
    return sorted(p.name for p in REAL_WORKBOOKS.glob("*.xls*"))


def require_real_workbooks() -> Path:
    """The folder, or a skip (locally) / failure (CI) naming where it was looked for."""
    if not REAL_WORKBOOKS.is_dir():
        message = f"real workbooks not found at {REAL_WORKBOOKS} (shared/ must sit beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return REAL_WORKBOOKS
