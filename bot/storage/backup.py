"""Backups and restores of the database, and the copy taken before a migration.

Copies go through SQLite's online backup API (``sqlite3.Connection.backup``): the copy is
consistent while ``beistand run`` writes, and holds what is still in the ``-wal`` file. A copy is
written to a 0600 temporary file beside its target, switched to ``journal_mode=DELETE`` (one
self-contained file, no ``-wal`` to forget), checked with ``PRAGMA integrity_check`` and only then
renamed into place, so a target name never holds half a copy.

``restore`` holds the instance lock (no bot may run meanwhile), checks the backup (integrity and a
schema version this code knows), keeps the replaced database with its ``-wal``/``-shm`` as
``<db>.before-restore-<UTC time>`` (renamed together, so the kept copy is complete and no stale
``-wal`` is replayed onto the restored file) and renames the checked copy into place.

The sealed routes live in a file of their own beside the database (``<db>.routes``,
:mod:`bot.storage.sqlite_routes`). A copy puts them back into the database's own columns
(``cases.user_route`` only for cases still open, ``outbox.route``, ``reports.user_route``), so
a backup is still one self-contained file; when the store opens a restored database it moves
them into a new routes file again. ``restore`` keeps the replaced routes file with the
replaced database (``<kept>.routes``). The routes are read after the database was copied: a
case (or report) opened meanwhile is not in the copy (its route is left out), one closed
meanwhile is open in the copy without a route (its user gets no notice after a restore).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import StorageError
from bot.ops.files import companions, create_private, private_dir, private_file, sync_dir
from bot.ops.lock import InstanceLock
from bot.storage.checks import (
    DamagedDatabase,
    EmptyDatabase,
    check_result,
    database_error,
    is_damage,
    refuse_newer,
)
from bot.storage.routes_file import put_back, read_routes, routes_family


@dataclass(frozen=True, slots=True)
class Restored:
    """What ``restore`` did."""

    version: int
    kept: Path | None


class NotABackup(StorageError):
    """The file given to ``restore`` is not a usable Beistand database."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path} is not a usable Beistand database ({reason}); nothing was changed"
        )


def pre_migration_path(db: Path, version: int) -> Path:
    """``<db>.pre-v<N>.bak``: the copy taken before migrating from schema version N."""
    return db.with_name(f"{db.name}.pre-v{version}.bak")


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection that never creates ``path``: ``mode`` ``ro`` (cannot change it) or ``rw``
    (for a copy's source: as its last reader it folds and removes the ``-wal``, as SQLite does;
    a read-only one would leave ``-wal`` and ``-shm`` behind)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=10)


def copy_database(source: Path, target: Path, force: bool = False) -> int:
    """Copy ``source`` consistently into ``target`` (0600); returns the copy's size in bytes.

    Raises :class:`DamagedDatabase` (naming ``source``) when it cannot be read or the copy fails
    its integrity check, and :class:`StorageError` when ``target`` exists and ``force`` is off.
    """
    if target.exists() and not force:
        raise StorageError(f"{target} exists; choose another name, or pass --force to replace it")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    create_private(temporary)
    try:
        with (
            contextlib.closing(_connect(source, "rw")) as src,
            contextlib.closing(sqlite3.connect(temporary)) as dst,
        ):
            src.backup(dst)
            put_back(dst, read_routes(source))
            dst.execute("PRAGMA journal_mode=DELETE")
            row = dst.execute("PRAGMA integrity_check(1)").fetchone()
        if row is None or row[0] != "ok":
            raise DamagedDatabase(source, check_result("integrity_check", row))
        os.replace(temporary, target)
        sync_dir(target.parent)
    except sqlite3.Error as err:
        raise database_error(source, err) from None
    finally:
        temporary.unlink(missing_ok=True)
        for companion in companions(temporary):
            companion.unlink(missing_ok=True)
    return target.stat().st_size


def inspect(path: Path, name: Path | None = None) -> int:
    """Check a database file fully (``integrity_check``, Beistand's schema, a version this code
    knows) and return its schema version; errors name ``name`` (default ``path``)."""
    shown = name or path
    try:
        with contextlib.closing(_connect(path, "ro")) as db:
            row = db.execute("PRAGMA integrity_check(1)").fetchone()
            if row is None or row[0] != "ok":
                raise NotABackup(shown, check_result("integrity_check", row))
            tables = {
                str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "schema_migrations" not in tables:
                raise NotABackup(shown, "no schema_migrations table")
            versions = [int(r[0]) for r in db.execute("SELECT version FROM schema_migrations")]
    except sqlite3.Error as err:
        reason = str(err) if is_damage(err) else f"cannot read it: {err}"
        raise NotABackup(shown, reason) from None
    if not versions:
        raise NotABackup(shown, "no schema version recorded")
    refuse_newer(shown, versions)
    return max(versions)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def backup(db: Path, target: Path, force: bool = False) -> int:
    """``beistand backup FILE``: a consistent copy of the database (0600); returns its size.

    Works beside a running bot (it takes no lock); creates no database.
    """
    if not db.is_file():
        raise StorageError(
            f"{db} does not exist: there is no database to back up (set BEISTAND_DB or "
            "BEISTAND_DATA_DIR as for the service)"
        )
    if db.stat().st_size == 0:
        raise EmptyDatabase(db)
    if any(_same_file(target, p) for p in (db, *companions(db), *routes_family(db))):
        raise StorageError(f"{target} is the database itself; write the backup elsewhere")
    if not target.parent.is_dir():
        raise StorageError(f"{target.parent} does not exist; create it first")
    size = copy_database(db, target, force)
    try:
        inspect(target, db)
    except StorageError:
        target.unlink(missing_ok=True)
        raise
    return size


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def restore(source: Path, db: Path, data_dir: Path, now: datetime | None = None) -> Restored:
    """``beistand restore FILE``: check ``source`` and make it the database.

    Refuses while a bot holds the data directory's lock (and holds it meanwhile). The replaced
    database, if any, is kept as ``<db>.before-restore-<UTC timestamp>``.
    """
    if not source.is_file():
        raise StorageError(f"{source} does not exist or is not a file")
    if source.stat().st_size == 0:
        raise NotABackup(source, "the file is empty")
    if _same_file(source, db):
        raise StorageError(f"{source} is the database itself; give the backup file to restore")
    with InstanceLock(data_dir, "restore"):
        private_dir(db.parent)
        temporary = db.with_name(f".{db.name}.restore")
        try:
            try:
                copy_database(source, temporary, force=True)
            except DamagedDatabase as err:
                raise NotABackup(source, err.reason) from None
            version = inspect(temporary, source)
            kept: Path | None = None
            if db.exists():
                kept = db.with_name(f"{db.name}.before-restore-{_stamp(now)}")
                n = 1
                while kept.exists():
                    kept = db.with_name(f"{db.name}.before-restore-{_stamp(now)}-{n}")
                    n += 1
                private_file(db)
                os.rename(db, kept)
                beside = zip(
                    (*companions(db), *routes_family(db)),
                    (*companions(kept), *routes_family(kept)),
                    strict=True,
                )
                for companion, moved in beside:
                    if companion.exists():
                        private_file(companion)
                        os.rename(companion, moved)
            else:
                for companion in (*companions(db), *routes_family(db)):  # stale without it
                    companion.unlink(missing_ok=True)
            os.replace(temporary, db)
            sync_dir(db.parent)
        finally:
            temporary.unlink(missing_ok=True)
    return Restored(version, kept)
