"""Human handoff: cases, contact persons, escalation, the outbox and the relay.

The engine decides *that* a case is opened or closed (``OpenCase``/``CloseCase``/``Relay``
actions); this module carries it out against the store: who is notified, who wins a claim,
when a case escalates, and how notifications reach people through the transports' channels.
Relayed text passes straight through to the other side and is never written anywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiosqlite

from bot.content import Content
from bot.crypto import Sealer
from bot.engine.actions import Action, CloseCase, OpenCase, Say, Stale
from bot.engine.events import Choose, Command, Event, Start, Text
from bot.engine.present import card_for
from bot.engine.state import CaseContext
from bot.engine.texts import stale_button
from bot.errors import StorageError
from bot.i18n import Translator
from bot.knowledge import BERLIN, select
from bot.metrics import NO_OBSERVER, Observer
from bot.render import Button, Outgoing, claim_data, render_card
from bot.render import escape as _esc
from bot.runtime_api import Deliver, Sender
from bot.storage.sqlite import SqliteStore

log = logging.getLogger(__name__)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_NATIONWIDE = "DE"
_ALL_TOPICS = "all"


def new_code(length: int = 6) -> str:
    """A short random case code such as ``K7F3-Q9`` (32 symbols, 5 random bits each)."""
    bits = int.from_bytes(secrets.token_bytes(5 * length // 8 + 1), "big")
    raw = "".join(_CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
    return f"{raw[:4]}-{raw[4:]}"


def invite_hash(code: str) -> bytes:
    """How an invitation code is stored (never in clear)."""
    return hashlib.sha256(code.strip().upper().replace(" ", "").encode()).digest()


@dataclass(frozen=True, slots=True)
class HandoffSettings:
    """Timeouts and limits of the handoff (see docs/handoff.md)."""

    escalate_minutes: dict[str, int] = field(
        default_factory=lambda: {"high": 10, "normal": 60, "low": 240}
    )
    cases_per_day: int = 3
    abuse_block_days: int = 30
    case_retention_days: int = 7
    audit_retention_days: int = 90
    invite_days: int = 7


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact person as stored."""

    id: int
    name: str
    lands: tuple[str, ...]
    topics: tuple[str, ...]
    platform: str | None
    account: str | None
    route: str | None
    locale: str
    available: bool

    def serves(self, topic: str, land: str | None) -> bool:
        """Whether this contact covers the topic and, unless ``land`` is None, that region
        (``DE`` means the nationwide contacts)."""
        topic_ok = _ALL_TOPICS in self.topics or topic in self.topics
        return topic_ok and (land is None or land in self.lands)

    def __repr__(self) -> str:
        return f"ContactRecord(id={self.id})"


_CONTACT_COLUMNS = "id, name, lands, topics, platform, account, route, locale, available"


def _contact(row: Iterable[object]) -> ContactRecord:
    cid, name, lands, topics, platform, account, route, locale, available = tuple(row)
    return ContactRecord(
        id=int(str(cid)),
        name=str(name),
        lands=tuple(json.loads(str(lands))),
        topics=tuple(json.loads(str(topics))),
        platform=None if platform is None else str(platform),
        account=None if account is None else str(account),
        route=None if route is None else str(route),
        locale=str(locale),
        available=bool(available),
    )


@dataclass(frozen=True, slots=True)
class _Case:
    code: str
    topic: str
    urgency: str
    land: str
    status: str
    contact_id: int | None
    circle: int
    locale: str
    created_at: int


