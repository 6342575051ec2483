"""Write back the way a careful editor does, end to end: real `costsheet` processes on real
workbooks (the worked example, as `costsheet new --example` writes it).

Where a test needs a moment inside a run (a colleague saving while costsheet computes, a kill
during the backup copy), the process is the real CLI with one function wrapped to wait for the
test's signal; nothing else is changed."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from costsheet.workbook.ooxml import check_package, list_sheets
from costsheet.workbook.safety import BACKUP_DIR, TEMP_PREFIX
from support.hostile import example_bytes, set_cells

TRIALS = "300"
USER_SHEETS = ["README", "Drivers", "Pools", "Runs", "Data", "Staff", "Other", "GPU catalog",
               "FX", "Overrides", "Actuals", "Uncertainty"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "costsheet.cli", *args]


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_cli(*args), capture_output=True, text=True, timeout=timeout)


def _example(path: Path) -> Path:
    path.write_bytes(example_bytes())
    return path


def _log_rows(path: Path) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb["Refresh log"].iter_rows(values_only=True))
    finally:
        wb.close()
    return [r for r in rows[1:] if any(v is not None for v in r)]


def _refused(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: "), proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr
    return proc.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


# ---- one run at a time


def _started_together(paths: list[Path], at: float, *args: list[str]) -> list[
        subprocess.Popen[str]]:
    """One `costsheet` process per argument list, each calling the CLI at the same moment
    ``at`` (after its imports), so their runs overlap for certain."""
    code = textwrap.dedent("""
        import sys, time
        from costsheet.cli import main
        time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
        sys.argv = ["costsheet", *sys.argv[2:]]
        main()
    """)
    return [subprocess.Popen([sys.executable, "-c", code, str(at), *a], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for a in args]


@pytest.mark.parametrize("first_run", [True, False], ids=["never-run", "run-before"])
def test_two_runs_started_together_keep_both_log_rows(tmp_path: Path, first_run: bool) -> None:
    book = _example(tmp_path / "budget.xlsx")
    if first_run is False:
        assert _run("run", str(book), "--trials", TRIALS).returncode == 0
    before = len(_log_rows(book)) if not first_run else 0
    procs = _started_together([book], time.time() + 4,
                              ["run", str(book), "--trials", TRIALS, "--as-of", "2026-02"],
                              ["run", str(book), "--trials", TRIALS, "--as-of", "2026-03"])
    outs = [(p.wait(timeout=240), *p.communicate()) for p in procs]
    ok = 0
    for code, out, err in outs:
        assert "already exists" not in err and "Traceback" not in err, err
        if code == 0:
            ok += 1
            assert "refresh log: row" in out, out
        else:  # the only acceptable refusal names the other run
            assert code == 2 and "is being updated by another costsheet run (process " in err
    rows = _log_rows(book)
    assert ok >= 1 and len(rows) == before + ok, (outs, rows)  # no write lost
    if ok == 2:
        assert sorted(str(r[1]) for r in rows[before:]) == ["2026-02", "2026-03"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~costsheet.")]


def test_a_run_waits_for_the_run_holding_the_lock(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from costsheet.workbook.run_lock import RunLock
        with RunLock(Path({str(book)!r})):
            print("locked", flush=True)
            time.sleep(3)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    start = time.monotonic()
    proc = _run("run", str(book), "--trials", TRIALS)
    assert proc.returncode == 0, proc.stderr
    assert holder.wait(timeout=30) == 0
    assert time.monotonic() - start > 2  # it waited for the holder; it did not write under it
    assert len(_log_rows(book)) == 1


# ---- the real file behind a link


def test_run_through_a_symlink_writes_the_shared_workbook(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    shared = _example(tmp_path / "team" / "budget.xlsx")
    link = tmp_path / "my-budget.xlsx"
    link.symlink_to(shared)
    proc = _run("run", str(link), "--trials", TRIALS)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and link.resolve() == shared.resolve()
    assert "Summary" in list_sheets(shared)  # the shared file has the results
    assert [p.name for p in (shared.parent / BACKUP_DIR).iterdir()]  # backed up beside it
    assert not (tmp_path / BACKUP_DIR).exists()


@pytest.mark.parametrize("beside", ["target", "link"])
def test_lock_files_beside_the_target_and_the_link_are_both_seen(tmp_path: Path,
                                                                 beside: str) -> None:
    (tmp_path / "team").mkdir()
    shared = _example(tmp_path / "team" / "budget.xlsx")
    link = tmp_path / "my-budget.xlsx"
    link.symlink_to(shared)
    lock = (shared.parent / "~$budget.xlsx") if beside == "target" else (
        tmp_path / ".~lock.my-budget.xlsx#")
    lock.write_bytes(b"\x05colleague")
    before = shared.read_bytes()
    for command in (["run", str(link), "--trials", TRIALS], ["new", "--into", str(link)]):
        _refused(_run(*command), f"is open in {'Excel' if beside == 'target' else 'LibreOffice'}",
                 lock.name)
    assert shared.read_bytes() == before and link.is_symlink()


# ---- never a device, a folder or a hard-linked file


def test_out_onto_a_device_or_a_pipe_is_refused(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    before = book.read_bytes()
    err = _refused(_run("run", str(book), "-o", "/dev/null", "--trials", TRIALS),
                   "/dev/null is not a regular file", "left it untouched")
    assert "tip: write to an .xlsx file with --out" in err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    _refused(_run("run", str(book), "-o", str(fifo), "--trials", TRIALS), "not a regular file")
    _refused(_run("new", "--force", str(fifo)), "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and book.read_bytes() == before


def test_a_hard_linked_workbook_is_refused(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    other = tmp_path / "copy-for-finance.xlsx"
    os.link(book, other)
    before = _files(tmp_path)
    err = _refused(_run("run", str(book), "--trials", TRIALS), "budget.xlsx has 2 hard links",
                   "left unchanged")
    assert "tip: write the result elsewhere with --out" in err
    _refused(_run("new", "--into", str(book)), "has 2 hard links")
    _refused(_run("run", str(tmp_path / "copy-for-finance.xlsx"), "-o", str(book)),
             "has 2 hard links")
    assert _files(tmp_path) == before and os.stat(book).st_nlink == 2


# ---- the owner, group and mode


def test_mode_is_kept(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    book.chmod(0o640)
    assert _run("run", str(book), "--trials", TRIALS).returncode == 0
    assert stat.S_IMODE(book.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to chown")
def test_root_run_keeps_the_owner_and_group(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    os.chown(book, 1234, 2345)
    book.chmod(0o660)
    assert _run("run", str(book), "--trials", TRIALS).returncode == 0
    st = book.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o660)
    assert "Summary" in list_sheets(book)


@pytest.mark.skipif(os.name != "posix", reason="owners and groups are POSIX")
def test_a_colleagues_run_is_refused_before_computing(tmp_path: Path) -> None:
    """A colleague in the file's group: the replaced file would be theirs, so the run is
    refused up front. (The CLI process takes on the colleague's user id through os.geteuid;
    the machine's Python is not reachable by another real user.)"""
    book = _example(tmp_path / "budget.xlsx")
    st = book.stat()
    code = textwrap.dedent(f"""
        import os, sys
        os.geteuid = lambda: {st.st_uid + 1}
        os.getegid = lambda: {st.st_gid}
        sys.argv = ["costsheet", "run", {str(book)!r}, "--trials", "300"]
        from costsheet.cli import main
        main()
    """)
    before = _files(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    err = _refused(proc, "budget.xlsx belongs to", "the new file would belong to you",
                   "left unchanged")
    assert "tip: ask " in err and "--out" in err
    assert _files(tmp_path) == before


# ---- a save made during the run


_PAUSED_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from costsheet.workbook.write_guard import WriteGuard
    real = WriteGuard.before_replace
    go = Path(sys.argv[1])
    def paused(self):  # the first check comes after computing, before the backup
        if not go.exists():
            print("computed", flush=True)
            while not go.exists():
                time.sleep(0.05)
        return real(self)
    WriteGuard.before_replace = paused
    sys.argv = ["costsheet", *sys.argv[2:]]
    from costsheet.cli import main
    main()
""")


@pytest.mark.parametrize("command", ["run", "new --into"])
def test_a_colleagues_save_during_the_run_is_never_overwritten(tmp_path: Path,
                                                               command: str) -> None:
    book = _example(tmp_path / "budget.xlsx")
    if command == "new --into":
        wb = openpyxl.Workbook()
        wb.active.title = "Plan"
        wb.save(book)
    go = tmp_path / "go"
    args = (["run", str(book), "--trials", TRIALS] if command == "run"
            else ["new", "--into", str(book)])
    proc = subprocess.Popen([sys.executable, "-c", _PAUSED_RUN, str(go), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "computed"
    saved = tmp_path / "colleague.xlsx"
    _example(saved)
    set_cells(saved, {"Pools!E6": 1.75})
    os.replace(saved, book)  # the colleague's save, as Excel saves (a new file renamed over)
    theirs = book.read_bytes()
    go.touch()
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 2, (out, err)
    assert "error: budget.xlsx changed on disk while costsheet was computing" in err, err
    assert "nothing was written" in err and "Traceback" not in err
    assert book.read_bytes() == theirs  # their save, untouched
    assert not (tmp_path / BACKUP_DIR).exists()  # refused before a backup rotated


def test_a_save_between_backup_and_replace_is_refused_too(tmp_path: Path) -> None:
    """The digest is checked again just before the rename, after the backup."""
    book = _example(tmp_path / "budget.xlsx")
    go = tmp_path / "go"
    code = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        import costsheet.workbook.safety as s
        real_write = s.atomic_write
        go = Path(sys.argv[1])
        def paused(out, write, *, before_replace=None):
            def wait_then_check():
                print("writing", flush=True)
                while not go.exists():
                    time.sleep(0.05)
                if before_replace is not None:
                    before_replace()
            return real_write(out, write, before_replace=wait_then_check)
        s.atomic_write = paused
        sys.argv = ["costsheet", *sys.argv[2:]]
        from costsheet.cli import main
        main()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, str(go), "run", str(book), "--trials",
                             TRIALS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "writing", (line, proc.stderr.read() if proc.stderr else "")
    with book.open("r+b") as fh:  # a save in place, same size, new bytes
        fh.seek(len(fh.read()) - 30)
        fh.write(b"\0")
    theirs = book.read_bytes()
    go.touch()
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 2 and "changed on disk while costsheet was computing" in err, err
    assert book.read_bytes() == theirs
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


# ---- backups never partial


def test_kill_9_during_the_backup_copy_never_leaves_a_partial_backup(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    assert _run("run", str(book), "--trials", TRIALS).returncode == 0
    first = book.read_bytes()
    code = textwrap.dedent("""
        import shutil, sys, time
        def slow_copy(src, dst, **kw):  # half the bytes, then the kill arrives
            data = open(src, "rb").read()
            with open(dst, "wb") as fh:
                fh.write(data[: len(data) // 2])
                fh.flush()
            print("copying", flush=True)
            time.sleep(600)
        shutil.copy2 = slow_copy
        sys.argv = ["costsheet", *sys.argv[1:]]
        from costsheet.cli import main
        main()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(book), "--trials", TRIALS],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "copying"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    backups = tmp_path / BACKUP_DIR
    named = [p for p in backups.iterdir() if p.name.startswith("budget.")]
    partial = [p for p in backups.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert partial and len(named) == 1  # the half copy is under a temporary name only
    for p in named:
        check_package(p)
        with zipfile.ZipFile(p) as zf:
            assert zf.testzip() is None
    assert book.read_bytes() == first  # the workbook itself untouched
    assert _run("run", str(book), "--trials", TRIALS).returncode == 0
    assert not [p for p in backups.iterdir() if p.name.startswith(TEMP_PREFIX)]  # cleaned
    assert len([p for p in backups.iterdir() if p.name.startswith("budget.")]) == 2


def test_a_file_named_like_the_backups_folder_is_refused_up_front(tmp_path: Path) -> None:
    book = _example(tmp_path / "budget.xlsx")
    (tmp_path / BACKUP_DIR).write_text("my notes")
    before = _files(tmp_path)
    err = _refused(_run("run", str(book), "--trials", TRIALS),
                   f"cannot keep a backup of budget.xlsx: {BACKUP_DIR} next to it is a file, "
                   "not a folder; nothing was changed")
    assert "File exists" not in err and "tip: rename or move the file" in err
    _refused(_run("new", "--into", str(book)), "is a file, not a folder")
    assert _files(tmp_path) == before


# ---- an extension that matches the package


@pytest.mark.parametrize("name", ["out.csv", "out.xlsm", "out"])
def test_out_whose_extension_does_not_match_the_package_is_refused(tmp_path: Path,
                                                                   name: str) -> None:
    book = _example(tmp_path / "budget.xlsx")
    before = _files(tmp_path)
    err = _refused(_run("run", str(book), "-o", str(tmp_path / name), "--trials", TRIALS),
                   f"{name}: the name ends in", "budget.xlsx is an Excel workbook",
                   "nothing was written")
    assert "tip: write to out.xlsx instead" in err
    assert _files(tmp_path) == before


def test_new_refuses_an_extension_the_template_is_not(tmp_path: Path) -> None:
    err = _refused(_run("new", str(tmp_path / "budget.xlsm")), "budget.xlsm: the name ends in "
                   ".xlsm but costsheet would write an Excel workbook (.xlsx)")
    assert "tip: write to budget.xlsx instead" in err
    assert list(tmp_path.iterdir()) == []


def test_new_into_a_macro_workbook_keeps_its_extension(tmp_path: Path) -> None:
    """An .xlsm stays an .xlsm: the package's own type decides, not a fixed list."""
    src = Path(__file__).resolve().parents[1] / "templates"
    xlsm = next(iter(sorted(src.glob("*.xlsm"))), None)
    if xlsm is None:
        pytest.skip("no .xlsm template in templates/")
    book = tmp_path / "team.xlsm"
    book.write_bytes(xlsm.read_bytes())
    proc = _run("new", "--into", str(book))
    assert proc.returncode == 0, proc.stderr
    _refused(_run("new", "--into", str(book), ), "already has costsheet's input sheets")
    assert set(USER_SHEETS[1:]) <= set(list_sheets(book))
