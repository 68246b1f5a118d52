"""Stateful tests: the pure engine under random events, and the handoff under random users and
contact persons (security.md, test 6).

Engine invariants: the state always points at an existing flow and node; the turn never goes back
(except that erasing starts a new conversation); a stale or forged button changes nothing; a case
is opened only from the consent question, by its first answer; a case mode always names a case
that was opened.

Handoff invariants, through the runtime and its store: no case, no notification and no outbox row
without the user's consent; at most one contact person wins a case, also when all claim at once;
relayed text reaches only the owner of the case.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.content import Content, ContentPaths, require_content
from bot.engine import intent
from bot.engine.actions import Action, Ask, CloseCase, OpenCase, Say, Stale
from bot.engine.events import COMMANDS, Choose, Command, Event, Start, Text, Unsupported
from bot.engine.state import CaseContext, Consenting, InCase, State
from bot.engine.step import step
from bot.render import Outgoing
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from testbed.scripts import Canaries, Explorer, find_consent
from tests.helpers import FakeClock, RecordingChannel

pytestmark = pytest.mark.fuzz

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CONTENT: Content = require_content(ContentPaths())
WORDS = (
    "1",
    "2",
    "3",
    "9",
    "0",
    "ja",
    "nein",
    "Bayern",
    "Hilfe",
    "hilfe!",
    "zurück",
    "neustart",
    "sprache",
    "Ich werde bedroht",
    "Hass im Netz",
    "Er steht mit einem Messer vor der Tür",
    "English",
    "Deutsch",
    "<b>x</b>",
    "",
    "   ",
)


@pytest.mark.parametrize(
    ("typed", "locale"), [("loeschen", "de"), ("Loeschen!", "de"), ("delete", "en")]
)
def test_typing_the_delete_word_points_to_the_command(typed, locale):
    menu = CONTENT.flows[CONTENT.entry]
    state = State(menu.id, menu.start, locale=locale, turn=1)
    result = step(CONTENT, state, Text(typed), NOW, locale, CaseContext())
    assert not result.erase, "erasing needs the command itself"
    assert result.state is not None
    assert any("/" in a.text for a in result.actions if isinstance(a, Say))


class EngineMachine(RuleBasedStateMachine):
    """One conversation through ``step``, with the runtime's case bookkeeping simulated."""

    steps = 0  # events applied, over all examples (reported by the test)

    def __init__(self) -> None:
        super().__init__()
        self.state: State | None = None
        self.prompts: list[Ask] = []
        self.locale: str | None = "de"
        self.open_code: str | None = None
        self.claimed = False
        self.opened: set[str] = set()
        self.serial = 0

    def context(self) -> CaseContext:
        if self.open_code is not None:
            return CaseContext(code=self.open_code, claimed=self.claimed)
        self.serial += 1
        return CaseContext(new_code=f"TEST-{self.serial:02d}")

    def apply(self, event: Event) -> tuple[Action, ...]:
        EngineMachine.steps += 1
        before = self.state
        result = step(CONTENT, before, event, NOW, self.locale, self.context())
        actions = result.actions
        if result.erase:
            assert result.state is None
            assert isinstance(event, Command) and event.name == "delete"
        else:
            assert result.state is not None
        if before is not None and any(isinstance(a, Stale) for a in actions):
            assert result.state == before, "a stale or forged button changed the state"
            assert all(isinstance(a, Stale) for a in actions)
        if before is not None and result.state is not None:
            assert result.state.turn >= before.turn, "the turn went back"
        for action in actions:
            if isinstance(action, OpenCase):
                assert before is not None and before.mode == Consenting(), "a case without consent"
                assert self.open_code is None
                self.open_code, self.claimed = action.code, False
                self.opened.add(action.code)
            elif isinstance(action, CloseCase):
                assert action.code in self.opened
                if action.code == self.open_code:
                    self.open_code = None
        if result.erase:
            self.open_code = None  # the runtime closes the case in the same transaction
        self.state = result.state
        asks = [a for a in actions if isinstance(a, Ask)]
        if asks:
            self.prompts.append(asks[-1])
        return actions

    @initialize(payload=st.sampled_from((None, "menu", "nope", *sorted(CONTENT.flows))))
    def begin(self, payload: str | None) -> None:
        self.apply(Start(payload))

    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        if not self.prompts:
            return
        prompt = self.prompts[-1]
        index = data.draw(st.integers(0, len(prompt.options) - 1))
        self.apply(Choose(prompt.turn, index))

    @rule(data=st.data())
    def answer_an_old_question(self, data: st.DataObject) -> None:
        if len(self.prompts) < 2:
            return
        prompt = data.draw(st.sampled_from(self.prompts[:-1]))
        if self.state is not None and prompt.turn == self.state.turn:
            return
        actions = self.apply(Choose(prompt.turn, data.draw(st.integers(0, 5))))
        if self.state is not None:
            assert any(isinstance(a, Stale) for a in actions)

    @rule(turn=st.integers(-5, 10**9), index=st.integers(-5, 50))
    def forged_button(self, turn: int, index: int) -> None:
        before = self.state
        actions = self.apply(Choose(turn, index))
        if before is not None and turn != before.turn:
            assert [type(a) for a in actions] == [Stale]

    @rule(data=st.data())
    def type_text(self, data: st.DataObject) -> None:
        labels = [o.label for o in self.prompts[-1].options] if self.prompts else []
        self.apply(Text(data.draw(st.sampled_from((*WORDS, *labels)))))

    @rule(name=st.sampled_from(COMMANDS), argument=st.sampled_from((None, "en", "de", "xx")))
    def command(self, name: str, argument: str | None) -> None:
        self.apply(Command(name, argument))

    @rule(payload=st.sampled_from((None, "bedrohung", "hass", "CNRY-x", "../../etc")))
    def start(self, payload: str | None) -> None:
        self.apply(Start(payload))

    @rule()
    def media(self) -> None:
        self.apply(Unsupported("photo"))

    @rule(locale=st.sampled_from(("de", "en", "fr", None)))
    def platform_language(self, locale: str | None) -> None:
        self.locale = locale

    @precondition(lambda self: self.open_code is not None)
    @rule()
    def contact_claims(self) -> None:
        self.claimed = True

    @precondition(lambda self: self.open_code is not None)
    @rule()
    def contact_closes(self) -> None:
        self.open_code = None

    @invariant()
    def points_at_an_existing_node(self) -> None:
        if self.state is not None:
            flow = CONTENT.flows.get(self.state.flow)
            assert flow is not None
            assert self.state.node in flow.nodes

    @invariant()
    def case_mode_names_an_opened_case(self) -> None:
        if self.state is not None and isinstance(self.state.mode, InCase):
            assert self.state.mode.code in self.opened


