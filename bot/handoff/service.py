"""The handoff's parts wired together for the runtime (and for tests and the CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.content import Content
from bot.crypto import Sealer
from bot.engine.actions import Action, Relay, RelayReport
from bot.handoff.admin import Contacts
from bot.handoff.cases import Cases
from bot.handoff.notices import Notices
from bot.handoff.outbox import Outbox
from bot.handoff.reports import Reports
from bot.handoff.rules import HandoffSettings
from bot.metrics import NO_OBSERVER, Observer
from bot.ports import ContactRecord, Store
from bot.runtime_api import Deliver, Sender


class Handoff:
    """Cases, the outbox worker and contact administration over one store."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        content: Callable[[], Content],
        clock: Callable[[], float],
        settings: HandoffSettings | None = None,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.settings = settings or HandoffSettings()
        sealer = Sealer(secret)
        notices = Notices(content, clock)
        self.outbox = Outbox(store, sealer, notices, clock, observer)
        self.cases = Cases(
            store, sealer, content, clock, self.outbox, notices, self.settings, observer
        )
        self.reports = Reports(
            store, sealer, content, clock, self.outbox, notices, self.cases.committed
        )
        self.outbox.reports = self.reports
        self.cases.reports = self.reports
        self.admin = Contacts(store, clock, self.settings, self.cases.committed)

    @property
    def channels(self) -> dict[str, Deliver]:
        """The registered channels by platform (owned by the outbox)."""
        return self.outbox.channels

    def register_channel(self, platform: str, deliver: Deliver) -> None:
        """Let the outbox reach people on this platform."""
        self.outbox.register(platform, deliver)

    async def invite(
        self,
        name: str,
        lands: list[str],
        topics: list[str],
        regions: list[str] | None = None,
        role: str = "contact",
    ) -> str:
        """Create a contact person's invitation; returns the one-time code."""
        return await self.admin.invite(name, lands, topics, regions, role)

    async def contacts(self) -> list[ContactRecord]:
        """Every contact person."""
        return await self.admin.contacts()

    async def remove(self, contact_id: int) -> bool:
        """Remove a contact person."""
        return await self.admin.remove(contact_id)

    async def register(self, sender: Sender, code: str | None) -> tuple[Action, ...]:
        """``/register CODE``."""
        return await self.cases.register(sender, code)

    async def relayed(
        self, key: bytes, actions: tuple[Action, ...], locale: str | None
    ) -> list[Action]:
        """A step's actions with each relay carried out (outside the conversation's lock) and
        replaced by its outcome: nothing if passed on, a notice if not."""
        replies: list[Action] = []
        for action in actions:
            if isinstance(action, Relay):
                replies.extend(await self.cases.user_relay(key, action.code, action.text, locale))
            elif isinstance(action, RelayReport):
                replies.extend(await self.reports.relay(key, action, locale))
            else:
                replies.append(action)
        return replies

    async def escalate_due(self) -> int:
        """Escalate cases whose timer ran out."""
        return await self.cases.escalate_due()

    async def deliver_due(self) -> int:
        """Deliver the due notices."""
        return await self.outbox.deliver_due()

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """The worker: escalate and deliver until ``stop`` is set (the runtime starts it)."""
        await self.outbox.run(stop, self.cases.escalate_due, idle)
