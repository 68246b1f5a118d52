"""The runtime's face towards transports (implemented in :mod:`bot.runtime`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.engine.actions import Action
from bot.engine.events import Event


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an event. ``user_id`` is the platform id: used only to derive the pseudonymous
    key and never stored or logged in clear."""

    platform: str  # "telegram", "matrix" or "console"
    user_id: str
    locale: str | None = None  # the platform's language hint, e.g. "de" or "en-US"

    def __repr__(self) -> str:
        return f"Sender({self.platform}, <id>)"


class Handler(Protocol):
    """What a transport calls for every incoming event."""

    async def handle(self, sender: Sender, event: Event) -> tuple[Action, ...]:
        """Run one event through the engine for this sender; returns what to send back."""
        ...

    async def first_time(self, platform: str, event_id: str) -> bool:
        """True the first time a platform event id is seen; False for a redelivery."""
        ...
