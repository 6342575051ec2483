"""File safety: never leave a user's workbook half-written, open elsewhere or without a backup.

* :func:`atomic_write` writes into a temporary file in the same folder, fsyncs it and renames it
  over the target, so the target is always either the old or the new complete file, even if the
  process is killed;
* :func:`check_not_open` refuses to write a workbook that Excel (``~$name``) or LibreOffice
  (``.~lock.name#``) has open;
* :func:`make_backup` keeps the last few versions in ``.costsheet-backups/`` next to the file;
* :func:`clean_stale_temp_files` removes temporary files that a killed run left behind (their
  names carry the writing process's id; only files of processes that no longer exist go);
* :func:`check_writable` and the error mapping in :func:`atomic_write` turn permission, read-only
  and disk-full failures into :class:`~costsheet.errors.CostsheetError` with a clear message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from costsheet.errors import CostsheetError
from costsheet.i18n import _

from .targets import keep_owner

__all__ = [
    "BACKUP_DIR",
    "atomic_write",
    "check_not_open",
    "clean_stale_temp_files",
    "check_writable",
    "lock_file_for",
    "lock_file_candidates",
    "make_backup",
]

BACKUP_DIR = ".costsheet-backups"
TEMP_PREFIX = ".costsheet-tmp-"


def lock_file_for(path: Path) -> Path:
    """The owner file Excel creates next to a workbook it has open: ``~$`` + the file name."""
    path = Path(path)
    return path.with_name("~$" + path.name)


def lock_file_candidates(path: Path) -> list[Path]:
    """Every lock file name that means ``path`` is open in an office program.

    Excel writes ``~$`` + the full name. Other Office programs (and Excel in some versions for
    long names) replace the first one or two characters of the name by ``~$`` instead, so both
    forms are checked; LibreOffice writes ``.~lock.<name>#``.
    """
    path = Path(path)
    name = path.name
    names = ["~$" + name]
    if len(name) > 2:
        names += ["~$" + name[1:], "~$" + name[2:]]
    names.append(f".~lock.{name}#")
    return [path.with_name(n) for n in dict.fromkeys(names)]


def check_not_open(path: Path) -> None:
    """Raise :class:`CostsheetError` if a lock file says ``path`` is open in Excel/LibreOffice."""
    path = Path(path)
    for lock in lock_file_candidates(path):
        if lock.exists():
            app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
            raise CostsheetError(
                _("{name} is open in {app} (lock file {lock}); close it and run again").format(
                    name=path.name, app=app, lock=lock.name),
                hint=_("if it is not open anywhere, delete the stale lock file {lock}").format(
                    lock=lock),
            )


def check_writable(path: Path) -> None:
    """Raise :class:`CostsheetError` if ``path`` (or its folder) cannot be replaced."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CostsheetError(_("{name}: folder {folder} does not exist").format(
            name=path.name, folder=folder))
    if path.exists():
        st = path.stat()
        if path.is_dir():
            raise CostsheetError(_("{name} is a folder, not a workbook").format(name=path.name))
        if not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise CostsheetError(
                _("{name} is read-only; costsheet did not change it").format(name=path.name),
                hint=_("clear the read-only flag (file properties) or write to another file "
                       "with --out"),
            )
    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(), suffix=".probe", dir=folder)
    except OSError as exc:
        raise _os_error(exc, path) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _os_error(exc: OSError, path: Path) -> CostsheetError:
    name = Path(path).name
    if exc.errno == errno.ENOSPC or exc.errno == getattr(errno, "EDQUOT", -1):
        return CostsheetError(
            _("not enough disk space to write {name}; {name} was left unchanged").format(
                name=name),
            hint=_("free some space on that drive and run again"),
        )
    if exc.errno == errno.EROFS:
        return CostsheetError(
            _("cannot write {name}: the drive or folder is read-only; {name} was left "
              "unchanged").format(name=name),
            hint=_("copy the workbook to a writable folder, or write elsewhere with --out"),
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return CostsheetError(
            _("permission denied writing {name} (in {folder}); {name} was left "
              "unchanged").format(name=name, folder=Path(path).parent),
            hint=_("check the file and folder permissions, or write elsewhere with --out"),
        )
    return CostsheetError(_("could not write {name}: {problem}; {name} was left "
                            "unchanged").format(name=name, problem=exc.strerror or exc))


_MAPPED = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM,
           getattr(errno, "EDQUOT", errno.ENOSPC)}


