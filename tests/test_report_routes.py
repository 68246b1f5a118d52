"""An Übergriff report's sealed route in the routes file (``<db>.routes``, owner
``report:<code>``), as a case's: never in the database's own files, shredded there (and only
there) when the report is acknowledged, expires or its Meldestelle is removed, so deleting a
report never truncates the main WAL; orphans deleted and routes found in ``reports.user_route``
moved at open; a backup holds the route in the column, a restore splits it out again."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from bot.content import Content
from bot.engine.events import Command
from bot.handoff.reports import REPORT_DAYS
from bot.ports import AddReport, DropReport, RemoveContact
from bot.runtime_api import Incoming, Sender
from bot.storage import sqlite_jobs as jobs
from bot.storage.backup import backup, restore
from bot.storage.routes_file import read_routes, routes_path
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, report, sqlite_family
from tests.helpers import HandoffWorld as World
from tests.helpers import deliver, handoff_world, rows
from tests.storage.test_report_contract import meldestelle, record
from tests.test_report_runtime import answer_all, office, tap, to_report

ROOT = Path(__file__).resolve().parent.parent
ROUTE = b"\x01sealed-route-of-a-report\x02"
OWNER = "report:ABCD-EF"


def main_files(db: Path) -> list[Path]:
    """The database itself with its ``-wal`` and ``-shm`` (not the routes file)."""
    names = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return [p for p in names if p.exists()]


def scanner_for(route: bytes) -> Scanner:
    found = Scanner()
    found.add_blob("report route", route)
    return found


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


async def traced(db: aiosqlite.Connection, seen: list[str]) -> None:
    """Record every statement ``db`` runs (on its own thread) in ``seen``."""
    callback: Callable[[str], None] = seen.append
    await jobs.run_job(db, lambda conn: conn.set_trace_callback(callback))


def truncates(statements: list[str]) -> int:
    return sum("wal_checkpoint(TRUNCATE)" in s for s in statements)


async def add_report(db: Path, route: bytes = ROUTE) -> None:
    async with SqliteStore(db) as store:
        contact = await meldestelle(store)
        async with store.unit() as unit:
            unit.apply(AddReport(replace(record(contact), user_route=route)))


# ---------------------------------------------------------------- the store


@pytest.fixture
def report_db(tmp_path: Path) -> Path:
    return tmp_path / "r.db"


async def test_a_reports_route_is_in_the_routes_file_only(report_db: Path) -> None:
    await add_report(report_db)
    assert read_routes(report_db) == {OWNER: ROUTE}
    assert query(report_db, "SELECT user_route FROM reports") == [(None,)]
    hits = scanner_for(ROUTE).scan(main_files(report_db))
    assert hits == [], report(hits)  # the database's own files never saw it
    assert scanner_for(ROUTE).scan(sqlite_family(report_db)), "found in the routes file"
    async with SqliteStore(report_db) as store:  # the record carries it as before
        found = await store.report("ABCD-EF")
        assert found is not None and found.user_route == ROUTE
        async with store.unit() as unit:
            inside = await unit.report("ABCD-EF")
        assert inside is not None and inside.user_route == ROUTE


async def test_dropping_a_report_shreds_the_routes_file_not_the_database(report_db: Path) -> None:
    await add_report(report_db)
    async with SqliteStore(report_db) as store:
        main: list[str] = []
        routes: list[str] = []
        await traced(store.db, main)
        assert store._routes.connection is not None
        await traced(store._routes.connection, routes)
        async with store.unit() as unit:
            unit.apply(DropReport("ABCD-EF"))
        assert truncates(main) == 0, "deleting a report truncated the main WAL"
        assert truncates(routes) == 1
        assert read_routes(report_db) == {}
        hits = scanner_for(ROUTE).scan(sqlite_family(report_db))
        assert hits == [], report(hits)  # gone from disk while the store is open


async def test_expired_reports_release_their_routes(report_db: Path) -> None:
    await add_report(report_db)
    async with SqliteStore(report_db) as store:
        main: list[str] = []
        await traced(store.db, main)
        assert await store.purge_reports(1999) == 0
        assert read_routes(report_db) == {OWNER: ROUTE}
        assert await store.purge_reports(2001) == 1
        assert truncates(main) == 0
        assert read_routes(report_db) == {}
        hits = scanner_for(ROUTE).scan(sqlite_family(report_db))
        assert hits == [], report(hits)


async def test_a_removed_meldestelle_releases_its_reports_routes(report_db: Path) -> None:
    await add_report(report_db)
    async with SqliteStore(report_db) as store:
        (contact,) = await store.contacts()
        async with store.unit() as unit:
            unit.apply(RemoveContact(contact.id, 1100))
        assert await store.report("ABCD-EF") is None
        assert read_routes(report_db) == {}
        hits = scanner_for(ROUTE).scan(sqlite_family(report_db))
        assert hits == [], report(hits)


async def test_a_report_route_nobody_owns_is_deleted_at_open(report_db: Path) -> None:
    """A crash after the route was written and before the report committed (or after the
    report's delete and before the route's) leaves an orphan: the next open deletes it, and
    keeps the route of a report that is still there."""
    await add_report(report_db)
    with contextlib.closing(sqlite3.connect(routes_path(report_db))) as conn:
        conn.execute("INSERT INTO routes VALUES ('report:ZZZZ-99', x'01020304CAFE0506')")
        conn.commit()
    async with SqliteStore(report_db):
        pass
    assert read_routes(report_db) == {OWNER: ROUTE}
    assert b"\xca\xfe\x05\x06" not in routes_path(report_db).read_bytes()


async def test_a_route_in_the_reports_column_is_moved_at_open(report_db: Path) -> None:
    """An older development build (and a restored backup) keeps it in ``reports.user_route``:
    the store moves it into the routes file and shreds it in the database."""
    await add_report(report_db)
    routes_path(report_db).unlink()
    with contextlib.closing(sqlite3.connect(report_db)) as conn:
        conn.execute("UPDATE reports SET user_route=?", (ROUTE,))
        conn.commit()
    async with SqliteStore(report_db) as store:
        found = await store.report("ABCD-EF")
        assert found is not None and found.user_route == ROUTE
        hits = scanner_for(ROUTE).scan(main_files(report_db))
        assert hits == [], report(hits)
    assert read_routes(report_db) == {OWNER: ROUTE}
    assert query(report_db, "SELECT user_route FROM reports") == [(None,)]


async def test_a_backup_holds_the_report_route_and_a_restore_splits_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "beistand.db"
    await add_report(db)
    copy = tmp_path / "backup.db"
    backup(db, copy)
    assert not routes_path(copy).exists()
    assert query(copy, "SELECT user_route FROM reports") == [(ROUTE,)]
    async with SqliteStore(db) as store, store.unit() as unit:  # acknowledged after the backup
        unit.apply(DropReport("ABCD-EF"))
    restore(copy, db, data)
    async with SqliteStore(db) as store:
        found = await store.report("ABCD-EF")
        assert found is not None and found.user_route == ROUTE
    assert query(db, "SELECT user_route FROM reports") == [(None,)]
    assert read_routes(db) == {OWNER: ROUTE}


# ---------------------------------------------------------------- through the runtime


@pytest.fixture
async def world(musterland: Content, tmp_path: Path) -> AsyncIterator[World]:
    async with handoff_world(musterland, tmp_path / "w.db", b"m" * 32) as made:
        yield made


async def sent_report(world: World) -> tuple[Sender, str, bytes]:
    """An employee's report, sent and delivered: its Meldestelle, code and sealed route."""
    kreis = await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    await tap(world.runtime, actions, "Ja, senden")
    await deliver(world)
    ((code,),) = rows(world.db, "SELECT code FROM reports")
    route = read_routes(world.db)[f"report:{code}"]
    assert rows(world.db, "SELECT user_route FROM reports") == [(None,)]
    hits = scanner_for(route).scan(main_files(world.db))
    assert hits == [], report(hits)
    return kreis, str(code), route


