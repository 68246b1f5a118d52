"""The SQLite store (aiosqlite): conversation state, seen event ids, counters, cases, outbox.

Two connections per store, each with its own aiosqlite thread: the writer, and (for a file) a
read-only one. Every transaction is ONE job on the writer thread (:mod:`bot.storage.sqlite_jobs`:
BEGIN, all writes, COMMIT in one function call), so the writer is never left inside a
transaction between two calls and a read, on either connection, sees committed rows only. Reads
outside a unit go to the read connection and never wait behind a commit (WAL lets a reader run
beside the writer). A unit holds the store's write lock from its reads to its commit, so two
units never interleave; the group commit of plain saves needs no lock. A plain save, the read
of a state that is not cached and a lone event id go to a third connection in the event loop's
own thread when SQLite can take them at once (:mod:`bot.storage.sqlite_direct`: no thread hop on
the reply path; busy timeout 0, so the loop never waits for a lock). Pragmas: WAL journal,
foreign keys, a busy timeout and ``secure_delete`` (deleted rows are overwritten), checked after
connecting. No user text is ever written here: the key is a pseudonym and the state holds only
flow positions and enumerated values. The sealed routes live in a file of their own beside the
database (:mod:`bot.storage.sqlite_routes`), so that shredding one never holds up a commit here.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.engine.state import State
from bot.errors import StorageError
from bot.ops.files import companions, private_file
from bot.ports import Count, Counter, CounterKey, Forget, OutboxRow, PutState, Unit, Write
from bot.storage import sqlite_jobs as jobs
from bot.storage.checks import database_error, prepare_file
from bot.storage.routes_file import routes_path
from bot.storage.sqlite_cases import OUTBOX_DUE, SqliteCaseReads, outbox_row, route_puts
from bot.storage.sqlite_commit import GroupCommit
from bot.storage.sqlite_direct import Direct
from bot.storage.sqlite_reports import SqliteReportReads
from bot.storage.sqlite_routes import Routes, reconcile
from bot.storage.sqlite_rows import LOAD, decode, encode, statements
from bot.storage.sqlite_schema import PRAGMAS, connect, connect_reader, migrate, quick_check
from bot.storage.sqlite_survey import SqliteSurveyReads
from bot.storage.sqlite_wal import Wal

__all__ = ["PRAGMAS", "Counter", "SqliteStore", "statements"]


class SqliteStore(SqliteCaseReads, SqliteSurveyReads, SqliteReportReads):
    """Conversation state, cases, contacts and the outbox in one SQLite file (implements
    :class:`bot.ports.Store`)."""

    def __init__(self, path: Path | str, cache_size: int = 10_000) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._wal: Wal | None = None  # folds and shreds the WAL (bot/storage/sqlite_wal.py)
        memory = self.path == ":memory:"
        # plain commits and cache misses in the loop's thread when SQLite is free at once
        self._direct = Direct(self.path)
        self._routes = Routes(":memory:" if memory else str(routes_path(Path(self.path))))
        self._held = self._routes.held
        self._write = asyncio.Lock()
        # write-through cache of recent states; this process is the database's only writer
        self._cache: OrderedDict[bytes, State] = OrderedDict()
        self._cache_size = cache_size
        # plain saves: here and now in the loop's thread, or in groups on the writer
        self._commits = GroupCommit(
            self._direct, lambda: self.db, lambda: self._wal, self._syncing_connections
        )
        # reads outside a unit waiting for the next read job, and the task running them
        self._reads: list[tuple[str, tuple[object, ...], asyncio.Future[jobs.Rows]]] = []
        self._reader_task: asyncio.Task[None] | None = None

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

    def _syncing_connections(self) -> tuple[aiosqlite.Connection | None, ...]:
        """The connections whose jobs sync files: the fold's and the routes file's."""
        return (self._wal.folder if self._wal else None, self._routes.connection)

    @property
    def reads(self) -> aiosqlite.Connection:
        """The connection for reads outside a unit (the writer's for ``:memory:``)."""
        return self._reader or self.db

    async def open(self) -> None:
        """Prepare the file (private modes; an empty file is refused), connect, set and check the
        pragmas, check an existing database, run pending migrations and open the read
        connection."""
        existed = False
        if self.path != ":memory:":
            existed = prepare_file(Path(self.path))
        try:
            self._db = await connect(self.path)
            if existed:
                await quick_check(self._db, self.path)
            await self.migrate()
            if self.path != ":memory:":
                self._reader = await connect_reader(self.path)
                await self.db.execute("PRAGMA wal_autocheckpoint=0")  # folded by Wal instead
                for companion in companions(Path(self.path)):
                    private_file(companion)
            self._wal = Wal(self.db, await connect_reader(self.path) if self._reader else None)
            await self._routes.open()
            await reconcile(self._routes, self.db, self._wal.shred)
            if self._reader is not None:  # a file: ``:memory:`` is one connection's own
                self._direct.open()
        except sqlite3.Error as err:
            await self.close()
            raise database_error(Path(self.path), err) from None
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        self._direct.close()
        await self._routes.close()
        if self._wal is not None:
            wal, self._wal = self._wal, None
            await wal.close()
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def migrate(self) -> list[int]:
        """Apply migrations not yet recorded; returns the versions applied
        (:func:`bot.storage.sqlite_schema.migrate`: refuses another program's database and a
        newer schema, copies the file before migrating it)."""
        return await migrate(self.db, self.path)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One transaction under the write lock: reads see committed rows only (every other
        transaction holds the same lock), the writes are carried out together at the end.

        A route the writes need is in the routes file before they commit; one they release is
        deleted from it (and its WAL truncated) after the commit, outside the lock, before this
        returns: no other unit waits for that, and no group commit at all."""
        async with self._write:
            unit = _Unit(self.db, self._held)
            yield unit
            if not unit.writes:
                return
            for write in unit.writes:
                if isinstance(write, PutState | Forget):
                    self._cache.pop(write.key, None)  # re-filled only once the write succeeded
            puts, nonces = route_puts(unit.writes)
            await self._routes.put(puts)
            try:
                job = jobs.write_all(tuple(unit.writes), nonces)
                released = await jobs.run_job(self.db, job)
            except Exception:
                await self._routes.drop(puts)  # no committed row needs them
                raise
            for write in unit.writes:
                if isinstance(write, PutState):
                    self._remember(write.key, write.state)
        await self._routes.drop(released)

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Read committed rows (no lock: a transaction is one job on the writer). Reads that
        arrive while a read job runs go together in the next one: one round trip for all."""
        done: asyncio.Future[jobs.Rows] = asyncio.get_running_loop().create_future()
        self._reads.append((sql, args, done))
        if self._reader_task is None:
            self._reader_task = asyncio.create_task(self._read_pending())
        return await done

    async def _read_pending(self) -> None:
        try:
            while self._reads:
                if self._wal is not None:
                    await self._wal.wait_for_shred()
                batch, self._reads = self._reads, []
                queries = [(sql, args) for sql, args, _ in batch]
                try:
                    results = await jobs.run_job(self.reads, jobs.read_all(queries))
                except Exception as err:  # the connection failed: every read fails
                    results = [err] * len(batch)
                for (_, _, done), result in zip(batch, results, strict=True):
                    if done.done():
                        continue
                    if isinstance(result, BaseException):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
        finally:
            self._reader_task = None

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
        # a conversation's row is written only by its own steps, which wait for their commit
        # before the conversation's lock is released
        found = self._direct.attempt(jobs.read_one(LOAD, (key,))) if self._commits.free() else None
        rows = found[0] if found is not None else await self._rows(LOAD, (key,))
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
        self,
        key: bytes,
        state: State,
        now: float,
        counters: tuple[CounterKey, ...] = (),
        seen: bytes | None = None,
    ) -> None:
        """Write a conversation's state, counter increments and the step's event id; returns
        once it committed (:class:`bot.storage.sqlite_commit.GroupCommit`: at once in the loop's
        thread, or together with the saves of other conversations on the writer).

        Raises:
            Redelivered: ``seen`` was recorded before; nothing of this save was written."""
        self._cache.pop(key, None)  # re-filled only once the write succeeded
        at = int(now)
        event = None if seen is None else (seen, at)
        await self._commits.commit((key, *encode(state), at), counters, event)
        self._remember(key, state)

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
        """Fold the WAL into the database file and truncate it (so deleted data is gone);
        concurrent callers share one (:meth:`bot.storage.sqlite_wal.Wal.shred`)."""
        if self._wal is None:
            raise StorageError("store is not open")
        await self._wal.shred()

    async def purge(self, idle_before: float, seen_before: float) -> int:
        """Delete conversations idle since before ``idle_before`` and old event ids."""
        async with self._write:  # no unit in between: the cache is refilled by loads only
            self._cache.clear()
            removed = await jobs.run_job(
                self.db, jobs.purge_old(int(idle_before), int(seen_before))
            )
        await self.checkpoint()
        return removed

    async def conversation_count(self) -> int:
        """How many conversations are stored."""
        return int((await self._rows("SELECT count(*) FROM conversations"))[0][0])

    # ------------------------------------------------------------ events and counters

    async def first_time(self, key: bytes, now: float) -> bool:
        """Record an event id; False if it was recorded before."""
        job = jobs.record_seen(key, int(now))
        done = self._direct.attempt(job) if self._commits.free_to_write() else None
        if done is None:
            return await jobs.run_job(self.db, job)
        await asyncio.sleep(0)  # a commit is a point where other tasks run (see sqlite_commit)
        return done[0]

    async def was_seen(self, key: bytes) -> bool:
        """Whether an event id is recorded (committed), without recording it."""
        return bool(await self._rows("SELECT 1 FROM seen_events WHERE key=?", (key,)))

    async def counters(self) -> list[Counter]:
        """All statistics rows, ordered by their key."""
        rows = await self._rows(
            "SELECT week, topic, land, region, channel, outcome, count FROM statistics "
            "ORDER BY week, topic, land, region, channel, outcome"
        )
        return [
            Counter(str(w), str(t), str(la), str(r), str(ch), str(o), int(c))
            for w, t, la, r, ch, o, c in rows
        ]

    # ------------------------------------------------------------ cases and outbox

    async def purge_cases(self, closed_before: int, audit_before: int, now: int) -> int:
        """Delete closed cases past their time, old audit entries, ended blocks and expired
        invitations; returns how many cases went."""
        job = jobs.purge_case_rows(closed_before, audit_before, now)
        removed, released = await jobs.run_job(self.db, job)
        await self._routes.drop(released)
        return int(removed)

    async def purge_reports(self, now: int) -> int:
        """Delete expired reports and their notices (routes shredded); how many went."""
        removed, released = await jobs.run_job(self.db, jobs.purge_report_rows(now))
        await self._routes.drop(released)
        return int(removed)

    async def outbox_due(self, now: int, limit: int) -> list[OutboxRow]:
        """Due notices, oldest first; only committed rows (read under the write lock)."""
        return [outbox_row(r, self._held) for r in await self._rows(OUTBOX_DUE, (now, limit))]

    async def outbox_done(self, row_id: int) -> None:
        """Delete a delivered (or undeliverable) notice, and the route it held (shredded)."""
        await self._routes.drop(await jobs.run_job(self.db, jobs.outbox_done(row_id)))

    async def outbox_retry(self, row_id: int, next_at: int) -> None:
        """Count a failed attempt; the next one is due at ``next_at``."""
        sql = "UPDATE outbox SET attempts=attempts+1, next_at=? WHERE id=?"
        await jobs.run_job(self.db, jobs.statement(sql, (next_at, row_id)))

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


class _Unit(SqliteCaseReads, SqliteReportReads):
    """The reads and collected writes of one :meth:`SqliteStore.unit` (the lock is held)."""

    def __init__(self, db: aiosqlite.Connection, held: Mapping[str, bytes]) -> None:
        self._db = db
        self._held = held
        self.writes: list[Write] = []

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self._db.execute_fetchall(sql, args)]

    def apply(self, *writes: Write) -> None:
        self.writes.extend(writes)
