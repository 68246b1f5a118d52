"""One instance per data directory: an exclusive ``flock`` on ``DATA_DIR/beistand.lock``.

``beistand run`` (and ``beistand chat``, a second writer too) hold the lock for their whole life;
``beistand restore`` holds it while it replaces the database. The kernel releases a ``flock`` when
its holder ends, however it ends, so a lock file left behind after a crash never blocks a start.
The file holds the holder's pid (first line) and command (second line), for the message a second
instance prints; it is never deleted (deleting it would let two holders lock two different files).
Administrative commands (contacts, backup) do not take the lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.errors import StorageError
from bot.ops.files import FILE_MODE, private_dir

LOCK_NAME = "beistand.lock"


class InstanceLocked(StorageError):
    """Another process holds the data directory's lock."""

    def __init__(self, data_dir: Path, pid: int | None, command: str | None) -> None:
        self.pid = pid
        if pid is None:
            text = f"another beistand process is using {data_dir}; stop it first"
        else:
            who = f"beistand {command or 'run'} (pid {pid})"
            text = f"another {who} is using {data_dir}; stop it first"
        super().__init__(text)


def holder(path: Path) -> tuple[int | None, str | None]:
    """The pid and command written into a lock file (None where unreadable)."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None, None
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    command = lines[1].strip() if len(lines) > 1 and lines[1].strip().isalpha() else None
    return pid, command


class InstanceLock:
    """The exclusive, non-blocking lock of a data directory (sync and async context manager)."""

    def __init__(self, data_dir: Path, command: str = "run") -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`InstanceLocked` naming the holder."""
        private_dir(self.data_dir)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        except OSError as err:
            raise StorageError(
                f"cannot open the lock file {self.path}: {err.strerror or err}"
            ) from None
        try:
            os.fchmod(fd, FILE_MODE)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid, command = holder(self.path)
            raise InstanceLocked(self.data_dir, pid, command) from None
        except OSError as err:
            os.close(fd)
            raise StorageError(f"cannot lock {self.path}: {err.strerror or err}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{self.command}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)  # closing the last descriptor releases the flock

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    async def __aenter__(self) -> Self:
        self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
