"""Conversation tests: YAML files of user steps and what must follow, run through the engine.

The format is documented in ``docs/testing.md``. Runs are pure (no store, no network) and use the
real content, so a failing conversation test means a real user would see the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.content import Content
from bot.engine import intent
from bot.engine.actions import Action, Ask, Erase, RelayReport, Say, SendReport, ShowServices, Stale
from bot.engine.commands import parse_command
from bot.engine.events import COMMANDS, Choose, Command, Event, Start, Text, Unsupported
from bot.engine.state import ReportContext, State
from bot.engine.step import step
from bot.errors import Problem, SourceLocation
from bot.flow import schema
from bot.flow.loader import display_name
from bot.flow.schema import AnyOf, Bool, Int, Kinds, ListOf, Obj, Opt, Str, ident
from bot.flow.yamlsafe import YMap, YNode, YScalar, YSeq, parse_file
from bot.knowledge import BERLIN

DEFAULT_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # a Monday morning
#: Most lines of the bot's reply shown beside a failed expectation
REPLY_LINES = 30

_TEXT = Str(what="a text", min_length=1)
_FRAGMENTS = AnyOf((_TEXT, ListOf(_TEXT, min_items=1)), what="a text or a list of texts")
EXPECT = Obj(
    {
        "node": Str(pattern=r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$", what="flow/node"),
        "says": _FRAGMENTS,
        "not_says": _FRAGMENTS,
        "services": ListOf(ident("a service id"), min_items=1),
        "first_services": ListOf(ident("a service id"), min_items=1),
        "no_services": Bool(),
        "options": _FRAGMENTS,
        "stale": Bool(),
        "erased": Bool(),
        "report_sent": Bool(),
        "relayed": Bool(),
    },
    title="expect",
)
STEP = Kinds(
    {
        "start": Obj({"start": Opt(ident("a flow id")), "expect": EXPECT}, ("start",)),
        "tap": Obj({"tap": _TEXT, "expect": EXPECT}, ("tap",)),
        "send": Obj({"send": Str(what="a text"), "expect": EXPECT}, ("send",)),
        "command": Obj(
            {"command": Str(enum=COMMANDS, what="a command"), "expect": EXPECT}, ("command",)
        ),
        "choose": Obj({"choose": Int(1), "expect": EXPECT}, ("choose",)),
        "media": Obj({"media": Opt(_TEXT), "expect": EXPECT}, ("media",)),
    },
    what="step kind",
)
TEST_FILE = Obj(
    {
        "locale": Str(pattern=r"^[a-z]{2}$", what="a language code"),
        "now": Str(what="a date and time"),
        "conversations": ListOf(
            Obj(
                {"name": _TEXT, "meldestelle": _TEXT, "steps": ListOf(STEP, min_items=1)},
                ("name", "steps"),
            ),
            min_items=1,
        ),
    },
    ("conversations",),
    "conversation test file",
)


#: The code a report sent in a conversation test gets (the runtime draws a random one).
REPORT_CODE = "TEST-00"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed expectation, at the step that failed."""

    location: SourceLocation
    conversation: str
    message: str
    #: what the bot actually sent at that step (its texts, answers and service cards)
    reply: str = ""

    def __str__(self) -> str:
        head = f"{self.location}: {self.conversation}: {self.message}"
        if not self.reply:
            return head
        lines = self.reply.splitlines()
        shown = lines[:REPLY_LINES]
        if len(lines) > REPLY_LINES:
            shown.append(f"... ({len(lines) - REPLY_LINES} more lines)")
        return head + "\n    the bot said:\n" + "\n".join(f"      | {line}" for line in shown)


@dataclass(slots=True)
class Report:
    """The outcome of a test run."""

    passed: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    nodes: set[tuple[str, str, str]] = field(default_factory=set)  # (locale, flow, node) visited

    @property
    def ok(self) -> bool:
        """True when everything passed and every file was readable."""
        return not self.failures and not self.problems


