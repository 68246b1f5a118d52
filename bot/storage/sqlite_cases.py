"""The SQL of the handoff: case and contact reads, the writes of a unit, the outbox.

Used by :class:`bot.storage.sqlite.SqliteStore`; nothing outside ``bot/storage/`` writes SQL.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from bot.errors import Redelivered
from bot.ports import (
    LIMIT_WINDOW,
    AddCase,
    AddReport,
    Audit,
    Block,
    CaseRecord,
    ChangeCase,
    ClearReport,
    CloseSurvey,
    ContactRecord,
    Count,
    CountOpen,
    DropReport,
    DropUserNotices,
    Forget,
    Invite,
    Notify,
    OpenSurvey,
    OutboxRow,
    PutState,
    Register,
    RemoveContact,
    Seen,
    SetAvailable,
    Standing,
    SurveyVote,
    Told,
    UnlinkReport,
    Write,
)
from bot.storage.routes_file import case_owner, notice_owner, report_owner
from bot.storage.sqlite_reports import apply_report, contact_reports
from bot.storage.sqlite_rows import COUNT, SEEN, UPSERT, encode
from bot.storage.sqlite_survey import apply_survey

_CONTACT = "id, name, lands, topics, platform, account, route, locale, available, regions, role"
_CASE = (
    "code, user_key, topic, urgency, land, status, contact_id, circle, user_route, locale, "
    "created_at, claimed_at, closed_at, escalate_at, close_reason, limit_key, region"
)


def _contact(row: Iterable[Any]) -> ContactRecord:
    cid, name, lands, topics, platform, account, route, locale, available, regions, role = tuple(
        row
    )
    return ContactRecord(
        id=int(cid),
        name=str(name),
        lands=tuple(json.loads(str(lands))),
        topics=tuple(json.loads(str(topics))),
        platform=None if platform is None else str(platform),
        account=None if account is None else str(account),
        route=None if route is None else str(route),
        locale=str(locale),
        available=bool(available),
        regions=tuple(json.loads(str(regions))),
        role=str(role),
    )


#: No routes (the default of :attr:`SqliteCaseReads._held`).
NO_ROUTES: Mapping[str, bytes] = {}


def _case(row: Iterable[Any], held: Mapping[str, bytes]) -> CaseRecord:
    """A case row as a record; its route from ``held`` (the routes file,
    :mod:`bot.storage.sqlite_routes`), the column only before the routes were moved there."""
    values = tuple(row)
    return CaseRecord(
        code=str(values[0]),
        user_key=bytes(values[1]),
        topic=str(values[2]),
        urgency=str(values[3]),
        land=str(values[4]),
        status=str(values[5]),
        contact_id=None if values[6] is None else int(values[6]),
        circle=int(values[7]),
        user_route=held.get(case_owner(str(values[0]))) if values[8] is None else bytes(values[8]),
        locale=str(values[9]),
        created_at=int(values[10]),
        claimed_at=None if values[11] is None else int(values[11]),
        closed_at=None if values[12] is None else int(values[12]),
        escalate_at=None if values[13] is None else int(values[13]),
        close_reason=None if values[14] is None else str(values[14]),
        limit_key=None if values[15] is None else bytes(values[15]),
        region=str(values[16]),
    )


class SqliteCaseReads:
    """The case and contact queries over a connection; :meth:`_rows` decides the locking,
    :attr:`_held` holds the routes (by owner)."""

    _held: Mapping[str, bytes] = NO_ROUTES

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def case(self, code: str) -> CaseRecord | None:
        rows = await self._rows(f"SELECT {_CASE} FROM cases WHERE code=?", (code,))  # noqa: S608
        return _case(rows[0], self._held) if rows else None

    async def user_cases(self, user_key: bytes) -> list[CaseRecord]:
        sql = f"SELECT {_CASE} FROM cases WHERE user_key=? ORDER BY created_at, code"  # noqa: S608
        return [_case(r, self._held) for r in await self._rows(sql, (user_key,))]

    async def case_users(self) -> set[bytes]:
        return {bytes(r[0]) for r in await self._rows("SELECT DISTINCT user_key FROM cases")}

    async def blocked(self, user_key: bytes, now: int) -> bool:
        sql = "SELECT 1 FROM blocks WHERE user_key=? AND until > ?"
        return bool(await self._rows(sql, (user_key, now)))

    async def opened_since(self, limit_key: bytes, since: int) -> int:
        sql = "SELECT count(*) FROM case_opens WHERE key=? AND at > ?"
        return int((await self._rows(sql, (limit_key, since)))[0][0])

    async def standing(self, user_key: bytes | None, limit_key: bytes, now: int) -> Standing:
        rows = await self._rows(STANDING, (now, limit_key, user_key, now - LIMIT_WINDOW))
        blocked, opened, *case = rows[0]
        current = None if case[0] is None else _case(case, self._held)
        return Standing(current, bool(blocked), int(opened))

    async def notified(self, code: str) -> set[int]:
        rows = await self._rows("SELECT contact_id FROM case_notices WHERE code=?", (code,))
        return {int(r[0]) for r in rows}

    async def contact(self, contact_id: int) -> ContactRecord | None:
        sql = f"SELECT {_CONTACT} FROM contacts WHERE id=?"  # noqa: S608
        rows = await self._rows(sql, (contact_id,))
        return _contact(rows[0]) if rows else None

    async def contact_by_account(self, platform: str, account: str) -> ContactRecord | None:
        sql = f"SELECT {_CONTACT} FROM contacts WHERE platform=? AND account=?"  # noqa: S608
        rows = await self._rows(sql, (platform, account))
        return _contact(rows[0]) if rows else None

    async def contact_accounts(self) -> set[tuple[str, str]]:
        rows = await self._rows("SELECT platform, account FROM contacts WHERE account IS NOT NULL")
        return {(str(p), str(a)) for p, a in rows}

    async def contacts(self) -> list[ContactRecord]:
        sql = f"SELECT {_CONTACT} FROM contacts ORDER BY id"  # noqa: S608
        return [_contact(r) for r in await self._rows(sql)]

    async def invitation(self, invite_hash: bytes, now: int) -> int | None:
        sql = "SELECT id FROM contacts WHERE invite_hash=? AND invite_expires > ?"
        rows = await self._rows(sql, (invite_hash, now))
        return int(rows[0][0]) if rows else None

    async def contact_cases(self, contact_id: int) -> list[CaseRecord]:
        sql = (
            f"SELECT {', '.join('k.' + c.strip() for c in _CASE.split(','))} FROM cases k "  # noqa: S608
            "JOIN case_notices n ON n.code = k.code AND n.contact_id = ? "
            "WHERE (k.status='claimed' AND k.contact_id=?) OR k.status='open' "
            "ORDER BY k.created_at, k.code"
        )
        return [_case(r, self._held) for r in await self._rows(sql, (contact_id, contact_id))]

    async def cases_due(self, now: int) -> list[CaseRecord]:
        sql = (
            f"SELECT {_CASE} FROM cases WHERE status='open' "  # noqa: S608
            "AND escalate_at IS NOT NULL AND escalate_at <= ? ORDER BY escalate_at, code"
        )
        return [_case(r, self._held) for r in await self._rows(sql, (now,))]

    async def cases_opened_before(self, before: int) -> list[CaseRecord]:
        sql = (
            f"SELECT {_CASE} FROM cases WHERE status IN ('open', 'claimed') "  # noqa: S608
            "AND created_at < ? ORDER BY created_at, code"
        )
        return [_case(r, self._held) for r in await self._rows(sql, (before,))]


#: The user's open case, their block and their daily count in one query (:class:`Standing`);
#: parameters: now, limit key, user key (NULL: no case looked for), the limit window's start.
STANDING = (
    "WITH p(now, lim, usr, since) AS (SELECT ?, ?, ?, ?) SELECT "  # noqa: S608 - column names only
    "EXISTS(SELECT 1 FROM blocks, p WHERE until > p.now AND (blocks.user_key = p.lim OR "
    "(blocks.user_key = p.usr AND EXISTS(SELECT 1 FROM cases WHERE cases.user_key = p.usr)))), "
    "(SELECT count(*) FROM case_opens, p WHERE key = p.lim AND at > p.since), "
    f"{', '.join('k.' + c.strip() for c in _CASE.split(','))} FROM p LEFT JOIN "
    f"(SELECT {_CASE} FROM cases WHERE user_key = (SELECT usr FROM p) "
    "AND status IN ('open', 'claimed') ORDER BY created_at, code LIMIT 1) k ON 1"
)


def route_puts(writes: Iterable[Write]) -> tuple[dict[str, bytes], list[str | None]]:
    """The routes ``writes`` need in the routes file before they commit (by owner), and the
    nonce of each write (a notice to a user: its route's owner; None for the others)."""
    puts: dict[str, bytes] = {}
    nonces: list[str | None] = []
    for write in writes:
        nonce = None
        if isinstance(write, AddCase) and write.case.user_route is not None:
            puts[case_owner(write.case.code)] = write.case.user_route
        elif isinstance(write, AddReport) and write.report.user_route is not None:
            puts[report_owner(write.report.code)] = write.report.user_route
        elif isinstance(write, ChangeCase):
            for name, value in write.changes:
                if name == "user_route" and isinstance(value, bytes):
                    puts[case_owner(write.code)] = value
        elif isinstance(write, Notify):
            nonce = secrets.token_hex(12)
            if write.route is not None:
                puts[notice_owner(nonce)] = write.route
        nonces.append(nonce)
    return puts, nonces


def apply_write(  # noqa: C901 - a table
    db: sqlite3.Connection, write: Write, nonce: str | None = None
) -> list[str]:
    """Carry out one write inside the caller's transaction (on the writer thread); returns the
    owners of the routes it released (:mod:`bot.storage.sqlite_routes`). Routes themselves are
    never written here: the routes file has them (:func:`route_puts`)."""
    released: list[str] = []
    match write:
        case PutState(key, state, at):
            db.execute(UPSERT, (key, *encode(state), at))
        case Forget(key):
            db.execute("DELETE FROM conversations WHERE key=?", (key,))
        case Seen(key, at):
            if db.execute(SEEN, (key, at)).rowcount == 0:
                raise Redelivered("event id recorded before")
        case Count(rows):
            if rows:
                db.executemany(COUNT, rows)
        case AddCase(c):
            db.execute(
                f"INSERT INTO cases ({_CASE}) VALUES ({', '.join('?' * 17)})",  # noqa: S608
                (
                    c.code,
                    c.user_key,
                    c.topic,
                    c.urgency,
                    c.land,
                    c.status,
                    c.contact_id,
                    c.circle,
                    None,  # the route is in the routes file
                    c.locale,
                    c.created_at,
                    c.claimed_at,
                    c.closed_at,
                    c.escalate_at,
                    c.close_reason,
                    c.limit_key,
                    c.region,
                ),
            )
        case ChangeCase(code, changes):
            if changes:  # column names are checked against CASE_CHANGES by ChangeCase
                columns = ", ".join(f"{name}=?" for name, _ in changes)
                values = tuple(None if name == "user_route" else v for name, v in changes)
                if ("user_route", None) in changes:
                    released.append(case_owner(code))
                db.execute(f"UPDATE cases SET {columns} WHERE code=?", (*values, code))  # noqa: S608
        case Told(code, contact_id):
            db.execute("INSERT OR IGNORE INTO case_notices VALUES (?, ?)", (code, contact_id))
        case Notify(kind, code, at, contact_id, _):
            db.execute(
                "INSERT INTO outbox (target, contact_id, code, route, kind, next_at, created_at, "
                "nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "contact" if contact_id is not None else "user",
                    contact_id,
                    code,
                    None,  # a user's route is in the routes file, owned by the nonce
                    kind,
                    at,
                    at,
                    nonce or secrets.token_hex(12),
                ),
            )
        case DropUserNotices(codes):
            for code in codes:
                released.extend(_user_notices(db, "code=?", (code,)))
            db.executemany(
                "DELETE FROM outbox WHERE target='user' AND code=?", [(c,) for c in codes]
            )
        case Audit(at, event, code, role):
            db.execute(
                "INSERT INTO audit (at, event, code, role) VALUES (?, ?, ?, ?)",
                (at, event, code, role),
            )
        case Block(user_key, until):
            db.execute(
                "INSERT INTO blocks VALUES (?, ?) ON CONFLICT(user_key) "
                "DO UPDATE SET until=excluded.until",
                (user_key, until),
            )
        case CountOpen(limit_key, at):
            db.execute("INSERT INTO case_opens VALUES (?, ?)", (limit_key, at))
        case Invite(name, lands, topics, invite_hash, expires, at, regions, role):
            db.execute(
                "INSERT INTO contacts (name, lands, topics, invite_hash, invite_expires, "
                "created_at, regions, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    json.dumps(list(lands)),
                    json.dumps(list(topics)),
                    invite_hash,
                    expires,
                    at,
                    json.dumps(list(regions)),
                    role,
                ),
            )
        case Register(contact_id, platform, account, route, locale):
            db.execute(
                "UPDATE contacts SET platform=?, account=?, route=?, locale=?, invite_hash=NULL, "
                "invite_expires=NULL WHERE id=?",
                (platform, account, route, locale, contact_id),
            )
        case SetAvailable(contact_id, available):
            db.execute("UPDATE contacts SET available=? WHERE id=?", (int(available), contact_id))
        case RemoveContact(contact_id, at):
            db.execute(
                "UPDATE cases SET status='open', contact_id=NULL, escalate_at=? "
                "WHERE contact_id=? AND status='claimed'",
                (at, contact_id),
            )
            released.extend(contact_reports(db, contact_id))  # its reports go with it
            db.execute("DELETE FROM contacts WHERE id=?", (contact_id,))
        case OpenSurvey() | CloseSurvey() | SurveyVote():
            apply_survey(db, write)
        case AddReport() | ClearReport() | DropReport() | UnlinkReport():
            released.extend(apply_report(db, write))
    return released


