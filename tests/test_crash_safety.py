"""Crash safety of `costsheet run`: kill -9 at random points, lock files, read-only files and a
full disk never leave the user's workbook damaged; backups are kept and rotate."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.workbook.ooxml import check_package, list_sheets
from costsheet.workbook.reader import read_budget
from costsheet.workbook.safety import BACKUP_DIR, TEMP_PREFIX
from support.hostile import example_bytes

TRIALS = "2000"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "costsheet.cli", *args]


def _readable(path: Path) -> bool:
    """A complete workbook: a sound package that costsheet and openpyxl both read."""
    check_package(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    assert read_budget(path).ok
    openpyxl.load_workbook(path, read_only=True).close()
    return True


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_kill_9_at_random_points_never_damages_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    versions = {path.read_bytes()}  # every complete state the file may be in
    rng = random.Random(20240601)
    outcomes = []
    for _ in range(10):
        before = path.read_bytes()
        proc = subprocess.Popen(_cli("run", str(path), "--trials", TRIALS),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=60)
        after = path.read_bytes()
        # the old bytes, or a complete new file: never something in between
        assert after == before or _readable(path)
        assert _readable(path)
        outcomes.append("killed" if code == -signal.SIGKILL else f"exit {code}")
        versions.add(after)
    assert "killed" in outcomes
    # backups are complete workbooks too, and at most 3 are kept
    backups = sorted((tmp_path / BACKUP_DIR).glob("budget.*.xlsx")) \
        if (tmp_path / BACKUP_DIR).exists() else []
    assert len(backups) <= 3
    for b in backups:
        assert _readable(b)
    # a run to the end cleans up the temporary files killed runs left behind
    done = subprocess.run(_cli("run", str(path), "--trials", TRIALS), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _temp_files(tmp_path) == []
    assert "Summary" in list_sheets(path)


@contextlib.contextmanager
def _process_gone() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    yield proc.pid


def test_stale_temp_files_of_dead_processes_are_removed_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    with _process_gone() as dead:
        stale = tmp_path / f"{TEMP_PREFIX}{dead}-abcd.xlsx"
    stale.write_bytes(b"half a workbook")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / f"{TEMP_PREFIX}{alive.pid}-efgh.xlsx"
        busy.write_bytes(b"another run is writing this")
        legacy = tmp_path / f"{TEMP_PREFIX}nopid.xlsx"
        legacy.write_bytes(b"no process id: left alone")
        res = CliRunner().invoke(main, ["run", str(path), "--trials", "200"])
        assert res.exit_code == 0, res.output
        assert not stale.exists()
        assert busy.exists() and legacy.exists()
    finally:
        alive.kill()
        alive.wait()


def test_backup_of_the_previous_version_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    seen = []
    for _ in range(5):
        before = path.read_bytes()
        res = CliRunner().invoke(main, ["run", str(path), "--trials", "200"])
        assert res.exit_code == 0, res.output
        line = next(ln for ln in res.output.splitlines() if ln.startswith("Previous version"))
        backup = Path(line.split(" as ", 1)[1])
        assert backup.parent == tmp_path / BACKUP_DIR
        assert backup.read_bytes() == before  # exactly the file as it was before the run
        seen.append(backup)
    kept = sorted((tmp_path / BACKUP_DIR).iterdir())
    assert kept == sorted(seen[-3:])  # the newest three


@pytest.mark.parametrize("lock", ["~$budget.xlsx", ".~lock.budget.xlsx#"])
def test_lock_file_refuses_and_leaves_the_file(tmp_path: Path, lock: str) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    (tmp_path / lock).write_bytes(b"owner")
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["run", str(path), "--trials", "200"])
    assert res.exit_code == 2
    assert res.output.startswith("error: budget.xlsx is open in")
    assert lock in res.output and "Traceback" not in res.output
    assert path.read_bytes() == before
    assert not (tmp_path / BACKUP_DIR).exists() and _temp_files(tmp_path) == []


def test_read_only_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        before = path.read_bytes()
        res = CliRunner().invoke(main, ["run", str(path), "--trials", "200"])
        assert res.exit_code == 2
        assert "error: budget.xlsx is read-only; costsheet did not change it" in res.output
        assert path.read_bytes() == before
        assert _temp_files(tmp_path) == []
        # -o elsewhere still works and leaves the read-only source alone
        out = tmp_path / "result.xlsx"
        res = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--trials", "200"])
        assert res.exit_code == 0, res.output
        assert path.read_bytes() == before and _readable(out)
    finally:
        path.chmod(0o644)


@contextlib.contextmanager
def _tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """A real full-able file system: a tmpfs of ``size`` (needs root to mount)."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root (full-disk mapping is unit-tested in "
                    "test_safety.py)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_full_disk_for_out_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(example_bytes())
    before = path.read_bytes()
    with _tiny_disk(tmp_path / "disk", "64k") as disk:
        out = disk / "result.xlsx"
        res = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "--trials", "200"])
        assert res.exit_code == 2, res.output
        assert "error: not enough disk space to write result.xlsx" in res.output
        assert "Traceback" not in res.output
        assert not out.exists() and _temp_files(disk) == []
    assert path.read_bytes() == before


def test_full_disk_in_place_leaves_the_original(tmp_path: Path) -> None:
    """The workbook sits on a nearly full disk: the backup (or the new file) cannot be
    written; the original is untouched and no partial backup is left behind."""
    with _tiny_disk(tmp_path / "disk", "80k") as disk:
        path = disk / "budget.xlsx"
        path.write_bytes(example_bytes())
        before = path.read_bytes()
        res = CliRunner().invoke(main, ["run", str(path), "--trials", "200"])
        assert res.exit_code == 2, res.output
        assert "not enough disk space" in res.output and "Traceback" not in res.output
        assert path.read_bytes() == before
        assert _temp_files(disk) == []
        backups = disk / BACKUP_DIR
        assert not backups.exists() or list(backups.iterdir()) == []
