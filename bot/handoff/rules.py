"""The case rules, pure: who is notified in which circle, escalation, claim and close, limits.

Each function takes what was read (cases, contacts, who was told) and the time, and returns the
writes to carry out (:data:`bot.ports.Write`); notices are :class:`~bot.ports.Notify` writes,
delivered by the outbox once the unit committed. Randomness (codes, replacement keys) comes in
as arguments. No I/O, no clock, no database: ``tests/test_case_rules.py`` checks them directly.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.engine.state import CaseContext
from bot.ports import (
    ROLE_MELDESTELLE,
    AddCase,
    Audit,
    Block,
    CaseRecord,
    ChangeCase,
    ContactRecord,
    CountOpen,
    DropUserNotices,
    Notify,
    Told,
    Write,
)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
NATIONWIDE = "DE"

#: The circles a case goes through (``CaseRecord.circle``; 0 while it is being opened): the
#: local contacts of the user's region, the contacts of their Land (the nationwide contacts if
#: they gave no Land), every contact for the topic; then nobody is free.
LOCAL, LAND, NATION, NOBODY = 1, 2, 3, 4


def new_code(length: int = 6) -> str:
    """A short random case code such as ``K7F3-Q9`` (32 symbols, 5 random bits each)."""
    bits = int.from_bytes(secrets.token_bytes(5 * length // 8 + 1), "big")
    raw = "".join(_CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
    return f"{raw[:4]}-{raw[4:]}"


def new_invitation() -> str:
    """A one-time invitation code for a contact person, such as ``ABCD-EFGH-JKLM``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def invite_hash(code: str) -> bytes:
    """How an invitation code is stored (never in clear)."""
    return hashlib.sha256(code.strip().upper().replace(" ", "").encode()).digest()


def new_key() -> bytes:
    """Random bytes that replace a user key when a case is unlinked from its user."""
    return secrets.token_bytes(32)


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


# ---------------------------------------------------------------- users


def context(
    cases: Sequence[CaseRecord], blocked: bool, opened: int, settings: HandoffSettings, code: str
) -> CaseContext:
    """The user's open case, or whether a new one (with ``code``) may be opened; ``opened`` is
    how many cases the user's limit key opened in the last :data:`~bot.ports.LIMIT_WINDOW`
    (counted apart from the cases, so that ``/loeschen`` does not reset it)."""
    current = next((c for c in cases if c.status in ("open", "claimed")), None)
    if current is not None:
        return CaseContext(code=current.code, claimed=current.status == "claimed")
    if blocked:
        return CaseContext(refusal="blocked")
    if opened >= settings.cases_per_day:
        return CaseContext(refusal="limit")
    return CaseContext(new_code=code)


def open_case(
    case: CaseRecord, contacts: Sequence[ContactRecord], settings: HandoffSettings
) -> tuple[Write, ...]:
    """A new case (``case`` as it is opened, circle 0), its count against the daily limit and
    its first circle's notices."""
    opened = replace(case, status="open", circle=LOCAL)
    audit = Audit(case.created_at, "case.opened", case.code, "user")
    counted: tuple[Write, ...] = ()
    if case.limit_key is not None:
        counted = (CountOpen(case.limit_key, case.created_at),)
    first = escalate(case, set(), contacts, case.created_at, settings)
    return (AddCase(opened), *counted, audit, *first)


def in_circle(contact: ContactRecord, case: CaseRecord, circle: int) -> bool:
    """Whether a contact belongs to a case's circle (whether reachable or not). A Meldestelle
    (``role`` ``meldestelle``) receives reports, never handoff cases."""
    if contact.role == ROLE_MELDESTELLE:
        return False
    if circle == LOCAL:
        return case.region != "none" and contact.serves_region(case.topic, case.region)
    if circle == LAND:
        return contact.serves(case.topic, NATIONWIDE if case.land == "none" else case.land)
    return circle == NATION and contact.serves(case.topic, None)


def escalate(
    case: CaseRecord,
    told: set[int],
    contacts: Sequence[ContactRecord],
    now: int,
    settings: HandoffSettings,
) -> tuple[Write, ...]:
    """Move a case to the next circle that has someone to notify, or to "nobody free".

    The circles are :data:`LOCAL` (the local contacts of the user's region, ``contacts invite
    --region``), :data:`LAND` (the user's Land, the nationwide contacts if no Land was given)
    and :data:`NATION` (everyone for the topic); a circle without anyone new to ask is passed
    over. After that the user is told nobody is free (the case stays open).
    """
    timeout = settings.escalate_minutes.get(case.urgency, 60) * 60
    for next_circle in (LOCAL, LAND, NATION):
        if next_circle <= case.circle:
            continue
        chosen = [
            c
            for c in contacts
            if c.account is not None
            and c.available
            and c.id not in told
            and in_circle(c, case, next_circle)
        ]
        if chosen:
            writes: list[Write] = []
            for contact in chosen:
                writes.append(Told(case.code, contact.id))
                writes.append(Notify("new", case.code, now, contact_id=contact.id))
            changes = (("circle", next_circle), ("escalate_at", now + timeout))
            writes.append(ChangeCase(case.code, changes))
            if case.circle:
                writes.append(Audit(now, "case.escalated", case.code, "system"))
            return tuple(writes)
    return (
        ChangeCase(case.code, (("circle", NOBODY), ("escalate_at", None))),
        Notify("nobody", case.code, now, route=case.user_route),
        Audit(now, "case.nobody_free", case.code, "system"),
    )


