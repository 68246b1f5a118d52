"""Hypothesis on user input: markup, right-to-left and zero-width characters and 4,096-character
texts, through the engine, the renderer and the relay of the handoff.

What must hold (security.md, test 5): no exception; the text never reaches the stored state;
every message is well-formed HTML with only the tags Beistand uses (``<b>``, ``<i>``, and
``<ol>``/``<li>`` for channels without buttons); user text appears only escaped, so what the
user sees is exactly the text (the HTML's character data equals the plain version); and
Telegram's own HTML parser (as emulated) accepts it.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.content import Content, ContentPaths, require_content
from bot.engine.actions import Action, Ask, Card, Contact, Option, Relay, Say, ShowServices, Stale
from bot.engine.commands import parse_command
from bot.engine.events import COMMANDS, Choose, Command, Start, Text
from bot.engine.state import (
    CaseContext,
    ChoosingLanguage,
    Consenting,
    InCase,
    State,
    Suggesting,
)
from bot.engine.step import step
from bot.render import Outgoing, numbered, render
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from testbed.canary import new_marker
from testbed.scripts import Canaries, Explorer, find_consent
from testbed.telegram_emulator import ApiError, parse_html
from tests.helpers import RecordingChannel

pytestmark = pytest.mark.fuzz

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TAGS = {"b", "i"}
LIST_TAGS = TAGS | {"ol", "li"}

NASTY = (
    "<b>",
    "</b>",
    "<i>x</i>",
    "<a href='https://evil.example'>hier</a>",
    "<script>alert(1)</script>",
    "<!-- ",
    "]]>",
    "&",
    "&amp;",
    "&lt;",
    "&#x1F600;",
    "&nbsp",
    "_",
    "*",
    "[",
    "](http://x)",
    "`",
    "```",
    "~~",
    "||",
    "\\",
    "\u202e",  # right-to-left override
    "\u202d",
    "\u200f",
    "\u2066",
    "\u2069",
    "\u200b",  # zero width space
    "\u200d",
    "\ufeff",
    "\u0000",
    "\r\n",
    "\n",
    "/start",
    "/loeschen",
    "@beistand_bot",
    "ﷺ",
    "👩🏽‍⚖️",
    "Ünïcödé",
    "עברית",
    "العربية",
)

pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
user_text = st.one_of(
    st.lists(pieces, min_size=1, max_size=40).map("".join),
    st.lists(pieces, min_size=1, max_size=8)
    .map("".join)
    .filter(bool)
    .map(lambda s: (s * (4096 // len(s) + 1))[:4096]),  # exactly 4,096 characters
)


@pytest.fixture(scope="module")
def shipped() -> Content:
    return require_content(ContentPaths())


# --------------------------------------------------------------------------- HTML checks


class Structure(HTMLParser):
    """Tags, nesting and character data of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.data: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append(tag)
        if attrs:
            self.errors.append(f"attributes on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("unknown declaration")


def check_html(markup: str, plain: str, allowed: set[str]) -> None:
    """Well-formed, only allowed tags, no raw ``<`` from content, and shows exactly ``plain``."""
    parsed = Structure()
    parsed.feed(markup)
    parsed.close()
    assert parsed.errors == [], (parsed.errors, markup[:200])
    assert parsed.stack == [], f"unclosed {parsed.stack}"
    assert {t.lstrip("/") for t in parsed.tags} <= allowed, parsed.tags
    assert markup.count("<") == len(parsed.tags), "a '<' that is not one of our tags"
    assert "".join(parsed.data) == plain


def check_telegram(message: Outgoing) -> None:
    """What Telegram's HTML parser (as emulated) makes of the message: exactly the plain text."""
    try:
        text, _entities = parse_html(message.html)
    except ApiError as error:  # pragma: no cover - the assertion explains
        raise AssertionError(f"Telegram refuses the HTML: {error.description}") from None
    assert text == message.plain


def check_all_paths(action: Action) -> None:
    """Telegram (HTML, buttons), Matrix (HTML with a numbered list) and the console (plain)."""
    for message in render(action):
        check_html(message.html, message.plain, TAGS)
        check_telegram(message)
        listed = numbered(message)
        plain_list = listed.plain.removeprefix(message.plain).lstrip("\n")
        listed_data = message.plain + "".join(b.label for b in message.buttons)
        check_html(listed.html, listed_data, LIST_TAGS)
        assert all(f"{i}. " in plain_list for i in range(1, len(message.buttons) + 1))


# --------------------------------------------------------------------------- the renderer


short_text = st.lists(pieces, min_size=1, max_size=10).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=user_text, other=short_text, label=short_text)
def test_user_text_in_every_field_is_shown_literally(text, other, label):
    card = Card(
        service_id="svc",
        name=other,
        summary=label,
        contacts=(
            Contact("phone", other, label),
            Contact("email", label, ""),
            Contact("web", other, other),
        ),
        hours=label,
        status=other,
    )
    actions: list[Action] = [
        Say(text),
        Stale(text),
        Ask(text, (Option(0, label), Option(1, other)), 7),
        ShowServices(other, (card,)),
    ]
    for action in actions:
        check_all_paths(action)


# --------------------------------------------------------------------------- the engine