async def main_statements(world: World) -> list[str]:
    """From now on, every statement on the main database's writer (to count its truncates)."""
    store = world.runtime.store
    assert isinstance(store, SqliteStore)
    main: list[str] = []
    await traced(store.db, main)
    return main


async def test_acknowledging_never_truncates_the_main_wal(world: World) -> None:
    kreis, code, route = await sent_report(world)
    main = await main_statements(world)
    await world.runtime.handle(Incoming(kreis, Command("acknowledge", code)))
    await deliver(world)  # the employee is told (the notice's route is the report's)
    assert "bestätigt" in world.telegram.text()
    assert truncates(main) == 0, "the acknowledgement truncated the main WAL"
    assert read_routes(world.db) == {}
    hits = scanner_for(route).scan(sqlite_family(world.db))
    assert hits == [], report(hits)


async def test_an_expiring_report_never_truncates_the_main_wal(world: World) -> None:
    _, _, route = await sent_report(world)
    main = await main_statements(world)
    world.clock.advance(REPORT_DAYS * 86400 + 1)
    assert await world.runtime.handoff.reports.purge() == 1
    assert truncates(main) == 0
    assert read_routes(world.db) == {}
    hits = scanner_for(route).scan(sqlite_family(world.db))
    assert hits == [], report(hits)
