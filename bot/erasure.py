"""Erasure on the channels: after ``/loeschen`` and after each purge, the runtime tells a channel
whose conversation went, so the channel can forget its side too (on Matrix: leave and forget the
room, drop the partner's keys and the room's sessions; see ``docs/matrix.md``).

The runtime knows only pseudonymous keys. A channel therefore keeps no map from key to room:
it registers ``partners`` (who it talks to now, from its own memory) and ``erase``; after a purge
every partner whose key has no stored conversation any more, and who is no contact person, is
erased. That includes conversations purged while the channel was not running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.engine.texts import room_erased
from bot.i18n import Translator
from bot.metrics import Observer
from bot.runtime_api import Erase, Partners, Sender

log = logging.getLogger("bot.runtime")

#: True if the sender still has a stored conversation, or is a contact person (kept).
Keep = Callable[[Sender], Awaitable[bool]]


class ChannelErasure:
    """The channels' erasure hooks, by platform."""

    def __init__(self, translator: Callable[[str | None], Translator], observer: Observer) -> None:
        self._translator = translator
        self._observer = observer
        self._erasers: dict[str, tuple[Partners, Erase]] = {}

    def register(self, platform: str, partners: Partners, erase: Erase) -> None:
        self._erasers[platform] = (partners, erase)

    async def erase(self, sender: Sender) -> None:
        """Tell the sender's platform that their conversation is gone (never raises)."""
        eraser = self._erasers.get(sender.platform)
        if eraser is None:
            return
        try:
            await eraser[1](sender, room_erased(self._translator(sender.locale)))
        except Exception as error:  # the store is erased already; log the type only
            log.error(
                "channel.erase_failed",
                extra={"platform": sender.platform, "error": type(error).__name__},
            )
            self._observer.error(type(error).__name__)

    async def erase_gone(self, keep: Keep) -> int:
        """After a purge: erase every partner the channels still talk to that ``keep`` lets go
        (the channel leaves out rooms with work in hand). Returns how many."""
        erased = 0
        for partners, _ in list(self._erasers.values()):
            for sender in list(partners()):
                if not await keep(sender):
                    await self.erase(sender)
                    erased += 1
        return erased
