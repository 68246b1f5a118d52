"""Übergriff reports against the store: find the Meldestelle, send, relay, acknowledge, purge.

The pure parts decide (:mod:`bot.engine.report` for the employee, :mod:`bot.engine.contact`
for ``/bestaetigen``); this carries out against the store port and never writes SQL. A
report row holds the report code, the employee's pseudonymous key, their sealed route (as a
case's: in the store's routes file, :mod:`bot.storage.sqlite_routes`), Land, region, locale
and the fixed-choice answers. The answers are cleared as soon as the notice reached the
Meldestelle, and the WAL is checkpointed then so that no copy of them stays. The row is deleted
at the acknowledgement or at its expiry (:data:`REPORT_DAYS`); the store shreds its route in the
routes file before the unit returns, so that needs no checkpoint of the main WAL (which would
hold up every other conversation's commit): what is left of the row (code, pseudonym, times) is
overwritten in the pages (``secure_delete``) and gone from the WAL at the latest with the
checkpoint of the next purge. Expired rows go in :meth:`bot.runtime.Runtime.purge`, whose purge
of conversations checkpoints right after. The employee's typed contact details are relayed
(outbox lane) and never stored, always after the report's notice
(:mod:`bot.handoff.report_relays`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.content import Content
from bot.crypto import Sealer
from bot.engine import report_ask, texts
from bot.engine.actions import Action, RelayReport, Say, SendReport
from bot.engine.state import ReportContext, State
from bot.flow.model import LAND_SLOT, REGION_SLOT
from bot.handoff import rules
from bot.handoff.notices import Notices
from bot.handoff.outbox import Outbox
from bot.handoff.report_relays import RELAY_WAIT, WaitingRelays
from bot.knowledge import BERLIN
from bot.ports import (
    ROLE_MELDESTELLE,
    AddReport,
    Audit,
    ClearReport,
    ContactRecord,
    DropReport,
    Notify,
    OutboxRow,
    ReportRecord,
    Store,
    Unit,
    UnlinkReport,
    Write,
)
from bot.render import Outgoing, from_contact, notice_message
from bot.runtime_api import Sender

log = logging.getLogger(__name__)

#: How long a report row is kept at most (unacknowledged).
REPORT_DAYS = 14
#: The outbox kinds of the reporting route.
NEW_REPORT = "report"
ACKNOWLEDGED = "report_ack:"  # + the employee's locale


def office_for(
    contacts: Sequence[ContactRecord], topic: str, land: str, region: str
) -> ContactRecord | None:
    """The Meldestelle for a region (a registered contact with the role whose regions hold
    it), else one for the Land (without regions of its own); None if there is none."""
    ready = [
        c
        for c in contacts
        if c.role == ROLE_MELDESTELLE and c.platform is not None and c.route is not None
    ]
    local = [c for c in ready if region != "none" and c.serves_region(topic, region)]
    if local:
        return local[0]
    whole = [c for c in ready if not c.regions and land != "none" and c.serves(topic, land)]
    return whole[0] if whole else None


class Reports:
    """The reporting route's store side (owned by :class:`bot.handoff.service.Handoff`)."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        content: Callable[[], Content],
        clock: Callable[[], float],
        outbox: Outbox,
        notices: Notices,
        committed: Callable[[Sequence[Write]], None],
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.content = content
        self.clock = clock
        self.outbox = outbox
        self.notices = notices
        self.committed = committed
        #: relayed contact details waiting for their report's notice (memory only)
        self.waiting = WaitingRelays()
        self.relay_wait = RELAY_WAIT

    def now(self) -> int:
        return int(self.clock())

    def _topic(self, state: State) -> str:
        flow = self.content().flows.get(state.flow)
        return (flow.topic if flow is not None else None) or ""

    async def context_for(self, content: Content, state: State | None) -> ReportContext | None:
        """The Meldestelle's name for this user and a new code, only where the step may
        start or send a report (:func:`bot.engine.report_ask.due`); otherwise None."""
        if state is None or not report_ask.due(content, state):
            return None
        land = state.slot(LAND_SLOT) or "none"
        region = state.slot(REGION_SLOT) or "none"
        found = office_for(await self.store.contacts(), self._topic(state), land, region)
        return ReportContext(found.name, rules.new_code()) if found is not None else None

    async def plan(
        self,
        unit: Unit,
        user_key: bytes,
        sender: Sender,
        actions: tuple[Action, ...],
        erase: bool = False,
    ) -> tuple[Write, ...]:
        """The writes of a step's :class:`SendReport` (in the step's unit). With ``erase``
        (``/loeschen``) the employee's reports are unlinked from them first: a new random key,
        the sealed route released. A report stays with its Meldestelle (it was sent with
        consent, and the employer's duties follow from it), but nothing in it leads back to
        the employee, and nobody is told of its acknowledgement."""
        writes: list[Write] = []
        if erase:
            own = await unit.user_reports(user_key)
            writes += [UnlinkReport(r.code, rules.new_key()) for r in own]
        for action in actions:
            if not isinstance(action, SendReport):
                continue
            found = office_for(await unit.contacts(), action.topic, action.land, action.region)
            if found is None:  # gone between the step's read and its unit: nothing is sent
                log.warning("report.no_office")
                continue
            now = self.now()
            route = self.sealer.seal(f"{sender.platform}|{sender.reply_route}", action.code)
            record = ReportRecord(
                code=action.code,
                user_key=user_key,
                contact_id=found.id,
                user_route=route,
                land=action.land,
                region=action.region,
                locale=self.content().catalogs.normalize(sender.locale),
                answers=action.answers,
                created_at=now,
                expires_at=now + REPORT_DAYS * 86400,
            )
            writes += [
                AddReport(record),
                Notify(NEW_REPORT, action.code, now, contact_id=found.id),
                Audit(now, "report.sent", action.code, "user"),
            ]
        return tuple(writes)

    async def relay(
        self, user_key: bytes, action: RelayReport, locale: str | None
    ) -> tuple[Action, ...]:
        """Pass the employee's contact details to the report's Meldestelle (never stored),
        after the report's notice."""
        t = self.notices.t(locale)
        found = await self.store.report(action.code)
        contact = None
        if found is not None and found.user_key == user_key:
            contact = await self.store.contact(found.contact_id)
        if contact is not None and contact.platform is not None and contact.route is not None:
            label = texts.reach_relay_label(self.notices.t(contact.locale), action.code)
            message = from_contact(label, action.text)
            if await self._after_notice(action.code, contact.platform, contact.route, message):
                log.info("report.contact_relayed")
                return (Say(texts.reach_sent(t)),)
        return (Say(texts.reach_failed(t)),)

    async def _after_notice(self, code: str, platform: str, route: str, message: Outgoing) -> bool:
        """Send a relay once the report's notice is out: at once if it is, else right after
        the worker delivered it (:meth:`delivered`); False if that takes longer than
        :attr:`relay_wait` or the report is gone. Left before the report is read again, so
        that a delivery in between cannot miss it."""
        waiting = self.waiting.add(code, platform, route, message)
        try:
            found = await self.store.report(code)
            if found is not None and found.answers:  # the notice still waits in the outbox
                self.outbox.poke()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.relay_wait):
                        await asyncio.shield(waiting.sent)
        except BaseException:
            self.waiting.claim(code, waiting)
            raise
        if not self.waiting.claim(code, waiting):  # the worker took it, after the notice
            return await waiting.sent
        if found is None or found.answers:
            log.info("report.relay_dropped")  # the notice did not go out in time
            return False
        return await self.outbox.relay(platform, route, message)

    # ------------------------------------------------------------ delivery (the outbox)

    async def prepare(self, row: OutboxRow) -> tuple[str, str, Outgoing] | None:
        """(platform, route, message) of a report notice, made now from the row (None:
        nothing to send any more)."""
        if row.kind.startswith(ACKNOWLEDGED):
            address = None if row.route is None else self.outbox.open_route(row.route, row.code)
            if address is None:
                return None
            t = self.notices.t(row.kind.removeprefix(ACKNOWLEDGED))
            return (*address, notice_message(texts.report_acknowledged(t)))
        found = await self.store.report(row.code)
        contact = None if row.contact_id is None else await self.store.contact(row.contact_id)
        if found is None or not found.answers or contact is None:
            return None
        if contact.platform is None or contact.route is None:
            return None
        return contact.platform, contact.route, notice_message(self.notice(found, contact.locale))

    def notice(self, report: ReportRecord, locale: str) -> str:
        """The Meldestelle's notice of a report, in its language."""
        t = self.notices.t(locale)
        place = self.notices.land(t, report.land)
        local = self.content().knowledge.local_region(report.region)
        lines = [texts.summary_line(t, "region", place if local is None else local.name)]
        sent = datetime.fromtimestamp(report.created_at, UTC).astimezone(BERLIN)
        for name, value in report.answers:
            label = texts.answer_label(t, name, value)
            if name == "what":
                lines.insert(0, texts.summary_line(t, name, label))
            elif name == "where":
                lines.append(texts.summary_line(t, "office", label))
            elif name != "contact":
                lines.append(texts.summary_line(t, name, label))
        contact = dict(report.answers).get("contact") == "ja"
        return texts.report_notice(t, report.code, lines, contact, sent.strftime("%d.%m.%Y %H:%M"))

    async def delivered(self, row: OutboxRow) -> None:
        """A new report's notice reached the Meldestelle: clear its answers at once, then send
        the contact details that wait for it (:mod:`bot.handoff.report_relays`)."""
        if row.kind != NEW_REPORT:
            return
        async with self.store.unit() as unit:
            unit.apply(ClearReport(row.code))
        for waiting in self.waiting.take(row.code):  # typed meanwhile: right after the notice
            sent = False
            try:
                sent = await self.outbox.relay(waiting.platform, waiting.route, waiting.message)
            finally:
                if not waiting.sent.done():
                    waiting.sent.set_result(sent)
        await self.store.checkpoint()
        log.info("report.delivered")

    # ------------------------------------------------------------ the Meldestelle

    async def acknowledge(self, contact: ContactRecord, code: str) -> tuple[Action, ...]:
        """``/bestaetigen CODE``: the report's own Meldestelle acknowledges it; the employee
        is told, the row is deleted. Anything else changes nothing."""
        t = self.notices.t(contact.locale)
        if contact.role != ROLE_MELDESTELLE:
            log.info("report.ack_refused")
            return (Say(texts.ack_meldestelle_only(t)),)
        writes: tuple[Write, ...] = ()
        async with self.store.unit() as unit:
            found = await unit.report(code)
            if found is not None and found.contact_id == contact.id:
                now = self.now()
                told: tuple[Write, ...] = ()
                if found.user_route is not None:  # None: the employee erased their data
                    kind = ACKNOWLEDGED + found.locale
                    told = (Notify(kind, code, now, route=found.user_route),)
                writes = (
                    DropReport(code),
                    *told,
                    Audit(now, "report.acknowledged", code, "contact"),
                )
                unit.apply(*writes)
        if not writes:
            log.info("report.ack_unknown")
            return (Say(texts.ack_unknown(t, code)),)
        self.committed(writes)  # the row's sealed route: shredded in the routes file already
        return (Say(texts.ack_done(t, code)),)

    async def purge(self) -> int:
        """Delete reports past their expiry (their routes shredded in the routes file); how
        many went."""
        gone = await self.store.purge_reports(self.now())
        if gone:
            log.info("report.expired", extra={"count": gone})
        return gone
