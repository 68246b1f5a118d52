"""Jobs on the SQLite writer thread: a whole transaction as one function call.

aiosqlite runs every call on the connection's own thread, one after the other, and hands the
result back to the event loop. A transaction made of separate calls (``BEGIN``, the writes,
``COMMIT``) costs a round trip each, and every round trip waits for a free turn of the event
loop, which is busy with the other conversations: under load a commit took 4-5 ms while SQLite
itself needs well under one. So the store runs each transaction as ONE job: a plain function
that gets the connection's :class:`sqlite3.Connection` and does BEGIN, all writes and COMMIT
(or ROLLBACK) on the writer thread, in a single round trip.

aiosqlite has no public call for "run this function on the connection's thread";
:func:`run_job` uses its ``Connection._execute`` (the queue every aiosqlite method goes through)
and its ``_conn`` property. Both exist unchanged in the versions ``pyproject.toml`` allows (0.20
to 0.22); ``tests/test_store.py`` checks that a job runs on the connection's thread. The
alternative, a thread of our own owning a ``sqlite3`` connection, would duplicate aiosqlite's
queue and its shutdown handling for the same effect.

A job never leaves a transaction open: the connection is in autocommit mode between jobs, so
a read on it (or on the read connection) sees committed rows only.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

import aiosqlite

from bot.ports import CounterKey, Write
from bot.storage.routes_file import notice_owner
from bot.storage.sqlite_cases import apply_write, purge_cases
from bot.storage.sqlite_reports import purge_reports
from bot.storage.sqlite_rows import COUNT, SEEN, UPSERT

T = TypeVar("T")

#: One conversation row of :data:`~bot.storage.sqlite_rows.UPSERT`.
Row = tuple[object, ...]
#: An event id and when it was seen.
SeenRow = tuple[bytes, int]
#: The rows a read returns.
Rows = list[tuple[Any, ...]]


#: Jobs queued or running per connection (see :func:`busy`).
_IN_FLIGHT: weakref.WeakKeyDictionary[aiosqlite.Connection, int] = weakref.WeakKeyDictionary()


def run_job(db: aiosqlite.Connection, job: Callable[[sqlite3.Connection], T]) -> Awaitable[T]:
    """Run ``job(connection)`` on the connection's thread, after the calls queued before it."""
    execute = cast(Callable[[Callable[[], T]], Awaitable[T]], db._execute)

    def call() -> T:
        conn: sqlite3.Connection = db._conn  # the thread's own connection
        return job(conn)

    return _counted(db, execute(call))


async def _counted(db: aiosqlite.Connection, running: Awaitable[T]) -> T:
    _IN_FLIGHT[db] = _IN_FLIGHT.get(db, 0) + 1
    try:
        return await running
    finally:
        left = _IN_FLIGHT.get(db, 1) - 1
        if left:
            _IN_FLIGHT[db] = left
        else:
            _IN_FLIGHT.pop(db, None)


def busy(db: aiosqlite.Connection) -> bool:
    """Whether a job is queued or running on the connection's thread. The loop's own connection
    (:mod:`bot.storage.sqlite_direct`) writes only while the writer has none: a write of the
    loop's in between would make the writer's ``BEGIN IMMEDIATE`` wait in SQLite's busy handler,
    which sleeps in steps of up to 100 ms (under saturation, case work waited 100-300 ms so)."""
    return db in _IN_FLIGHT


