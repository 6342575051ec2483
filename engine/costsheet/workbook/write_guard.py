"""Write back the way a careful editor does: every check that can refuse comes before the first
byte is computed, one costsheet run at a time, and nothing is replaced that changed meanwhile.

:meth:`WriteGuard.hold` is what ``run``, ``new`` and ``new --into`` do around their work:

1. the path is resolved (:func:`~costsheet.workbook.targets.resolve_target`): a symlink leads to
   the real file, which is what gets written (the link stays a link); a folder, a device such as
   ``/dev/null``, a pipe or a file with several hard links is refused;
2. the folder must be writable and the file not read-only; the backups folder's name must not be
   taken by a file (:func:`~costsheet.workbook.safety.check_writable`);
3. an exclusive lock on the real file for the whole run (:class:`~costsheet.workbook.run_lock.
   RunLock`): a second run waits, then refuses naming the first;
4. Excel's and LibreOffice's lock files beside the real file and beside the link;
5. the owner and group of the file can be kept (:func:`~costsheet.workbook.targets.
   owner_preservable`), else the run is refused now rather than after computing.

:meth:`WriteGuard.read` records the input as it was read (size, modification time, SHA-256 of the
very bytes read) and checks that the output name's extension matches the package
(:func:`~costsheet.workbook.targets.check_extension`); :meth:`WriteGuard.before_replace` runs
just before the atomic rename and refuses when the input, or an existing output, changed on disk
since, or when Excel opened the file meanwhile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CostsheetError
from ..i18n import _
from .run_lock import RunLock
from .safety import BACKUP_DIR, check_not_open, check_writable
from .targets import (
    FileState,
    check_extension,
    check_unchanged,
    owner_preservable,
    resolve_target,
)

__all__ = ["RUN_WAIT_S", "WriteGuard"]

#: How long a second run on the same workbook waits for the first before refusing (a run of the
#: worked example takes about 2 s, one of a 5,000-line budget about 7 s).
RUN_WAIT_S = 30.0


@dataclass
class WriteGuard:
    """The checks and the lock of one write to ``target`` (see the module doc)."""

    given: Path  # the path as the user gave it (maybe a symlink)
    target: Path  # the real file that is written
    source: Path | None  # the input that is read (None: nothing is read, e.g. ``new``)
    existed: FileState | None  # the target before the run, when it is not the input
    read_state: FileState | None = None

    @classmethod
    @contextmanager
    def hold(cls, target: Path | str, *, source: Path | str | None = None,
             purpose: str = "run", wait_s: float = RUN_WAIT_S) -> Iterator[WriteGuard]:
        """Resolve ``target`` (steps 1 and 2 of the module doc) and hold the run lock on it for
        the ``with`` block; :meth:`check` (or :meth:`read`, which calls it) does the rest, in
        the workbook's language once it is known."""
        given = Path(target)
        real = resolve_target(given)
        check_writable(real)
        with RunLock(real, wait_s=wait_s, purpose=purpose):
            yield cls(given, real, Path(source) if source is not None else None, None)

    def check(self) -> None:
        """Under the lock: the backups folder's name free, no Office lock file beside the file
        or the link, the owner kept; the target's state recorded when it is not the input."""
        real = self.target
        _backup_folder_free(real)
        check_not_open(real)
        if self.given.absolute() != real:
            check_not_open(self.given)  # a lock file beside the link counts too
        owner_preservable(real)
        if real.exists() and not self.in_place:
            self.existed = FileState.of(real)

    @property
    def in_place(self) -> bool:
        return self.source is not None and _same_file(self.source, self.target)

    def read(self, package: Any) -> None:
        """:meth:`check`, then record the input ``package`` (a
        :class:`~costsheet.workbook.ooxml.Package`) as read, and refuse an output name whose
        extension does not match it."""
        self.check()
        size, mtime_ns = package.stat
        self.read_state = FileState(size, mtime_ns, hashlib.sha256(package.raw).hexdigest())
        content_type = package.content_type(package.workbook_part()) or ""
        check_extension(self.given, content_type, source=package.path)

    def before_replace(self) -> None:
        """Refuse (nothing written) when the input or the output changed on disk during the run,
        or when the output was opened in Excel or LibreOffice meanwhile."""
        if self.source is not None and self.read_state is not None:
            check_unchanged(self.source, self.read_state)
        if self.existed is not None:
            check_unchanged(self.target, self.existed)
        elif not self.in_place and self.target.exists():
            raise CostsheetError(
                _("{name} was created by someone else while costsheet was working; it was left "
                  "as it is and nothing was written").format(name=self.given.name),
                hint=_("run again to replace it, or write elsewhere with --out"))
        check_not_open(self.target)
        if self.given.absolute() != self.target:
            check_not_open(self.given)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _backup_folder_free(target: Path) -> None:
    """A file (not a folder) named like the backups folder is refused before anything runs."""
    folder = target.parent / BACKUP_DIR
    if target.exists() and folder.exists() and not folder.is_dir():
        raise CostsheetError(
            _("cannot keep a backup of {name}: {folder} next to it is a file, not a folder; "
              "nothing was changed").format(name=target.name, folder=BACKUP_DIR),
            hint=_("rename or move the file {path} (costsheet keeps previous versions in a "
                   "folder of that name)").format(path=folder))
