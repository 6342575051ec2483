"""Where a run writes, checked the way a careful editor checks before saving.

* :func:`resolve_target`: a symlink is followed, so the team's shared workbook is updated
  (not the link replaced by a private copy); anything that is not a regular file (a device such
  as ``/dev/null``, a pipe, a folder) is refused; a file with more than one hard link is refused
  (an atomic replace would leave the other names on the old version);
* :func:`check_extension`: the name's extension must match the package written (an ``.xlsx``
  package under ``out.xlsm`` or ``out.csv`` is a file Excel refuses to open);
* :class:`FileState` / :func:`check_unchanged`: size, modification time and SHA-256 of the input
  when it was read, compared just before the replace: a colleague's save in between is never
  overwritten by results computed from the old inputs;
* :func:`owner_preservable`: the replacement keeps the file's owner and group, or the run is
  refused before anything is computed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import CostsheetError
from ..i18n import N_, _

__all__ = [
    "EXTENSION_CONTENT_TYPES",
    "FileState",
    "check_extension",
    "check_unchanged",
    "keep_owner",
    "owner_preservable",
    "resolve_target",
]

#: The main part's content type each workbook extension needs (what Excel checks on open).
EXTENSION_CONTENT_TYPES: dict[str, str] = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ".xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    ".xltm": "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
_KIND = {".xlsx": N_("Excel workbook"), ".xlsm": N_("macro-enabled workbook"),
         ".xltx": N_("Excel template"), ".xltm": N_("macro-enabled template")}


def _kind_of(content_type: str) -> tuple[str, str]:
    """(extension, description) of a workbook main content type."""
    for ext, ct in EXTENSION_CONTENT_TYPES.items():
        if ct == content_type:
            return ext, _(_KIND[ext])
    return "", _("workbook")


def resolve_target(path: Path, *, role: str = "workbook") -> Path:
    """The real file a write to ``path`` must replace (symlinks followed), or a refusal.

    A missing file is fine (it will be created; a dangling symlink resolves to its target).
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise CostsheetError(_("cannot read {name}: {problem}").format(
            name=path.name, problem=exc.strerror or exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise CostsheetError(_("{name} is a folder, not a workbook").format(name=path.name),
                             hint=_("give the path of an .xlsx file"))
    if not stat.S_ISREG(st.st_mode):
        raise CostsheetError(
            _("{path} is not a regular file (a device, pipe or socket); costsheet writes only "
              "to regular files and left it untouched").format(path=path),
            hint=_("write to an .xlsx file with --out"))
    if st.st_nlink > 1:
        raise CostsheetError(
            _("{name} has {links} hard links; replacing it would leave the other names on the "
              "old version, so it was left unchanged").format(name=path.name, links=st.st_nlink),
            hint=_("write the result elsewhere with --out, or use a symbolic link instead of a "
                   "hard link"))
    return real


def check_extension(out: Path, content_type: str, *, source: Path | None = None) -> None:
    """Refuse an output name whose extension does not match the package's main content type."""
    out = Path(out)
    want_ext, kind = _kind_of(content_type)
    ext = out.suffix.lower()
    if not want_ext or ext == want_ext:
        return
    src = _(" {name} is an {kind};").format(name=source.name, kind=kind) \
        if source is not None else ""
    raise CostsheetError(
        _("{name}: the name ends in {ext} but costsheet would write an {kind} ({want});{source} "
          "Excel refuses a file whose contents do not match its extension, so nothing was "
          "written").format(name=out.name, ext=out.suffix or _("(no extension)"), kind=kind,
                            want=want_ext, source=src),
        hint=_("write to {name} instead").format(name=out.with_suffix(want_ext).name))


@dataclass(frozen=True)
class FileState:
    """What a file was when costsheet read it: size, modification time, SHA-256."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> FileState:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return cls(st.st_size, st.st_mtime_ns, h.hexdigest())


def check_unchanged(path: Path, before: FileState) -> None:
    """Refuse when ``path`` is no longer what was read (someone saved it during the run)."""
    path = Path(path)
    try:
        st = os.stat(path)
        same_stat = st.st_size == before.size and st.st_mtime_ns == before.mtime_ns
        now = before if same_stat and FileState.of(path) == before else FileState.of(path)
    except FileNotFoundError:
        raise CostsheetError(
            _("{name} was deleted or renamed while costsheet was computing; nothing was "
              "written").format(name=path.name),
            hint=_("run again on the workbook's current name")) from None
    if now == before:
        return
    when = datetime.fromtimestamp(now.mtime_ns / 1e9).strftime("%H:%M:%S")
    raise CostsheetError(
        _("{name} changed on disk while costsheet was computing (saved at {when}); the results "
          "would belong to the old inputs, so nothing was written").format(name=path.name,
                                                                            when=when),
        hint=_("run again to compute from the saved inputs"))


def owner_preservable(path: Path) -> None:
    """Refuse when replacing ``path`` cannot keep its owner and group (POSIX only).

    A replace creates a new file owned by whoever runs costsheet. Root can give it back; others
    can keep the group only if they belong to it, and never someone else's ownership: the run is
    refused before anything is computed rather than locking the owner out of their workbook.
    """
    if os.name != "posix" or not Path(path).exists():
        return
    st = os.stat(path)
    euid = os.geteuid()
    if euid == 0:
        return
    if st.st_uid != euid:
        owner = _user_name(st.st_uid)
        raise CostsheetError(
            _("{name} belongs to {owner}; costsheet replaces the file when it writes and the new "
              "file would belong to you, so it was left unchanged").format(
                name=Path(path).name, owner=owner),
            hint=_("ask {owner} to run costsheet on it, or write your copy with --out").format(
                owner=owner))
    if st.st_gid != os.getegid() and st.st_gid not in os.getgroups():
        raise CostsheetError(
            _("{name} belongs to group {group}, which you are not in; the replaced file could "
              "not keep that group, so it was left unchanged").format(
                name=Path(path).name, group=_group_name(st.st_gid)),
            hint=_("write your copy elsewhere with --out"))


def keep_owner(tmp: Path, original: Path) -> None:
    """Give ``tmp`` the owner, group and permission bits of ``original`` (best effort)."""
    if not Path(original).exists():
        return
    st = os.stat(original)
    if os.name == "posix":
        try:
            os.chown(tmp, st.st_uid if os.geteuid() == 0 else -1, st.st_gid)
        except OSError:
            pass  # owner_preservable() refused the cases where this matters, up front
    os.chmod(tmp, stat.S_IMODE(st.st_mode))


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"user {uid}"


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)