def _user_notices(db: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[str]:
    """The route owners of the notices to users that ``where`` selects."""
    sql = f"SELECT nonce FROM outbox WHERE target='user' AND nonce IS NOT NULL AND {where}"  # noqa: S608
    return [notice_owner(str(n)) for (n,) in db.execute(sql, args).fetchall()]


def purge_cases(
    db: sqlite3.Connection, closed_before: int, audit_before: int, now: int
) -> tuple[int, list[str]]:
    """Delete closed cases past their time, old audit, ended blocks, expired invitations;
    returns how many cases went and the route owners of the notices that went with them."""
    released = _user_notices(
        db,
        "code IN (SELECT code FROM cases WHERE status='closed' AND closed_at < ?)",
        (closed_before,),
    )
    cur = db.execute("DELETE FROM cases WHERE status='closed' AND closed_at < ?", (closed_before,))
    removed = cur.rowcount
    cur.close()
    db.execute("DELETE FROM audit WHERE at < ?", (audit_before,))
    db.execute("DELETE FROM blocks WHERE until < ?", (now,))
    db.execute("DELETE FROM case_opens WHERE at <= ?", (now - LIMIT_WINDOW,))
    db.execute("DELETE FROM contacts WHERE account IS NULL AND invite_expires < ?", (now,))
    return removed, released


def outbox_row(row: Iterable[Any], held: Mapping[str, bytes] = NO_ROUTES) -> OutboxRow:
    """An outbox row as a record; a user's route from ``held`` (by the notice's nonce)."""
    oid, target, contact_id, code, route, kind, attempts, nonce = tuple(row)
    if route is None and nonce:
        route = held.get(notice_owner(str(nonce)))
    return OutboxRow(
        id=int(oid),
        target=str(target),
        contact_id=None if contact_id is None else int(contact_id),
        code=str(code),
        route=None if route is None else bytes(route),
        kind=str(kind),
        attempts=int(attempts),
        nonce=str(nonce) if nonce else "",
    )


OUTBOX_DUE = (
    "SELECT id, target, contact_id, code, route, kind, attempts, nonce FROM outbox "
    "WHERE next_at <= ? ORDER BY id LIMIT ?"
)