class Handoff:
    """Runs cases against the store and delivers notifications through registered channels."""

    def __init__(
        self,
        store: SqliteStore,
        secret: bytes,
        content: Callable[[], Content],
        clock: Callable[[], float],
        settings: HandoffSettings | None = None,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.store = store
        self.observer = observer
        self.sealer = Sealer(secret)
        self.content = content
        self.clock = clock
        self.settings = settings or HandoffSettings()
        self.channels: dict[str, Deliver] = {}
        self.wake = asyncio.Event()
        # Supersets kept in memory so that an ordinary message needs no handoff query: the
        # accounts that registered as contacts, and the user keys that ever had a case. Only
        # this process registers contacts and opens cases; a contact removed by the CLI is
        # still looked up in the database (and not found) before anything is done for them.
        self._accounts: set[tuple[str, str]] | None = None
        self._case_users: set[bytes] | None = None

    # ------------------------------------------------------------ helpers

    def t(self, locale: str | None) -> Translator:
        return self.content().catalogs.translator(locale)

    async def _one(self, sql: str, args: tuple[object, ...]) -> tuple[object, ...] | None:
        rows = await self.store.db.execute_fetchall(sql, args)
        return tuple(next(iter(rows))) if rows else None

    async def _audit(
        self, db: aiosqlite.Connection, event: str, code: str | None, role: str
    ) -> None:
        await db.execute(
            "INSERT INTO audit (at, event, code, role) VALUES (?, ?, ?, ?)",
            (int(self.clock()), event, code, role),
        )
        log.info(event, extra={"kind": role})
        self.observer.case(event)

    async def _case(self, code: str) -> _Case | None:
        row = await self._one(
            "SELECT code, topic, urgency, land, status, contact_id, circle, locale, created_at "
            "FROM cases WHERE code=?",
            (code,),
        )
        if row is None:
            return None
        c, topic, urgency, land, status, contact_id, circle, locale, created = row
        return _Case(
            str(c),
            str(topic),
            str(urgency),
            str(land),
            str(status),
            None if contact_id is None else int(str(contact_id)),
            int(str(circle)),
            str(locale),
            int(str(created)),
        )

    async def _queue(
        self,
        db: aiosqlite.Connection,
        kind: str,
        code: str,
        *,
        contact_id: int | None = None,
        route: bytes | None = None,
    ) -> None:
        target = "contact" if contact_id is not None else "user"
        await db.execute(
            "INSERT INTO outbox (target, contact_id, code, route, kind, next_at, created_at, "
            "nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                target,
                contact_id,
                code,
                route,
                kind,
                int(self.clock()),
                int(self.clock()),
                secrets.token_hex(12),
            ),
        )
        self.wake.set()

    # ------------------------------------------------------------ users

    async def context_for(self, user_key: bytes) -> CaseContext:
        """The user's open case, or whether a new one may be opened (and its code)."""
        if self._case_users is None:
            rows = await self.store.db.execute_fetchall("SELECT DISTINCT user_key FROM cases")
            self._case_users = {bytes(r[0]) for r in rows}
        if user_key not in self._case_users:  # never had a case: no open case, no block, no limit
            return CaseContext(new_code=new_code())
        row = await self._one(
            "SELECT code, status FROM cases WHERE user_key=? AND status IN ('open', 'claimed')",
            (user_key,),
        )
        if row is not None:
            return CaseContext(code=str(row[0]), claimed=row[1] == "claimed")
        now = int(self.clock())
        blocked = await self._one(
            "SELECT 1 FROM blocks WHERE user_key=? AND until > ?", (user_key, now)
        )
        if blocked is not None:
            return CaseContext(refusal="blocked")
        recent = await self._one(
            "SELECT count(*) FROM cases WHERE user_key=? AND created_at > ?",
            (user_key, now - 86400),
        )
        if recent is not None and int(str(recent[0])) >= self.settings.cases_per_day:
            return CaseContext(refusal="limit")
        return CaseContext(new_code=new_code())

    def writes_for(
        self, user_key: bytes, sender: Sender, actions: tuple[Action, ...], erase: bool = False
    ) -> Callable[[aiosqlite.Connection], Awaitable[None]] | None:
        """The store work for a step's case actions, to run in the step's transaction.

        With ``erase`` every trace of the user in the handoff tables goes too: notices still
        waiting for them are dropped and all their cases are unlinked from their key.
        """
        work = [a for a in actions if isinstance(a, OpenCase | CloseCase)]
        if not work and not erase:
            return None

        async def apply(db: aiosqlite.Connection) -> None:
            if erase:  # first, while the user's cases can still be found by their key
                await self._unlink(db, user_key)
            for action in work:
                if isinstance(action, OpenCase):
                    await self._open(db, user_key, sender, action)
                else:
                    await self._close(db, action.code, action.reason, "user")

        return apply

    async def _unlink(self, db: aiosqlite.Connection, user_key: bytes) -> None:
        await db.execute(
            "DELETE FROM outbox WHERE target='user' AND code IN "
            "(SELECT code FROM cases WHERE user_key=?)",
            (user_key,),
        )
        codes = await db.execute_fetchall("SELECT code FROM cases WHERE user_key=?", (user_key,))
        for (code,) in codes:
            await db.execute(
                "UPDATE cases SET user_key=?, user_route=NULL WHERE code=?",
                (secrets.token_bytes(32), code),
            )

    async def _contacts(
        self, db: aiosqlite.Connection, topic: str, land: str | None, exclude: set[int]
    ) -> list[ContactRecord]:
        rows = await db.execute_fetchall(
            f"SELECT {_CONTACT_COLUMNS} FROM contacts WHERE account IS NOT NULL AND available=1"  # noqa: S608
        )
        found = [_contact(r) for r in rows]
        return [c for c in found if c.id not in exclude and c.serves(topic, land)]

    async def _notify(
        self, db: aiosqlite.Connection, code: str, contacts: list[ContactRecord]
    ) -> None:
        for contact in contacts:
            await db.execute("INSERT OR IGNORE INTO case_notices VALUES (?, ?)", (code, contact.id))
            await self._queue(db, "new", code, contact_id=contact.id)

    async def _open(
        self, db: aiosqlite.Connection, user_key: bytes, sender: Sender, action: OpenCase
    ) -> None:
        now = int(self.clock())
        land = None if action.land == "none" else action.land
        route = self.sealer.seal(f"{sender.platform}|{sender.reply_route}", action.code)
        if self._case_users is not None:
            self._case_users.add(user_key)
        await db.execute(
            "INSERT INTO cases (code, user_key, topic, urgency, land, status, circle, user_route, "
            "locale, created_at) VALUES (?, ?, ?, ?, ?, 'open', 1, ?, ?, ?)",
            (
                action.code,
                user_key,
                action.topic,
                action.urgency,
                action.land,
                route,
                self.content().catalogs.normalize(sender.locale),
                now,
            ),
        )
        await self._audit(db, "case.opened", action.code, "user")
        await self._escalate(db, action.code, action.topic, action.urgency, land, 0)

    async def _escalate(
        self,
        db: aiosqlite.Connection,
        code: str,
        topic: str,
        urgency: str,
        land: str | None,
        circle: int,
    ) -> None:
        """Move a case to the next circle that has someone to notify, or to "nobody free"."""
        now = int(self.clock())
        rows = await db.execute_fetchall(
            "SELECT contact_id FROM case_notices WHERE code=?", (code,)
        )
        told = {int(r[0]) for r in rows}
        timeout = self.settings.escalate_minutes.get(urgency, 60) * 60
        # circle 1: the user's Land (nationwide contacts if no Land was given); 2: everyone
        for next_circle, scope in ((1, land or _NATIONWIDE), (2, None)):
            if next_circle <= circle:
                continue
            contacts = await self._contacts(db, topic, scope, told)
            if contacts:
                await self._notify(db, code, contacts)
                await db.execute(
                    "UPDATE cases SET circle=?, escalate_at=? WHERE code=?",
                    (next_circle, now + timeout, code),
                )
                if circle:
                    await self._audit(db, "case.escalated", code, "system")
                return
        await db.execute("UPDATE cases SET circle=3, escalate_at=NULL WHERE code=?", (code,))
        route = await self._user_route(db, code)
        await self._queue(db, "nobody", code, route=route)
        await self._audit(db, "case.nobody_free", code, "system")

    async def _user_route(self, db: aiosqlite.Connection, code: str) -> bytes | None:
        rows = await db.execute_fetchall("SELECT user_route FROM cases WHERE code=?", (code,))
        row = next(iter(rows), None)
        return None if row is None or row[0] is None else bytes(row[0])

    async def _close(self, db: aiosqlite.Connection, code: str, reason: str, role: str) -> bool:
        rows = await db.execute_fetchall(
            "SELECT status, contact_id, user_route FROM cases WHERE code=?", (code,)
        )
        row = next(iter(rows), None)
        if row is None or row[0] == "closed":
            return False
        status, contact_id, route = row
        if role in ("user", "system"):
            kind = "withdrawn" if reason in ("erased", "expired") else "ended_by_user"
            if status == "claimed" and contact_id is not None:
                await self._queue(db, kind, code, contact_id=int(contact_id))
            else:
                notified = await db.execute_fetchall(
                    "SELECT contact_id FROM case_notices WHERE code=?", (code,)
                )
                for (cid,) in notified:
                    await self._queue(db, "withdrawn", code, contact_id=int(cid))
        elif route is not None:
            await self._queue(db, "ended_by_contact", code, route=bytes(route))
        await db.execute(
            "UPDATE cases SET status='closed', closed_at=?, user_route=NULL, escalate_at=NULL, "
            "close_reason=? WHERE code=?",
            (int(self.clock()), reason, code),
        )
        if reason in ("erased", "expired"):  # the case can no longer be linked to the user
            await db.execute(
                "UPDATE cases SET user_key=? WHERE code=?", (secrets.token_bytes(32), code)
            )
        await self._audit(db, f"case.closed.{reason}", code, role)
        return True

    async def relay_from_user(
        self, user_key: bytes, code: str, text: str, locale: str | None
    ) -> tuple[Action, ...]:
        """Pass the user's text to the contact of their claimed case, right now."""
        row = await self._one(
            "SELECT c.platform, c.route FROM cases k JOIN contacts c ON c.id = k.contact_id "
            "WHERE k.code=? AND k.user_key=? AND k.status='claimed'",
            (code, user_key),
        )
        message = Outgoing(f"[{code}] {text}", f"<b>[{_esc(code)}]</b> {_esc(text)}")
        if row is not None and await self._send(str(row[0]), str(row[1]), message, ""):
            return ()
        return (
            Say(
                self.t(locale).gettext(
                    "Ihre Nachricht konnte gerade nicht zugestellt werden. Bitte versuchen Sie es "
                    "gleich noch einmal. Bei akuter Gefahr: 110."
                )
            ),
        )

    async def _send(self, platform: str, route: str, message: Outgoing, key: str) -> bool:
        deliver = self.channels.get(platform)
        if deliver is None:
            return False
        try:
            await deliver(route, message, key)
        except Exception as err:  # any failure of a platform means "retry later"
            log.warning(
                "delivery.failed", extra={"platform": platform, "error": type(err).__name__}
            )
            return False
        return True

    # ------------------------------------------------------------ contacts

    async def contact_for(self, sender: Sender) -> ContactRecord | None:
        """The registered contact person behind a sender, if any."""
        if self._accounts is None:
            rows = await self.store.db.execute_fetchall(
                "SELECT platform, account FROM contacts WHERE account IS NOT NULL"
            )
            self._accounts = {(str(p), str(a)) for p, a in rows}
        if (sender.platform, sender.user_id) not in self._accounts:
            return None
        row = await self._one(
            f"SELECT {_CONTACT_COLUMNS} FROM contacts WHERE platform=? AND account=?",  # noqa: S608
            (sender.platform, sender.user_id),
        )
        return None if row is None else _contact(row)

    async def register(self, sender: Sender, code: str | None) -> tuple[Action, ...]:
        """``/register CODE``: make this account a contact person's channel."""
        t = self.t(sender.locale)
        now = int(self.clock())
        async with self.store.transaction() as db:
            cur = await db.execute(
                "UPDATE contacts SET platform=?, account=?, route=?, locale=?, invite_hash=NULL, "
                "invite_expires=NULL WHERE invite_hash=? AND invite_expires > ? "
                "AND NOT EXISTS (SELECT 1 FROM contacts WHERE platform=? AND account=?)",
                (
                    sender.platform,
                    sender.user_id,
                    sender.reply_route,
                    self.content().catalogs.normalize(sender.locale),
                    invite_hash(code or ""),
                    now,
                    sender.platform,
                    sender.user_id,
                ),
            )
            ok = cur.rowcount == 1
            await cur.close()
            if ok:
                await self._audit(db, "contact.registered", None, "contact")
                if self._accounts is not None:
                    self._accounts.add((sender.platform, sender.user_id))
        if not ok:
            log.info("contact.register_refused")
            return (Say(t.gettext("Dieser Code ist ungültig oder abgelaufen.")),)
        return (
            Say(
                t.gettext(
                    "Sie sind jetzt als Ansprechperson registriert. Neue Fälle kommen hier an. "
                    "Mit /faelle sehen Sie Ihre Fälle, mit /abwesend pausieren Sie "
                    "Benachrichtigungen."
                )
            ),
        )

    async def refuse(self, sender: Sender) -> tuple[Action, ...]:
        """The answer to a contact command from someone who is not a contact person."""
        log.info("contact.refused")
        return (
            Say(
                self.t(sender.locale).gettext(
                    "Dieser Befehl ist nur für registrierte Ansprechpersonen."
                )
            ),
        )

    async def contact_event(self, contact: ContactRecord, event: Event) -> tuple[Action, ...]:
        """Everything a registered contact person sends."""
        t = self.t(contact.locale)
        match event:
            case Command(name="claim", argument=code):
                return await self.claim(contact, (code or "").upper())
            case Command(name="close" | "abuse", argument=code):
                return await self.contact_close(contact, (code or "").upper(), event.name)
            case Command(name="cases"):
                return await self.cases_of(contact)
            case Command(name="away" | "available"):
                available = event.name == "available"
                async with self.store.transaction() as db:
                    await db.execute(
                        "UPDATE contacts SET available=? WHERE id=?", (int(available), contact.id)
                    )
                    await self._audit(db, f"contact.{event.name}", None, "contact")
                if available:
                    return (
                        Say(t.gettext("Sie bekommen wieder Benachrichtigungen über neue Fälle.")),
                    )
                return (
                    Say(
                        t.gettext(
                            "Sie sind als abwesend markiert und bekommen keine neuen Fälle. "
                            "Zurück mit /verfuegbar."
                        )
                    ),
                )
            case Text(text=text):
                return await self.relay_from_contact(contact, text)
            case Choose():
                return (Stale(stale_button(t)),)
            case Start() | Command():
                return (Say(contact_help(t)),)
        return (Say(t.gettext("Bilder und Dateien werden nicht weitergeleitet.")),)

    async def claim(self, contact: ContactRecord, code: str) -> tuple[Action, ...]:
        """First claim wins; everyone else who was notified is told it is taken."""
        t = self.t(contact.locale)
        now = int(self.clock())
        async with self.store.transaction() as db:
            cur = await db.execute(
                "UPDATE cases SET status='claimed', contact_id=?, claimed_at=?, escalate_at=NULL "
                "WHERE code=? AND status='open' "
                "AND EXISTS (SELECT 1 FROM case_notices WHERE code=? AND contact_id=?)",
                (contact.id, now, code, code, contact.id),
            )
            won = cur.rowcount == 1
            await cur.close()
            if won:
                route = await self._user_route(db, code)
                await self._queue(db, "claimed", code, route=route)
                others = await db.execute_fetchall(
                    "SELECT contact_id FROM case_notices WHERE code=? AND contact_id<>?",
                    (code, contact.id),
                )
                for (cid,) in others:
                    await self._queue(db, "taken", code, contact_id=int(cid))
                await self._audit(db, "case.claimed", code, "contact")
        if won:
            return (
                Say(
                    t.gettext(
                        "Sie haben Fall {code} übernommen. Was Sie hier schreiben, geht an die "
                        "Person; ihre Antworten kommen hier mit dem Fallcode an. Beenden mit "
                        "/abschliessen {code}."
                    ).format(code=code)
                ),
            )
        case = await self._case(code)
        notified = await self._one(
            "SELECT 1 FROM case_notices WHERE code=? AND contact_id=?", (code, contact.id)
        )
        if case is None or notified is None:
            return (Say(t.gettext("Einen Fall {code} gibt es für Sie nicht.").format(code=code)),)
        if case.status == "closed":
            return (Say(t.gettext("Fall {code} ist bereits beendet.").format(code=code)),)
        if case.contact_id == contact.id:
            return (Say(t.gettext("Sie haben Fall {code} bereits übernommen.").format(code=code)),)
        return (
            Say(
                t.gettext("Fall {code} hat bereits eine andere Ansprechperson übernommen.").format(
                    code=code
                )
            ),
        )

    async def contact_close(
        self, contact: ContactRecord, code: str, how: str
    ) -> tuple[Action, ...]:
        """``/close`` or ``/abuse`` by the contact who owns the case."""
        t = self.t(contact.locale)
        now = int(self.clock())
        async with self.store.transaction() as db:
            rows = await db.execute_fetchall(
                "SELECT user_key FROM cases WHERE code=? AND contact_id=? AND status='claimed'",
                (code, contact.id),
            )
            row = next(iter(rows), None)
            if row is None:
                closed = False
            else:
                closed = await self._close(
                    db, code, how if how == "abuse" else "contact", "contact"
                )
                if how == "abuse":
                    until = now + self.settings.abuse_block_days * 86400
                    await db.execute(
                        "INSERT INTO blocks VALUES (?, ?) ON CONFLICT(user_key) "
                        "DO UPDATE SET until=excluded.until",
                        (bytes(row[0]), until),
                    )
        if not closed:
            return (Say(t.gettext("Sie haben keinen offenen Fall {code}.").format(code=code)),)
        if how == "abuse":
            return (
                Say(
                    t.gettext(
                        "Fall {code} ist als Missbrauch beendet. Diese Person kann vorerst keine "
                        "neuen Fälle eröffnen."
                    ).format(code=code)
                ),
            )
        return (Say(t.gettext("Fall {code} ist abgeschlossen.").format(code=code)),)

    async def cases_of(self, contact: ContactRecord) -> tuple[Action, ...]:
        """The contact's claimed cases and the open ones they were told about."""
        t = self.t(contact.locale)
        rows = await self.store.db.execute_fetchall(
            "SELECT k.code, k.status, k.topic, k.urgency, k.land FROM cases k "
            "JOIN case_notices n ON n.code = k.code AND n.contact_id = ? "
            "WHERE (k.status='claimed' AND k.contact_id=?) OR k.status='open' "
            "ORDER BY k.created_at",
            (contact.id, contact.id),
        )
        if not rows:
            return (Say(t.gettext("Sie haben keine offenen Fälle.")),)
        lines = [t.gettext("Ihre Fälle:")]
        for code, status, topic, urgency, land in rows:
            state = t.gettext("übernommen") if status == "claimed" else t.gettext("wartet")
            lines.append(
                f"{code} · {self._topic(t, str(topic))} · {self._urgency(t, str(urgency))} "
                f"· {self._land(t, str(land))} · {state}"
            )
        return (Say("\n".join(lines)),)

    async def relay_from_contact(self, contact: ContactRecord, text: str) -> tuple[Action, ...]:
        """Pass a contact's text to the user of one of their claimed cases."""
        t = self.t(contact.locale)
        rows = await self.store.db.execute_fetchall(
            "SELECT code, user_route FROM cases WHERE contact_id=? AND status='claimed'",
            (contact.id,),
        )
        cases = {str(code): route for code, route in rows}
        head, sep, rest = text.partition(":")
        if sep and head.strip().upper() in cases:
            code, body = head.strip().upper(), rest.strip()
        elif len(cases) == 1:
            code, body = next(iter(cases)), text
        elif not cases:
            return (
                Say(
                    t.gettext(
                        "Sie haben gerade keinen übernommenen Fall. Neue Fälle übernehmen Sie mit "
                        "/uebernehmen CODE."
                    )
                ),
            )
        else:
            return (
                Say(
                    t.gettext(
                        "Sie haben mehrere Fälle. Schreiben Sie den Fallcode vor Ihre Nachricht, "
                        "z. B. {code}: Guten Tag"
                    ).format(code=next(iter(cases)))
                ),
            )
        sealed = cases[code]
        if sealed is not None and body:
            platform, _, route = self.sealer.open(bytes(sealed), code).partition("|")
            label = self.t(await self._case_locale(code)).gettext("Ansprechperson")
            message = Outgoing(f"💬 {label}: {body}", f"💬 <b>{_esc(label)}:</b> {_esc(body)}")
            if await self._send(platform, route, message, ""):
                return ()
        return (
            Say(
                t.gettext(
                    "Die Nachricht zu Fall {code} konnte gerade nicht zugestellt werden."
                ).format(code=code)
            ),
        )

    async def _case_locale(self, code: str) -> str:
        row = await self._one("SELECT locale FROM cases WHERE code=?", (code,))
        return "de" if row is None else str(row[0])

    # ------------------------------------------------------------ escalation and outbox

    async def escalate_due(self) -> int:
        """Escalate every open case whose timer ran out; returns how many."""
        now = int(self.clock())
        rows = list(
            await self.store.db.execute_fetchall(
                "SELECT code, topic, urgency, land, circle FROM cases "
                "WHERE status='open' AND escalate_at IS NOT NULL AND escalate_at <= ?",
                (now,),
            )
        )
        for code, topic, urgency, land, circle in rows:
            async with self.store.transaction() as db:
                await self._escalate(
                    db,
                    str(code),
                    str(topic),
                    str(urgency),
                    None if land == "none" else str(land),
                    int(circle),
                )
        return len(rows)

    async def deliver_due(self, limit: int = 50) -> int:
        """Deliver due outbox rows; failed ones are retried later with backoff."""
        now = int(self.clock())
        rows = await self.store.db.execute_fetchall(
            "SELECT id, target, contact_id, code, route, kind, attempts, nonce FROM outbox "
            "WHERE next_at <= ? ORDER BY id LIMIT ?",
            (now, limit),
        )
        sent = 0
        for oid, target, contact_id, code, route, kind, attempts, nonce in rows:
            address = await self._address(str(target), contact_id, route, str(code))
            message = None
            if address is not None:
                message = await self.notice(str(kind), str(code), address[2])
            if address is None or message is None:  # the recipient is gone: nothing to send
                async with self.store.transaction() as db:
                    await db.execute("DELETE FROM outbox WHERE id=?", (oid,))
                continue
            platform, chat, _locale = address
            # the key must never repeat: row ids are reused once a row is deleted
            key = f"beistand-{nonce}" if nonce else f"beistand-{oid}-{secrets.token_hex(6)}"
            if await self._send(platform, chat, message, key):
                async with self.store.transaction() as db:
                    await db.execute("DELETE FROM outbox WHERE id=?", (oid,))
                sent += 1
            else:
                delay = min(300, 2 ** int(attempts))
                async with self.store.transaction() as db:
                    await db.execute(
                        "UPDATE outbox SET attempts=attempts+1, next_at=? WHERE id=?",
                        (now + delay, oid),
                    )
        return sent

    async def _address(
        self, target: str, contact_id: object, route: object, code: str
    ) -> tuple[str, str, str] | None:
        if target == "contact":
            row = await self._one(
                "SELECT platform, route, locale FROM contacts WHERE id=? AND route IS NOT NULL",
                (contact_id,),
            )
            return None if row is None else (str(row[0]), str(row[1]), str(row[2]))
        if not isinstance(route, bytes):
            return None
        try:
            platform, _, chat = self.sealer.open(route, code).partition("|")
        except StorageError:
            log.warning("outbox.unreadable_route")
            return None
        return platform, chat, await self._case_locale(code)

    def _topic(self, t: Translator, topic: str) -> str:
        return t.pgettext("topic", self.content().knowledge.topic_labels.get(topic, topic))

    def _land(self, t: Translator, land: str) -> str:
        regions = self.content().knowledge.regions
        label = next((r.label for r in regions if r.code == land), land)
        return t.pgettext("region", label)

    def _urgency(self, t: Translator, urgency: str) -> str:
        return {
            "high": t.gettext("hoch"),
            "normal": t.gettext("mittel"),
            "low": t.gettext("niedrig"),
        }.get(urgency, urgency)

    async def notice(self, kind: str, code: str, locale: str) -> Outgoing | None:
        """The text of an outbox notification, in the recipient's language."""
        t = self.t(locale)
        case = await self._case(code)
        if case is None:
            return None
        texts = {
            "taken": t.gettext("Fall {code} hat eine andere Ansprechperson übernommen."),
            "withdrawn": t.gettext("Fall {code} wurde von der Person zurückgezogen."),
            "ended_by_user": t.gettext("Fall {code}: Die Person hat das Gespräch beendet."),
            "claimed": t.gettext(
                "Eine Ansprechperson hat Ihren Fall {code} übernommen. Schreiben Sie einfach "
                "hier; Ihre Nachrichten werden weitergeleitet und nicht gespeichert."
            ),
            "ended_by_contact": t.gettext(
                "Ihr Fall {code} ist abgeschlossen. Mit /start kommen Sie zum Hauptmenü."
            ),
        }
        if kind == "new":
            when = datetime.fromtimestamp(case.created_at, UTC).astimezone(BERLIN)
            text = t.gettext(
                "Neuer Fall {code} · {topic} · Dringlichkeit: {urgency} · {land} · {time}\n"
                "Übernehmen: /uebernehmen {code}"
            ).format(
                code=code,
                topic=self._topic(t, case.topic),
                urgency=self._urgency(t, case.urgency),
                land=self._land(t, case.land),
                time=when.strftime("%d.%m. %H:%M"),
            )
            button = Button(t.gettext("Übernehmen"), claim_data(code))
            return Outgoing(text, _esc(text), (button,))
        if kind == "nobody":
            return self._nobody(t, case)
        if kind not in texts:
            return None
        text = texts[kind].format(code=code)
        return Outgoing(text, _esc(text))

    def _nobody(self, t: Translator, case: _Case) -> Outgoing:
        text = t.gettext(
            "Zu Ihrem Fall {code} ist gerade leider niemand frei. Das tut mir leid. "
            "Diese Stellen helfen Ihnen direkt weiter:"
        ).format(code=case.code)
        if case.urgency == "high":
            text = t.gettext("Bei akuter Gefahr rufen Sie sofort 110.") + " " + text
        plain, rich = [text], [_esc(text)]
        knowledge = self.content().knowledge
        for svc in select(knowledge, case.topic, (), None):
            p, r = render_card(card_for(svc, t, datetime.fromtimestamp(self.clock(), UTC)))
            plain.append(p)
            rich.append(r)
        return Outgoing("\n\n".join(plain), "\n\n".join(rich))

    # ------------------------------------------------------------ administration and purge

    async def invite(self, name: str, lands: list[str], topics: list[str]) -> str:
        """Create a contact person's invitation; returns the one-time code (shown once)."""
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        now = int(self.clock())
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO contacts (name, lands, topics, invite_hash, invite_expires, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    name,
                    json.dumps(lands),
                    json.dumps(topics),
                    invite_hash(code),
                    now + self.settings.invite_days * 86400,
                    now,
                ),
            )
            await self._audit(db, "contact.invited", None, "admin")
        return code

    async def contacts(self) -> list[ContactRecord]:
        """Every contact person, registered or invited."""
        rows = await self.store.db.execute_fetchall(
            f"SELECT {_CONTACT_COLUMNS} FROM contacts ORDER BY id"  # noqa: S608
        )
        return [_contact(r) for r in rows]

    async def remove(self, contact_id: int) -> bool:
        """Remove a contact person; their claimed cases go back to waiting."""
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE cases SET status='open', contact_id=NULL, escalate_at=? "
                "WHERE contact_id=? AND status='claimed'",
                (int(self.clock()), contact_id),
            )
            cur = await db.execute("DELETE FROM contacts WHERE id=?", (contact_id,))
            removed = cur.rowcount == 1
            await cur.close()
            if removed:
                await self._audit(db, "contact.removed", None, "admin")
        return removed

    async def purge(self, idle_days: int = 30) -> int:
        """Close cases open longer than ``idle_days`` (shredding the route), delete closed cases
        and audit entries past their time, expired blocks and unused invitations."""
        now = int(self.clock())
        async with self.store.transaction() as db:
            stale = await db.execute_fetchall(
                "SELECT code FROM cases WHERE status IN ('open', 'claimed') AND created_at < ?",
                (now - idle_days * 86400,),
            )
            for (code,) in stale:
                await self._close(db, str(code), "expired", "system")
            cur = await db.execute(
                "DELETE FROM cases WHERE status='closed' AND closed_at < ?",
                (now - self.settings.case_retention_days * 86400,),
            )
            removed = cur.rowcount
            await cur.close()
            await db.execute(
                "DELETE FROM audit WHERE at < ?",
                (now - self.settings.audit_retention_days * 86400,),
            )
            await db.execute("DELETE FROM blocks WHERE until < ?", (now,))
            await db.execute(
                "DELETE FROM contacts WHERE account IS NULL AND invite_expires < ?", (now,)
            )
        return removed

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver the outbox and escalate cases until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.escalate_due()
                await self.deliver_due()
            except Exception as err:  # keep the worker alive; log the type only
                log.error("handoff.worker_failed", extra={"error": type(err).__name__})
                self.observer.error(type(err).__name__)
            self.wake.clear()
            waiter = asyncio.create_task(self.wake.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()


def contact_help(t: Translator) -> str:
    """The commands of a contact person."""
    return t.gettext(
        "Sie sind als Ansprechperson registriert.\n"
        "/uebernehmen CODE – Fall übernehmen\n"
        "/abschliessen CODE – Fall abschließen\n"
        "/missbrauch CODE – Fall als Missbrauch beenden\n"
        "/faelle – Ihre Fälle\n"
        "/abwesend, /verfuegbar – Benachrichtigungen pausieren oder wieder aufnehmen\n"
        "Text ohne Befehl geht an die Person Ihres Falls."
    )
