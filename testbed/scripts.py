"""Scripted conversations with canaries, driven through the real runtime.

:class:`Explorer` walks every flow breadth-first: each conversation replays a path of answers
from a start (the main menu through a deep link that is itself a marker, or a flow's own deep
link) and every new place it reaches (flow, node, mode) adds one conversation per answer offered
there. Between the answers it sends harmless disturbances that carry markers (typed text, command
arguments, media, stale and forged buttons); afterwards some conversations go on with disruptive
steps (topic words, the language menu, danger words, restart, back) and some end with
``/loeschen``. Every user id is itself a marker.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.content import Content
from bot.engine.actions import Action, Ask, Stale
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.modes import mode_text
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, new_marker

PLATFORMS = ("telegram", "matrix", "console")
#: Right-to-left and zero-width characters around markers.
ODD = "\u202e\u200b\u200d\u2066\ufeff"


@dataclass
class Canaries:
    """Makes markers and registers each with the scanner."""

    scanner: Scanner = field(default_factory=Scanner)
    count: int = 0

    def __call__(self) -> str:
        self.count += 1
        return self.scanner.add_marker(new_marker())


def neutral_text(canary: Callable[[], str], rng: random.Random) -> str:
    """Text that matches no answer, command, topic word or danger word, with markers in it."""
    forms = [
        lambda: canary(),
        lambda: f"xq {canary()} zv {canary()}",
        lambda: f"<b>{canary()}</b> & _*[ `{canary()}`",
        lambda: f"{ODD}{canary()}{ODD[::-1]}",
        lambda: f"/{canary()}",
        lambda: ("ä" * 2000) + canary() + ("ß" * 2059),  # 4,096 characters
        lambda: f"https://example.org/?q={canary()}&name={canary()}",
    ]
    return rng.choice(forms)()


def disruptive_events(canary: Callable[[], str], rng: random.Random) -> list[Event]:
    """Steps that move the conversation: topic words, danger, menus, commands with markers."""
    events: list[Event] = [
        Text(f"Ich werde bedroht und beleidigt {canary()}"),
        Command("language", canary()),
        Choose(10_000, 1),  # forged: answers the language menu out of turn
        Text("English"),
        Text(f"Hilfe, ich bin in Gefahr {canary()}"),
        Command("back"),
        Command("emergency", canary()),
        Command("restart", canary()),
        Text("1"),
        Start(canary()),
        Command("claim", canary()),
        Command("register", canary()),
        Text(f"Mein Name ist {canary()}, ich wohne in {canary()}"),
    ]
    rng.shuffle(events)
    return events[: rng.randint(4, len(events))]


@dataclass
class Observation:
    """Where one conversation ended up after its path."""

    flow: str
    node: str
    mode: str
    slots: tuple[tuple[str, str], ...]
    options: int  # answers offered by the last question, the emergency answer included
    diverged: bool

    @property
    def place(self) -> tuple[str, str, str]:
        """What makes two places different for the exploration (not the slots, not a code)."""
        return self.flow, self.node, self.mode.split(":", 1)[0]


Send = Callable[[Sender, Event], Awaitable[tuple[Action, ...]]]


@dataclass
class Explorer:
    """Explores every flow of ``content`` through ``runtime`` with canaries everywhere."""

    runtime: Runtime
    content: Content
    canary: Canaries
    rng: random.Random
    send: Send | None = None
    events: int = 0
    conversations: int = 0
    visited: set[tuple[str, str]] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)
    senders: list[Sender] = field(default_factory=list)
    #: how each place was first reached: (deep link or None, answers)
    paths: dict[tuple[str, str, str], tuple[str | None, tuple[int, ...]]] = field(
        default_factory=dict
    )

    async def _send(self, sender: Sender, event: Event) -> tuple[Action, ...]:
        self.events += 1
        if self.send is not None:
            return await self.send(sender, event)
        return await self.runtime.handle(Incoming(sender, event))

    def _choose(self, prompt: Ask, index: int) -> Event:
        how = self.rng.random()
        if how < 0.6:
            return Choose(prompt.turn, index)
        if how < 0.85:
            return Text(str(index + 1))
        return Text(prompt.options[index].label)

    def _disturbance(self, prompt: Ask | None) -> Event:
        roll = self.rng.random()
        if roll < 0.45:
            return Text(neutral_text(self.canary, self.rng))
        if roll < 0.6:
            return Command(self.rng.choice(("help", "privacy")), self.canary())
        if roll < 0.7:
            return Unsupported(self.rng.choice(("photo", "voice", "document", "sticker")))
        turn = prompt.turn if prompt is not None else 0
        if roll < 0.75 and prompt is not None:
            return Choose(turn, len(prompt.options) - 1)  # the emergency answer: asks again
        if roll < 0.88:
            return Choose(turn + self.rng.randint(1, 10**6), 0)  # forged: a turn never issued
        return Choose(max(turn - 1, 0), 0)  # stale: the previous question

    async def converse(
        self, root: str | None, path: tuple[int, ...], *, tail: bool, erase: bool
    ) -> Observation:
        """One conversation: start, answer along ``path`` with disturbances, observe, go on."""
        self.conversations += 1
        sender = Sender(
            self.rng.choice(PLATFORMS), self.canary(), self.rng.choice(("de", "en", None))
        )
        self.senders.append(sender)
        prompt: Ask | None = None
        diverged = False

        def take(actions: tuple[Action, ...]) -> None:
            nonlocal prompt
            for action in actions:
                if isinstance(action, Ask):
                    prompt = action

        take(await self._send(sender, Start(root or self.canary())))
        for index in path:
            if self.rng.random() < 0.5:
                take(await self._send(sender, self._disturbance(prompt)))
            if prompt is None or index >= len(prompt.options):
                diverged = True
                break
            actions = await self._send(sender, self._choose(prompt, index))
            if any(isinstance(a, Stale) for a in actions):
                diverged = True
            take(actions)
        state = await self.runtime.store.load(self.runtime.key(sender))
        assert state is not None, "a conversation that answered questions has a state"
        self.visited.add((state.flow, state.node))
        self.modes.add(mode_text(state.mode).split(":", 1)[0])
        seen = Observation(
            state.flow,
            state.node,
            mode_text(state.mode),
            state.slots,
            len(prompt.options) if prompt is not None else 0,
            diverged,
        )
        if tail:
            for event in disruptive_events(self.canary, self.rng):
                take(await self._send(sender, event))
        if erase:
            await self._send(sender, Command("delete", self.canary()))
        return seen

    async def reach(self, sender: Sender, root: str | None, path: tuple[int, ...]) -> Ask:
        """Replay a path without disturbances; returns the question it ends at. A user in an
        open case is asked before /start leaves it: they stay, at the case question."""
        actions = await self._send(sender, Start(root or self.canary()))
        state = await self.runtime.store.load(self.runtime.key(sender))
        if state is not None and mode_text(state.mode).count(":") == 2:  # case:<code>:start
            prompt = [a for a in actions if isinstance(a, Ask)][-1]
            actions = await self._send(sender, Choose(prompt.turn, 1))  # no, stay in the case
            return [a for a in actions if isinstance(a, Ask)][-1]
        for index in path:
            prompt = [a for a in actions if isinstance(a, Ask)][-1]
            actions = await self._send(sender, Choose(prompt.turn, index))
        return [a for a in actions if isinstance(a, Ask)][-1]

    async def explore(
        self,
        limit: int,
        tail_share: float = 0.3,
        erase_share: float = 0.1,
        roots: list[str | None] | None = None,
        until: Callable[[Observation], bool] | None = None,
    ) -> Observation | None:
        """Breadth-first over places, from the main menu and from every flow's deep link.

        Returns the first observation ``until`` accepts (and stops there), else None.
        """
        if roots is None:
            roots = [None, *sorted(self.content.flows)]
        queue: deque[tuple[str | None, tuple[int, ...]]] = deque((r, ()) for r in roots)
        known: set[tuple[object, ...]] = set()
        while queue and self.conversations < limit:
            root, path = queue.popleft()
            seen = await self.converse(
                root,
                path,
                tail=self.rng.random() < tail_share,
                erase=self.rng.random() < erase_share,
            )
            if seen.diverged or seen.place in known:
                continue
            if until is not None and until(seen):
                self.paths[seen.place] = (root, path)
                return seen
            known.add(seen.place)
            self.paths[seen.place] = (root, path)
            # the last answer is always the emergency guidance, which asks the same again
            queue.extend((root, (*path, i)) for i in range(seen.options - 1))
        return None


def resting_nodes(content: Content) -> set[tuple[str, str]]:
    """Nodes a conversation can stop at (questions, ends, handoffs, services without next)."""
    found: set[tuple[str, str]] = set()
    for flow in content.flows.values():
        for node in flow.nodes.values():
            if node.kind in ("choice", "end", "handoff") or (
                node.kind == "services" and not node.next
            ):
                found.add((flow.id, node.id))
    return found


async def find_consent(
    content: Content, flow: str | None = "bedrohung"
) -> tuple[str | None, tuple[int, ...]]:
    """How to reach a handoff consent: (deep link, answers), found by exploring from a flow's
    deep link (or from the main menu for None)."""
    async with SqliteStore(":memory:") as store:
        runtime = Runtime(content, store, b"x" * 32, rate_limit=1_000_000)
        explorer = Explorer(runtime, content, Canaries(), random.Random(1))
        found = await explorer.explore(
            500, 0, 0, roots=[flow], until=lambda seen: seen.mode == "consent"
        )
        assert found is not None, f"no handoff consent in {flow}"
        return explorer.paths[found.place]
