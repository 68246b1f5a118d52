"""The async runtime: keys, locks, limits, persistence, reload."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import shutil
import signal
from pathlib import Path

import pytest

from bot.app import install_reload
from bot.config import Settings
from bot.content import Content, ContentPaths
from bot.engine.actions import Ask, Say
from bot.engine.events import Choose, Command, Start, Text
from bot.runtime import Runtime, pseudonym
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.conftest import BASIC
from tests.helpers import FakeClock

SECRET = b"s" * 32
ALICE = Sender("telegram", "4242", "de")


@pytest.fixture
async def runtime(content: Content, tmp_path: Path) -> Runtime:
    async with SqliteStore(tmp_path / "r.db") as store:
        yield Runtime(content, store, SECRET, clock=FakeClock())  # type: ignore[misc]


def test_pseudonym_is_hmac_of_platform_and_id() -> None:
    expected = hmac.new(SECRET, b"telegram|4242", hashlib.sha256).digest()
    assert pseudonym(SECRET, "telegram", "4242") == expected
    assert pseudonym(SECRET, "matrix", "4242") != expected
    assert pseudonym(b"t" * 32, "telegram", "4242") != expected


async def test_conversation_survives_a_new_runtime(content: Content, tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "p.db") as store:
        first = Runtime(content, store, SECRET)
        actions = await first.handle(Incoming(ALICE, Start()))
        prompt = next(a for a in actions if isinstance(a, Ask))
        await first.handle(Incoming(ALICE, Choose(prompt.turn, 0)))
    async with SqliteStore(tmp_path / "p.db") as store:
        second = Runtime(content, store, SECRET)
        state = await store.load(second.key(ALICE))
        assert state is not None and state.flow == "demo"
        raw = (tmp_path / "p.db").read_bytes() + (tmp_path / "p.db-wal").read_bytes()
        assert b"4242" not in raw


async def test_users_are_isolated(runtime: Runtime) -> None:
    bob = Sender("telegram", "777", "en")
    await runtime.handle(Incoming(ALICE, Start()))
    await runtime.handle(Incoming(bob, Start()))
    await runtime.handle(Incoming(ALICE, Text("1")))
    alice_state = await runtime.store.load(runtime.key(ALICE))
    bob_state = await runtime.store.load(runtime.key(bob))
    assert alice_state is not None and alice_state.flow == "demo"
    assert bob_state is not None and bob_state.flow == "menu" and bob_state.locale == "en"


async def test_concurrent_events_of_one_user_are_serialized(runtime: Runtime) -> None:
    await runtime.handle(Incoming(ALICE, Start()))
    results = await asyncio.gather(
        *(runtime.handle(Incoming(ALICE, Command("help"))) for _ in range(8))
    )
    turns = sorted(next(a for a in r if isinstance(a, Ask)).turn for r in results)
    assert turns == list(range(2, 10))  # every step saw the previous one's state
    assert len(runtime.locks) == 0  # no lock left behind


async def test_flood_is_limited_before_writing(runtime: Runtime) -> None:
    replies = [await runtime.handle(Incoming(ALICE, Text("x"))) for _ in range(14)]
    limited = replies[10:]
    assert isinstance(limited[0][0], Say) and "langsamer" in limited[0][0].text
    assert all(r == () for r in limited[1:])
    runtime.clock.now += 10  # type: ignore[attr-defined]
    assert await runtime.handle(Incoming(ALICE, Text("x"))) != ()


async def test_limited_tells_without_using_anything_up(runtime: Runtime) -> None:
    assert not runtime.limited(ALICE)
    for _ in range(10):
        await runtime.handle(Incoming(ALICE, Text("x")))
    assert runtime.limited(ALICE)
    runtime.clock.now += 1.0  # type: ignore[attr-defined]  # one message's worth refilled
    assert not runtime.limited(ALICE)
    assert not runtime.limited(ALICE)  # asking twice used nothing up
    assert await runtime.handle(Incoming(ALICE, Text("x"))) != ()
    assert runtime.limited(ALICE)


async def test_delete_erases_the_row(runtime: Runtime) -> None:
    await runtime.handle(Incoming(ALICE, Start()))
    assert await runtime.store.load(runtime.key(ALICE)) is not None
    await runtime.handle(Incoming(ALICE, Command("delete")))
    assert await runtime.store.load(runtime.key(ALICE)) is None


async def test_a_redelivered_event_id_is_handled_once(runtime: Runtime) -> None:
    first = await runtime.handle(Incoming(ALICE, Start(), event_id="100"))
    assert first != ()
    assert await runtime.handle(Incoming(ALICE, Start(), event_id="100")) == ()
    state = await runtime.store.load(runtime.key(ALICE))
    assert state is not None and state.turn == 1  # the repeat changed nothing
    assert await runtime.handle(Incoming(ALICE, Command("help"), event_id="101")) != ()


async def test_an_event_of_a_flooding_sender_costs_no_dedup_write(runtime: Runtime) -> None:
    for n in range(10):
        await runtime.handle(Incoming(ALICE, Text("x"), event_id=f"f{n}"))
    refused = await runtime.handle(Incoming(ALICE, Text("x"), event_id="refused"))
    assert len(refused) == 1 and "langsamer" in refused[0].text  # type: ignore[union-attr]
    rows = await runtime.store.db.execute_fetchall("SELECT count(*) FROM seen_events")
    assert list(rows) == [(10,)]  # the refused event's id was not remembered
    runtime.clock.now += 10  # type: ignore[attr-defined]
    assert await runtime.handle(Incoming(ALICE, Text("x"), event_id="refused")) != ()


async def test_first_time_dedups_event_ids(runtime: Runtime) -> None:
    assert await runtime.first_time("telegram", "100")
    assert not await runtime.first_time("telegram", "100")
    assert await runtime.first_time("matrix", "100")


async def test_purge_uses_retention(runtime: Runtime) -> None:
    await runtime.handle(Incoming(ALICE, Start()))
    runtime.clock.now += 29 * 86400  # type: ignore[attr-defined]
    assert await runtime.purge() == 0
    runtime.clock.now += 2 * 86400  # type: ignore[attr-defined]
    assert await runtime.purge() == 1


async def test_counters_by_outcome(runtime: Runtime) -> None:
    await runtime.handle(Incoming(ALICE, Start()))
    await runtime.handle(Incoming(ALICE, Command("emergency")))
    rows = await runtime.store.counters()
    assert [(r.topic, r.land, r.region, r.outcome, r.count) for r in rows] == [
        ("none", "none", "none", "emergency_shown", 1)
    ]


def _copy(tmp_path: Path) -> ContentPaths:
    for part in ("flows", "knowledge", "locales"):
        shutil.copytree(BASIC / part, tmp_path / part)
    return ContentPaths(tmp_path / "flows", tmp_path / "knowledge", tmp_path / "locales")


async def test_reload_switches_only_to_valid_content(runtime: Runtime, tmp_path: Path) -> None:
    paths = _copy(tmp_path / "c")
    menu = paths.flows / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace("Guten Tag.", "Hallo neu."), "utf-8")
    assert not [p for p in runtime.reload(paths) if p.severity == "error"]
    assert "Hallo neu." in str(await runtime.handle(Incoming(ALICE, Start())))
    menu.write_text("id: menu\nnodes: [kaputt\n", encoding="utf-8")
    problems = runtime.reload(paths)
    assert any(p.severity == "error" for p in problems)
    assert "Hallo neu." in str(await runtime.handle(Incoming(ALICE, Start())))  # old content kept


async def test_sighup_reloads(runtime: Runtime, tmp_path: Path) -> None:
    paths = _copy(tmp_path / "c")
    settings = Settings(
        data_dir=tmp_path,
        flows_dir=paths.flows,
        knowledge_dir=paths.knowledge,
        locales_dir=paths.locales,
    )
    assert settings.content == paths
    install_reload(runtime, settings)
    try:
        menu = paths.flows / "menu.yaml"
        menu.write_text(menu.read_text("utf-8").replace("Guten Tag.", "Nach SIGHUP."), "utf-8")
        before = runtime.content
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(100):
            await asyncio.sleep(0.01)
            if runtime.content is not before:
                break
        assert "Nach SIGHUP." in str(await runtime.handle(Incoming(ALICE, Start())))
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


def test_handoff_settings_come_from_the_environment(tmp_path: Path) -> None:
    from bot.runtime import runtime_for

    settings = Settings.from_env(
        {
            "BEISTAND_ESCALATE_HIGH": "3",
            "BEISTAND_CASES_PER_DAY": "1",
            "BEISTAND_ABUSE_BLOCK_DAYS": "2",
            "BEISTAND_CASE_RETENTION_DAYS": "5",
        }
    )

    async def build() -> None:
        async with SqliteStore(tmp_path / "s.db") as store:
            runtime = runtime_for(settings, None, store, SECRET)  # type: ignore[arg-type]
            handoff = runtime.handoff.settings
            assert handoff.escalate_minutes == {"high": 3, "normal": 60, "low": 240}
            assert (handoff.cases_per_day, handoff.abuse_block_days) == (1, 2)
            assert handoff.case_retention_days == 5

    asyncio.run(build())


def test_bad_numbers_in_settings_are_refused() -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="BEISTAND_ESCALATE_LOW must be a whole number"):
        Settings.from_env({"BEISTAND_ESCALATE_LOW": "soon"})
