"""File safety: atomic replace, lock files, read-only files, disk full, kill -9, backups."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from costsheet.errors import CostsheetError
from costsheet.workbook import safety
from costsheet.workbook.safety import (
    atomic_write,
    check_not_open,
    check_writable,
    lock_file_for,
    make_backup,
)
from costsheet.workbook.safety import (
    make_backup as backup,
)


def workbook(path: Path, value: str) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = value
    wb.save(path)
    return path


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(safety.TEMP_PREFIX)]


def test_lock_file_names() -> None:
    assert lock_file_for(Path("/x/budget.xlsx")) == Path("/x/~$budget.xlsx")


@pytest.mark.parametrize(
    ("lock", "app"),
    [("~$budget.xlsx", "Excel"), ("~$dget.xlsx", "Excel"), (".~lock.budget.xlsx#", "LibreOffice")],
)
def test_open_workbook_is_refused(tmp_path: Path, lock: str, app: str) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    check_not_open(book)  # no lock file: fine
    (tmp_path / lock).write_bytes(b"\x05alice")
    with pytest.raises(CostsheetError) as info:
        check_not_open(book)
    assert info.value.message == (
        f"budget.xlsx is open in {app} (lock file {lock}); close it and run again"
    )


def test_read_only_file_is_refused_and_untouched(tmp_path: Path) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    before = book.read_bytes()
    book.chmod(0o444)
    try:
        with pytest.raises(CostsheetError, match="budget.xlsx is read-only"):
            check_writable(book)
        with pytest.raises(CostsheetError, match="read-only"):
            atomic_write(book, lambda tmp: workbook(tmp, "v2"))
        assert book.read_bytes() == before
        assert not leftovers(tmp_path)
    finally:
        book.chmod(0o644)


def test_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    before = book.read_bytes()

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(CostsheetError, match="read-only"):
        check_writable(book)
    with pytest.raises(CostsheetError, match="read-only"):
        atomic_write(book, lambda tmp: workbook(tmp, "v2"))
    assert book.read_bytes() == before


def test_write_failing_midway_leaves_original_and_no_temp_file(tmp_path: Path) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    before = book.read_bytes()

    def half(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(before[: len(before) // 2])
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        atomic_write(book, half)
    assert book.read_bytes() == before
    assert not leftovers(tmp_path)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (errno.ENOSPC, "not enough disk space to write budget.xlsx"),
        (errno.EACCES, "permission denied writing budget.xlsx"),
        (errno.EROFS, "drive or folder is read-only"),
    ],
)
def test_os_errors_become_clear_messages(tmp_path: Path, code: int, message: str) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    before = book.read_bytes()

    def fail(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise OSError(code, os.strerror(code))

    with pytest.raises(CostsheetError, match=message) as info:
        atomic_write(book, fail)
    assert "left unchanged" in info.value.message
    assert book.read_bytes() == before
    assert not leftovers(tmp_path)


def test_atomic_write_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    book.chmod(0o640)
    atomic_write(book, lambda tmp: workbook(tmp, "v2"))
    assert openpyxl.load_workbook(book).active["A1"].value == "v2"
    assert book.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "new.xlsx"
    atomic_write(fresh, lambda tmp: workbook(tmp, "v3"))
    assert openpyxl.load_workbook(fresh).active["A1"].value == "v3"
    assert not leftovers(tmp_path)


CHILD = textwrap.dedent(
    """
    import os, sys, zipfile
    from pathlib import Path
    from costsheet.workbook.safety import atomic_write

    out, new = Path(sys.argv[1]), Path(sys.argv[2])

    def write(tmp):
        with zipfile.ZipFile(new) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            for i in range(40):
                dst.writestr(f"xl/media/blob{i}.bin", os.urandom(1 << 20))

    print("ready", flush=True)
    atomic_write(out, write)
    print("done", flush=True)
    """
)


def test_kill_9_during_write_leaves_a_loadable_workbook(tmp_path: Path) -> None:
    book = workbook(tmp_path / "budget.xlsx", "v1")
    original = book.read_bytes()
    new = workbook(tmp_path.parent / f"{tmp_path.name}-new.xlsx", "v2")
    script = tmp_path.parent / f"{tmp_path.name}-child.py"
    script.write_text(CHILD)
    rng = random.Random(20240601)
    outcomes = {"v1": 0, "v2": 0}
    deadline = time.monotonic() + 20
    for _ in range(15):
        if time.monotonic() > deadline:
            break
        proc = subprocess.Popen([sys.executable, str(script), str(book), str(new)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        # whatever the moment of the kill: the old file, or the new one complete
        with zipfile.ZipFile(book) as zf:
            assert zf.testzip() is None
        value = openpyxl.load_workbook(book, read_only=True).active["A1"].value
        assert value in outcomes
        outcomes[value] += 1
        if value == "v1":
            assert book.read_bytes() == original
        else:
            book.write_bytes(original)
        for tmp in leftovers(tmp_path):  # a killed process cannot clean up its temp file
            tmp.unlink()
    assert outcomes["v1"] >= 1


def test_backups_rotate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_backup(tmp_path / "missing.xlsx") is None
    book = tmp_path / "budget.xlsx"
    made = []
    for i in range(5):
        book.write_bytes(f"version {i}".encode())
        made.append(backup(book, keep=3))
    folder = tmp_path / ".costsheet-backups"
    kept = sorted(folder.iterdir())
    assert len(kept) == 3
    assert {p.read_bytes() for p in kept} == {b"version 2", b"version 3", b"version 4"}
    assert all(p is not None and p.parent == folder for p in made)
    assert made[-1] is not None and made[-1].read_bytes() == b"version 4"
    import re

    assert re.fullmatch(r"budget\.\d{8}-\d{6}(-\d+)?\.xlsx", made[0].name)  # type: ignore[union-attr]
    # other workbooks' backups in the same folder are not touched
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"other")
    make_backup(other, keep=1)
    book.write_bytes(b"version 5")
    make_backup(book, keep=2)
    names = sorted(p.name for p in folder.iterdir())
    assert sum(n.startswith("other.") for n in names) == 1
    assert sum(n.startswith("budget.") for n in names) == 2
