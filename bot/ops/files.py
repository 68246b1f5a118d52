"""Private files: the data directory 0700 and every file Beistand writes 0600, whatever the umask.

Modes are set explicitly (``mkdir``/``open`` with the mode, then ``chmod``), because the umask can
only remove bits and is the operator's, not ours. An existing directory or file that others can
read is tightened, with a warning naming it (``files.tightened``, field ``where``). A directory
shared by design is left alone: one with the sticky bit (``/tmp``) or not owned by this user.
SQLite creates ``-wal`` and ``-shm`` with the mode of the database file, so a database created
here (0600) gets private companions too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from bot.errors import StorageError

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
#: The umask ``beistand run`` and ``beistand chat`` set for themselves (belt and braces).
PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Let files this process creates from now on be private (the modes are set anyway)."""
    os.umask(PRIVATE_UMASK)


def _failed(what: str, path: Path, err: OSError) -> StorageError:
    return StorageError(f"cannot {what} {path}: {err.strerror or err}")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700, or tighten it if others can enter it.

    A directory with the sticky bit or owned by another user is shared by design; it is not
    changed (the files in it are still 0600), and a warning says so.
    """
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        pass
    except OSError as err:
        raise _failed("create the directory", path, err) from None
    else:
        try:
            os.chmod(path, DIR_MODE)  # the umask may have taken more than group and other
        except OSError as err:
            raise _failed("set the mode of", path, err) from None
        return path
    try:
        info = path.stat()
    except OSError as err:
        raise _failed("read", path, err) from None
    if not stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{path} is not a directory")
    if not info.st_mode & 0o077:
        return path
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
        log.warning("files.shared_directory", extra={"where": str(path)})
        return path
    try:
        os.chmod(path, DIR_MODE)
    except OSError as err:
        raise _failed("tighten", path, err) from None
    log.warning("files.tightened", extra={"where": str(path)})
    return path


def private_file(path: Path) -> bool:
    """Tighten an existing file to 0600 if others can read it; False if there is no file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    except OSError as err:
        raise _failed("read", path, err) from None
    if info.st_mode & 0o077:
        try:
            os.chmod(path, FILE_MODE)
        except OSError as err:
            raise _failed("tighten", path, err) from None
        log.warning("files.tightened", extra={"where": str(path)})
    return True


def create_private(path: Path) -> None:
    """Create an empty file with mode 0600; fails if it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        raise
    except OSError as err:
        raise _failed("create", path, err) from None
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def sync_dir(path: Path) -> None:
    """Flush a directory entry change (a rename) to disk; best effort."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def companions(db: Path) -> tuple[Path, ...]:
    """The files SQLite keeps beside a database: ``-wal``, ``-shm`` and ``-journal``."""
    return tuple(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))
