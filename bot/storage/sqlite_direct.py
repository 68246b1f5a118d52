"""Commits and point reads in the event loop's own thread, when SQLite can answer at once.

Every aiosqlite call is a hop to the connection's thread and back. Idle, that is about 0.1 ms;
on the reply path of a bot it was 0.3-2 ms (median 0.8 ms per commit, measured in the Telegram
benchmark's bot process): the thread waits for the GIL while the loop runs, the loop for its
wake-up. SQLite itself commits one step (WAL, ``synchronous=NORMAL``: no fsync at a commit) in
15-50 µs. So a plain step's commit, and the read of a state that is not in the cache, run right
here, on a connection of their own whose busy timeout is 0: if anything else holds the database
at that moment (a transaction or a checkpoint on the writer thread, another process), SQLite
answers BUSY at once, nothing was written, and the caller takes the thread as before. The loop
never sleeps in SQLite's busy handler, and the guarantees are those of the thread path: the
commit is done before the caller goes on (so before the reply), in one transaction.

The automatic checkpoint is off on this connection as on the writer (its fsync would run in
the loop); :mod:`bot.storage.sqlite_wal` folds the WAL in the background. Python's
:mod:`sqlite3` refuses the connection in any other thread (``check_same_thread``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from bot.errors import StorageError
from bot.storage.sqlite_schema import PRAGMAS

T = TypeVar("T")

#: SQLite's primary result codes that mean "someone else holds it, try later".
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class Direct:
    """A connection in the event loop's thread that never waits for a lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        """Connect with the store's pragmas, busy timeout 0, no automatic checkpoint."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            for pragma in PRAGMAS:
                conn.execute(pragma).close()
            conn.execute("PRAGMA busy_timeout=0").close()
            conn.execute("PRAGMA wal_autocheckpoint=0").close()
            row = conn.execute("PRAGMA secure_delete").fetchone()
            if row is None or row[0] != 1:
                raise StorageError("SQLite refused secure_delete")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def attempt(self, job: Callable[[sqlite3.Connection], T]) -> tuple[T] | None:
        """``(result,)`` of ``job`` run here and now; None if SQLite was busy (``job`` must then
        have left nothing behind: a transaction it rolls back, or a read). Other errors are
        raised as the thread path raises them."""
        if self._conn is None:
            return None
        try:
            return (job(self._conn),)
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in _BUSY:
                if self._conn.in_transaction:  # pragma: no cover - transact rolls back
                    self._conn.execute("ROLLBACK")
                return None
            raise


__all__ = ["Direct"]
