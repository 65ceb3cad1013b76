"""Claiming an output path for one run: check it can be written, and lock it.

Every command that writes a folder (or a file) claims it first. A claim fails in one line that
names the path and what is wrong: a file where a folder is wanted (or the reverse), a folder
that cannot be created or written, or another thresher process holding it (with that
process's pid). Locks are ``flock`` locks, so they vanish with the process that held them: a
killed run never leaves a folder locked.

A folder's lock is the hidden file ``DIR/.thresher.lock``, removed when the run ends (a killed
run leaves it behind, unlocked and harmless); a file's lock lives in a per-user folder under
the system's temporary folder, so nothing is left beside the file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import IO

from thresher.errors import OutputError

LOCK_NAME = ".thresher.lock"

#: locks this process holds, by lock file: a second claim of the same path reuses the first
_HELD: dict[str, OutputLock] = {}
#: every output this process claimed, in order: names the path of an error that has none
CLAIMED: list[Path] = []


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


class OutputLock:
    """An exclusive lock on an output path, held until :meth:`release` (or process exit)."""

    def __init__(self, target: Path, lock_path: Path, created: Path | None = None) -> None:
        self.target = target
        self.lock_path = lock_path
        self.created = created  # a folder made for this run: removed on release if empty
        self._file: IO[str] | None = None
        self._outer: OutputLock | None = None  # the same process's lock this one reuses
        self._depth = 0  # inner claims of the same path still open

    def acquire(self) -> OutputLock:
        """Take the lock (re-entrant within one process: the demo locks the folder the
        pipeline it runs locks again)."""
        key = str(self.lock_path.absolute())
        outer = _HELD.get(key)
        if outer is not None:
            outer._depth += 1
            self._outer = outer
            return self
        for _ in range(20):
            f = self._try_once()
            if f is not None:
                self._file = f
                _HELD[key] = self
                CLAIMED.append(self.target)
                return self
        raise OutputError(f"{self.target}: cannot lock: the lock file keeps changing")

    def _try_once(self) -> IO[str] | None:
        """The locked file, or None when the file was replaced while we waited for it (the
        holder removed it on release): then the caller tries again on the new file."""
        try:
            f = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        except OSError as e:
            raise OutputError(f"{self.target}: cannot write here: {_reason(e)}") from None
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _holder(f)
            f.close()
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputError(f"{self.target}: cannot lock: {_reason(e)}") from None
            who = f"pid {holder}" if holder else "another process"
            raise OutputError(
                f"{self.target}: in use by another thresher run ({who}); wait for it to "
                "finish or choose another output"
            ) from None
        try:
            same = os.stat(self.lock_path).st_ino == os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            f.close()
            return None
        with suppress(OSError):  # the pid is for the message of a second run only
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()} {' '.join(sys.argv[:3])}\n")
            f.flush()
        return f

    def release(self) -> None:
        """Remove the lock file while still holding it, then drop the lock: a finished
        folder keeps no lock file, and a waiting process notices the file changed."""
        if self._outer is not None:
            self._outer._depth -= 1
            self._outer = None
            return
        if self._file is not None:
            if self._depth:
                return  # an inner claim is still open: it releases nothing of ours
            _HELD.pop(str(self.lock_path.absolute()), None)
            with suppress(OSError):
                os.unlink(self.lock_path)
            self._file.close()
            self._file = None
            if self.created is not None:
                with suppress(OSError):  # not empty: the run wrote its output there
                    self.created.rmdir()

    def __enter__(self) -> OutputLock:
        if self._file is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(f: IO[str]) -> str | None:
    with suppress(OSError, ValueError):
        f.seek(0)
        first = f.read(200).split()
        if first and first[0].isdigit():
            return first[0]
    return None


def check_folder(path: str | Path) -> Path:
    """``path`` as a folder to write into, created if missing; a one-line error if it is a
    file or cannot be created."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: exists and is not a folder; give a folder for the output")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{root}: a part of this path is a file, not a folder") from None
    except NotADirectoryError:
        raise OutputError(f"{root}: a part of this path is a file, not a folder") from None
    except OSError as e:
        raise OutputError(f"{root}: cannot create the folder: {_reason(e)}") from None
    return root


def check_file(path: str | Path) -> Path:
    """``path`` as a file to write (its folder created if missing); a one-line error if it
    is a folder or its folder cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name for the output")
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{target}: {parent} is a file, not a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{target}: cannot create its folder {parent}: {_reason(e)}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{target}: cannot write in {parent}: Permission denied")
    return target


def lock_folder(path: str | Path) -> OutputLock:
    """Check ``path`` as an output folder and lock it for this process (a held lock)."""
    existed = Path(path).is_dir()
    root = check_folder(path)
    return OutputLock(root, root / LOCK_NAME, None if existed else root).acquire()


def _lock_dir() -> Path:
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    folder = base / f"thresher-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def lock_file(path: str | Path) -> OutputLock:
    """Check ``path`` as an output file and lock it for this process (a held lock)."""
    target = check_file(path)
    key = hashlib.sha1(str(target.resolve()).encode(), usedforsecurity=False).hexdigest()
    try:
        lock_path = _lock_dir() / f"{key}.lock"
    except OSError as e:
        raise OutputError(f"{target}: cannot create a lock: {_reason(e)}") from None
    return OutputLock(target, lock_path).acquire()
