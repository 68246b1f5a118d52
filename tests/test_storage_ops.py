"""Operating the store: private modes, the instance lock, refusals at open, backup and restore.

Run as an operator meets them: the lock across real processes, the messages through
``bot.cli.main`` (exit 2, ``beistand: ...``, no traceback), backup and restore around a
conversation with the real runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.content import Content
from bot.engine.actions import Ask, Say
from bot.engine.events import Choose, Start
from bot.ops.files import private_dir
from bot.ops.lock import LOCK_NAME, InstanceLock, InstanceLocked
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.backup import backup, pre_migration_path
from bot.storage.checks import KNOWN_VERSION, prepare_file
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteStore, statements
from tests.conftest import BASIC
from tests.helpers import FakeClock

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s" * 32
ALICE = Sender("telegram", "4242", "de")
FIXTURE_ENV = {
    "BEISTAND_FLOWS": str(BASIC / "flows"),
    "BEISTAND_KNOWLEDGE": str(BASIC / "knowledge"),
    "BEISTAND_LOCALES": str(BASIC / "locales"),
}
HINT = "restore a backup with `beistand restore FILE`"

#: every migration version (numbers are reserved per branch, so there may be gaps)
ALL_VERSIONS = [version for version, _, _ in MIGRATIONS]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a service with its data directory; returns the data directory."""
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("BEISTAND_DATA_DIR", str(data))
    monkeypatch.setenv("BEISTAND_SECRET", SECRET)
    monkeypatch.delenv("BEISTAND_DB", raising=False)
    for name, value in FIXTURE_ENV.items():
        monkeypatch.setenv(name, value)
    return data


def env_for(data: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        **FIXTURE_ENV,
        "BEISTAND_DATA_DIR": str(data),
        "BEISTAND_SECRET": SECRET,
        "PYTHONPATH": str(ROOT),
        **more,
    }


def beistand(
    data: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(data, **env),
        cwd=data.parent,
        check=False,
    )


async def make_db(path: Path) -> None:
    async with SqliteStore(path) as store:
        await store.first_time(b"e" * 32, 1.0)


