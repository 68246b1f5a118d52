"""Access (issue 7, point 7; security.md, test 9): people who are not contact persons are refused
every contact action, invitations work once and not after they expire, and forged, replayed and
stale buttons change nothing. "Nothing changes" is checked on the whole database: every table is
dumped before and after and compared; refusals are logged without content."""

from __future__ import annotations

import random
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action, Ask, Say, Stale
from bot.engine.commands import CONTACT_COMMANDS
from bot.engine.events import Choose, Command, Start
from bot.render import parse_callback
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.modes import mode_text
from bot.storage.sqlite import SqliteStore
from testbed.scripts import Canaries, Explorer, find_consent
from tests.helpers import FakeClock
from tests.privacy.conftest import DebugLog

DAY = 86400
STRANGER = Sender("telegram", "4400000001", "de")
CONTACT = Sender("matrix", "@kontakt:example.org", "de")
USER = Sender("telegram", "4400000002", "de")


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the state a refusal must not change)."""
    connection = sqlite3.connect(db)
    try:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables
        }
    finally:
        connection.close()


def said(actions: tuple[Action, ...]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say | Stale))


@pytest.fixture
async def runtime(
    shipped: Content, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Runtime, Path, str]]:
    db = tmp_path / "access.db"
    async with SqliteStore(db) as store:
        runtime = Runtime(shipped, store, secrets.token_bytes(32), clock=clock, rate_limit=1000)
        sent: list[object] = []

        async def deliver(route: str, message: object, key: str) -> None:
            sent.append(message)

        for platform in ("telegram", "matrix"):
            runtime.register_channel(platform, deliver)
        invitation = await runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
        assert "registriert" in said(
            await runtime.handle(Incoming(CONTACT, Command("register", invitation)))
        )
        root, path = await find_consent(shipped)
        explorer = Explorer(runtime, shipped, Canaries(), random.Random(1))
        prompt = await explorer.reach(USER, root, path)
        await runtime.handle(Incoming(USER, Choose(prompt.turn, 0)))
        await runtime.handoff.deliver_due()
        state = await store.load(runtime.key(USER))
        assert state is not None
        yield runtime, db, mode_text(state.mode).removeprefix("case:")


@pytest.mark.parametrize("command", sorted(CONTACT_COMMANDS - {"register"}))
async def test_a_stranger_is_refused_every_contact_command(
    runtime, command: str, debug_log: DebugLog
):
    runtime_, db, code = runtime
    before = dump(db)
    for argument in (code, None, "", "X" * 300, f"{code} {code}"):
        replies = await runtime_.handle(Incoming(STRANGER, Command(command, argument)))
        assert "nur für registrierte Ansprechpersonen" in said(replies)
    # a forged "claim" button is the same command
    forged = parse_callback(f"claim:{code}")
    assert forged == Command("claim", code)
    await runtime_.handle(Incoming(STRANGER, forged))
    assert dump(db) == before
    log = debug_log.text()
    assert "contact.refused" in log
    assert code not in log


async def test_the_user_of_a_case_cannot_act_as_its_contact(runtime):
    runtime_, db, code = runtime
    before = dump(db)
    for command in ("claim", "close", "abuse"):
        replies = await runtime_.handle(Incoming(USER, Command(command, code)))
        assert "nur für registrierte" in said(replies)
    assert dump(db) == before


async def test_invitations_work_once_and_expire(runtime, clock: FakeClock):
    runtime_, db, _code = runtime
    invitation = await runtime_.handoff.invite("Zweite Person", ["BY"], ["threat"])
    first = Sender("telegram", "4400000003", "de")
    second = Sender("telegram", "4400000004", "de")
    for wrong in ("", "AAAA-BBBB-CCCC", invitation.lower() + "x", None):
        before = dump(db)
        assert "ungültig" in said(
            await runtime_.handle(Incoming(first, Command("register", wrong)))
        )
        assert dump(db) == before
    assert "registriert" in said(
        await runtime_.handle(Incoming(first, Command("register", invitation)))
    )
    before = dump(db)
    assert "ungültig" in said(
        await runtime_.handle(Incoming(second, Command("register", invitation)))
    )
    assert dump(db) == before  # replayed
    late = await runtime_.handoff.invite("Dritte Person", ["BE"], ["all"])
    clock.advance(8 * DAY)
    before = dump(db)
    assert "ungültig" in said(await runtime_.handle(Incoming(second, Command("register", late))))
    assert dump(db) == before  # expired


async def test_a_contact_cannot_take_a_case_twice_or_one_that_is_gone(runtime):
    runtime_, db, code = runtime
    assert "übernommen" in said(await runtime_.handle(Incoming(CONTACT, Command("claim", code))))
    before = dump(db)
    assert "bereits übernommen" in said(
        await runtime_.handle(Incoming(CONTACT, Command("claim", code)))
    )
    for unknown in ("ZZZZ-ZZ", "", f"{code}X", "'; DROP TABLE cases; --"):
        replies = await runtime_.handle(Incoming(CONTACT, Command("claim", unknown)))
        assert "gibt es für Sie nicht" in said(replies)
    assert dump(db) == before


async def test_forged_replayed_and_stale_buttons_change_nothing(runtime):
    runtime_, db, _code = runtime
    person = Sender("telegram", "4400000005", "de")
    old = [a for a in await runtime_.handle(Incoming(person, Start())) if isinstance(a, Ask)][-1]
    assert await runtime_.handle(Incoming(person, Choose(old.turn, 0)))
    before = dump(db)
    forgeries = ("", "x", "1", "1.", ".1", "-1.0", "99999999999999999999.0", "1.2.3", "claim:")
    for data in (*forgeries, "1.¹", "².0"):
        choice = parse_callback(data)
        if choice is not None:  # whatever decodes goes to the runtime, as the transports do
            await runtime_.handle(Incoming(person, choice))
    replayed = await runtime_.handle(Incoming(person, Choose(old.turn, 0)))
    assert [type(a) for a in replayed] == [Stale]
    forged = await runtime_.handle(Incoming(person, Choose(old.turn + 1000, 0)))
    assert [type(a) for a in forged] == [Stale]
    assert dump(db) == before
