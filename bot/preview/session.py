"""One preview conversation against the real runtime and an in-memory store.

The content is loaded from the files on disk and loaded again when they change (the mtimes are
polled); while the files do not validate, the last good content stays in use and the problems
are listed. Nothing here opens the service's database or data directory: the store is a
:class:`~bot.storage.memory.MemoryStore` and the secret is random per preview.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.content import Content, ContentPaths, load_content
from bot.engine.actions import Action
from bot.engine.events import Command, Event, Start
from bot.engine.nodes import enter
from bot.engine.run import Run, Step
from bot.engine.state import CaseContext, State
from bot.engine.step import initial_state
from bot.engine.typed import parse_typed
from bot.errors import Problem
from bot.ports import CounterKey
from bot.render import parse_callback, render_all
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.memory import MemoryStore

USER = "preview"
#: How many chat entries the page is sent (older ones are dropped).
TRANSCRIPT_LIMIT = 200


class PreviewRuntime(Runtime):
    """The runtime, remembering the nodes each step passed through (for the diagram)."""

    def __init__(self, content: Content, store: MemoryStore, secret: bytes) -> None:
        super().__init__(content, store, secret, rate_limit=10_000, purge_every=None)
        self.paths: list[tuple[str, str]] = []

    async def _carry_out(
        self,
        key: bytes,
        sender: Sender,
        before: State | None,
        result: Step,
        now: float,
        counters: tuple[CounterKey, ...],
        seen: bytes | None = None,
    ) -> None:
        self.paths.extend(result.path)
        await super()._carry_out(key, sender, before, result, now, counters, seen)


def _signature(paths: ContentPaths) -> tuple[tuple[str, int, int], ...]:
    found: list[tuple[str, int, int]] = []
    for folder in (paths.flows, paths.knowledge, paths.locales, paths.local):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            try:
                info = path.stat()
            except OSError:
                continue
            if path.is_file():
                found.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(found)


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem for the page."""
    loc = problem.location
    return {
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "severity": problem.severity,
        "message": problem.message,
        "text": str(problem),
    }


class Preview:
    """The preview's content, its one conversation and what the page shows."""

    def __init__(self, paths: ContentPaths, locale: str = "de") -> None:
        self.paths = paths
        self.locale = locale
        self.store = MemoryStore()
        self.secret = os.urandom(32)
        self.runtime: PreviewRuntime | None = None
        self.problems: list[Problem] = []
        self.broken = False
        self.version = 0
        self.transcript: list[dict[str, Any]] = []
        self.path: list[tuple[str, str]] = []
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self.sender = Sender("preview", USER, locale)
        #: one change at a time: an event of the chat, a jump or a content switch
        self.lock = asyncio.Lock()

    @property
    def content(self) -> Content | None:
        """The content in use (the last that validated), if any."""
        return self.runtime.content if self.runtime else None

    # --- content --------------------------------------------------------------------------

    async def reload(self) -> bool:
        """Load the files again if any changed; True if something changed.

        The files are read in a thread (the page stays responsive); the swap happens under the
        lock, between two events of the chat."""
        signature = await asyncio.to_thread(_signature, self.paths)
        if signature == self._signature:
            return False
        self._signature = signature
        content, problems = await asyncio.to_thread(load_content, self.paths)
        async with self.lock:
            self._switch(content, problems)
        return True

    def _switch(self, content: Content | None, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.location.file, p.location.line, p.location.column)
        )
        self.broken = content is None
        if content is not None:
            if self.runtime is None:
                self.runtime = PreviewRuntime(content, self.store, self.secret)
            else:
                self.runtime.content = content
        self.version += 1

    # --- the conversation -----------------------------------------------------------------

    async def state(self) -> State | None:
        """The stored state of the preview conversation."""
        if self.runtime is None:
            return None
        return await self.store.load(self.runtime.key(self.sender))

    async def send(self, event: Event, shown: str | None = None) -> None:
        """Run one event through the runtime and add the exchange to the transcript."""
        if self.runtime is None:
            return
        if shown is not None:
            self._add("user", shown)
        self.runtime.paths.clear()
        actions = await self.runtime.handle(Incoming(self.sender, event))
        self._track(self.runtime.paths)
        self._show(actions)

    async def start(self) -> None:
        """Open the conversation (the first message, as a messenger's start button)."""
        await self.send(Start())

    async def text(self, text: str) -> None:
        """Typed text (commands such as ``/start FLOW`` included)."""
        await self.send(parse_typed(text), text)

    async def choose(self, data: str, label: str) -> None:
        """A button press, by its data (``turn.index``)."""
        event = parse_callback(data)
        if event is not None:
            await self.send(event, label)

    async def restart(self) -> None:
        """Start over, as the restart command."""
        self.path.clear()
        await self.send(Command("restart"), "/restart")

    async def jump(self, flow_id: str, node_id: str | None, locale: str | None = None) -> bool:
        """Put the conversation at a node (or switch its language there); False if unknown.

        The node is entered by the engine, as if the conversation had got there."""
        content = self.content
        if self.runtime is None or content is None:
            return False
        flow = content.flows.get(flow_id)
        if flow is None or (node_id is not None and node_id not in flow.nodes):
            return False
        key = self.runtime.key(self.sender)
        now = self.runtime.clock()
        current = await self.store.load(key) or initial_state(content, self.locale)
        if locale is not None:
            current = replace(current, locale=content.catalogs.normalize(locale))
        self.locale = current.locale
        run = Run(content, current, datetime.fromtimestamp(now, UTC), CaseContext())
        enter(run, flow.id, node_id)
        result = run.result()
        if result.state is not None:
            await self.store.save(key, result.state, now, ())
        if locale is None:
            self._add("note", f"→ {flow.id}/{node_id or flow.start}")
        self._track(result.path)
        self._show(result.actions)
        return True

    async def language(self, locale: str) -> bool:
        """Switch the language and show the current question again in it."""
        state = await self.state()
        self.locale = locale
        self.sender = Sender("preview", USER, locale)
        if state is None:
            return True
        self._add("note", f"🌐 {locale}")
        return await self.jump(state.flow, state.node, locale)

    def _track(self, passed: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> None:
        self.path.extend(passed)
        del self.path[:-500]

    def _show(self, actions: tuple[Action, ...]) -> None:
        for message in render_all(actions):
            buttons = [{"label": b.label, "data": b.data} for b in message.buttons]
            self._add("bot", message.plain, buttons)

    def _add(self, who: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        self.transcript.append({"who": who, "text": text, "buttons": buttons or []})
        del self.transcript[:-TRANSCRIPT_LIMIT]

    async def view(self) -> dict[str, Any]:
        """Everything the page shows, as JSON."""
        content = self.content
        state = await self.state()
        flows = []
        if content is not None:
            for flow in sorted(content.flows.values(), key=lambda f: f.id):
                flows.append({"id": flow.id, "title": flow.title, "nodes": list(flow.nodes)})
        return {
            "version": self.version,
            "broken": self.broken,
            "ready": content is not None,
            "locale": state.locale if state else self.locale,
            "locales": list(content.catalogs.locales) if content else [],
            "current": {"flow": state.flow, "node": state.node} if state else None,
            "path": [list(p) for p in self.path],
            "flows": flows,
            "problems": [problem_json(p) for p in self.problems],
            "transcript": self.transcript,
            "content": {
                "flows": str(self.paths.flows),
                "knowledge": str(self.paths.knowledge),
                "locales": str(self.paths.locales),
            },
        }
