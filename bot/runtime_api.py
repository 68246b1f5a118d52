"""The runtime's face towards transports (implemented in :mod:`bot.runtime`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.engine.actions import Action
from bot.engine.events import Event
from bot.render import Outgoing

#: Sends one message to a route (chat id or room id); the key lets a platform drop a repeat.
Deliver = Callable[[str, Outgoing, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent an event. ``user_id`` is the platform id: used only to derive the pseudonymous
    key and never stored or logged in clear."""

    platform: str  # "telegram", "matrix" or "console"
    user_id: str
    locale: str | None = None  # the platform's language hint, e.g. "de" or "en-US"
    route: str | None = None  # where replies go if not to user_id: a chat id or Matrix room id

    @property
    def reply_route(self) -> str:
        """Where to send messages for this sender later (handoff notices, relayed replies)."""
        return self.route or self.user_id

    def __repr__(self) -> str:
        return f"Sender({self.platform}, <id>)"


#: Whether the device an event came from is verified; asked only on the contact person's path.
VerifyDevice = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One event as a transport received it: who sent it, what it means for the engine, and
    the platform's id of it (to drop redeliveries; None where a platform has none)."""

    sender: Sender
    event: Event
    event_id: str | None = None
    #: asks whether the sending device is cross-signed by its account (Matrix), only when it
    #: matters: the runtime refuses registration and contact actions when it answers False
    #: (security plan T12). None where a platform has no such notion (Telegram, the console).
    verify_device: VerifyDevice | None = None


#: The people a channel is in a conversation with right now, as senders with their route (for
#: the purge: the runtime derives their keys itself, so the channel keeps no key map; whoever
#: has no stored conversation any more, and is no contact person, is erased on the channel).
Partners = Callable[[], Iterable[Sender]]
#: Erases one partner on the channel after their conversation was erased or purged: sends the
#: (translated) notice, then removes what the channel itself keeps about them.
Erase = Callable[[Sender, str], Awaitable[None]]


class Handler(Protocol):
    """What a transport calls for every incoming event: the one way in."""

    async def handle(self, incoming: Incoming) -> tuple[Action, ...]:
        """Flood check, dropping a redelivered event id, routing (user or contact person), the
        conversation's lock, the engine step, the save and the outbox, in that order; returns
        what to send back to the sender (empty for a redelivery or a refused flood)."""
        ...

    def register_channel(self, platform: str, deliver: Deliver) -> None:
        """Let the runtime reach people on this platform outside a reply (handoff)."""
        ...

    def register_erasure(self, platform: str, partners: Partners, erase: Erase) -> None:
        """Let the runtime tell this platform which partners' conversations went."""
        ...
