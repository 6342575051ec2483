"""Digest of every workbook costsheet writes, to prove a refactor changes no output byte.

Runs, in a scratch folder: `costsheet new` (en, zh, --example), `costsheet run` on every sample
(plus `--as-of` on the monthly sample), and `new --into --example` + `run` on each real workbook
of ../shared/fixtures/real-workbooks. Prints (or writes) a JSON map
`case -> {part -> sha256}` plus the `--json` output of each run.

    python tools/output_digests.py --write before.json      # on the old code
    python tools/output_digests.py --compare before.json    # on the new code: lists differences

Differences are printed per case and part; exit 1 when any. Parts that legitimately differ
(stale text fixed on purpose) are listed by the person comparing, not hidden here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from click.testing import CliRunner
from costsheet.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
REAL = ROOT.parent / "shared" / "fixtures" / "real-workbooks"
TRIALS = "500"


# the run's wall-clock time (Refresh log, Summary) is the one thing allowed to differ
_CLOCK = re.compile(
    rb"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?(?: ?[A-Z]{2,5}|[+-]\d{2}:?\d{2})?")


def _digest(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: hashlib.sha256(_CLOCK.sub(b"<time>", zf.read(i.filename))).hexdigest()
                for i in zf.infolist()}


def _invoke(args: list[str]) -> str:
    res = CliRunner().invoke(main, args)
    if res.exit_code != 0:
        raise SystemExit(f"costsheet {' '.join(args)} exited {res.exit_code}:\n{res.output}")
    return res.output


def _json_of(output: str) -> object:
    data = json.loads(output[output.index("{"):])
    for key in ("output", "source", "backup"):  # paths of the scratch folder
        data.pop(key, None)
    return data


def collect(work: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for lang in ("en", "zh"):
        for example in (False, True):
            p = work / f"new-{lang}-{int(example)}.xlsx"
            _invoke(["new", str(p), "--lang", lang] + (["--example"] if example else []))
            out[p.name] = {"parts": _digest(p)}
    for sample in sorted(SAMPLES.glob("*.xlsx")):
        runs = [[]]
        if "monthly" in sample.name:
            runs.append(["--as-of", "2026-02"])
        for extra in runs:
            p = work / (sample.stem + ("-asof" if extra else "") + ".xlsx")
            shutil.copyfile(sample, p)
            o = _invoke(["run", str(p), "--json", "--trials", TRIALS, "--seed", "7", *extra])
            out[p.name] = {"parts": _digest(p), "json": _json_of(o)}
    if REAL.is_dir():
        for real in sorted(REAL.glob("*.xls*")):
            p = work / real.name
            shutil.copyfile(real, p)
            p.chmod(0o644)
            _invoke(["new", "--into", str(p), "--example"])
            o = _invoke(["run", str(p), "--json", "--trials", TRIALS, "--seed", "7"])
            out[p.name] = {"parts": _digest(p), "json": _json_of(o)}
    return out


def compare(old: dict, new: dict) -> list[str]:
    diffs: list[str] = []
    for case in sorted(set(old) | set(new)):
        if case not in old or case not in new:
            diffs.append(f"{case}: only in {'new' if case in new else 'old'}")
            continue
        a, b = old[case], new[case]
        for part in sorted(set(a["parts"]) | set(b["parts"])):
            if a["parts"].get(part) != b["parts"].get(part):
                diffs.append(f"{case}: {part} differs")
        if a.get("json") != b.get("json"):
            diffs.append(f"{case}: --json differs")
    return diffs


def main_() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", type=Path)
    g.add_argument("--compare", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"  # the same path text every time: it can appear in outputs
        work.mkdir()
        data = collect(work)
    if args.write:
        args.write.write_text(json.dumps(data, indent=1, sort_keys=True))
        print(f"wrote {len(data)} cases to {args.write}")
        return 0
    diffs = compare(json.loads(args.compare.read_text()), data)
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s) over {len(data)} cases")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main_())
