"""Typed text to one engine event, the same way on every platform (pure, no I/O).

A command (``/hilfe``, ``/help``, ``/help@botname``; German and English names from
:mod:`bot.engine.commands`) becomes :class:`~bot.engine.events.Command`; ``/start FLOW`` (a
Telegram deep link, a ``matrix.to`` link's text, or typed in ``beistand chat``) becomes
``Start(FLOW)``; anything else, numbers and answer labels included, arrives as
:class:`~bot.engine.events.Text` for the engine to match against the question.
"""

from __future__ import annotations

import re

from bot.engine.commands import parse_command
from bot.engine.events import Event, Start, Text

#: What a ``/start`` argument may be (Telegram's rule for deep-link payloads); anything else is
#: dropped and the user gets a plain start. Deep links name flows only, never people.
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def parse_typed(text: str) -> Event:
    """The engine event for a typed text: a command, ``Start(FLOW)``, or the text itself."""
    command = parse_command(text)
    if command is None:
        return Text(text)
    if command.name == "start":
        payload = command.argument
        return Start(payload if payload and START_PAYLOAD.fullmatch(payload) else None)
    return command