def places(content: Content) -> list[tuple[State, CaseContext]]:
    """Every question of every flow, the menus and both handoff modes."""
    found: list[tuple[State, CaseContext]] = []
    for flow in content.flows.values():
        for node in flow.nodes.values():
            if node.kind in ("choice", "end", "services"):
                found.append((State(flow.id, node.id, turn=3), CaseContext(new_code="ABCD-EF")))
            if node.kind == "handoff":
                found.append(
                    (
                        State(flow.id, node.id, turn=3, mode=Consenting()),
                        CaseContext(new_code="AB-1"),
                    )
                )
                for claimed in (False, True):
                    found.append(
                        (
                            State(flow.id, node.id, turn=3, mode=InCase("ABCD-EF")),
                            CaseContext(code="ABCD-EF", claimed=claimed),
                        )
                    )
    menu = content.flows[content.entry]
    found.append((State(menu.id, menu.start, turn=2, mode=ChoosingLanguage()), CaseContext()))
    found.append(
        (State(menu.id, menu.start, turn=2, mode=Suggesting(("bedrohung", "hass"))), CaseContext())
    )
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), text=user_text, locale=st.sampled_from(("de", "en", "fr", None)))
def test_typed_text_never_reaches_the_state(shipped, data, text, locale):
    state, case = data.draw(st.sampled_from(places(shipped)))
    marker = new_marker()
    typed = data.draw(st.sampled_from((f"{text}{marker}", f"{marker} {text}", text + " " + marker)))
    events = [Text(typed), Start(typed), Command(data.draw(st.sampled_from(COMMANDS)), typed)]
    parsed = parse_command("/" + typed)
    if parsed is not None:
        events.append(parsed)
    for event in events:
        for current in (state, None):
            result = step(shipped, current, event, NOW, locale, case)
            assert marker not in repr(result.state)
            for action in result.actions:
                if isinstance(action, Relay):  # passed on at once, never stored (see runtime)
                    assert action.text == typed
                    assert marker not in repr(action)
                    continue
                assert marker not in repr(action)
                check_all_paths(action)


# --------------------------------------------------------------------------- the relay


@dataclass
class RelayWorld:
    """A runtime with a claimed case, kept across examples on one event loop."""

    loop: asyncio.AbstractEventLoop
    runtime: Runtime
    user: Sender
    contact: Sender
    code: str
    channel: RecordingChannel = field(default_factory=RecordingChannel)

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)


async def _relay_world(content: Content, channel: RecordingChannel) -> tuple[Runtime, ...]:
    store = SqliteStore(":memory:")
    await store.open()
    runtime = Runtime(content, store, secrets.token_bytes(32), rate_limit=1_000_000)
    runtime.register_channel("telegram", channel)
    contact = Sender("telegram", "990000000001", "de")
    invite = await runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
    await runtime.handle(Incoming(contact, Command("register", invite)))
    user = Sender("telegram", "990000000002", "de")
    root, path = await find_consent(content)
    explorer = Explorer(runtime, content, Canaries(), random.Random(3))
    prompt = await explorer.reach(user, root, path)
    await runtime.handle(Incoming(user, Choose(prompt.turn, 0)))
    state = await store.load(runtime.key(user))
    assert state is not None
    assert isinstance(state.mode, InCase)
    code = state.mode.code
    await runtime.handoff.deliver_due()
    await runtime.handle(Incoming(contact, Command("claim", code)))
    await runtime.handoff.deliver_due()
    return runtime, user, contact, code  # type: ignore[return-value]


@pytest.fixture(scope="module")
def relay_world(shipped: Content) -> Iterator[RelayWorld]:
    loop = asyncio.new_event_loop()
    channel = RecordingChannel("telegram")
    runtime, user, contact, code = loop.run_until_complete(_relay_world(shipped, channel))
    world = RelayWorld(loop, runtime, user, contact, code, channel)  # type: ignore[arg-type]
    yield world
    loop.run_until_complete(runtime.store.close())
    loop.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=user_text)
@example(text="1")
@example(text="2")
@example(text="Fall beenden")
@example(text="Ja, Fall beenden")
@example(text="🆘 Akute Gefahr: Notruf 110")
@example(text="zurück")
def test_relayed_text_arrives_literally_on_both_sides(relay_world, text):
    # everything typed in a case is relayed: a bare "1", "2", the answers' labels too
    world = relay_world
    before = len(world.channel.sent)
    replies = world.run(world.runtime.handle(Incoming(world.user, Text(text))))
    replies += world.run(
        world.runtime.handle(Incoming(world.contact, Text(f"{world.code}: {text}")))
    )
    sent = world.channel.sent[before:]
    for _route, message, _key in sent:
        check_html(message.html, message.plain, TAGS)
        check_telegram(message)
    for action in replies:
        assert not isinstance(action, Relay)
        check_all_paths(action)
    to_contact = [m.plain for r, m, _ in sent if r == world.contact.user_id]
    to_user = [m.plain for r, m, _ in sent if r == world.user.user_id]
    assert to_contact == [f"[{world.code}] {text}"]
    assert to_user == ([f"💬 Ansprechperson: {text.strip()}"] if text.strip() else [])
