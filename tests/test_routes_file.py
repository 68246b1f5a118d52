"""The sealed routes in a file of their own (``<db>.routes``, bot/storage/sqlite_routes.py):
where a route is while its case is open, what the store does when it opens (moves routes it
finds in the database's own columns, deletes those no row owns after a crash), and backups (one
file with the routes in it) and restores (split again)."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from pathlib import Path

from bot.ports import AddCase, ChangeCase, Notify
from bot.storage.backup import backup, restore
from bot.storage.routes_file import read_routes, routes_path
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, report, sqlite_family
from tests.storage.test_contract import case

ROUTE = b"\x01sealed-route-of-AB12-CD\x02"
NOTICE_ROUTE = b"\x01sealed-route-of-a-notice\x02"


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def scanner() -> Scanner:
    found = Scanner()
    found.add_blob("case route", ROUTE)
    found.add_blob("notice route", NOTICE_ROUTE)
    return found


async def open_case(db: Path) -> None:
    async with SqliteStore(db) as store, store.unit() as unit:
        unit.apply(
            AddCase(case(user_route=ROUTE)),
            Notify("nobody", "AB12-CD", 1000, route=NOTICE_ROUTE),
        )


async def test_an_open_case_has_its_route_in_the_routes_file_only(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    await open_case(db)
    routes = read_routes(db)
    assert routes["case:AB12-CD"] == ROUTE
    assert sorted(routes.values()) == sorted([ROUTE, NOTICE_ROUTE])
    assert query(db, "SELECT user_route FROM cases") == [(None,)]
    assert query(db, "SELECT route FROM outbox") == [(None,)]
    assert stat.S_IMODE(routes_path(db).stat().st_mode) == 0o600
    plain = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    hits = scanner().scan([p for p in plain if p.exists()])
    assert hits == [], report(hits)  # the database's own files never saw a route
    assert scanner().scan(sqlite_family(db)), "the canary family scans the routes file too"
    async with SqliteStore(db) as store:  # the records carry the routes as before
        found = await store.case("AB12-CD")
        assert found is not None and found.user_route == ROUTE
        (row,) = await store.outbox_due(2000, 10)
        assert row.route == NOTICE_ROUTE


async def test_closing_shreds_the_routes_file(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    await open_case(db)
    async with SqliteStore(db) as store:
        closing = (("status", "closed"), ("closed_at", 1100), ("user_route", None))
        async with store.unit() as unit:
            unit.apply(ChangeCase("AB12-CD", closing))
        hits = scanner().scan(sqlite_family(db))
        assert [h for h in hits if "case route" in str(h)] == [], report(hits)  # store open
        assert [h for h in hits if "notice route" in str(h)], "the notice still waits"
        (row,) = await store.outbox_due(2000, 10)
        await store.outbox_done(row.id)
        hits = scanner().scan(sqlite_family(db))
        assert hits == [], report(hits)
    assert read_routes(db) == {}


async def test_routes_nobody_owns_are_deleted_at_open(tmp_path: Path) -> None:
    """A crash after a route was written and before its case committed (or after a close and
    before the route's delete) leaves a route without an owner: the next open deletes it."""
    db = tmp_path / "b.db"
    await open_case(db)
    with contextlib.closing(sqlite3.connect(routes_path(db))) as conn:
        conn.execute("INSERT INTO routes VALUES ('case:ZZZZ-99', x'01020304CAFE')")
        conn.commit()
    with contextlib.closing(sqlite3.connect(db)) as conn:  # closed while the bot was down
        conn.execute("UPDATE cases SET status='closed'")
        conn.commit()
    async with SqliteStore(db):
        pass
    assert sorted(read_routes(db)) == [o for o in read_routes(db) if o.startswith("notice:")]
    hits = scanner().scan(sqlite_family(db))
    assert [str(h) for h in hits if "case route" in str(h)] == []
    assert b"\xca\xfe" not in routes_path(db).read_bytes()


async def test_routes_in_the_database_columns_are_moved_at_open(tmp_path: Path) -> None:
    """An older Beistand (and a backup) keeps routes in ``cases.user_route`` and
    ``outbox.route``: the store moves them into the routes file and shreds them here."""
    db = tmp_path / "b.db"
    await open_case(db)
    routes_path(db).unlink()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE cases SET user_route=?", (ROUTE,))
        conn.execute("UPDATE outbox SET route=?, nonce=NULL", (NOTICE_ROUTE,))
        conn.commit()
    async with SqliteStore(db) as store:
        found = await store.case("AB12-CD")
        assert found is not None and found.user_route == ROUTE
        (row,) = await store.outbox_due(2000, 10)
        assert row.route == NOTICE_ROUTE and row.nonce  # a nonce to own the route by
        plain = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        hits = scanner().scan([p for p in plain if p.exists()])
        assert hits == [], report(hits)
    assert sorted(read_routes(db).values()) == sorted([ROUTE, NOTICE_ROUTE])


async def test_a_backup_is_one_file_with_the_routes_and_a_restore_splits_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    db = data / "beistand.db"
    await open_case(db)
    copy = tmp_path / "backup.db"
    backup(db, copy)
    assert not routes_path(copy).exists()
    assert query(copy, "SELECT user_route FROM cases") == [(ROUTE,)]
    assert query(copy, "SELECT route FROM outbox") == [(NOTICE_ROUTE,)]
    async with SqliteStore(db) as store, store.unit() as unit:  # closed after the backup
        unit.apply(ChangeCase("AB12-CD", (("status", "closed"), ("user_route", None))))
    restored = restore(copy, db, data)
    assert restored.kept is not None and routes_path(restored.kept).exists()
    assert not routes_path(db).exists()  # the replaced routes went with the replaced database
    async with SqliteStore(db) as store:
        found = await store.case("AB12-CD")
        assert found is not None and found.status == "open" and found.user_route == ROUTE
    assert query(db, "SELECT user_route FROM cases") == [(None,)]
    assert sorted(read_routes(db).values()) == sorted([ROUTE, NOTICE_ROUTE])
