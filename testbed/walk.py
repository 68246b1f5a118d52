"""A short walk through content that validated, shared by the loader fuzz test and the atheris
harness: whatever the loader accepts must also be safe to run."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.content import Content
from bot.engine.actions import Ask
from bot.engine.events import Choose, Start, Text
from bot.engine.step import step

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def converse(content: Content, payload: str | None, turns: int = 6) -> None:
    """Start ``payload`` (a flow id, or None for the entry), then answer or type ``turns`` times."""
    result = step(content, None, Start(payload), NOW, "de")
    state = result.state
    for turn in range(turns):
        asks = [a for a in result.actions if isinstance(a, Ask)]
        event = Choose(asks[-1].turn, turn % len(asks[-1].options)) if asks else Text("1")
        result = step(content, state, event, NOW, "de")
        state = result.state or state
