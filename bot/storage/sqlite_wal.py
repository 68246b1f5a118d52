"""The WAL of the SQLite store: folded into the database file in the background, truncated
when something must be gone from disk.

- **Folding** (:meth:`Wal.fold_soon`): after commits, a ``PASSIVE`` checkpoint on a connection
  (and thread) of its own copies the WAL into the database file. It never blocks the writer or
  a reader; SQLite's automatic checkpoint, which ran inside a commit on the writer thread, is
  off. It starts once no commit came for :data:`FOLD_QUIET` seconds (the reply of the last
  step is out by then), or :data:`FOLD_EVERY` seconds after the first commit it folds if commits
  never pause, and at most every :data:`FOLD_EVERY` seconds. A fold beside a reply made the
  reply wait: its fsyncs slowed the commit and the send running at the same time (Telegram
  benchmark: commits 0.1 ms at the median, 1.1 ms at the 90th percentile with the fold right
  after each commit, 0.13 ms without).
- **Restarting** the WAL after a fold that took all of it: the next write starts the WAL file
  anew from its beginning, and SQLite syncs its new header (an fsync, 1-2 ms on this machine
  under load). A tiny write on the writer thread right after the fold (``user_version`` set to
  what it is, no row touched) takes that fsync, so the next step's commit does not.
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
#: Seconds without a commit after which a fold starts.
FOLD_QUIET = 0.02


class Wal:
    """Folds and shreds the WAL of one store (``folder`` None: nothing is folded)."""

    def __init__(self, writer: aiosqlite.Connection, folder: aiosqlite.Connection | None) -> None:
        self.writer = writer
        self.folder = folder
        self._folding: asyncio.Task[None] | None = None
        self._folded = 0.0  # when the last fold started (monotonic)
        self._since = 0.0  # the first commit not folded yet, and the last one
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._shred: jobs.Checkpoint | None = None  # the last shred queued

    def shredding(self) -> asyncio.Future[None] | None:
        """The shred queued or running, if any."""
        shred = self._shred
        if shred is None or shred.done is None or shred.done.done():
            return None
        return shred.done

    def fold_soon(self) -> None:
        """After a commit: fold once commits pause (see the module's docstring)."""
        if self.folder is None:
            return
        now = time.monotonic()
        if self._timer is None:
            self._since = now
            self._timer = asyncio.get_running_loop().call_at(now + FOLD_QUIET, self._due)
        self._last = now

    def _due(self) -> None:
        """The timer: start the fold now, or later if commits go on or one ran lately."""
        now = time.monotonic()
        self._timer = None
        if self.folder is None or self.shredding() is not None:
            return  # a shred folds everything anyway
        later = max(
            min(self._last + FOLD_QUIET, self._since + FOLD_EVERY), self._folded + FOLD_EVERY
        )
        if self._folding is not None or later > now:
            self._timer = asyncio.get_running_loop().call_at(
                max(later, now + FOLD_QUIET), self._due
            )
            return
        self._folded = now
        self._folding = asyncio.create_task(self._fold(self.folder))

    async def _fold(self, folder: aiosqlite.Connection, restart: bool = True) -> None:
        try:
            if await jobs.run_job(folder, jobs.fold) and restart and self.shredding() is None:
                await jobs.run_job(self.writer, jobs.restart_wal)
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
                self._folding = asyncio.create_task(self._fold(self.folder, restart=False))
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._folding is not None:
            with contextlib.suppress(Exception):
                await self._folding
        if self.folder is not None:
            folder, self.folder = self.folder, None
            await folder.close()
