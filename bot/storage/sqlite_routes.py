"""The sealed routes in a file of their own, ``<db>.routes``, so that shredding one never holds
up the database's commits.

A sealed route (the encrypted reply address of a user, :mod:`bot.crypto`) is the only
identifying thing a case leaves, and it must be gone from disk before the user is told their
case is closed. In the main database that took a ``wal_checkpoint(TRUNCATE)``: two fsyncs during
which no other conversation could commit (the p99 of ``benchmarks/runtime_bench.py``). Here the
routes live in a small SQLite file beside the database, with its own connection and thread:
deleting a route and truncating *this* file's WAL waits for nobody but the one whose case closed.

Each route has an **owner**, the row that needs it: ``case:<code>`` (an open or claimed case,
``cases.user_route`` in the port's records), ``notice:<nonce>`` (a notice waiting in the outbox
for the user) and ``report:<code>`` (an Übergriff report to a Meldestelle not yet acknowledged or
expired, ``reports.user_route``; :mod:`bot.storage.sqlite_reports`). A later table that holds a
route gets an owner prefix of its own. The main database's ``cases.user_route``,
``outbox.route`` and ``reports.user_route`` columns stay NULL; the store fills the records from
:attr:`Routes.held` (every route in memory: there are only as many as open cases, waiting
notices and open reports).

Order, so that a crash never loses a route that a committed row needs: a route is written here
**before** the main transaction that needs it commits, and deleted **after** the one that stops
needing it. What a crash can leave is a route nobody owns; :func:`live_owners` and
:meth:`Routes.keep_only` delete those when the store opens. Routes still found in the main
database (written by an older Beistand, or a restored backup, which holds them there) are moved
here when the store opens (:func:`take_main_routes`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import aiosqlite

from bot.ops.files import companions, private_file
from bot.storage import sqlite_jobs as jobs
from bot.storage.checks import prepare_file
from bot.storage.routes_file import case_owner, notice_owner, report_owner
from bot.storage.sqlite_schema import connect
from bot.storage.sqlite_wal import Wal

SCHEMA = "CREATE TABLE IF NOT EXISTS routes (owner TEXT PRIMARY KEY, route BLOB NOT NULL)"


def take_main_routes(conn: sqlite3.Connection) -> dict[str, bytes]:
    """The job that finds routes in the main database's columns (with their owners; a waiting
    notice without a nonce gets one). They are cleared by :func:`clear_main_routes` once they
    are safe in the routes file."""

    def body(c: sqlite3.Connection) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for code, route in c.execute(
            "SELECT code, user_route FROM cases "
            "WHERE user_route IS NOT NULL AND status IN ('open', 'claimed')"
        ).fetchall():
            found[case_owner(str(code))] = bytes(route)
        for row_id, nonce, route in c.execute(
            "SELECT id, nonce, route FROM outbox WHERE route IS NOT NULL"
        ).fetchall():
            if not nonce:
                nonce = secrets.token_hex(12)
                c.execute("UPDATE outbox SET nonce=? WHERE id=?", (nonce, row_id))
            found[notice_owner(str(nonce))] = bytes(route)
        for code, route in c.execute(
            "SELECT code, user_route FROM reports WHERE user_route IS NOT NULL"
        ).fetchall():
            found[report_owner(str(code))] = bytes(route)
        return found

    return jobs.transact(conn, body)


def clear_main_routes(conn: sqlite3.Connection) -> int:
    """The job that clears every route from the main database's columns; how many it cleared."""

    def body(c: sqlite3.Connection) -> int:
        cleared = c.execute("UPDATE cases SET user_route=NULL WHERE user_route IS NOT NULL")
        count = cleared.rowcount
        count += c.execute("UPDATE outbox SET route=NULL WHERE route IS NOT NULL").rowcount
        sql = "UPDATE reports SET user_route=NULL WHERE user_route IS NOT NULL"
        count += c.execute(sql).rowcount
        return count

    return jobs.transact(conn, body)


