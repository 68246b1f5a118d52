"""Rendering a whole reply: a text and the question after it become one message if short."""

from __future__ import annotations

from bot.engine.actions import Ask, Card, Option, Say, ShowServices
from bot.render import JOIN_LIMIT, Button, numbered, render_all

QUESTION = Ask("Worum geht es?", (Option(0, "Bedrohung"), Option(1, "Hass")), 3)


def test_a_text_and_the_next_question_are_one_message():
    (message,) = render_all((Say("Gut, <danke>."), QUESTION))
    assert message.plain == "Gut, <danke>.\n\nWorum geht es?"
    assert message.html == "Gut, &lt;danke&gt;.\n\nWorum geht es?"
    assert message.buttons == (Button("Bedrohung", "3.0"), Button("Hass", "3.1"))
    assert numbered(message).plain.endswith("Worum geht es?\n\n1. Bedrohung\n2. Hass")


def test_long_texts_lone_texts_and_lone_questions_stay_apart():
    long = Say("x" * JOIN_LIMIT)
    assert len(render_all((long, QUESTION))) == 2
    assert len(render_all((Say("a"), Say("b")))) == 2  # nothing to join a plain text to
    assert len(render_all((QUESTION, QUESTION))) == 2  # a question keeps its own buttons
    assert render_all(()) == ()


def test_only_the_text_right_before_the_question_is_joined():
    card = Card("starke-stelle", "Starke Stelle", "Beratung", (), "", "")
    messages = render_all((Say("Hier sind Stellen:"), ShowServices("", (card,)), QUESTION))
    assert [m.buttons != () for m in messages] == [False, True]
    assert messages[0].plain == "Hier sind Stellen:"
    assert messages[1].plain.startswith("Starke Stelle")
    assert messages[1].plain.endswith("Worum geht es?")
