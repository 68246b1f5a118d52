"""Cases against the store: read what the rules need in a unit, apply what they decide.

:class:`Cases` is the glue between the pure parts (:mod:`bot.handoff.rules`,
:mod:`bot.engine.contact`) and the store port: it reads inside a unit, lets a rule decide,
applies the writes in the same unit, and after the commit reports the audit events and wakes
the outbox (:meth:`Cases.committed`). It never writes SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.content import Content
from bot.crypto import Sealer
from bot.engine import contact as replies
from bot.engine import texts
from bot.engine.actions import Action, CloseCase, OpenCase
from bot.engine.contact import (
    AcknowledgeReport,
    Answer,
    ClaimCase,
    FinishCase,
    ListCases,
    RelayToUser,
    SetAvailability,
    contact_step,
)
from bot.engine.events import Event
from bot.engine.state import CaseContext
from bot.handoff import rules
from bot.handoff.notices import Notices
from bot.handoff.outbox import Outbox
from bot.handoff.rules import HandoffSettings
from bot.lagebild.keys import HANDOFF_CLAIMED, HANDOFF_NOBODY_FREE, case_counter
from bot.metrics import NO_OBSERVER, Observer
from bot.ports import (
    AddCase,
    Audit,
    CaseRecord,
    ContactRecord,
    Count,
    Notify,
    Register,
    SetAvailable,
    Store,
    Unit,
    Write,
)
from bot.render import from_contact, from_user
from bot.runtime_api import Sender

if TYPE_CHECKING:
    from bot.handoff.reports import Reports

log = logging.getLogger(__name__)

#: Audit events that are also counted in the statistics (in the same unit as the case write).
_COUNTED = {"case.claimed": HANDOFF_CLAIMED, "case.nobody_free": HANDOFF_NOBODY_FREE}


class Cases:
    """The handoff's cases and contact persons, carried out against a :class:`~bot.ports.Store`."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        content: Callable[[], Content],
        clock: Callable[[], float],
        outbox: Outbox,
        notices: Notices,
        settings: HandoffSettings,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.content = content
        self.clock = clock
        self.outbox = outbox
        self.notices = notices
        self.settings = settings
        self.observer = observer
        # Supersets kept in memory so that an ordinary message needs no handoff query: the
        # accounts that registered as contacts, and the user keys that ever had a case. Only
        # this process registers contacts and opens cases; a contact removed by the CLI is
        # still looked up in the store (and not found) before anything is done for them.
        self._accounts: set[tuple[str, str]] | None = None
        self._case_users: set[bytes] | None = None
        self.reports: Reports | None = None  # set by the handoff

    def now(self) -> int:
        """The time in whole seconds."""
        return int(self.clock())

    def committed(self, writes: Sequence[Write]) -> None:
        """After a unit committed: log and count its audit events, wake the outbox if it
        queued notices, keep the in-memory supersets up to date."""
        for write in writes:
            match write:
                case Audit(event=event, role=role):
                    log.info(event, extra={"kind": role})
                    self.observer.case(event)
                case AddCase(case=case) if self._case_users is not None:
                    self._case_users.add(case.user_key)
                case Register(platform=platform, account=account) if self._accounts is not None:
                    self._accounts.add((platform, account))
        if any(isinstance(w, Notify) for w in writes):
            self.outbox.poke()

    # ------------------------------------------------------------ users

    async def context_for(
        self, user_key: bytes, limit_key: bytes | Callable[[], bytes], may_open: bool = True
    ) -> CaseContext:
        """The user's open case, or whether a new one may be opened (and its code).

        One lookup of the store answers all of it (:meth:`~bot.ports.CaseReads.standing`),
        and only when needed: the open case is looked for only for user keys that ever had a
        case (the in-memory superset), the block and the daily limit (by the limit key, which
        ``/loeschen`` does not touch and a restart does not forget) and a new code only when
        the step ``may_open`` a case (:func:`bot.engine.case.can_open`). A user who never had a
        case and is not at a consent question costs no query (and ``limit_key``, if given as
        a function, is not even derived)."""
        if self._case_users is None:
            self._case_users = await self.store.case_users()
        had = user_key in self._case_users
        if not had and not may_open:
            return CaseContext()
        limits = limit_key() if callable(limit_key) else limit_key
        found = await self.store.standing(user_key if had else None, limits, self.now())
        cases = [] if found.current is None else [found.current]
        if found.current is not None or not may_open:
            return rules.context(cases, False, 0, self.settings, "")
        return rules.context(cases, found.blocked, found.opened, self.settings, rules.new_code())

    async def plan(
        self,
        unit: Unit,
        keys: tuple[bytes, bytes],
        sender: Sender,
        actions: tuple[Action, ...],
        erase: bool,
    ) -> tuple[Write, ...]:
        """The writes for a step's case actions (read in ``unit``, the step's transaction).

        With ``erase`` every trace of the user in the handoff tables goes too: notices still
        waiting for them are dropped and all their cases are unlinked from their key.
        ``keys`` are the user key and the limit key.
        """
        user_key = keys[0]
        writes: list[Write] = []
        if erase:  # first, while the user's cases can still be found by their key
            cases = await unit.user_cases(user_key)
            writes.extend(rules.unlink(cases, [rules.new_key() for _ in cases]))
        for action in actions:
            if isinstance(action, OpenCase):
                writes.extend(await self._open(unit, keys, sender, action))
            elif isinstance(action, CloseCase):
                case = await unit.case(action.code)
                if case is not None:
                    told = await unit.notified(action.code)
                    now = self.now()
                    writes.extend(
                        rules.close(case, told, action.reason, "user", now, rules.new_key())
                    )
        return tuple(writes)

    async def _open(
        self, unit: Unit, keys: tuple[bytes, bytes], sender: Sender, action: OpenCase
    ) -> tuple[Write, ...]:
        user_key, limit_key = keys
        now = self.now()
        route = self.sealer.seal(f"{sender.platform}|{sender.reply_route}", action.code)
        case = CaseRecord(
            code=action.code,
            user_key=user_key,
            topic=action.topic,
            urgency=action.urgency,
            land=action.land,
            region=action.region,
            status="open",
            contact_id=None,
            circle=0,
            user_route=route,
            locale=self.content().catalogs.normalize(sender.locale),
            created_at=now,
            limit_key=limit_key,
        )
        writes = rules.open_case(case, await unit.contacts(), self.settings)
        return self.counted(case, writes, sender.platform)

    def counted(
        self, case: CaseRecord | None, writes: tuple[Write, ...], platform: str | None = None
    ) -> tuple[Write, ...]:
        """``writes`` and, for a claim or a "nobody free" among them, its statistic (so it is
        written in the same unit). The channel is the user's platform: known at the opening,
        read from the sealed route later (in memory only; "unknown" once it is gone)."""
        events = [_COUNTED[w.event] for w in writes if isinstance(w, Audit) and w.event in _COUNTED]
        if case is None or not events:
            return writes
        if platform is None:
            opened = None
            if case.user_route is not None:
                opened = self.outbox.open_route(case.user_route, case.code)
            platform = opened[0] if opened is not None else "unknown"
        region = case.region
        now = self.now()
        rows = tuple(case_counter(case.topic, case.land, region, platform, e, now) for e in events)
        return (*writes, Count(rows))

    async def user_relay(
        self, user_key: bytes, code: str, text: str, locale: str | None
    ) -> tuple[Action, ...]:
        """Pass the user's text to the contact of their claimed case (outside any lock)."""
        case = await self.store.case(code)
        contact = None
        if case is not None and case.user_key == user_key and case.status == "claimed":
            contact = None if case.contact_id is None else await self.store.contact(case.contact_id)
        if (
            contact is not None
            and contact.platform is not None
            and contact.route is not None
            and await self.outbox.relay(contact.platform, contact.route, from_user(code, text))
        ):
            return ()
        return replies.user_relay_failed(self.notices.t(locale))

    async def escalate_due(self) -> int:
        """Escalate every open case whose timer ran out; returns how many."""
        due = await self.store.cases_due(self.now())
        for found in due:
            async with self.store.unit() as unit:
                case = await unit.case(found.code)
                if case is None or case.status != "open":
                    continue
                told = await unit.notified(case.code)
                writes = rules.escalate(
                    case, told, await unit.contacts(), self.now(), self.settings
                )
                writes = self.counted(case, writes)
                unit.apply(*writes)
            self.committed(writes)
        return len(due)

    async def purge(self, idle_days: int) -> int:
        """Close cases open longer than ``idle_days`` (shredding the route), then delete closed
        cases and audit entries past their time, ended blocks and unused invitations."""
        now = self.now()
        async with self.store.unit() as unit:
            writes: list[Write] = []
            for case in await unit.cases_opened_before(now - idle_days * 86400):
                told = await unit.notified(case.code)
                writes.extend(rules.close(case, told, "expired", "system", now, rules.new_key()))
            unit.apply(*writes)
        self.committed(writes)  # the routes of the closed cases are gone already (the unit)
        return await self.store.purge_cases(
            now - self.settings.case_retention_days * 86400,
            now - self.settings.audit_retention_days * 86400,
            now,
        )

    # ------------------------------------------------------------ contact persons

    async def contact_for(self, sender: Sender) -> ContactRecord | None:
        """The registered contact person behind a sender, if any."""
        if self._accounts is None:
            self._accounts = await self.store.contact_accounts()
        if (sender.platform, sender.user_id) not in self._accounts:
            return None
        return await self.store.contact_by_account(sender.platform, sender.user_id)

    async def register(self, sender: Sender, code: str | None) -> tuple[Action, ...]:
        """``/register CODE``: make this account a contact person's channel."""
        now = self.now()
        writes: tuple[Write, ...] = ()
        async with self.store.unit() as unit:
            invited = await unit.invitation(rules.invite_hash(code or ""), now)
            taken = await unit.contact_by_account(sender.platform, sender.user_id)
            if invited is not None and taken is None:
                locale = self.content().catalogs.normalize(sender.locale)
                writes = (
                    Register(invited, sender.platform, sender.user_id, sender.reply_route, locale),
                    Audit(now, "contact.registered", None, "contact"),
                )
                unit.apply(*writes)
        self.committed(writes)
        if not writes:
            log.info("contact.register_refused")
        return replies.register_reply(self.notices.t(sender.locale), bool(writes))

    def refuse(self, sender: Sender) -> tuple[Action, ...]:
        """The answer to a contact command from someone who is not a contact person."""
        log.info("contact.refused")
        return replies.refusal(self.notices.t(sender.locale))

    async def contact_event(
        self, contact: ContactRecord, event: Event
    ) -> tuple[Action, ...] | None:
        """Everything a registered contact person sends as one: the engine decides, this
        carries out. None: the event is theirs as a user (see
        :func:`~bot.engine.contact.as_contact`)."""
        t = self.notices.t(contact.locale)
        cases = await self.store.contact_cases(contact.id)
        if not replies.as_contact(event, bool(cases)):
            return None
        claimed = tuple(c.code for c in cases if c.status == "claimed")
        request = contact_step(event, t, claimed)
        match request:
            case Answer(actions):
                return actions
            case ClaimCase(code):
                return replies.claim_reply(t, await self._claim(contact, code), code)
            case FinishCase(code, how):
                return replies.finish_reply(t, await self._finish(contact, code, how), code, how)
            case ListCases():
                listed = await self.store.contact_cases(contact.id)
                return replies.cases_reply(t, [self.notices.listing(t, c) for c in listed])
            case SetAvailability(available):
                event_name = "contact.available" if available else "contact.away"
                await self._apply(
                    SetAvailable(contact.id, available),
                    Audit(self.now(), event_name, None, "contact"),
                )
                return replies.availability_reply(t, available)
            case RelayToUser(code, text):
                return await self._contact_relay(contact, code, text)
            case AcknowledgeReport(code) if self.reports is not None:
                return await self.reports.acknowledge(contact, code)
        return replies.refusal(t)

    async def _apply(self, *writes: Write) -> None:
        async with self.store.unit() as unit:
            unit.apply(*writes)
        self.committed(writes)

    async def _claim(self, contact: ContactRecord, code: str) -> str:
        async with self.store.unit() as unit:
            case = await unit.case(code)
            told = await unit.notified(code) if case is not None else set()
            outcome, writes = rules.claim(case, told, contact.id, self.now())
            writes = self.counted(case, writes)
            unit.apply(*writes)
        self.committed(writes)
        return outcome

    async def _finish(self, contact: ContactRecord, code: str, how: str) -> bool:
        async with self.store.unit() as unit:
            case = await unit.case(code)
            closed, writes = rules.finish(
                case, contact.id, how, self.now(), self.settings, rules.new_key()
            )
            unit.apply(*writes)
        self.committed(writes)  # the route is gone already (the unit shredded it)
        return closed

    async def _contact_relay(
        self, contact: ContactRecord, code: str, text: str
    ) -> tuple[Action, ...]:
        case = await self.store.case(code)
        mine = case is not None and case.status == "claimed" and case.contact_id == contact.id
        if case is not None and mine and case.user_route is not None and text:
            address = self.outbox.open_route(case.user_route, code)
            if address is not None:
                label = texts.contact_label(self.notices.t(case.locale))
                if await self.outbox.relay(*address, from_contact(label, text)):
                    return ()
        return replies.relay_failed(self.notices.t(contact.locale), code)
