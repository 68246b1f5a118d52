"""The daily case limit and abuse blocks under random steps (issue 17, item 1).

One user against the real runtime over a SQLite file: reaching the consent question and saying
yes or no, ``/loeschen``, a contact person closing the case or ending it as abuse, restarts (the
store closed and opened again, a new runtime: no cache survives), purges and time passing. The
invariants: never more cases in a day than ``cases_per_day``, and no case while a block holds.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bot.content import Content, load_content
from bot.engine.actions import Action, Say
from bot.engine.events import Command
from bot.handoff import HandoffSettings
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.conftest import basic_paths
from tests.helpers import FakeClock, RecordingChannel
from tests.test_handoff import USER, tap, to_consent

pytestmark = pytest.mark.fuzz

SECRET = b"f" * 32
CONTACT = Sender("matrix", "@kontakt:x", "de", route="room-kontakt")
PER_DAY = 3
BLOCK_DAYS = 30
LOADED, _ = load_content(basic_paths())
assert LOADED is not None
CONTENT: Content = LOADED


class LimitMachine(RuleBasedStateMachine):
    """One user trying to open cases; the model keeps when cases opened and blocks began."""

    steps = 0
    rules_run = 0
    opened_total = 0
    refused_total = 0

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="limits-"))
        self.db = self.dir / "l.db"
        self.clock = FakeClock()
        self.store: SqliteStore | None = None
        self.runtime = self.run(self.start())
        code = self.run(self.runtime.handoff.invite("Kontakt", ["DE"], ["all"]))
        self.run(self.runtime.handle(Incoming(CONTACT, Command("register", code))))
        self.opens: list[float] = []
        self.blocks: list[tuple[float, float]] = []

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    async def start(self) -> Runtime:
        self.store = SqliteStore(self.db)
        await self.store.open()
        handoff = HandoffSettings(cases_per_day=PER_DAY, abuse_block_days=BLOCK_DAYS)
        runtime = Runtime(
            CONTENT, self.store, SECRET, clock=self.clock, rate_limit=10**6, handoff=handoff
        )
        for platform in ("telegram", "matrix"):
            runtime.register_channel(platform, RecordingChannel(platform))
        return runtime

    def teardown(self) -> None:
        if self.store is not None:
            self.run(self.store.close())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, sender: Sender, command: Command) -> tuple[Action, ...]:
        LimitMachine.steps += 1
        return self.run(self.runtime.handle(Incoming(sender, command)))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        assert self.store is not None
        return [tuple(r) for r in self.run(self.store.db.execute_fetchall(sql))]

    def open_code(self) -> str | None:
        """The user's open or claimed case (there is only one user)."""
        found = self.query("SELECT code FROM cases WHERE status IN ('open', 'claimed')")
        return str(found[0][0]) if found else None

    def opened_count(self) -> int:
        return int(self.query("SELECT count(*) FROM audit WHERE event='case.opened'")[0][0])

    # -------------------------------------------------------------- steps

    @rule(yes=st.booleans())
    def consent(self, yes: bool) -> None:
        """Reach the consent question and answer it; a "yes" may open a case."""
        LimitMachine.steps += 1
        if self.open_code() is not None:
            return  # in a case: /start would ask first (the case state machine's business)
        before = self.opened_count()
        actions = self.run(to_consent(self.runtime))
        label = "Ja, über diesen Chat weitergeben" if yes else "Nein, danke"
        replies = self.run(tap(self.runtime, USER, actions, label))
        if self.opened_count() > before:
            assert yes, "a case was opened without consent"
            self.opens.append(self.clock())
            LimitMachine.opened_total += 1
        elif yes:
            said = " ".join(a.text for a in replies if isinstance(a, Say))
            assert "nicht möglich" in said, said
            LimitMachine.refused_total += 1

    @rule()
    def delete(self) -> None:
        self.send(USER, Command("delete"))

    @rule(then=st.sampled_from(("delete", "close", "abuse", "restart")))
    def hand_over_then(self, then: str) -> None:
        """The loop of the issue: consent, then erase (or a close, or a restart) at once."""
        self.consent(True)
        match then:
            case "delete":
                self.delete()
            case "restart":
                self.restart()
            case _:
                self.contact_ends(then)

    @rule(how=st.sampled_from(("close", "abuse")))
    def contact_ends(self, how: str) -> None:
        code = self.open_code()
        if code is None:
            return
        self.send(CONTACT, Command("claim", code))
        replies = self.send(CONTACT, Command(how, code))
        if how == "abuse" and "Missbrauch" in " ".join(
            a.text for a in replies if isinstance(a, Say)
        ):
            now = self.clock()
            self.blocks.append((now, now + BLOCK_DAYS * 86400))

    @rule()
    def restart(self) -> None:
        assert self.store is not None
        self.run(self.store.close())
        self.runtime = self.run(self.start())

    @rule()
    def purge(self) -> None:
        self.run(self.runtime.purge())

    @rule(hours=st.sampled_from((1, 5, 20, 25, 24 * 8, 24 * 31)))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours * 3600)

    # -------------------------------------------------------------- invariants

    @invariant()
    def never_more_than_the_daily_limit(self) -> None:
        LimitMachine.rules_run += 1
        for at in self.opens:
            in_window = [t for t in self.opens if at - 86400 < t <= at]
            assert len(in_window) <= PER_DAY, f"{len(in_window)} cases within a day"

    @invariant()
    def no_case_while_blocked(self) -> None:
        for at in self.opens:
            for began, until in self.blocks:
                assert not began < at < until, "a case was opened while blocked"


def test_limit_state_machine() -> None:
    LimitMachine.steps = LimitMachine.rules_run = 0
    LimitMachine.opened_total = LimitMachine.refused_total = 0
    run_state_machine_as_test(
        LimitMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    print(
        f"limit state machine: {LimitMachine.rules_run} steps, {LimitMachine.steps} events, "
        f"{LimitMachine.opened_total} cases opened, {LimitMachine.refused_total} refused"
    )
    assert LimitMachine.opened_total > PER_DAY
    assert LimitMachine.refused_total > 0


def test_the_limit_invariants_are_not_blind() -> None:
    machine = LimitMachine()
    try:
        machine.opens = [0.0, 10.0, 20.0, 30.0]
        with pytest.raises(AssertionError, match="within a day"):
            machine.never_more_than_the_daily_limit()
        machine.opens, machine.blocks = [50.0], [(40.0, 100.0)]
        with pytest.raises(AssertionError, match="while blocked"):
            machine.no_case_while_blocked()
    finally:
        machine.teardown()
