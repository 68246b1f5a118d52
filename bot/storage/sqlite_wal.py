"""The WAL of the SQLite store: folded into the database file in the background, truncated
when something must be gone from disk.

- **Folding** (:meth:`Wal.fold_soon`): after a commit, at most every :data:`FOLD_EVERY`
  seconds, a ``PASSIVE`` checkpoint on a connection (and thread) of its own copies the WAL into
  the database file. It never blocks the writer or a reader, and its fsync holds up no
  commit; SQLite's automatic checkpoint, which ran inside a commit on the writer thread, is off.
- **Shredding** (:meth:`Wal.shred`): a fold, then a ``TRUNCATE`` checkpoint on the writer
  after an erasure or a closed case, before the reply. Callers whose writes committed before a
  queued shred starts share it; while one is pending no fold starts and no read job is sent
  (each would make the shred wait in SQLite's busy handler, which sleeps in steps of 1 to
  100 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time

import aiosqlite

from bot.storage import sqlite_jobs as jobs

log = logging.getLogger("bot.storage.sqlite")

#: Seconds between two background folds of the WAL into the database file (while writing).
FOLD_EVERY = 0.25


class Wal:
    """Folds and shreds the WAL of one store (``folder`` None: nothing is folded)."""

    def __init__(self, writer: aiosqlite.Connection, folder: aiosqlite.Connection | None) -> None:
        self.writer = writer
        self.folder = folder
        self._folding: asyncio.Task[None] | None = None
        self._folded = 0.0
        self._shred: jobs.Checkpoint | None = None  # the last shred queued

    def shredding(self) -> asyncio.Future[None] | None:
        """The shred queued or running, if any."""
        shred = self._shred
        if shred is None or shred.done is None or shred.done.done():
            return None
        return shred.done

    def fold_soon(self) -> None:
        """After a commit: start a background fold unless one ran lately, runs, or a shred is
        pending (it folds everything anyway)."""
        now = time.monotonic()
        if self.folder is None or self._folding is not None or now - self._folded < FOLD_EVERY:
            return
        if self.shredding() is not None:
            return
        self._folded = now
        self._folding = asyncio.create_task(self._fold(self.folder))

    async def _fold(self, folder: aiosqlite.Connection) -> None:
        try:
            await jobs.run_job(folder, jobs.statement("PRAGMA wal_checkpoint(PASSIVE)"))
        except sqlite3.Error as error:  # the next commit tries again
            log.warning("store.fold_failed", extra={"error": type(error).__name__})
        finally:
            self._folding = None

    async def shred(self) -> None:
        """Fold the WAL into the file and truncate it (so deleted data is gone from disk).

        A fold on the folding connection goes first: it copies and syncs most of the WAL while
        commits go on, so the ``TRUNCATE`` that holds up the writer has little left to do."""
        pending = self._shred
        if pending is None or pending.started or pending.done is None:
            if self.folder is not None and self._folding is None and self.shredding() is None:
                self._folding = asyncio.create_task(self._fold(self.folder))
            if self._folding is not None:  # never two checkpoints at once (busy handler sleeps)
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._folding)
        shred = self._shred
        done: asyncio.Future[None]
        if shred is None or shred.started or shred.done is None:
            shred = self._shred = jobs.Checkpoint()
            shred.done = done = asyncio.ensure_future(jobs.run_job(self.writer, shred.job))
        else:
            done = shred.done
        await asyncio.shield(done)

    async def wait_for_shred(self) -> None:
        """Before a read job: let a pending shred finish first."""
        pending = self.shredding()
        if pending is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)

    async def close(self) -> None:
        """Wait for a running fold, close the folding connection."""
        if self._folding is not None:
            with contextlib.suppress(Exception):
                await self._folding
        if self.folder is not None:
            folder, self.folder = self.folder, None
            await folder.close()
