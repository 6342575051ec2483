"""How long does `costsheet run` take on a large budget, first run and re-run, in process?

    .venv/bin/python bench/rerun_bench.py                # 5,000 lines, 12 scenarios
    .venv/bin/python bench/rerun_bench.py --repeat 3     # median of 3 pairs

The generated large budget of ``run_bench.py`` (5,000 input lines, 12 scenarios, 1,000 Monte
Carlo trials) is written to a fresh workbook; ``run_workbook`` runs on it twice. The re-run is
the one that checks the owner marks of the nine result sheets before replacing them
(docs/workbook-safety.md): with the parts digest in the mark, an untouched sheet is proven by
its bytes, without reading its cells. Set ``PYTHONPATH`` to another engine to compare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    import costsheet
    from costsheet.workbook.run import run_workbook
    from costsheet.workbook.template import workbook_bytes
    from run_bench import large_budget

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    firsts, reruns = [], []
    data = workbook_bytes(large_budget(args.lines))
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "large.xlsx"
            path.write_bytes(data)
            for times in (firsts, reruns):
                start = time.perf_counter()
                run_workbook(path, trials=1000)
                times.append(time.perf_counter() - start)
    print(f"engine: {Path(costsheet.__file__).parent}")
    for label, times in (("first run", firsts), ("re-run", reruns)):
        each = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:<10} {statistics.median(times):6.2f} s   ({each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
