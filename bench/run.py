"""Run every measurement in bench/ one after the other (``make bench``).

The speed scripts (``*_bench.py``) print their own tables of ratios measured in one run;
``fidelity.py`` prints how well the default utilisation predicts published GPU-hours. This only
runs them in turn, each in a fresh process so that one's imports and caches don't flatter the
next.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = [*sorted(p for p in HERE.glob("*_bench.py")), HERE / "fidelity.py"]
    failed = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        rc = subprocess.call([sys.executable, str(script)])
        if rc:
            print(f"{script.name} exited with {rc}", flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