def _texts(node: YNode | None) -> tuple[str, ...]:
    if node is None:
        return ()
    if isinstance(node, YSeq):
        return tuple(str(n.value) for n in node.items if isinstance(n, YScalar))
    return (str(node.value),) if isinstance(node, YScalar) else ()


def _flag(node: YMap, key: str) -> bool:
    value = node.get(key)
    return isinstance(value, YScalar) and value.value is True


def _all_text(actions: tuple[Action, ...]) -> str:
    parts: list[str] = []
    for action in actions:
        match action:
            case Say(text=text) | Stale(text=text):
                parts.append(text)
            case Ask(text=text, options=options):
                parts.append(text)
                parts.extend(o.label for o in options)
            case ShowServices(intro=intro, cards=cards):
                parts.append(intro)
                for card in cards:
                    parts.extend((card.name, card.summary, card.hours, card.status))
                    parts.extend(f"{c.value} {c.note}" for c in card.contacts)
    return "\n".join(parts)


@dataclass(slots=True)
class _Conversation:
    content: Content
    name: str
    locale: str
    now: datetime
    #: the Meldestelle the runtime would find for this user ("" for none)
    office: str = ""
    state: State | None = None
    last_ask: Ask | None = None
    #: the bot's reply to the last step, shown beside a failed expectation
    reply: str = ""
    visited: set[tuple[str, str, str]] = field(default_factory=set)

    def event_for(self, kind: str, value: YNode) -> Event | str:
        """The event of a step, or a failure message."""
        raw = value.value if isinstance(value, YScalar) else None
        match kind:
            case "start":
                return Start(None if raw is None else str(raw))
            case "command":
                return Command(str(raw))
            case "media":
                return Unsupported("photo")
            case "send":
                return parse_command(str(raw)) or Text(str(raw))
        if self.last_ask is None:
            return "there is no open question to answer"
        options = self.last_ask.options
        if kind == "choose":
            index = int(str(raw)) - 1
            if index >= len(options):
                return f"answer {index + 1} does not exist (only {len(options)} offered)"
            return Choose(self.last_ask.turn, options[index].index)
        wanted = intent.normalize(str(raw))
        for option in options:
            if intent.normalize(option.label) == wanted:
                return Choose(self.last_ask.turn, option.index)
        offered = ", ".join(repr(o.label) for o in options)
        return f"no answer labelled {raw!r}; offered: {offered}"

    def run_step(self, step_node: YMap) -> list[str]:
        kind = next(k for k in step_node if k in STEP.kinds)
        event = self.event_for(kind, step_node.get(kind))  # type: ignore[arg-type]
        if isinstance(event, str):
            return [event]
        report = ReportContext(self.office, REPORT_CODE) if self.office else None
        result = step(self.content, self.state, event, self.now, self.locale, report=report)
        self.reply = _all_text(result.actions)
        self.state = result.state
        asks = [a for a in result.actions if isinstance(a, Ask)]
        if asks:
            self.last_ask = asks[-1]
        self.visited.update((self.locale, f, n) for f, n in result.path)
        if self.state is not None:
            self.visited.add((self.locale, self.state.flow, self.state.node))
        expect = step_node.get("expect")
        return self.check(expect, result.actions) if isinstance(expect, YMap) else []

    def check(self, expect: YMap, actions: tuple[Action, ...]) -> list[str]:  # noqa: C901
        failures: list[str] = []
        text = _all_text(actions)
        node = expect.get("node")
        if isinstance(node, YScalar):
            where = f"{self.state.flow}/{self.state.node}" if self.state else "(no conversation)"
            if where != node.value:
                failures.append(f"expected to be at {node.value}, but at {where}")
        for fragment in _texts(expect.get("says")):
            if fragment.casefold() not in text.casefold():
                failures.append(f"expected the bot to say {fragment!r}")
        for fragment in _texts(expect.get("not_says")):
            if fragment.casefold() in text.casefold():
                failures.append(f"the bot said {fragment!r}, which it must not")
        shown = {c.service_id for a in actions if isinstance(a, ShowServices) for c in a.cards}
        for sid in _texts(expect.get("services")):
            if sid not in shown:
                failures.append(f"expected service {sid!r}; shown: {sorted(shown) or 'none'}")
        order = [c.service_id for a in actions if isinstance(a, ShowServices) for c in a.cards]
        first = _texts(expect.get("first_services"))
        if first and tuple(order[: len(first)]) != first:
            failures.append(f"expected the cards to begin with {first}; shown: {order or 'none'}")
        if _flag(expect, "no_services") and shown:
            failures.append(f"expected no services; shown: {sorted(shown)}")
        offered = [o.label for a in actions if isinstance(a, Ask) for o in a.options]
        for label in _texts(expect.get("options")):
            if label not in offered:
                failures.append(f"expected the answer {label!r}; offered: {offered}")
        if _flag(expect, "stale") and not any(isinstance(a, Stale) for a in actions):
            failures.append("expected 'this button is no longer valid'")
        if _flag(expect, "erased") and not (
            any(isinstance(a, Erase) for a in actions) and self.state is None
        ):
            failures.append("expected everything to be erased")
        if _flag(expect, "report_sent") and not any(isinstance(a, SendReport) for a in actions):
            failures.append("expected the report to be sent to the Meldestelle")
        if _flag(expect, "relayed") and not any(isinstance(a, RelayReport) for a in actions):
            failures.append("expected the typed text to be relayed to the Meldestelle")
        return failures


