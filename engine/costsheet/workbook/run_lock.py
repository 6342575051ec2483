"""One costsheet run at a time per workbook: an exclusive lock held for the whole run.

Two ``costsheet run`` started together on the same workbook would both read the old file, both
compute, and the second replace would drop the first one's Refresh log row. :class:`RunLock`
takes an exclusive operating-system lock (``flock`` on Linux/macOS, ``msvcrt.locking`` on
Windows) on a small file beside the workbook, ``.~costsheet.<name>.lock``, for the whole
read-compute-write. The OS releases the lock when the process ends, however it ends, so a killed
run never leaves a stale lock behind; the file itself holds who took it (process id, user,
host, time) for the message a second run prints.

A second run waits up to ``wait_s`` seconds, then refuses with a message naming the first.
Office programs do not know this lock: their own lock files (``~$name``, ``.~lock.name#``) are
checked by :func:`costsheet.workbook.safety.check_not_open`.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..errors import CostsheetError
from ..i18n import _

__all__ = ["RUN_LOCK_PREFIX", "RunLock", "run_lock_path"]

RUN_LOCK_PREFIX = ".~costsheet."
POLL_S = 0.1


def run_lock_path(workbook: Path) -> Path:
    """The lock file costsheet takes for ``workbook`` (beside it)."""
    workbook = Path(workbook)
    return workbook.with_name(f"{RUN_LOCK_PREFIX}{workbook.name}.lock")


def _try_lock(fh: IO[bytes]) -> bool:
    """Take an exclusive non-blocking lock on ``fh``; False when another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fh: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        with contextlib.suppress(OSError):
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _holder(path: Path) -> dict[str, Any]:
    """Who holds the lock, as written in the lock file (empty when unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    parts = []
    if holder.get("pid"):
        parts.append(_("process {pid}").format(pid=holder["pid"]))
    if holder.get("user"):
        parts.append(_("user {user}").format(user=holder["user"]))
    if holder.get("host"):
        parts.append(_("on {host}").format(host=holder["host"]))
    if holder.get("since"):
        parts.append(_("since {time}").format(time=holder["since"]))
    return _(", ").join(parts) or _("another process")


class RunLock:
    """Exclusive lock on ``workbook`` for one costsheet run (a context manager).

    ``with RunLock(path, wait_s=10): ...`` waits up to ``wait_s`` seconds for another run to
    finish, then raises :class:`CostsheetError` naming the holder. The lock file is removed on
    release (while still locked, and re-checked by the next taker, so two runs can never both
    believe they hold it).
    """

    def __init__(self, workbook: Path, *, wait_s: float = 10.0, purpose: str = "run"):
        self.workbook = Path(workbook)
        self.path = run_lock_path(self.workbook)
        self.wait_s = wait_s
        self.purpose = purpose
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + max(self.wait_s, 0.0)
        while True:
            fh = self._open()
            if _try_lock(fh) and self._still_ours(fh):
                self._fh = fh
                self._write_holder(fh)
                return
            fh.close()
            if time.monotonic() >= deadline:
                raise self._busy()
            time.sleep(POLL_S)

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while locked: a waiting run then re-opens a fresh file
        with contextlib.suppress(OSError):
            _unlock(fh)
        fh.close()

    def _open(self) -> IO[bytes]:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise CostsheetError(
                _("cannot lock {name} for this run ({problem}); {name} was left "
                  "unchanged").format(name=self.workbook.name, problem=exc.strerror or exc),
                hint=_("costsheet needs to create {lock} in {folder}; check the folder's "
                       "permissions, or write elsewhere with --out").format(
                    lock=self.path.name, folder=self.path.parent),
            ) from None
        return os.fdopen(fd, "r+b")

    def _still_ours(self, fh: IO[bytes]) -> bool:
        """The file we locked is still the one at the path (not unlinked by a releasing run)."""
        try:
            return os.fstat(fh.fileno()).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def _write_holder(self, fh: IO[bytes]) -> None:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name on some systems: leave it out
            user = ""
        info = {"pid": os.getpid(), "user": user, "host": socket.gethostname(),
                "since": datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "purpose": self.purpose}
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
            # Windows locks byte 0 of the file: write after it there
            fh.write((" " if sys.platform == "win32" else "").encode() + json.dumps(info).encode())
            fh.flush()

    def _busy(self) -> CostsheetError:
        who = _describe(_holder(self.path))
        return CostsheetError(
            _("{name} is being updated by another costsheet run ({who}); waited {seconds} s; "
              "{name} was left unchanged").format(name=self.workbook.name, who=who,
                                                  seconds=f"{self.wait_s:g}"),
            hint=_("run again when the other run has finished"),
        )
