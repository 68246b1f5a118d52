"""Contract tests of the SQLite store."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.engine.state import AT_NODE, State
from bot.errors import Redelivered
from bot.storage import sqlite_jobs as jobs
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteStore

KEY = b"k" * 32
STATE = State("demo", "frage", "en", (("land", "BY"),), (("menu", "auswahl"),), 3, AT_NODE)


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    async with SqliteStore(tmp_path / "db" / "t.db") as opened:
        yield opened  # type: ignore[misc]


async def test_pragmas(store: SqliteStore) -> None:
    for pragma, expected in (
        ("journal_mode", "wal"),
        ("foreign_keys", 1),
        ("busy_timeout", 5000),
        ("secure_delete", 1),
    ):
        async with store.db.execute(f"PRAGMA {pragma}") as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == expected, pragma


async def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    async with SqliteStore(path) as first:
        assert await first.versions() == [v for v, _, _ in MIGRATIONS]
    async with SqliteStore(path) as second:
        assert await second.migrate() == []
        assert await second.versions() == [v for v, _, _ in MIGRATIONS]


async def test_save_load_roundtrip(store: SqliteStore) -> None:
    assert await store.load(KEY) is None
    await store.save(KEY, STATE, 1000.0)
    assert await store.load(KEY) == STATE
    await store.save(KEY, State("menu", "auswahl"), 1001.0)
    assert await store.load(KEY) == State("menu", "auswahl")
    assert await store.conversation_count() == 1


async def test_counters_are_written_with_state(store: SqliteStore) -> None:
    counters = (("2026-W47", "threat", "BY", "none", "telegram", "services_shown"),) * 2
    await store.save(KEY, STATE, 1000.0, counters)
    rows = await store.counters()
    assert [(r.key, r.count) for r in rows] == [(counters[0], 2)]


async def test_first_time(store: SqliteStore) -> None:
    assert await store.first_time(b"e1", 10.0)
    assert not await store.first_time(b"e1", 11.0)
    assert await store.first_time(b"e2", 11.0)


async def test_erase_leaves_no_bytes_behind(tmp_path: Path) -> None:
    path = tmp_path / "canary.db"
    canary = "CNRYzz7fleet"  # a slot value is the only free-form-looking thing in the state
    async with SqliteStore(path) as store:
        await store.save(KEY, State("demo", "frage", "de", (("kanal", canary),)), 1.0)
        await store.erase(KEY)
        assert await store.load(KEY) is None
    for file in tmp_path.iterdir():
        assert canary.encode() not in file.read_bytes(), file.name


async def test_purge_removes_idle_conversations(store: SqliteStore) -> None:
    await store.save(b"old" * 11, STATE, 100.0)
    await store.save(KEY, STATE, 5000.0)
    await store.first_time(b"old-event", 100.0)
    assert await store.purge(idle_before=1000.0, seen_before=1000.0) == 1
    assert await store.load(b"old" * 11) is None
    assert await store.load(KEY) == STATE
    assert await store.first_time(b"old-event", 6000.0)  # forgotten, so new again


async def test_integrity(store: SqliteStore) -> None:
    assert await store.integrity_ok()


def test_schema_has_no_column_for_text(tmp_path: Path) -> None:
    import asyncio

    async def make() -> None:
        async with SqliteStore(tmp_path / "s.db"):
            pass

    asyncio.run(make())
    con = sqlite3.connect(tmp_path / "s.db")
    columns = {row[1] for t in ("conversations",) for row in con.execute(f"PRAGMA table_info({t})")}
    con.close()
    assert columns == {
        "key",
        "flow",
        "node",
        "locale",
        "slots",
        "history",
        "turn",
        "mode",
        "updated_at",
    }


async def test_concurrent_saves_are_group_committed_and_all_land(tmp_path: Path) -> None:
    import asyncio

    async with SqliteStore(tmp_path / "g.db") as store:
        keys = [bytes([i]) * 32 for i in range(50)]
        await asyncio.gather(*(store.save(k, STATE, 1.0) for k in keys))
        assert await store.conversation_count() == 50
    async with SqliteStore(tmp_path / "g.db") as reopened:  # cold cache: read from the file
        assert all([await reopened.load(k) == STATE for k in keys])


async def test_a_transaction_is_one_job_on_the_connection_thread(store: SqliteStore) -> None:
    threads: list[int] = []

    def job(conn: sqlite3.Connection) -> int:
        threads.append(threading.get_ident())
        return int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])

    await store.save(KEY, STATE, 1000.0)
    assert await jobs.run_job(store.db, job) == 1
    assert threads[0] != threading.get_ident()
    assert threads[0] == store.db._thread.ident  # aiosqlite's own thread, after its queue
    assert not await jobs.run_job(store.db, lambda conn: conn.in_transaction)


async def test_a_failed_commit_rolls_back_and_fails_every_save_of_the_batch(
    store: SqliteStore,
) -> None:
    await store.save(KEY, STATE, 1000.0)
    bad = State("demo", "frage", turn=2**70)  # too big for SQLite's integer
    # another process holds the write lock: both saves find SQLite busy and go to the writer,
    # where they wait together (busy timeout) and are committed as one batch once it is free
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    gathered = asyncio.gather(
        store.save(b"a" * 32, STATE, 1001.0, seen=b"e1"),
        store.save(b"b" * 32, bad, 1001.0),
        return_exceptions=True,
    )
    await asyncio.sleep(0.05)
    assert not gathered.done()
    other.execute("ROLLBACK")
    other.close()
    results = await gathered
    assert all(isinstance(r, OverflowError) for r in results)
    assert await store.conversation_count() == 1 and not await store.was_seen(b"e1")
    await store.save(b"a" * 32, STATE, 1002.0, seen=b"e1")  # the connection is usable
    assert await store.was_seen(b"e1")


async def test_a_plain_save_commits_in_the_loop_thread_when_nothing_else_is_committed(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hop to the writer thread on the reply path while that thread has nothing to do."""
    hops: list[object] = []
    original = jobs.run_job

    def counted(db, job):  # type: ignore[no-untyped-def]
        hops.append(job)
        return original(db, job)

    monkeypatch.setattr(jobs, "run_job", counted)
    await store.save(KEY, STATE, 1000.0, seen=b"e1")
    assert hops == []
    with sqlite3.connect(store.path) as other:  # committed: another connection sees it
        assert other.execute("SELECT count(*) FROM seen_events").fetchone()[0] == 1
        assert other.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    with pytest.raises(Redelivered):  # the event id is checked in the same transaction
        await store.save(KEY, STATE, 1001.0, seen=b"e1")
    assert hops == []