def _parse_now(node: YNode | None) -> datetime | str:
    if not isinstance(node, YScalar):
        return DEFAULT_NOW
    try:
        parsed = datetime.fromisoformat(str(node.value))
    except ValueError:
        return f"'now' is not a date and time: {node.value!r}"
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)


def run_file(content: Content, path: Path, report: Report) -> None:
    """Run every conversation of one file into ``report``."""
    name = display_name(path)
    tree, problems = parse_file(path, name)
    report.problems.extend(problems)
    checker = schema.Checker()
    if (
        tree is None
        or not checker.check(tree, TEST_FILE, "test file")
        or not isinstance(tree, YMap)
    ):
        report.problems.extend(checker.problems)
        return
    locale_node = tree.get("locale")
    locale = str(locale_node.value) if isinstance(locale_node, YScalar) else "de"
    now = _parse_now(tree.get("now"))
    if isinstance(now, str):
        report.problems.append(Problem(tree.key_loc("now"), now))
        return
    conversations = tree.get("conversations")
    assert isinstance(conversations, YSeq)
    for conv in conversations.items:
        assert isinstance(conv, YMap)
        title = str(conv.get("name").value)  # type: ignore[union-attr]
        office = conv.get("meldestelle")
        run = _Conversation(content, title, locale, now)
        if isinstance(office, YScalar):
            run.office = str(office.value)
        failed = False
        steps = conv.get("steps")
        assert isinstance(steps, YSeq)
        for number, step_node in enumerate(steps.items, 1):
            assert isinstance(step_node, YMap)
            for message in run.run_step(step_node):
                failure = Failure(step_node.loc, title, f"step {number}: {message}", run.reply)
                report.failures.append(failure)
                failed = True
            if failed:
                break
        report.nodes.update(run.visited)
        if not failed:
            report.passed.append(f"{name}: {title}")


def find_test_files(paths: list[Path]) -> list[Path]:
    """The YAML files named, or found below named directories."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.y*ml") if p.is_file()))
        else:
            found.append(path)
    return found


def run_paths(content: Content, paths: list[Path]) -> Report:
    """Run all conversation tests below ``paths``."""
    report = Report()
    for path in find_test_files(paths):
        run_file(content, path, report)
    return report


__all__ = ["DEFAULT_NOW", "Failure", "Report", "find_test_files", "run_file", "run_paths"]
