"""Run every speed measurement in bench/ one after the other (``make bench``).

Each script prints its own table of ratios measured in one run; this only runs them in turn, each
in a fresh process so that one's imports and caches don't flatter the next.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*_bench.py"))
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
