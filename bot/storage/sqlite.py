"""The SQLite store (aiosqlite): conversation state, seen event ids, counters, cases, outbox.

One connection per store; aiosqlite runs every statement on its own thread in order. Because the
connection is shared by all conversations, every write takes the store's write lock, so one
conversation's transaction never swallows another's statements; every read outside a unit takes
it too, so a read never sees another task's transaction before it commits. Pragmas:
WAL journal, foreign keys, a busy timeout and ``secure_delete`` (deleted rows are overwritten),
checked after connecting. No user text is ever written here: the key is a pseudonym and the state
holds only flow positions and enumerated values.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.engine.state import State
from bot.errors import StorageError
from bot.ops.files import companions, private_file
from bot.ports import Count, Counter, CounterKey, Forget, OutboxRow, PutState, Unit, Write
from bot.storage.checks import database_error, prepare_file
from bot.storage.sqlite_cases import (
    OUTBOX_DUE,
    SqliteCaseReads,
    apply_write,
    outbox_row,
    purge_cases,
)
from bot.storage.sqlite_rows import COUNT, LOAD, UPSERT, decode, encode, statements
from bot.storage.sqlite_schema import PRAGMAS, connect, migrate, quick_check
from bot.storage.sqlite_survey import SqliteSurveyReads

__all__ = ["PRAGMAS", "Counter", "SqliteStore", "statements"]


class SqliteStore(SqliteCaseReads, SqliteSurveyReads):
    """Conversation state, cases, contacts and the outbox in one SQLite file (implements
    :class:`bot.ports.Store`)."""

    def __init__(self, path: Path | str, cache_size: int = 10_000) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._write = asyncio.Lock()
        # write-through cache of recent states; this process is the database's only writer
        self._cache: OrderedDict[bytes, State] = OrderedDict()
        self._cache_size = cache_size
        # plain state saves waiting for the next group commit, and the task committing them
        self._pending: list[
            tuple[tuple[object, ...], tuple[tuple[str, str, str, str], ...], asyncio.Future[None]]
        ] = []
        self._committer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StorageError("store is not open")
        return self._db

    async def open(self) -> None:
        """Prepare the file (private modes; an empty file is refused), connect, set and check the
        pragmas, check an existing database and run pending migrations."""
        existed = False
        if self.path != ":memory:":
            existed = prepare_file(Path(self.path))
        try:
            self._db = await connect(self.path)
            if existed:
                await quick_check(self._db, self.path)
            await self.migrate()
            if self.path != ":memory:":
                for companion in companions(Path(self.path)):
                    private_file(companion)
        except sqlite3.Error as err:
            await self.close()
            raise database_error(Path(self.path), err) from None
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def migrate(self) -> list[int]:
        """Apply migrations not yet recorded; returns the versions applied
        (:func:`bot.storage.sqlite_schema.migrate`: refuses another program's database and a
        newer schema, copies the file before migrating it)."""
        return await migrate(self.db, self.path)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the write lock and run the block in one transaction (rolled back on error)."""
        async with self._write:
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One transaction under the write lock: reads see committed rows only (every other
        transaction holds the same lock), the writes are carried out together at the end."""
        async with self._write:
            unit = _Unit(self.db)
            yield unit
            if not unit.writes:
                return
            for write in unit.writes:
                if isinstance(write, PutState | Forget):
                    self._cache.pop(write.key, None)  # re-filled only once the write succeeded
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                for write in unit.writes:
                    await apply_write(db, write)
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")
            for write in unit.writes:
                if isinstance(write, PutState):
                    self._remember(write.key, write.state)

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        # under the write lock: no other task's transaction is open on the shared connection
        async with self._write:
            return [tuple(r) for r in await self.db.execute_fetchall(sql, args)]

    async def versions(self) -> list[int]:
        """The migration versions recorded in the database."""
        rows = await self._rows("SELECT version FROM schema_migrations ORDER BY version")
        return [int(r[0]) for r in rows]

    # ------------------------------------------------------------ conversations

    async def load(self, key: bytes) -> State | None:
        """The state of a conversation, or None."""
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        # no write lock: a conversation's row is written only by its own steps, which wait for
        # their commit before the conversation's lock is released
        rows = list(await self.db.execute_fetchall(LOAD, (key,)))
        if not rows:
            return None
        state = decode(rows[0])
        self._remember(key, state)
        return state

    def _remember(self, key: bytes, state: State) -> None:
        self._cache[key] = state
        self._cache.move_to_end(key)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def save(
        self, key: bytes, state: State, now: float, counters: tuple[CounterKey, ...] = ()
    ) -> None:
        """Write a conversation's state and counter increments. Saves of many conversations
        are committed together: one transaction for all that arrive while the previous commit
        runs."""
        self._cache.pop(key, None)  # re-filled only once the write succeeded
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(((key, *encode(state), int(now)), counters, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_pending())
        await done
        self._remember(key, state)

    async def _commit_pending(self) -> None:
        """Commit queued saves in batches until none are left."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                rows = [row for row, _, _ in batch]
                counted = [c for _, counters, _ in batch for c in counters]
                try:
                    async with self._write:
                        if len(rows) == 1 and not counted:
                            await self.db.execute(UPSERT, rows[0])
                        else:
                            await self.db.execute("BEGIN")
                            try:
                                await self.db.executemany(UPSERT, rows)
                                if counted:
                                    await self.db.executemany(COUNT, counted)
                                await self.db.execute("COMMIT")
                            except BaseException:
                                await self.db.execute("ROLLBACK")
                                raise
                except Exception as err:
                    for _, _, done in batch:
                        if not done.done():
                            done.set_exception(err)
                    continue
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._committer = None

    async def count(self, counters: tuple[CounterKey, ...]) -> None:
        """Increment counters on their own (for steps that store no state)."""
        if counters:
            async with self.unit() as unit:
                unit.apply(Count(counters))

    async def erase(self, key: bytes) -> None:
        """Delete the conversation stored under a key, then checkpoint the WAL so no copy
        stays behind."""
        async with self.unit() as unit:
            unit.apply(Forget(key))
        await self.checkpoint()

    async def checkpoint(self) -> None:
        """Fold the WAL into the database file and truncate it (so deleted data is gone)."""
        async with self._write:
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge(self, idle_before: float, seen_before: float) -> int:
        """Delete conversations idle since before ``idle_before`` and old event ids."""
        async with self._write:
            self._cache.clear()
            cur = await self.db.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (int(idle_before),)
            )
            removed = cur.rowcount
            await cur.close()
            await self.db.execute("DELETE FROM seen_events WHERE seen_at < ?", (int(seen_before),))
        await self.checkpoint()
        return removed

    async def conversation_count(self) -> int:
        """How many conversations are stored."""
        return int((await self._rows("SELECT count(*) FROM conversations"))[0][0])

    # ------------------------------------------------------------ events and counters

    async def first_time(self, key: bytes, now: float) -> bool:
        """Record an event id; False if it was recorded before."""
        async with self._write:
            cur = await self.db.execute(
                "INSERT OR IGNORE INTO seen_events VALUES (?, ?)", (key, int(now))
            )
            inserted = cur.rowcount == 1
            await cur.close()
        return inserted

    async def counters(self) -> list[Counter]:
        """All counter rows."""
        rows = await self._rows(
            "SELECT week, flow, outcome, land, count FROM counters "
            "ORDER BY week, flow, outcome, land"
        )
        return [Counter(str(w), str(f), str(o), str(la), int(c)) for w, f, o, la, c in rows]

    # ------------------------------------------------------------ cases and outbox

    async def purge_cases(self, closed_before: int, audit_before: int, now: int) -> int:
        """Delete closed cases past their time, old audit entries, ended blocks and expired
        invitations; returns how many cases went."""
        async with self.transaction() as db:
            return await purge_cases(db, closed_before, audit_before, now)

    async def outbox_due(self, now: int, limit: int) -> list[OutboxRow]:
        """Due notices, oldest first; only committed rows (read under the write lock)."""
        return [outbox_row(r) for r in await self._rows(OUTBOX_DUE, (now, limit))]

    async def outbox_done(self, row_id: int) -> None:
        """Delete a delivered (or undeliverable) notice."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM outbox WHERE id=?", (row_id,))

    async def outbox_retry(self, row_id: int, next_at: int) -> None:
        """Count a failed attempt; the next one is due at ``next_at``."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET attempts=attempts+1, next_at=? WHERE id=?", (next_at, row_id)
            )

    async def ping(self, within: float = 2.0) -> bool:
        """Whether the database answers a ``SELECT 1`` within ``within`` seconds (health check)."""
        try:
            async with asyncio.timeout(within), self.db.execute("SELECT 1") as cur:
                row = await cur.fetchone()
        except (StorageError, sqlite3.Error, ValueError, TimeoutError):
            return False
        return row is not None and row[0] == 1

    async def outbox_backlog(self) -> int:
        """How many notices wait in the handoff outbox (for the metrics)."""
        async with self.db.execute("SELECT count(*) FROM outbox") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def integrity_ok(self) -> bool:
        """Whether ``PRAGMA integrity_check`` reports ok."""
        async with self.db.execute("PRAGMA integrity_check") as cur:
            row = await cur.fetchone()
        return row is not None and row[0] == "ok"


class _Unit(SqliteCaseReads):
    """The reads and collected writes of one :meth:`SqliteStore.unit` (the lock is held)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.writes: list[Write] = []

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self._db.execute_fetchall(sql, args)]

    def apply(self, *writes: Write) -> None:
        self.writes.extend(writes)
