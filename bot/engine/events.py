"""Events a transport feeds into the engine; platform-neutral, frozen."""

from __future__ import annotations

from dataclasses import dataclass

#: Canonical names of the global commands; transports map localized names onto these.
COMMANDS = ("start", "help", "emergency", "back", "restart", "language", "privacy", "delete")


@dataclass(frozen=True, slots=True)
class Start:
    """The user opened the bot, optionally with a deep-link payload naming a flow."""

    payload: str | None = None


@dataclass(frozen=True, slots=True)
class Choose:
    """A button press: option ``index`` of the prompt issued at ``turn``."""

    turn: int
    index: int


@dataclass(frozen=True, slots=True)
class Text:
    """Free text typed by the user. Held only while one step runs; never stored or logged."""

    text: str = ""

    def __repr__(self) -> str:  # keep user text out of any accidental repr/log
        return f"Text(<{len(self.text)} chars>)"


@dataclass(frozen=True, slots=True)
class Command:
    """A global command by canonical name (see :data:`COMMANDS`)."""

    name: str
    argument: str | None = None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A photo, voice message, file or sticker: never downloaded, answered with a hint."""

    kind: str = "media"


Event = Start | Choose | Text | Command | Unsupported
