"""What the store checks before it trusts a database file, and the errors it gives.

Every message names the file and says what to do; the command line prints it as
``beistand: ...`` with exit status 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bot import __version__
from bot.errors import StorageError
from bot.ops.files import companions, create_private, private_dir, private_file
from bot.storage.migrations import MIGRATIONS

#: The newest schema version this code knows.
KNOWN_VERSION = max(version for version, _, _ in MIGRATIONS)
#: What an operator does about a database that cannot be used.
RESTORE_HINT = "restore a backup with `beistand restore FILE`"
# SQLite's primary result codes for a damaged file
_CORRUPT, _NOTADB = 11, 26


class DamagedDatabase(StorageError):
    """The database file is not a database, or its pages are broken."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path} is damaged ({reason}); {RESTORE_HINT}")


class NewerSchema(StorageError):
    """The database was written by a newer Beistand (a migration this code does not know)."""

    def __init__(self, path: Path, found: int) -> None:
        self.found = found
        super().__init__(
            f"{path} has schema version {found}, but this Beistand ({__version__}) knows "
            f"versions up to {KNOWN_VERSION}: it was written by a newer Beistand. Run that "
            f"version again, or {RESTORE_HINT} taken before the upgrade; "
            "the file was not changed"
        )


class EmptyDatabase(StorageError):
    """An existing database file with no bytes (a failed copy, a full disk)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} is empty (0 bytes), not a Beistand database; {RESTORE_HINT}, or delete "
            "the empty file to start with a new database"
        )


def check_result(check: str, row: object) -> str:
    """What ``PRAGMA quick_check``/``integrity_check`` found, on one line (shortened)."""
    found = row[0] if isinstance(row, tuple | sqlite3.Row) and len(row) else "no answer"
    text = " ".join(str(found).replace("*** in database main ***", "").split())
    return f"{check}: {text[:200]}"


def is_damage(err: sqlite3.Error) -> bool:
    """Whether an SQLite error means the file is damaged (not locked, not unreadable)."""
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_CORRUPT, _NOTADB)
    text = str(err)
    return "malformed" in text or "not a database" in text


def database_error(path: Path, err: sqlite3.Error) -> StorageError:
    """The :class:`StorageError` for an SQLite error on ``path``."""
    if is_damage(err):
        return DamagedDatabase(path, str(err))
    return StorageError(f"cannot use the database {path}: {err}")


def refuse_newer(path: Path, versions: Iterable[int]) -> None:
    """Raise :class:`NewerSchema` if a recorded version is newer than the code knows."""
    newest = max(versions, default=0)
    if newest > KNOWN_VERSION:
        raise NewerSchema(path, newest)


def prepare_file(path: Path, directory: bool = True) -> bool:
    """Make the database's directory private (unless ``directory`` is off: done already) and
    the file (with its companions) 0600; create a new file with mode 0600. Returns whether the
    file existed; refuses an empty one."""
    if directory:
        private_dir(path.parent)
    if path.exists():
        if path.is_dir():
            raise StorageError(f"{path} is a directory, not a database file")
        if path.stat().st_size == 0:
            raise EmptyDatabase(path)
        private_file(path)
        for companion in companions(path):
            private_file(companion)
        return True
    _create(path)
    return False


def _create(path: Path) -> None:
    """Create an empty database (a valid SQLite header, WAL mode) with mode 0600, atomically: it
    is written under a temporary name and linked into place, so a crash at any moment leaves
    either no file or a database, never the empty file that :class:`EmptyDatabase` refuses."""
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    create_private(temporary)
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as db:
            db.execute("PRAGMA journal_mode=WAL")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it meanwhile: that one is used
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(temporary, path)
    except sqlite3.Error as err:
        raise database_error(path, err) from None
    finally:
        temporary.unlink(missing_ok=True)
        for companion in companions(temporary):
            companion.unlink(missing_ok=True)
