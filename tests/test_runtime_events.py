"""The runtime's event ids and case lookups: an update id is recorded in its step's transaction,
a case lookup and a case code only where they can matter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.engine.events import Command, Start
from bot.handoff import rules
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock
from tests.test_handoff import open_case, tap, to_consent

SECRET = b"e" * 32
ALICE = Sender("telegram", "5151", "de")


@pytest.fixture
async def runtime(content: Content, tmp_path: Path) -> Runtime:
    async with SqliteStore(tmp_path / "e.db") as store:
        yield Runtime(content, store, SECRET, clock=FakeClock(), rate_limit=1000)  # type: ignore[misc]


def counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[tuple[Any, ...]]:
    """Record the calls of ``owner.name`` (still calling it)."""
    calls: list[tuple[Any, ...]] = []
    original: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


async def test_a_redelivery_while_the_first_is_handled_is_dropped(runtime: Runtime) -> None:
    first, again = await asyncio.gather(
        runtime.handle(Incoming(ALICE, Start(), event_id="7")),
        runtime.handle(Incoming(ALICE, Start(), event_id="7")),
    )
    assert first != () and again == ()
    state = await runtime.store.load(runtime.key(ALICE))
    assert state is not None and state.turn == 1


async def test_a_redelivery_after_a_restart_changes_nothing(
    content: Content, tmp_path: Path
) -> None:
    async with SqliteStore(tmp_path / "r.db") as store:
        first = Runtime(content, store, SECRET, clock=FakeClock())
        await first.handle(Incoming(ALICE, Start(), event_id="20"))
        await first.handle(Incoming(ALICE, Command("help"), event_id="21"))
        before = await store.load(first.key(ALICE))
    async with SqliteStore(tmp_path / "r.db") as store:
        second = Runtime(content, store, SECRET, clock=FakeClock())
        assert await second.handle(Incoming(ALICE, Start(), event_id="21")) == ()
        assert await store.load(second.key(ALICE)) == before
        assert await second.handle(Incoming(ALICE, Start(), event_id="22")) != ()


async def test_the_event_id_is_recorded_only_with_its_step(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = runtime.store
    assert isinstance(store, SqliteStore)
    original = store.save

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(store, "save", failing)
    with pytest.raises(OSError, match="disk gone"):
        await runtime.handle(Incoming(ALICE, Start(), event_id="8"))
    assert not await store.was_seen(runtime.event_key("telegram", "8"))
    monkeypatch.setattr(store, "save", original)
    assert await runtime.handle(Incoming(ALICE, Start(), event_id="8")) != ()  # handled now
    assert await store.was_seen(runtime.event_key("telegram", "8"))
    rows = await store.db.execute_fetchall("SELECT count(*) FROM seen_events")
    assert list(rows) == [(1,)]  # one write: the step's own transaction


async def test_an_unchanged_step_still_records_its_event_id(runtime: Runtime) -> None:
    await runtime.handle(Incoming(ALICE, Start(), event_id="9"))
    await runtime.handle(Incoming(ALICE, Command("help"), event_id="10"))
    await runtime.handle(Incoming(ALICE, Command("help"), event_id="11"))
    for event_id in ("9", "10", "11"):
        assert await runtime.store.was_seen(runtime.event_key("telegram", event_id))
    assert await runtime.handle(Incoming(ALICE, Command("help"), event_id="11")) == ()


async def test_no_case_lookup_and_no_code_for_users_who_never_had_a_case(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = counting(monkeypatch, runtime.store, "standing")
    codes = counting(monkeypatch, rules, "new_code")
    actions = await runtime.handle(Incoming(ALICE, Start("demo")))
    await tap(runtime, ALICE, actions, "Online")
    assert lookups == [] and codes == []


async def test_at_the_consent_question_one_lookup_and_a_code(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    consent = await to_consent(runtime, ALICE)
    lookups = counting(monkeypatch, runtime.store, "standing")
    codes = counting(monkeypatch, rules, "new_code")
    await tap(runtime, ALICE, consent, "Ja, über diesen Chat weitergeben")
    assert len(lookups) == 1 and len(codes) == 1


async def test_a_user_with_a_case_costs_one_lookup_per_message(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await open_case(runtime, ALICE)
    lookups = counting(monkeypatch, runtime.store, "standing")
    codes = counting(monkeypatch, rules, "new_code")
    replies = await runtime.handle(Incoming(ALICE, Command("help")))
    assert len(lookups) == 1 and codes == []
    assert any(code in getattr(a, "text", "") for a in replies)  # the open case is known