def test_engine_state_machine():
    EngineMachine.steps = 0
    run_state_machine_as_test(
        EngineMachine,
        settings=settings(
            max_examples=320,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    print(f"engine state machine: {EngineMachine.steps} events")
    assert EngineMachine.steps >= 8_000


# ------------------------------------------------------------------------------ the handoff

SUCCESS = "Was Sie hier schreiben"  # only in the answer to a claim that won


class HandoffMachine(RuleBasedStateMachine):
    """Users and contact persons against the real runtime and an in-memory store."""

    consent: tuple[str | None, tuple[int, ...]] = (None, ())
    rules_run = 0
    cases_seen = 0

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.channels = {p: RecordingChannel(p) for p in ("telegram", "matrix")}
        self.store = SqliteStore(":memory:")
        self.run(self.store.open())
        self.runtime = Runtime(
            CONTENT, self.store, secrets.token_bytes(32), clock=self.clock, rate_limit=10**6
        )
        for platform, channel in self.channels.items():
            self.runtime.register_channel(platform, channel)
        self.users = [Sender("telegram", f"77000000000{i}", "de") for i in range(3)]
        self.contacts = [
            Sender("telegram", "880000000001", "de"),
            Sender("matrix", "@kontakt2:example.org", "de"),
            Sender("telegram", "880000000003", "en"),
        ]
        for contact in self.contacts:
            code = self.run(self.runtime.handoff.invite("Kontakt", ["DE"], ["all"]))
            self.run(self.runtime.handle(Incoming(contact, Command("register", code))))
        self.consented: set[str] = set()
        self.winners: dict[str, set[str]] = {}
        self.explorer = Explorer(self.runtime, CONTENT, Canaries(), random.Random(0))

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def sent(self) -> list[tuple[str, Outgoing, str]]:
        return [item for channel in self.channels.values() for item in channel.sent]

    def teardown(self) -> None:
        HandoffMachine.cases_seen += len(self.consented)
        self.run(self.store.close())
        self.loop.close()

    def state_of(self, user: Sender) -> State | None:
        return self.run(self.store.load(self.runtime.key(user)))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        return list(self.run(self.store.db.execute_fetchall(sql)))

    # -------------------------------------------------------------- users

    @rule(user=st.integers(0, 2))
    def user_reaches_consent(self, user: int) -> None:
        root, path = self.consent
        before = set(self.query_codes())
        self.run(self.explorer.reach(self.users[user], root, path))
        assert set(self.query_codes()) == before, "reaching the consent question opened a case"

    def act(self, user: Sender, event: Event) -> None:
        """Run a user's event; a case it opens must come from the first consent answer."""
        state = self.state_of(user)
        before = set(self.query_codes())
        self.run(self.runtime.handle(Incoming(user, event)))
        new = set(self.query_codes()) - before
        if not new:
            return
        assert state is not None and state.mode == Consenting(), "a case was opened without consent"
        first = intent.normalize(
            CONTENT.catalogs.translator(state.locale).gettext("Ja, über diesen Chat weitergeben")
        )
        match event:
            case Choose(turn=turn, index=index):
                assert (turn, index) == (state.turn, 0), "only the first answer hands over"
            case Text(text=text):
                typed = intent.normalize(text).rstrip(".!?)")
                assert typed == "1" or (len(typed) >= 3 and first.startswith(typed)), text
            case _:
                raise AssertionError(f"{event!r} opened a case")
        self.consented |= new

    @rule(user=st.integers(0, 2))
    def user_hands_over(self, user: int) -> None:
        """Straight to the consent question and the first answer."""
        self.user_reaches_consent(user)
        self.user_answers_consent(user, 0)

    @rule(user=st.integers(0, 2), index=st.integers(0, 3))
    def user_answers_consent(self, user: int, index: int) -> None:
        state = self.state_of(self.users[user])
        if state is not None and state.mode == Consenting():
            self.act(self.users[user], Choose(state.turn, index))

    def query_codes(self) -> list[str]:
        return [str(r[0]) for r in self.query("SELECT code FROM cases")]

    @rule(user=st.integers(0, 2), text=st.sampled_from((*WORDS, "Ja, über")))
    def user_types(self, user: int, text: str) -> None:
        self.act(self.users[user], Text(text))

    @rule(user=st.integers(0, 2))
    def user_ends_case(self, user: int) -> None:
        for _ in range(2):  # "end case", then "yes, end it"
            state = self.state_of(self.users[user])
            if state is not None and isinstance(state.mode, InCase):
                self.act(self.users[user], Choose(state.turn, 0))

    @rule(user=st.integers(0, 2))
    def user_deletes(self, user: int) -> None:
        self.act(self.users[user], Command("delete"))

    @rule(user=st.integers(0, 2), payload=st.sampled_from((None, "bedrohung")))
    def user_starts(self, user: int, payload: str | None) -> None:
        self.act(self.users[user], Start(payload))

    # -------------------------------------------------------------- contacts

    def codes(self, data: st.DataObject) -> str:
        known = sorted(self.consented)
        return data.draw(
            st.sampled_from([*known, "AAAA-AA", "", "../x"]) if known else st.just("X")
        )

    def _claim(self, contact: Sender, code: str) -> None:
        replies = self.run(self.runtime.handle(Incoming(contact, Command("claim", code))))
        self.note_claim(contact, code, replies)

    def note_claim(self, contact: Sender, code: str, replies: tuple[Action, ...]) -> None:
        if any(isinstance(a, Say) and SUCCESS in a.text for a in replies):
            self.winners.setdefault(code.upper(), set()).add(contact.user_id)

    @rule(contact=st.integers(0, 2), data=st.data())
    def contact_claims(self, contact: int, data: st.DataObject) -> None:
        self._claim(self.contacts[contact], self.codes(data))

    @rule(data=st.data())
    def everyone_claims_at_once(self, data: st.DataObject) -> None:
        code = self.codes(data)

        async def race() -> list[tuple[Action, ...]]:
            calls = [
                self.runtime.handle(Incoming(c, Command("claim", code))) for c in self.contacts
            ]
            return list(await asyncio.gather(*calls))

        for contact, replies in zip(self.contacts, self.run(race()), strict=True):
            self.note_claim(contact, code, replies)

    @rule(contact=st.integers(0, 2), how=st.sampled_from(("close", "abuse")), data=st.data())
    def contact_closes(self, contact: int, how: str, data: st.DataObject) -> None:
        self.run(
            self.runtime.handle(Incoming(self.contacts[contact], Command(how, self.codes(data))))
        )

    @rule(contact=st.integers(0, 2), data=st.data())
    def contact_writes(self, contact: int, data: st.DataObject) -> None:
        code = self.codes(data)
        self.run(self.runtime.handle(Incoming(self.contacts[contact], Text(f"{code}: Guten Tag"))))

    @rule(contact=st.integers(0, 2), away=st.booleans())
    def contact_availability(self, contact: int, away: bool) -> None:
        name = "away" if away else "available"
        self.run(self.runtime.handle(Incoming(self.contacts[contact], Command(name))))

    @rule(minutes=st.sampled_from((1, 11, 61, 241, 60 * 24 * 8)))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes * 60)
        self.run(self.runtime.handoff.escalate_due())
        self.run(self.runtime.handoff.deliver_due())

    @rule()
    def deliver(self) -> None:
        self.run(self.runtime.handoff.deliver_due())

    @rule()
    def purge(self) -> None:
        self.run(self.runtime.purge())

    # -------------------------------------------------------------- invariants

    @invariant()
    def no_case_and_no_notice_without_consent(self) -> None:
        HandoffMachine.rules_run += 1
        assert set(self.query_codes()) <= self.consented
        assert {str(r[0]) for r in self.query("SELECT code FROM outbox")} <= self.consented
        for _route, message, _key in self.sent():
            for button in message.buttons:
                if button.data.startswith("claim:"):
                    assert button.data.removeprefix("claim:") in self.consented

    @invariant()
    def at_most_one_owner(self) -> None:
        for code, winners in self.winners.items():
            assert len(winners) <= 1, f"{code} was won by {winners}"
        rows = self.query("SELECT status, contact_id FROM cases")
        for status, contact_id in rows:
            if status == "open":
                assert contact_id is None

    @invariant()
    def relayed_text_reaches_only_the_owner(self) -> None:
        owners = {
            str(code): str(account)
            for code, account in self.query(
                "SELECT k.code, c.account FROM cases k JOIN contacts c ON c.id = k.contact_id"
            )
        }
        for route, message, _key in self.sent():
            if message.plain.startswith("[") and "] " in message.plain:
                code = message.plain[1:].split("]", 1)[0]
                if code in owners:
                    assert route == owners[code], "relayed to someone who does not own the case"


def test_handoff_state_machine():
    HandoffMachine.rules_run = HandoffMachine.cases_seen = 0
    HandoffMachine.consent = asyncio.run(find_consent(CONTENT))
    run_state_machine_as_test(
        HandoffMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    print(
        f"handoff state machine: {HandoffMachine.rules_run} steps, "
        f"{HandoffMachine.cases_seen} cases opened with consent"
    )
    assert HandoffMachine.cases_seen > 0


def test_the_handoff_invariants_are_not_blind():
    """Two winners of one case, or a case nobody consented to, fail the invariants."""
    HandoffMachine.consent = asyncio.run(find_consent(CONTENT))
    machine = HandoffMachine()
    try:
        machine.winners["ABCD-EF"] = {"a", "b"}
        with pytest.raises(AssertionError, match="was won by"):
            machine.at_most_one_owner()
        machine.run(
            machine.store.db.execute(
                "INSERT INTO cases (code, user_key, topic, urgency, land, status, circle, locale, "
                "created_at) VALUES ('ZZZZ-ZZ', x'00', 't', 'high', 'BY', 'open', 1, 'de', 0)"
            )
        )
        with pytest.raises(AssertionError):
            machine.no_case_and_no_notice_without_consent()
    finally:
        machine.teardown()
