"""The commit of plain saves (a step's state, counters and event id) for the SQLite store.

When nothing is being committed, a save commits at once in the loop's thread
(:class:`bot.storage.sqlite_direct.Direct`): no hop to the writer thread on the reply path. It
still yields to the loop once after committing, so that a commit remains a point where other
tasks run, whichever path it took.
Otherwise (a group commit runs, SQLite is busy, a shred is pending) it joins the group commit:
all saves that arrive while the previous commit runs go together in one transaction, one job on
the writer thread. Either way the call returns only once its save is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import aiosqlite

from bot.errors import Redelivered
from bot.ports import CounterKey
from bot.storage import sqlite_jobs as jobs
from bot.storage.sqlite_direct import Direct
from bot.storage.sqlite_wal import Wal

_Entry = tuple[jobs.Row, Sequence[CounterKey], jobs.SeenRow | None, asyncio.Future[None]]


class GroupCommit:
    """Commits plain saves: directly if nothing else is being committed, else in groups."""

    def __init__(
        self,
        direct: Direct,
        writer: Callable[[], aiosqlite.Connection],
        wal: Callable[[], Wal | None],
        others: Callable[[], tuple[aiosqlite.Connection | None, ...]] = tuple,
    ) -> None:
        self._direct = direct
        self._writer = writer
        self._wal = wal
        self._others = others
        self._pending: list[_Entry] = []
        self._committer: asyncio.Task[None] | None = None

    def free(self) -> bool:
        """Whether the loop may read itself: no shred pending (it must not wait for us)."""
        wal = self._wal()
        return wal is not None and wal.shredding() is None

    def free_to_write(self) -> bool:
        """Whether the loop may write itself: nothing pending or running on the writer thread
        (:func:`bot.storage.sqlite_jobs.busy`; a shred is a job there too), nor on the
        connections that sync files (the fold's, the routes file's): a write of the loop's can
        stall behind their fsyncs in the file system's journal, and with it the whole loop."""
        if not self.free() or jobs.busy(self._writer()):
            return False
        return not any(db is not None and jobs.busy(db) for db in self._others())

    async def commit(
        self, row: jobs.Row, counters: Sequence[CounterKey], event: jobs.SeenRow | None
    ) -> None:
        """Commit one save; returns once it is committed.

        Raises:
            Redelivered: ``event`` was recorded before; nothing of this save was written."""
        # nothing being committed: this one here and now (none to wait for, none to group)
        if self._committer is None and self.free_to_write():
            committed = self._direct.attempt(jobs.commit_batch([row], [counters], [event]))
            if committed is not None:
                if committed[0]:
                    raise Redelivered("event id recorded before")
                self._folded()
                # a commit stays a point where other tasks run, as on the writer thread: a
                # conversation stepping without a pause (a flood, a script) must not starve
                # the others (the memory store does the same)
                await asyncio.sleep(0)
                return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, counters, event, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_pending())
        await done

    def _folded(self) -> None:
        wal = self._wal()
        if wal is not None:
            wal.fold_soon()

    async def _commit_pending(self) -> None:
        """Commit queued saves in batches until none are left."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                rows = [row for row, _, _, _ in batch]
                counted = [counters for _, counters, _, _ in batch]
                seen = [s for _, _, s, _ in batch]
                try:
                    job = jobs.commit_batch(rows, counted, seen)
                    dropped = await jobs.run_job(self._writer(), job)
                except Exception as err:
                    for *_, done in batch:
                        if not done.done():
                            done.set_exception(err)
                    continue
                for number, (*_, done) in enumerate(batch):
                    if done.done():
                        continue
                    if number in dropped:
                        done.set_exception(Redelivered("event id recorded before"))
                    else:
                        done.set_result(None)
                self._folded()
        finally:
            self._committer = None


__all__ = ["GroupCommit"]