async def test_a_save_in_the_loop_thread_still_lets_other_tasks_run(store: SqliteStore) -> None:
    """A conversation stepping without a pause must not starve the others: a commit in the
    loop's thread yields once, as the hop to the writer thread did."""
    ran: list[int] = []

    async def other(n: int) -> None:
        ran.append(n)

    for n in range(3):
        task = asyncio.ensure_future(other(2 * n))
        await store.save(KEY, STATE, 1000.0 + n, seen=bytes([n]) * 16)
        assert task.done() and ran[-1] == 2 * n  # ran during the save, not after it
        task = asyncio.ensure_future(other(2 * n + 1))
        assert await store.first_time(bytes([n + 10]) * 16, 1000.0)
        assert task.done() and ran[-1] == 2 * n + 1


async def test_a_save_goes_to_the_writer_while_it_has_a_job(store: SqliteStore) -> None:
    """The loop never writes beside a job of the writer thread (whose BEGIN would then wait in
    SQLite's busy handler): the save joins the group commit behind it."""
    release = threading.Event()
    blocked = asyncio.ensure_future(jobs.run_job(store.db, lambda conn: release.wait(5)))
    await asyncio.sleep(0.01)
    assert jobs.busy(store.db)
    save = asyncio.ensure_future(store.save(KEY, STATE, 1000.0, seen=b"e1"))
    await asyncio.sleep(0.05)
    assert not save.done()
    release.set()
    await asyncio.gather(blocked, save)
    assert not jobs.busy(store.db)
    assert await store.was_seen(b"e1")


async def test_a_save_waits_for_a_pending_shred(store: SqliteStore) -> None:
    """While a shred is queued the loop does not write itself (the shred must not wait)."""
    await store.save(KEY, STATE, 1000.0)
    release = threading.Event()
    blocked = asyncio.ensure_future(jobs.run_job(store.db, lambda conn: release.wait(5)))
    shred = asyncio.ensure_future(store.checkpoint())
    for _ in range(2000):  # until the shred is queued on the writer
        if store._wal is not None and store._wal.shredding() is not None:
            break
        await asyncio.sleep(0.001)
    assert store._wal is not None and store._wal.shredding() is not None
    save = asyncio.ensure_future(store.save(b"b" * 32, STATE, 1001.0))
    await asyncio.sleep(0.05)
    assert not save.done()  # queued behind the shred on the writer
    release.set()
    await asyncio.gather(blocked, shred, save)
    assert await store.load(b"b" * 32) == STATE


async def test_reads_arriving_together_share_one_job(store: SqliteStore) -> None:
    keys = [bytes([i]) * 32 for i in range(10)]
    await asyncio.gather(*(store.save(k, STATE, 1000.0, seen=k[:16]) for k in keys))
    store._cache.clear()
    calls: list[int] = []
    original = jobs.read_all

    def counted(queries: list[tuple[str, tuple[object, ...]]]):  # type: ignore[no-untyped-def]
        calls.append(len(queries))
        return original(queries)

    jobs.read_all = counted  # type: ignore[assignment]
    try:
        seen = await asyncio.gather(*(store.was_seen(k[:16]) for k in keys), store.was_seen(b"x"))
        # a state not in the cache is read in the loop's thread (no job) while SQLite is free
        assert [await store.load(k) for k in keys] == [STATE] * 10
    finally:
        jobs.read_all = original
    assert seen == [True] * 10 + [False]
    assert sum(calls) == 11 and len(calls) < 11


async def test_concurrent_checkpoints_share_one_and_empty_the_wal(store: SqliteStore) -> None:
    started: list[int] = []
    original = jobs.Checkpoint.job

    def job(self: jobs.Checkpoint, conn: sqlite3.Connection) -> None:
        started.append(1)
        original(self, conn)

    await store.save(KEY, STATE, 1000.0)
    jobs.Checkpoint.job = job  # type: ignore[method-assign]
    try:
        await asyncio.gather(*(store.checkpoint() for _ in range(5)))
        await store.save(KEY, STATE, 1001.0)
        await store.checkpoint()  # after a commit: a new one
    finally:
        jobs.Checkpoint.job = original  # type: ignore[method-assign]
    assert len(started) == 2
    assert Path(store.path + "-wal").stat().st_size == 0
