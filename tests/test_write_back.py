"""Write back the way a careful editor does: one run at a time, the real file behind a link,
never a device or a hard-linked file, the owner kept, a colleague's save never overwritten,
backups never partial, an extension that matches the package."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from costsheet.errors import CostsheetError
from costsheet.workbook.run_lock import RunLock, run_lock_path
from costsheet.workbook.safety import BACKUP_DIR, atomic_write, make_backup
from costsheet.workbook.targets import (
    EXTENSION_CONTENT_TYPES,
    FileState,
    check_extension,
    check_unchanged,
    owner_preservable,
    resolve_target,
)

ENGINE = Path(__file__).resolve().parents[1] / "engine"


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding costsheet's run lock on ``path`` for ``seconds``."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ENGINE)!r})
        from costsheet.workbook.run_lock import RunLock
        with RunLock(__import__("pathlib").Path({str(path)!r})):
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_waits_then_refuses_naming_the_first(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"x")
    holder = _hold_lock(book, 5)
    try:
        start = time.monotonic()
        with pytest.raises(CostsheetError) as info, RunLock(book, wait_s=0.5):
            pass
        assert time.monotonic() - start >= 0.5
        msg = info.value.message
        assert msg.startswith("budget.xlsx is being updated by another costsheet run (process ")
        assert f"process {holder.pid}" in msg and "left unchanged" in msg
    finally:
        holder.kill()
        holder.wait()
    # the holder died without releasing: the OS released its lock, the next run gets it at once
    with RunLock(book, wait_s=0):
        assert run_lock_path(book).exists()
    assert not run_lock_path(book).exists()


def test_second_run_waits_for_the_first_to_finish(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    holder = _hold_lock(book, 0.6)
    start = time.monotonic()
    with RunLock(book, wait_s=20):
        waited = time.monotonic() - start
    holder.wait()
    assert 0.3 < waited < 20


def test_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    with RunLock(book), pytest.raises(CostsheetError, match="another costsheet run"):
        RunLock(book, wait_s=0).acquire()


def test_symlink_resolves_to_the_shared_file(tmp_path: Path) -> None:
    shared = tmp_path / "team" / "budget.xlsx"
    shared.parent.mkdir()
    shared.write_bytes(b"old")
    link = tmp_path / "my-budget.xlsx"
    link.symlink_to(shared)
    real = resolve_target(link)
    assert real == shared.resolve()
    atomic_write(real, lambda tmp: tmp.write_bytes(b"new"))
    assert link.is_symlink() and shared.read_bytes() == b"new" and link.read_bytes() == b"new"


def test_devices_pipes_and_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CostsheetError, match="not a regular file") as info:
        resolve_target(Path("/dev/null"))
    assert info.value.hint == "write to an .xlsx file with --out"
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(CostsheetError, match="not a regular file"):
        resolve_target(fifo)
    with pytest.raises(CostsheetError, match="is a folder"):
        resolve_target(tmp_path)
    assert resolve_target(tmp_path / "new.xlsx") == (tmp_path / "new.xlsx").resolve()


def test_hard_links_are_refused(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"x")
    os.link(book, tmp_path / "copy.xlsx")
    with pytest.raises(CostsheetError, match="has 2 hard links") as info:
        resolve_target(book)
    assert "--out" in (info.value.hint or "")


@pytest.mark.parametrize(("name", "ext"), [("out.xlsm", ".xlsm"), ("out.csv", ".csv"),
                                           ("out", "(no extension)")])
def test_extension_must_match_the_package(tmp_path: Path, name: str, ext: str) -> None:
    xlsx = EXTENSION_CONTENT_TYPES[".xlsx"]
    check_extension(tmp_path / "out.xlsx", xlsx)
    check_extension(tmp_path / "OUT.XLSX", xlsx)
    with pytest.raises(CostsheetError) as info:
        check_extension(tmp_path / name, xlsx, source=Path("budget.xlsx"))
    assert f"ends in {ext}" in info.value.message
    assert "budget.xlsx is an Excel workbook" in info.value.message
    assert info.value.hint == f"write to {Path(name).with_suffix('.xlsx').name} instead"
    with pytest.raises(CostsheetError, match="macro-enabled workbook"):
        check_extension(tmp_path / "out.xlsx", EXTENSION_CONTENT_TYPES[".xlsm"])


def test_a_save_during_the_run_is_never_overwritten(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"inputs v1")
    state = FileState.of(book)
    check_unchanged(book, state)
    book.write_bytes(b"inputs v2")  # a colleague saves while costsheet computes
    with pytest.raises(CostsheetError, match="changed on disk while costsheet was computing"):
        atomic_write(book, lambda tmp: tmp.write_bytes(b"results of v1"),
                     before_replace=lambda: check_unchanged(book, state))
    assert book.read_bytes() == b"inputs v2"
    assert [p.name for p in tmp_path.iterdir()] == ["budget.xlsx"]


def test_same_bytes_with_a_new_mtime_is_not_a_change(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"same")
    state = FileState.of(book)
    os.utime(book, ns=(state.mtime_ns + 10**9, state.mtime_ns + 10**9))
    with pytest.raises(CostsheetError):  # touched: the digest is the same but mtime differs
        check_unchanged(book, state)
    book.unlink()
    with pytest.raises(CostsheetError, match="deleted or renamed"):
        check_unchanged(book, state)


@pytest.mark.skipif(os.name != "posix", reason="owners and groups are POSIX")
def test_someone_elses_workbook_is_refused_before_anything_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"alice's")
    if os.geteuid() == 0:
        os.chown(book, 1234, 1234)  # alice's, not root's (root could keep any owner)
    st = book.stat()
    # a colleague (another uid) in the file's group
    monkeypatch.setattr(os, "geteuid", lambda: st.st_uid + 1)
    monkeypatch.setattr(os, "getegid", lambda: st.st_gid)
    with pytest.raises(CostsheetError, match="belongs to .*left unchanged") as info:
        owner_preservable(book)
    assert "--out" in (info.value.hint or "")
    # the owner, but not in the file's group any more
    monkeypatch.setattr(os, "geteuid", lambda: st.st_uid)
    monkeypatch.setattr(os, "getegid", lambda: st.st_gid + 1)
    monkeypatch.setattr(os, "getgroups", lambda: [st.st_gid + 1])
    with pytest.raises(CostsheetError, match="which you are not in"):
        owner_preservable(book)
    monkeypatch.setattr(os, "getgroups", lambda: [st.st_gid + 1, st.st_gid])
    owner_preservable(book)  # owner and member of the group: fine
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    owner_preservable(book)  # root can keep any owner


def test_replace_keeps_owner_group_and_mode(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"v1")
    book.chmod(0o640)
    if os.name == "posix" and os.geteuid() == 0:
        os.chown(book, 1234, 2345)
    before = book.stat()
    atomic_write(book, lambda tmp: tmp.write_bytes(b"v2"))
    after = book.stat()
    assert (after.st_uid, after.st_gid, after.st_mode) == (
        before.st_uid, before.st_gid, before.st_mode)


def test_backup_folder_name_taken_by_a_file(tmp_path: Path) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"v1")
    (tmp_path / BACKUP_DIR).write_text("not a folder")
    with pytest.raises(CostsheetError, match="is a file, not a folder") as info:
        make_backup(book)
    assert "rename or move the file" in (info.value.hint or "")


def test_backup_is_copied_under_a_temporary_name_first(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "budget.xlsx"
    book.write_bytes(b"v1" * 1000)
    seen: list[str] = []
    import shutil

    real_copy = shutil.copy2

    def spy(src: object, dst: object, **kw: object) -> object:
        seen.append(Path(str(dst)).name)
        return real_copy(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "copy2", spy)
    backup = make_backup(book)
    assert backup is not None and backup.read_bytes() == book.read_bytes()
    assert seen and seen[0].startswith(".costsheet-tmp-") and seen[0] != backup.name
    assert sorted(p.name for p in backup.parent.iterdir()) == [backup.name]