def versions(path: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [int(r[0]) for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]


# ------------------------------------------------------------------ files and permissions


@pytest.mark.parametrize("mask", [0o022, 0o000])
async def test_everything_in_the_data_dir_is_private_whatever_the_umask(
    tmp_path: Path, mask: int
) -> None:
    data = tmp_path / "data"
    settings = Settings.from_env({"BEISTAND_DATA_DIR": str(data)})
    with umask(mask):
        settings.secret_bytes(generate=True)  # the chat's own secret
        with InstanceLock(data, "chat"):
            async with SqliteStore(settings.db) as store:
                await store.first_time(b"e" * 32, 1.0)
                wal, shm = (data / "beistand.db-wal", data / "beistand.db-shm")
                assert wal.exists() and shm.exists()
                backup(settings.db, data / "copy.db")
                files = sorted(p.name for p in data.iterdir())
                modes = {p.name: mode(p) for p in data.iterdir()}
    assert files == [
        "beistand.db",
        "beistand.db-shm",
        "beistand.db-wal",
        "beistand.db.routes",
        "beistand.db.routes-shm",
        "beistand.db.routes-wal",
        "beistand.lock",
        "copy.db",
        "secret",
    ]
    assert mode(data) == 0o700
    assert modes == dict.fromkeys(files, 0o600)


async def test_a_database_elsewhere_gets_a_private_directory_too(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "deep" / "x.db"
    with umask(0o022):
        await make_db(db)
    assert mode(db.parent) == 0o700 and mode(db) == 0o600


async def test_a_loose_directory_and_database_are_tightened_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    db = data / "beistand.db"
    await make_db(db)
    os.chmod(data, 0o755)
    os.chmod(db, 0o644)
    with caplog.at_level(logging.WARNING):
        await make_db(db)
    assert mode(data) == 0o700 and mode(db) == 0o600
    tightened = [r for r in caplog.records if r.msg == "files.tightened"]
    assert sorted(r.__dict__["where"] for r in tightened) == sorted([str(data), str(db)])
    assert all(r.getMessage() == "files.tightened" for r in tightened)  # nothing else in it


async def test_a_shared_sticky_directory_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """BEISTAND_DB=/tmp/x.db must not chmod /tmp (the database itself is 0600 anyway)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with caplog.at_level(logging.WARNING):
        await make_db(shared / "x.db")
    assert mode(shared) == 0o1777 and mode(shared / "x.db") == 0o600
    assert [r.msg for r in caplog.records] == ["files.shared_directory"]


def test_private_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(Exception, match="is not a directory"):
        private_dir(tmp_path / "f")


# ------------------------------------------------------------------ one instance per data dir

HOLD = """
import sys
from pathlib import Path
from bot.ops.lock import InstanceLock
with InstanceLock(Path(sys.argv[1]), "run"):
    print("held", flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def holder(data: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the data directory's lock as `beistand run` does."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env_for(data),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc
    finally:
        proc.communicate(timeout=30)  # closes its stdin: the holder lets go and ends


def test_a_second_run_and_a_chat_are_refused_admin_commands_work(service: Path) -> None:
    asyncio.run(make_db(service / "beistand.db"))
    with holder(service) as proc:
        assert (service / LOCK_NAME).read_text() == f"{proc.pid}\nrun\n"
        expected = (
            f"beistand: another beistand run (pid {proc.pid}) is using {service}; stop it first\n"
        )
        second = beistand(service, "run", TELEGRAM_TOKEN="123456:fake-token-never-used-" + "x" * 24)
        assert (second.returncode, second.stderr) == (2, expected)
        chat = beistand(service, "chat", stdin="/start\n")
        assert (chat.returncode, chat.stderr) == (2, expected)
        listed = beistand(service, "contacts", "list")
        assert (listed.returncode, listed.stderr) == (0, "")
        copied = beistand(service, "backup", str(service.parent / "b.db"))
        assert copied.returncode == 0, copied.stderr
        with pytest.raises(InstanceLocked) as caught:
            InstanceLock(service).acquire()
        assert caught.value.pid == proc.pid
    with InstanceLock(service, "run") as lock:  # the holder ended: free again
        assert lock.held
    assert (service / LOCK_NAME).read_text() == ""


def test_a_running_chat_holds_the_lock_against_run(service: Path) -> None:
    """Two real `beistand` processes: a chat waiting for input, then `beistand run`."""
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=service.parent,
        env=env_for(service),
    )
    try:
        lock = service / LOCK_NAME
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().startswith(f"{chat.pid}\n")):
            assert time.monotonic() < deadline and chat.poll() is None
            time.sleep(0.05)
        run = beistand(service, "run", TELEGRAM_TOKEN="123456:fake-token-never-used-" + "x" * 24)
        assert run.returncode == 2
        assert run.stderr == (
            f"beistand: another beistand chat (pid {chat.pid}) is using {service}; stop it first\n"
        )
    finally:
        _out, err = chat.communicate("", timeout=60)
    assert chat.returncode == 0, err


# ------------------------------------------------------------------ refusals at open


def test_a_newer_schema_is_refused_and_left_alone(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = service / "beistand.db"
    asyncio.run(make_db(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)")
        conn.commit()
    assert main(["contacts", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"beistand: {db} has schema version 999, but this Beistand ("), err
    assert f"knows versions up to {KNOWN_VERSION}: it was written by a newer Beistand." in err
    assert err.rstrip().endswith(
        f"Run that version again, or {HINT} taken before the upgrade; the file was not changed"
    )
    assert "Traceback" not in err
    assert versions(db) == [*ALL_VERSIONS, 999]
    assert not list(service.glob("*.bak"))


def test_random_bytes_are_a_damaged_database(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service.mkdir(mode=0o700)
    db = service / "beistand.db"
    db.write_bytes(os.urandom(16384))  # 0644 under the test's umask: tightened first
    assert main(["contacts", "list"]) == 2
    first, last = capsys.readouterr().err.splitlines()
    assert first.endswith(f" WARNING bot.ops.files files.tightened where={db}")
    assert last == f"beistand: {db} is damaged (file is not a database); {HINT}"


def test_a_truncated_database_is_damaged(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = service / "beistand.db"
    asyncio.run(make_db(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.executemany(
            "INSERT INTO seen_events VALUES (?, ?)", [(os.urandom(32), i) for i in range(3000)]
        )
        conn.commit()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    assert main(["contacts", "list"]) == 2
    err = capsys.readouterr().err
    assert err == f"beistand: {db} is damaged (database disk image is malformed); {HINT}\n"


def test_broken_pages_fail_the_check_at_open_and_the_backup(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file SQLite opens whose pages are broken: found by ``quick_check`` at open (and by
    ``integrity_check`` in backup and restore), never a traceback later in the run."""
    db = service / "beistand.db"
    asyncio.run(make_db(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.executemany(
            "INSERT INTO seen_events VALUES (?, ?)", [(os.urandom(32), i) for i in range(3000)]
        )
        conn.commit()
    data = bytearray(db.read_bytes())
    data[4096 * 30 : 4096 * 30 + 200] = b"A" * 200  # page 31: an index page of seen_events
    db.write_bytes(bytes(data))
    assert main(["contacts", "list"]) == 2
    err = capsys.readouterr().err  # SQLite 3.40: "Page 31: btreeInitPage() returns error code 11"
    assert err.startswith(f"beistand: {db} is damaged (quick_check: Page ")
    assert err.endswith(f"); {HINT}\n") and err.count("\n") == 1
    assert main(["backup", str(tmp_path / "b.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"beistand: {db} is damaged (integrity_check: Page ")
    assert err.endswith(f"); {HINT}\n") and err.count("\n") == 1
    assert not (tmp_path / "b.db").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_empty_file_is_not_taken_as_a_new_database(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service.mkdir(mode=0o700)
    db = service / "beistand.db"
    db.touch()
    assert main(["contacts", "list"]) == 2
    assert capsys.readouterr().err == (
        f"beistand: {db} is empty (0 bytes), not a Beistand database; {HINT}, or delete the "
        "empty file to start with a new database\n"
    )
    assert db.stat().st_size == 0
    db.unlink()  # a path that does not exist is a new database (for the service, not contacts)

    async def first_start() -> None:
        async with SqliteStore(db):
            pass

    asyncio.run(first_start())
    assert main(["contacts", "list"]) == 0
    assert versions(db) == ALL_VERSIONS


def test_a_new_database_file_is_never_empty(tmp_path: Path) -> None:
    """Created under a temporary name and linked into place: a crash during the first start
    cannot leave the empty file that is refused at the next."""
    db = tmp_path / "new.db"
    with umask(0o000):
        assert prepare_file(db) is False
    assert db.stat().st_size > 0 and mode(db) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]
    assert prepare_file(db) is True


def test_another_programs_database_is_refused(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service.mkdir(mode=0o700)
    db = service / "beistand.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE photos (x)")
    assert main(["contacts", "list"]) == 2
    assert "is an SQLite database but not a Beistand database" in capsys.readouterr().err


async def test_migrating_an_older_database_keeps_a_copy_first(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        version, description, sql = MIGRATIONS[0]
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, description))
        conn.execute("INSERT INTO seen_events VALUES (?, 1)", (b"k" * 32,))
        conn.commit()
    os.chmod(db, 0o644)
    async with SqliteStore(db) as store:
        assert await store.versions() == ALL_VERSIONS
    copy = pre_migration_path(db, 1)
    assert copy.name == "old.db.pre-v1.bak"
    assert mode(copy) == 0o600
    assert versions(copy) == [1]
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM seen_events").fetchone() == (1,)
    # a current database and a new one are not copied
    async with SqliteStore(db):
        pass
    await make_db(tmp_path / "new.db")
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == ["old.db.pre-v1.bak"]


# ------------------------------------------------------------------ backup and restore


def _ask(actions: tuple[object, ...]) -> Ask:
    return next(a for a in actions if isinstance(a, Ask))


async def test_backup_during_a_conversation_and_restore_goes_on_from_there(
    service: Path, content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    db = service / "beistand.db"
    copy = service.parent / "backup.db"
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, SECRET.encode(), clock=FakeClock())
        menu = _ask(await runtime.handle(Incoming(ALICE, Start())))
        question = _ask(await runtime.handle(Incoming(ALICE, Choose(menu.turn, 0))))
        assert question.text == "Wie kam die Drohung?"
        land = _ask(await runtime.handle(Incoming(ALICE, Choose(question.turn, 1))))  # Brief
        assert land.text == "Welches Bundesland?"
        at_backup = await store.load(runtime.key(ALICE))
        assert (service / "beistand.db-wal").stat().st_size > 0  # the state is in the WAL
        assert main(["backup", str(copy)]) == 0  # beside the open store
        out = capsys.readouterr().out
        assert out == f"wrote {copy} ({copy.stat().st_size} bytes), a copy of {db}\n"
        assert mode(copy) == 0o600
        later = _ask(await runtime.handle(Incoming(ALICE, Choose(land.turn, 0))))
        assert later.text == "Weiter?"
        at_stop = await store.load(runtime.key(ALICE))
    assert at_stop is not None and at_backup is not None and at_stop.turn > at_backup.turn
    assert main(["restore", str(copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"restored {db} from {copy} (schema version {KNOWN_VERSION})"
    kept = Path(out[1].removeprefix("the replaced database is kept as "))
    assert kept.parent == service and kept.name.startswith("beistand.db.before-restore-")
    assert kept.name.endswith("Z") and mode(kept) == 0o600 and mode(db) == 0o600
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, SECRET.encode(), clock=FakeClock())
        assert await store.load(runtime.key(ALICE)) == at_backup
        # the conversation goes on from the backed-up question: its button is still valid
        reply = await runtime.handle(Incoming(ALICE, Choose(land.turn, 0)))
        assert [a.text for a in reply if isinstance(a, Say)][:1] == ["Erster Tipp."]
        assert _ask(reply).text == "Weiter?"
    async with SqliteStore(kept) as store:  # the replaced database, as it was at the stop
        assert await store.load(runtime.key(ALICE)) == at_stop


async def test_backup_refuses_to_overwrite_and_creates_no_database(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = service.parent / "b.db"
    assert main(["backup", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"beistand: {service / 'beistand.db'} does not exist: there is no ")
    assert not (service / "beistand.db").exists() and not target.exists()
    await make_db(service / "beistand.db")
    target.write_text("precious")
    assert main(["backup", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"beistand: {target} exists; choose another name, or pass --force to replace it\n"
    )
    assert target.read_text() == "precious"
    assert main(["backup", "--force", str(target)]) == 0
    assert versions(target) == ALL_VERSIONS and mode(target) == 0o600


def test_restore_is_refused_while_a_bot_holds_the_lock(
    service: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = service / "beistand.db"
    asyncio.run(make_db(db))
    assert main(["backup", str(service.parent / "b.db")]) == 0
    before = db.read_bytes()
    capsys.readouterr()
    with holder(service) as proc:
        assert main(["restore", str(service.parent / "b.db")]) == 2
        assert capsys.readouterr().err == (
            f"beistand: another beistand run (pid {proc.pid}) is using {service}; stop it first\n"
        )
    assert db.read_bytes() == before
    assert not list(service.glob("*before-restore*"))


async def test_restore_refuses_what_is_not_a_beistand_database(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = service / "beistand.db"
    await make_db(db)
    before = db.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    assert main(["restore", str(junk)]) == 2
    assert capsys.readouterr().err == (
        f"beistand: {junk} is not a usable Beistand database (file is not a database); "
        "nothing was changed\n"
    )
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE photos (x)")
    assert main(["restore", str(other)]) == 2
    assert "(no schema_migrations table); nothing was changed" in capsys.readouterr().err
    newer = tmp_path / "newer.db"
    await make_db(newer)
    with contextlib.closing(sqlite3.connect(newer)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)")
        conn.commit()
    assert main(["restore", str(newer)]) == 2
    assert capsys.readouterr().err.startswith(f"beistand: {newer} has schema version 999")
    (tmp_path / "empty.db").touch()
    assert main(["restore", str(tmp_path / "empty.db")]) == 2
    assert "is not a usable Beistand database (the file is empty)" in capsys.readouterr().err
    assert db.read_bytes() == before
    names = sorted(p.name for p in service.iterdir())
    assert names == ["beistand.db", "beistand.db.routes", LOCK_NAME]


CRASH = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("INSERT INTO seen_events VALUES (randomblob(32), 42)")
os._exit(0)  # a crash: the row is only in the -wal file
"""


def test_restore_moves_the_old_wal_with_the_old_database(service: Path, tmp_path: Path) -> None:
    """A -wal left by a crash belongs to the replaced file: kept with it, never replayed onto
    the restored one."""
    db = service / "beistand.db"
    asyncio.run(make_db(db))
    backup(db, tmp_path / "b.db")
    subprocess.run([sys.executable, "-c", CRASH, str(db)], check=True, timeout=60)
    assert (service / "beistand.db-wal").stat().st_size > 0
    assert main(["restore", str(tmp_path / "b.db")]) == 0
    assert sorted(p.name for p in service.iterdir() if "before-restore" not in p.name) == [
        "beistand.db",
        LOCK_NAME,
    ]
    (kept,) = service.glob("beistand.db.before-restore-*Z")
    assert (kept.with_name(kept.name + "-wal")).exists()
    with contextlib.closing(sqlite3.connect(kept)) as conn:  # complete with its WAL
        assert conn.execute("SELECT count(*) FROM seen_events WHERE seen_at=42").fetchone() == (1,)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM seen_events").fetchone() == (1,)