def atomic_write(out: Path, write: Callable[[Path], None], *,
                 before_replace: Callable[[], None] | None = None) -> None:
    """Create or replace ``out`` atomically with what ``write(temp_path)`` writes.

    ``write`` gets a fresh temporary path in the same folder; afterwards the file is fsynced
    and renamed over ``out`` (keeping ``out``'s permission bits). A read-only ``out`` or folder is
    refused first (:func:`check_writable`). On any exception the temporary
    file is removed and ``out`` is untouched; disk-full, permission and read-only errors become a
    :class:`CostsheetError`. ``before_replace`` runs just before the rename (e.g.
    :func:`~costsheet.workbook.targets.check_unchanged`); if it raises, nothing is replaced.
    """
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    check_writable(out)
    clean_stale_temp_files(folder)
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(), suffix=out.suffix, dir=folder)
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        with open(tmp, "rb+") as fh:
            fh.flush()
            os.fsync(fh.fileno())
        if out.exists():
            with contextlib.suppress(OSError):
                keep_owner(tmp, out)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, out)
        tmp = None
        _fsync_dir(folder)
    except OSError as exc:
        if exc.errno in _MAPPED:
            raise _os_error(exc, out) from exc
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _temp_prefix() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-"


_TEMP_RE = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-")


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def clean_stale_temp_files(folder: Path) -> list[Path]:
    """Delete ``.costsheet-tmp-<pid>-*`` files in ``folder`` whose process no longer exists.

    A run killed mid-write (power cut, kill -9) leaves its temporary file next to the workbook;
    the workbook itself is intact (the rename never happened). Files of running processes, and
    files without a process id, are left alone. Returns the files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for item in entries:
        m = _TEMP_RE.match(item.name)
        if m is None or int(m.group(1)) == os.getpid() or _process_exists(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            item.unlink()
            removed.append(item)
    return removed


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _backup_folder(folder: Path) -> None:
    """Refuse clearly when the backups folder's name is taken by something else."""
    if folder.exists() and not folder.is_dir():
        raise CostsheetError(
            _("cannot keep a backup: {name} next to the workbook is a file, not a folder; "
              "nothing was changed").format(name=folder.name),
            hint=_("rename or move the file {path} (costsheet keeps previous versions in a "
                   "folder of that name)").format(path=folder))


_BACKUP_RE = r"^{stem}\.(\d{{8}}-\d{{6}})(?:-(\d+))?{ext}$"


def make_backup(path: Path, keep: int = 3) -> Path | None:
    """Copy ``path`` to ``.costsheet-backups/<stem>.<YYYYmmdd-HHMMSS><ext>`` next to it.

    Keeps the newest ``keep`` backups of that workbook and deletes older ones. Returns the
    backup's path, or ``None`` when ``path`` does not exist yet (nothing to back up).
    """
    path = Path(path)
    if not path.exists():
        return None
    folder = path.parent / BACKUP_DIR
    pattern = re.compile(_BACKUP_RE.format(stem=re.escape(path.stem), ext=re.escape(path.suffix)))

    def existing() -> list[tuple[tuple[str, int], Path]]:
        found = []
        for item in folder.iterdir():
            m = pattern.match(item.name)
            if m:
                found.append(((m.group(1), int(m.group(2) or 0)), item))
        return sorted(found)

    _backup_folder(folder)
    copying: Path | None = None
    try:
        folder.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        # never reuse a name older backups had in the same second: order must follow time
        same = [key[1] for key, _item in existing() if key[0] >= stamp]
        n = max(same) + 1 if same else 0
        name = f"{path.stem}.{stamp}-{n}{path.suffix}" if n else f"{path.stem}.{stamp}{path.suffix}"
        target = folder / name
        # copied under a temporary name, then renamed: a run killed mid-copy never leaves a
        # truncated file under a backup's name (clean_stale_temp_files removes the temp later)
        fd, temp = tempfile.mkstemp(prefix=_temp_prefix(), suffix=path.suffix, dir=folder)
        os.close(fd)
        copying = Path(temp)
        shutil.copy2(path, copying)
        with open(copying, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(copying, target)
        copying = None
        clean_stale_temp_files(folder)
    except OSError as exc:
        if copying is not None:  # a partial copy (disk full) must not pass for a backup
            with contextlib.suppress(OSError):
                copying.unlink()
        raise _os_error(exc, path.parent / BACKUP_DIR / path.name) from exc
    found = existing()
    for _key, item in found[: max(len(found) - max(keep, 1), 0)]:
        with contextlib.suppress(OSError):
            item.unlink()
    return target