def close(
    case: CaseRecord, told: set[int], reason: str, role: str, now: int, key: bytes
) -> tuple[Write, ...]:
    """Close a case and tell the other side; ``erased``/``expired`` also unlink it from the
    user (``key`` replaces the user key). Nothing for a case already closed."""
    if case.status == "closed":
        return ()
    writes: list[Write] = []
    if role in ("user", "system"):
        writes.append(DropUserNotices((case.code,)))  # nothing waits for them with their route
        kind = "withdrawn" if reason in ("erased", "expired") else "ended_by_user"
        if case.status == "claimed" and case.contact_id is not None:
            writes.append(Notify(kind, case.code, now, contact_id=case.contact_id))
        else:
            for cid in sorted(told):
                writes.append(Notify("withdrawn", case.code, now, contact_id=cid))
    elif case.user_route is not None:
        writes.append(Notify("ended_by_contact", case.code, now, route=case.user_route))
    changes: list[tuple[str, str | int | bytes | None]] = [
        ("status", "closed"),
        ("closed_at", now),
        ("user_route", None),
        ("escalate_at", None),
        ("close_reason", reason),
        ("limit_key", None),
    ]
    if reason in ("erased", "expired"):  # the case can no longer be linked to the user
        changes.append(("user_key", key))
    writes.append(ChangeCase(case.code, tuple(changes)))
    writes.append(Audit(now, f"case.closed.{reason}", case.code, role))
    return tuple(writes)


def unlink(cases: Sequence[CaseRecord], keys: Sequence[bytes]) -> tuple[Write, ...]:
    """Erasure: drop the notices waiting for the user, unlink every case from their key."""
    if not cases:
        return ()
    writes: list[Write] = [DropUserNotices(tuple(c.code for c in cases))]
    for case, key in zip(cases, keys, strict=True):
        changes = (("user_key", key), ("user_route", None), ("limit_key", None))
        writes.append(ChangeCase(case.code, changes))
    return tuple(writes)


# ---------------------------------------------------------------- contact persons


def contact_left(
    held: Sequence[CaseRecord],
    told: dict[str, set[int]],
    contacts: Sequence[ContactRecord],
    contact_id: int,
    now: int,
    settings: HandoffSettings,
) -> tuple[Write, ...]:
    """A contact person is removed (after :class:`~bot.ports.RemoveContact`): each case they
    held waits again. Its user is told in plain words (a "taken" notice still waiting for them
    is dropped), the others told of it are asked again and get the escalation time; with
    nobody left to ask, it escalates at once."""
    reachable = {c.id for c in contacts if c.account is not None and c.available}
    writes: list[Write] = []
    for case in held:
        writes.append(DropUserNotices((case.code,)))
        if case.user_route is not None:
            writes.append(Notify("contact_left", case.code, now, route=case.user_route))
        again = sorted((told.get(case.code, set()) & reachable) - {contact_id})
        for cid in again:
            writes.append(Notify("again", case.code, now, contact_id=cid))
        timeout = settings.escalate_minutes.get(case.urgency, 60) * 60
        writes.append(ChangeCase(case.code, (("escalate_at", now + timeout if again else now),)))
        writes.append(Audit(now, "case.contact_left", case.code, "admin"))
    return tuple(writes)


#: The outcomes of a claim (see :func:`claim`).
CLAIM_OUTCOMES = ("won", "unknown", "closed", "yours", "taken")


def claim(
    case: CaseRecord | None, told: set[int], contact_id: int, now: int
) -> tuple[str, tuple[Write, ...]]:
    """First claim wins; the user and everyone else who was notified are told. Only a contact
    who was notified can claim; to anyone else the case does not exist."""
    if case is None or contact_id not in told:
        return "unknown", ()
    if case.status == "closed":
        return "closed", ()
    if case.status == "claimed":
        return ("yours" if case.contact_id == contact_id else "taken"), ()
    changes = (
        ("status", "claimed"),
        ("contact_id", contact_id),
        ("claimed_at", now),
        ("escalate_at", None),
    )
    writes: list[Write] = [
        ChangeCase(case.code, changes),
        Notify("claimed", case.code, now, route=case.user_route),
    ]
    for cid in sorted(told - {contact_id}):
        writes.append(Notify("taken", case.code, now, contact_id=cid))
    writes.append(Audit(now, "case.claimed", case.code, "contact"))
    return "won", tuple(writes)


def finish(
    case: CaseRecord | None,
    contact_id: int,
    how: str,
    now: int,
    settings: HandoffSettings,
    key: bytes,
) -> tuple[bool, tuple[Write, ...]]:
    """``/close`` or ``/abuse`` by the contact who holds the case; abuse blocks the user."""
    if case is None or case.status != "claimed" or case.contact_id != contact_id:
        return False, ()
    writes = close(case, set(), "abuse" if how == "abuse" else "contact", "contact", now, key)
    if how == "abuse":
        blocked = case.limit_key if case.limit_key is not None else case.user_key
        writes = (*writes, Block(blocked, now + settings.abuse_block_days * 86400))
    return True, writes
