"""Run `costsheet` commands on the corpus with a time and a memory bound, each measured.

:func:`run_corpus` starts one fresh worker process (``python -m support.corpus_runner``), which
imports costsheet once and then forks one child per job: the child runs the command-line
interface with the job's arguments and exits with its exit code; the worker measures the wall
time and reads the child's peak resident memory from the kernel (``os.wait4``), kills a child
that passes its time limit, and caps its address space (``RLIMIT_AS``: what the worker has
mapped plus the memory bound plus room), so a run-away job ends with a MemoryError instead of
taking the machine. Forking keeps the corpus fast (no interpreter start per job) and each job
measured alone: a child starts as a copy of the worker, a costsheet process that has imported
everything, so its peak is what one `costsheet` process needs.

POSIX only (fork, wait4, rlimits).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TIME_LIMIT_S = 60.0
MEMORY_LIMIT_BYTES = 1 << 30  # 1 GiB
CRASHED = 99  # a child's exit code when the CLI raised (a traceback is in its stderr)


@dataclass
class Job:
    """One command: ``argv`` after ``costsheet``, run in ``cwd``."""

    id: str
    argv: list[str]
    cwd: str


@dataclass
class Outcome:
    id: str
    argv: list[str]
    exit_code: int | None  # None: killed at the time limit (or by a signal)
    seconds: float
    max_rss_bytes: int
    stdout: str
    stderr: str
    timed_out: bool = False
    signal: int | None = None

    @property
    def max_rss_mb(self) -> float:
        return self.max_rss_bytes / (1 << 20)


def run_corpus(jobs: list[Job], *, time_limit_s: float = TIME_LIMIT_S,
               memory_limit: int = MEMORY_LIMIT_BYTES) -> dict[str, Outcome]:
    """Every job's outcome, by id (see the module doc)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONWARNINGS": "ignore"}
    tests = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([tests, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    request = {"jobs": [asdict(j) for j in jobs], "time_limit_s": time_limit_s,
               "memory_limit": memory_limit}
    budget = (time_limit_s + 5) * max(len(jobs), 1) + 60
    proc = subprocess.run([sys.executable, "-m", "support.corpus_runner"], input=json.dumps(
        request), capture_output=True, text=True, env=env, timeout=budget)
    if proc.returncode != 0:
        raise RuntimeError(f"corpus worker failed ({proc.returncode}): {proc.stderr}")
    return {o["id"]: Outcome(**o) for o in json.loads(proc.stdout)}


# ---- the worker


def _mapped_bytes() -> int:
    """The worker's address space now (Linux: /proc/self/statm; elsewhere 0)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(job: dict[str, Any], out: Path, err: Path, address_space: int) -> None:
    """Run the CLI in this forked child and exit with its exit code (never returns)."""
    code = CRASHED
    try:
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        os.chdir(job["cwd"])
        fo, fe = open(out, "w", encoding="utf-8"), open(err, "w", encoding="utf-8")
        os.dup2(fo.fileno(), 1)
        os.dup2(fe.fileno(), 2)
        sys.stdout, sys.stderr = fo, fe
        from costsheet.cli import main

        try:
            main(job["argv"], prog_name="costsheet")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a crash is an outcome: its traceback goes to stderr
        traceback.print_exc()
        code = CRASHED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_one(job: dict[str, Any], index: int, folder: Path, time_limit_s: float,
             address_space: int) -> dict[str, Any]:
    out, err = folder / f"{index}.out", folder / f"{index}.err"
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, out, err, address_space)
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > time_limit_s:
            os.kill(pid, signal.SIGKILL)
            done, status, usage = os.wait4(pid, 0)
            timed_out = True
            break
        time.sleep(0.01)
    seconds = time.monotonic() - start
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return {
        "id": job["id"], "argv": job["argv"],
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "seconds": seconds, "max_rss_bytes": int(usage.ru_maxrss) * scale,
        "stdout": out.read_text(encoding="utf-8", errors="replace") if out.exists() else "",
        "stderr": err.read_text(encoding="utf-8", errors="replace") if err.exists() else "",
        "timed_out": timed_out,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    }


def _worker() -> None:
    import tempfile

    import costsheet.cli  # noqa: F401 - imported once, before any fork
    import costsheet.workbook.run  # noqa: F401

    request = json.loads(sys.stdin.read())
    limit = float(request["time_limit_s"])
    mapped = _mapped_bytes()
    address_space = mapped + int(request["memory_limit"]) + (512 << 20) if mapped else 0
    results = []
    with tempfile.TemporaryDirectory(prefix="costsheet-corpus-") as tmp:
        for index, job in enumerate(request["jobs"]):
            results.append(_run_one(job, index, Path(tmp), limit, address_space))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    _worker()