def transact(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """``BEGIN IMMEDIATE``, the body, ``COMMIT``; ROLLBACK (and re-raise) if either fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = body(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def write_all(
    writes: Sequence[Write], nonces: Sequence[str | None]
) -> Callable[[sqlite3.Connection], list[str]]:
    """The job of a unit: all its writes in one transaction (``nonces``: one per write, see
    :func:`bot.storage.sqlite_cases.route_puts`); returns the route owners it released."""

    def body(conn: sqlite3.Connection) -> list[str]:
        released: list[str] = []
        for write, nonce in zip(writes, nonces, strict=True):
            released.extend(apply_write(conn, write, nonce))
        return released

    return lambda conn: transact(conn, body)


def outbox_done(row_id: int) -> Callable[[sqlite3.Connection], list[str]]:
    """The job that deletes a notice; returns its route's owner, if it had one."""

    def job(conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute(
            "DELETE FROM outbox WHERE id=? RETURNING target, nonce", (row_id,)
        ).fetchall()
        return [notice_owner(str(n)) for t, n in rows if t == "user" and n]

    return job


def commit_batch(
    rows: Sequence[Row], counted: Sequence[Sequence[CounterKey]], seen: Sequence[SeenRow | None]
) -> Callable[[sqlite3.Connection], set[int]]:
    """The job of a group commit: states, counters and event ids of many steps, one
    transaction. A step whose event id is recorded already (a redelivery) is left out; the
    job returns their positions."""

    def body(conn: sqlite3.Connection) -> set[int]:
        dropped = set()
        for number, event in enumerate(seen):
            if event is not None and conn.execute(SEEN, event).rowcount == 0:
                dropped.add(number)
        kept = [n for n in range(len(rows)) if n not in dropped]
        conn.executemany(UPSERT, [rows[n] for n in kept])
        conn.executemany(COUNT, [c for n in kept for c in counted[n]])
        return dropped

    return lambda conn: transact(conn, body)


def record_seen(key: bytes, at: int) -> Callable[[sqlite3.Connection], bool]:
    """The job of recording one event id on its own; True if it was new."""

    def job(conn: sqlite3.Connection) -> bool:
        cur = conn.execute(SEEN, (key, at))
        inserted = cur.rowcount == 1
        cur.close()
        return inserted

    return job


def purge_old(idle_before: int, seen_before: int) -> Callable[[sqlite3.Connection], int]:
    """The job of a purge: idle conversations and old event ids; how many conversations went."""

    def body(conn: sqlite3.Connection) -> int:
        cur = conn.execute("DELETE FROM conversations WHERE updated_at < ?", (idle_before,))
        removed = cur.rowcount
        cur.close()
        conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (seen_before,))
        return removed

    return lambda conn: transact(conn, body)


def purge_case_rows(
    closed_before: int, audit_before: int, now: int
) -> Callable[[sqlite3.Connection], tuple[int, list[str]]]:
    """The job of :func:`bot.storage.sqlite_cases.purge_cases` in one transaction."""
    return lambda conn: transact(conn, lambda c: purge_cases(c, closed_before, audit_before, now))


def purge_report_rows(now: int) -> Callable[[sqlite3.Connection], tuple[int, list[str]]]:
    """The job of :func:`bot.storage.sqlite_reports.purge_reports` in one transaction."""
    return lambda conn: transact(conn, lambda c: purge_reports(c, now))


def read_one(sql: str, args: tuple[object, ...]) -> Callable[[sqlite3.Connection], Rows]:
    """The job of one read: its rows (autocommit: it sees the last commit)."""
    return lambda conn: [tuple(r) for r in conn.execute(sql, args).fetchall()]


def read_all(
    queries: Sequence[tuple[str, tuple[object, ...]]],
) -> Callable[[sqlite3.Connection], list[Rows | Exception]]:
    """The job of a batch of reads: each query's rows, or the error it raised (one failing
    query does not fail the others). In autocommit mode each query sees the last commit."""

    def job(conn: sqlite3.Connection) -> list[Rows | Exception]:
        results: list[Rows | Exception] = []
        for sql, args in queries:
            try:
                results.append([tuple(r) for r in conn.execute(sql, args).fetchall()])
            except Exception as err:  # handed to the caller of that read
                results.append(err)
        return results

    return job


class Checkpoint:
    """A ``wal_checkpoint(TRUNCATE)`` job that notes when it starts: writes committed before
    that are folded in and gone from the WAL when it ends."""

    def __init__(self) -> None:
        self.started = False  # set on the writer thread, read on the loop (a plain flag)
        self.done: asyncio.Future[None] | None = None

    def job(self, conn: sqlite3.Connection) -> None:
        self.started = True
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()


def fold(conn: sqlite3.Connection) -> bool:
    """The job of a background fold (``PASSIVE`` checkpoint); True if it took the whole WAL."""
    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return row is not None and row[0] == 0 and row[1] == row[2] and row[1] > 0


def restart_wal(conn: sqlite3.Connection) -> None:
    """The job after a whole fold: a write that changes nothing (``user_version`` set to what it
    is) starts the WAL anew and pays the sync of its new header, instead of the next commit."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.execute(f"PRAGMA user_version={int(version)}").close()


def statement(sql: str, args: tuple[Any, ...] = ()) -> Callable[[sqlite3.Connection], None]:
    """The job of one statement in its own transaction (autocommit)."""

    def job(conn: sqlite3.Connection) -> None:
        conn.execute(sql, args).close()

    return job
