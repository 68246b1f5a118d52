"""The outbox worker: owns the channel registry and the wake event, delivers notices, relays.

Notices are rows of the outbox, written in the unit that decided them. The worker reads them
through the store port, which returns committed rows only, and it is woken only after a commit
(:meth:`Outbox.poke`), so a notice whose unit rolled back is never sent.

Relayed text is never written anywhere: :meth:`Outbox.relay` hands it to the platform at once,
outside every conversation's lock. Each destination (platform and route) is a lane of its own:
messages to one person keep their order, and a slow platform delays only what goes to it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from bot.crypto import Sealer
from bot.errors import StorageError
from bot.handoff.notices import Notices
from bot.metrics import NO_OBSERVER, Observer
from bot.ports import CaseRecord, ContactRecord, OutboxRow, OutboxStore
from bot.render import Outgoing
from bot.runtime_api import Deliver

log = logging.getLogger(__name__)

#: Longest wait for one platform call before it counts as failed.
SEND_TIMEOUT = 30.0


class ReportNotices(Protocol):
    """The reporting route's part of delivery (:class:`bot.handoff.reports.Reports`)."""

    async def prepare(self, row: OutboxRow) -> tuple[str, str, Outgoing] | None: ...

    async def delivered(self, row: OutboxRow) -> None: ...


class _Reads(OutboxStore, Protocol):
    async def case(self, code: str) -> CaseRecord | None: ...

    async def contact(self, contact_id: int) -> ContactRecord | None: ...


class _Lanes:
    """One lock per destination, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Outbox:
    """Delivers the outbox and relayed text through the channels the transports register."""

    def __init__(
        self,
        store: _Reads,
        sealer: Sealer,
        notices: Notices,
        clock: Callable[[], float],
        observer: Observer = NO_OBSERVER,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.notices = notices
        self.clock = clock
        self.observer = observer
        self.send_timeout = send_timeout
        self.channels: dict[str, Deliver] = {}
        self.wake = asyncio.Event()
        self._lanes = _Lanes()
        #: the notices of Übergriff reports (kinds ``report...``), set by the handoff
        self.reports: ReportNotices | None = None

    def register(self, platform: str, deliver: Deliver) -> None:
        """A transport can reach people on ``platform`` now; what waits for it goes out."""
        self.channels[platform] = deliver
        self.wake.set()

    def poke(self) -> None:
        """Notices were committed: deliver them soon. Call only after the commit."""
        self.wake.set()

    async def send(self, platform: str, route: str, message: Outgoing, key: str = "") -> bool:
        """Send one message in its destination's lane; False if it could not be sent now."""
        deliver = self.channels.get(platform)
        if deliver is None:
            return False
        async with self._lanes.hold((platform, route)):
            try:
                async with asyncio.timeout(self.send_timeout):
                    await deliver(route, message, key)
            except Exception as err:  # any failure of a platform means "retry later"
                log.warning(
                    "delivery.failed", extra={"platform": platform, "error": type(err).__name__}
                )
                return False
        return True

    async def relay(self, platform: str, route: str, message: Outgoing) -> bool:
        """Pass relayed text on at once (held in memory only, never stored)."""
        return await self.send(platform, route, message)

    def open_route(self, sealed: bytes, code: str) -> tuple[str, str] | None:
        """(platform, route) of a user's sealed route, or None if it cannot be read."""
        try:
            platform, _, route = self.sealer.open(sealed, code).partition("|")
        except StorageError:
            log.warning("outbox.unreadable_route")
            return None
        return platform, route

    async def deliver_due(self, limit: int = 50) -> int:
        """Deliver due notices (each platform on its own, concurrently); failed ones are
        retried later with backoff, ones for a platform not yet registered wait untouched."""
        now = int(self.clock())
        rows = await self.store.outbox_due(now, limit)
        by_platform: dict[str, list[tuple[OutboxRow, str, Outgoing]]] = {}
        for row in rows:
            found = await self._prepare(row)
            if found is None:  # the recipient or the case is gone: nothing to send
                await self.store.outbox_done(row.id)  # shreds the route it held
                continue
            platform, route, message = found
            if platform in self.channels:
                by_platform.setdefault(platform, []).append((row, route, message))
        counts = await asyncio.gather(
            *(self._deliver(platform, batch, now) for platform, batch in by_platform.items())
        )
        return sum(counts)

    async def _prepare(self, row: OutboxRow) -> tuple[str, str, Outgoing] | None:
        if row.kind.startswith("report"):
            return None if self.reports is None else await self.reports.prepare(row)
        case = await self.store.case(row.code)
        if case is None:
            return None
        if row.target == "contact":
            contact = None if row.contact_id is None else await self.store.contact(row.contact_id)
            if contact is None or contact.platform is None or contact.route is None:
                return None
            platform, route, locale = contact.platform, contact.route, contact.locale
        else:
            address = None if row.route is None else self.open_route(row.route, row.code)
            if address is None:
                return None
            (platform, route), locale = address, case.locale
        message = self.notices.notice(row.kind, case, locale)
        return None if message is None else (platform, route, message)

    async def _deliver(
        self, platform: str, batch: list[tuple[OutboxRow, str, Outgoing]], now: int
    ) -> int:
        sent = 0
        for row, route, message in batch:
            # the key must never repeat: row ids are reused once a row is deleted
            key = (
                f"beistand-{row.nonce}"
                if row.nonce
                else f"beistand-{row.id}-{secrets.token_hex(6)}"
            )
            if await self.send(platform, route, message, key):
                if self.reports is not None:  # a report's answers go first (a crash: not resent)
                    await self.reports.delivered(row)
                await self.store.outbox_done(row.id)
                sent += 1
            else:
                await self.store.outbox_retry(row.id, now + min(300, 2**row.attempts))
        return sent

    async def run(
        self, stop: asyncio.Event, escalate: Callable[[], Awaitable[int]], idle: float = 1.0
    ) -> None:
        """Escalate due cases and deliver the outbox until ``stop`` is set."""
        while not stop.is_set():
            self.wake.clear()
            try:
                await escalate()
                await self.deliver_due()
            except Exception as err:  # keep the worker alive; log the type only
                log.error("handoff.worker_failed", extra={"error": type(err).__name__})
                self.observer.error(type(err).__name__)
            waiter = asyncio.create_task(self.wake.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
