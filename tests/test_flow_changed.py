"""A user whose saved node no longer exists is told that the flow changed (issue 16)."""

from __future__ import annotations

from bot.content import Content
from bot.engine.actions import Say
from bot.engine.events import Choose, Start, Text
from bot.engine.state import State
from bot.engine.step import step
from tests.conftest import MONDAY_10

CHANGED_DE = "Die Inhalte wurden inzwischen überarbeitet"
CHANGED_EN = "The content has been revised"


def said(result: object) -> str:
    return "\n".join(a.text for a in getattr(result, "actions", ()) if isinstance(a, Say))


def test_vanished_node_is_explained_in_german(content: Content) -> None:
    gone = State("demo", "umbenannt", "de", turn=3)
    result = step(content, gone, Text("hallo"), MONDAY_10)
    assert said(result).startswith(CHANGED_DE)
    assert result.state is not None and result.state.flow == "menu"


def test_vanished_node_is_explained_in_english(content: Content) -> None:
    gone = State("verschwunden", "x", "en", turn=3)
    result = step(content, gone, Choose(3, 0), MONDAY_10)
    assert CHANGED_EN in said(result)


def test_no_notice_for_a_new_conversation_or_a_restart(content: Content) -> None:
    assert CHANGED_DE not in said(step(content, None, Text("hallo"), MONDAY_10))
    gone = State("demo", "umbenannt", "de", turn=3)
    assert CHANGED_DE not in said(step(content, gone, Start(), MONDAY_10))