def live_owners(conn: sqlite3.Connection) -> set[str]:
    """The job that lists the owners the main database still has: open and claimed cases,
    notices waiting for a user, reports (every row is open: a report's row goes at its
    acknowledgement or expiry)."""
    cases = conn.execute("SELECT code FROM cases WHERE status IN ('open', 'claimed')").fetchall()
    notices = conn.execute(
        "SELECT nonce FROM outbox WHERE target='user' AND nonce IS NOT NULL"
    ).fetchall()
    reports = conn.execute("SELECT code FROM reports").fetchall()
    return (
        {case_owner(str(c)) for (c,) in cases}
        | {notice_owner(str(n)) for (n,) in notices}
        | {report_owner(str(r)) for (r,) in reports}
    )


class Routes:
    """The routes file of one store: every route in :attr:`held`, written through."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.held: dict[str, bytes] = {}
        self._db: aiosqlite.Connection | None = None
        self._wal: Wal | None = None

    async def open(self) -> None:
        """Create or open the file (0600 in a 0700 directory, like the database), load it."""
        if self.path != ":memory:":  # the store made the directory private
            prepare_file(Path(self.path), directory=False)
        self._db = await connect(self.path)
        await self._db.execute(SCHEMA)
        if self.path != ":memory:":
            for companion in companions(Path(self.path)):
                private_file(companion)
        self._wal = Wal(self._db, None)
        rows = await self._db.execute_fetchall("SELECT owner, route FROM routes")
        self.held.clear()  # in place: the store's readers hold this dict
        self.held.update({str(o): bytes(r) for o, r in rows})

    @property
    def connection(self) -> aiosqlite.Connection | None:
        """The file's connection (None while closed)."""
        return self._db

    def _job(self) -> tuple[aiosqlite.Connection, Wal]:
        if self._db is None or self._wal is None:
            raise sqlite3.ProgrammingError("the routes file is not open")
        return self._db, self._wal

    async def put(self, routes: Mapping[str, bytes]) -> None:
        """Write routes (committed when this returns), before the rows that need them."""
        if not routes:
            return
        db, _ = self._job()
        rows = list(routes.items())

        def write(c: sqlite3.Connection) -> None:
            c.executemany("INSERT OR REPLACE INTO routes VALUES (?, ?)", rows)

        await jobs.run_job(db, lambda conn: jobs.transact(conn, write))
        self.held.update(routes)

    async def drop(self, owners: Iterable[str]) -> None:
        """Delete the routes of ``owners`` and truncate this file's WAL: when this returns,
        they are gone from disk (``secure_delete`` overwrote them in the pages). Concurrent
        callers share one truncation (:meth:`bot.storage.sqlite_wal.Wal.shred`)."""
        gone = [(o,) for o in set(owners)]
        if not gone:
            return
        for (owner,) in gone:
            self.held.pop(owner, None)
        db, wal = self._job()

        def delete(c: sqlite3.Connection) -> None:
            c.executemany("DELETE FROM routes WHERE owner=?", gone)

        await jobs.run_job(db, lambda conn: jobs.transact(conn, delete))
        await wal.shred()

    async def keep_only(self, owners: set[str]) -> int:
        """Delete (and shred) every route whose owner is not in ``owners``; how many went."""
        stale = [o for o in self.held if o not in owners]
        await self.drop(stale)
        return len(stale)

    async def close(self) -> None:
        if self._wal is not None:
            wal, self._wal = self._wal, None
            await wal.close()
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()


async def reconcile(
    routes: Routes, db: aiosqlite.Connection, shred: Callable[[], Awaitable[None]]
) -> None:
    """When the store opens: move routes still in the main database's columns into the routes
    file (then clear and shred them there), and delete routes no row owns any more (a crash
    between a route's write and its row's commit, or between a close and the route's delete)."""
    found = await jobs.run_job(db, take_main_routes)
    if found:
        await routes.put(found)
        await jobs.run_job(db, clear_main_routes)
        await shred()
    await routes.keep_only(await jobs.run_job(db, live_owners))
