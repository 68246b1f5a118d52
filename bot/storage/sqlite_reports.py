"""The SQL of the Übergriff reports (table ``reports``, migration 8): the writes of a unit,
the read and the expiry purge.

Used by :class:`bot.storage.sqlite.SqliteStore` (reads, purge) and
:func:`bot.storage.sqlite_cases.apply_write` (the writes of a unit). The answers are
fixed-choice values only, kept as ``question=value;...`` and cleared ("") once the notice was
delivered; nothing typed is ever written here.

A report's sealed route lives in the routes file under ``report:<code>``
(:mod:`bot.storage.sqlite_routes`, as a case's): written there before the unit that adds the
row commits (:func:`bot.storage.sqlite_cases.route_puts`), released (deleted and that file's
WAL truncated) after the one that deletes the row; ``reports.user_route`` stays NULL. So
deleting a report needs no checkpoint of this database's WAL, which would hold up every other
conversation's commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from bot.ports import AddReport, ClearReport, DropReport, ReportRecord, UnlinkReport
from bot.storage.routes_file import notice_owner, report_owner

_COLUMNS = (
    "code, user_key, contact_id, user_route, land, region, locale, answers, created_at, expires_at"
)
#: The read of one report.
REPORT = f"SELECT {_COLUMNS} FROM reports WHERE code=?"  # noqa: S608
USER_REPORTS = f"SELECT {_COLUMNS} FROM reports WHERE user_key=? ORDER BY code"  # noqa: S608


def encode_answers(answers: tuple[tuple[str, str], ...]) -> str:
    """``question=value;...`` (values are fixed choices or ISO dates: no ``=`` or ``;``)."""
    return ";".join(f"{k}={v}" for k, v in answers)


def decode_answers(text: str) -> tuple[tuple[str, str], ...]:
    """The answers of :func:`encode_answers` (() for "")."""
    pairs = (part.partition("=") for part in text.split(";") if part)
    return tuple((k, v) for k, _, v in pairs)


def report_of(row: tuple[Any, ...], held: Mapping[str, bytes]) -> ReportRecord:
    """A report from its row; its route from ``held`` (the routes file), the column only
    before the routes were moved there."""
    code, key, contact, route, land, region, locale, answers, created, expires = row
    return ReportRecord(
        code=str(code),
        user_key=bytes(key),
        contact_id=int(contact),
        user_route=held.get(report_owner(str(code))) if route is None else bytes(route),
        land=str(land),
        region=str(region),
        locale=str(locale),
        answers=decode_answers(str(answers)),
        created_at=int(created),
        expires_at=int(expires),
    )


def apply_report(
    db: sqlite3.Connection, write: AddReport | ClearReport | DropReport | UnlinkReport
) -> list[str]:
    """Carry out one report write inside the caller's transaction; returns the owners of the
    routes in the routes file it released (a dropped report's own and those of its waiting
    notices to the employee). The route itself is never written here (the routes file has it:
    ``reports.user_route`` stays NULL)."""
    match write:
        case AddReport(r):
            db.execute(
                f"INSERT INTO reports ({_COLUMNS}) VALUES ({', '.join('?' * 10)})",  # noqa: S608
                (
                    r.code,
                    r.user_key,
                    r.contact_id,
                    None,  # the route is in the routes file
                    r.land,
                    r.region,
                    r.locale,
                    encode_answers(r.answers),
                    r.created_at,
                    r.expires_at,
                ),
            )
        case ClearReport(code):
            db.execute("UPDATE reports SET answers='' WHERE code=?", (code,))
        case DropReport(code):
            return _drop(db, "code=?", (code,))[1]
        case UnlinkReport(code, key):  # the employee's erasure: the route goes, a new key
            sql = "UPDATE reports SET user_key=?, user_route=NULL WHERE code=?"
            if db.execute(sql, (key, code)).rowcount:
                return [report_owner(code)]
    return []


def _drop(db: sqlite3.Connection, where: str, args: tuple[object, ...]) -> tuple[int, list[str]]:
    """Delete the reports ``where`` selects and their waiting notices; how many reports went
    and the route owners (routes file) they released: their own and those of the notices to
    users that went with them."""
    codes = [r[0] for r in db.execute(f"SELECT code FROM reports WHERE {where}", args)]  # noqa: S608
    released = [report_owner(str(code)) for code in codes]
    for code in codes:  # the report's notices (a code is never a case code: no clash)
        nonces = db.execute(
            "SELECT nonce FROM outbox WHERE code=? AND kind LIKE 'report%' "
            "AND target='user' AND nonce IS NOT NULL",
            (code,),
        ).fetchall()
        released.extend(notice_owner(str(n)) for (n,) in nonces)
        db.execute("DELETE FROM outbox WHERE code=? AND kind LIKE 'report%'", (code,))
        db.execute("DELETE FROM reports WHERE code=?", (code,))
    return len(codes), released


def contact_reports(db: sqlite3.Connection, contact_id: int) -> list[str]:
    """The route owners of a contact's reports (a removed contact's reports go with it, by the
    foreign key's cascade: their routes are released after that commit)."""
    rows = db.execute("SELECT code FROM reports WHERE contact_id=?", (contact_id,)).fetchall()
    return [report_owner(str(code)) for (code,) in rows]


def purge_reports(db: sqlite3.Connection, now: int) -> tuple[int, list[str]]:
    """Delete reports past their expiry (and their waiting notices); how many went and the
    route owners the deleted notices released."""
    return _drop(db, "expires_at < ?", (now,))


class SqliteReportReads:
    """The report read over a connection; :meth:`_rows` decides the locking, :attr:`_held`
    holds the routes (by owner)."""

    _held: Mapping[str, bytes]

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def report(self, code: str) -> ReportRecord | None:
        rows = await self._rows(REPORT, (code,))
        return report_of(rows[0], self._held) if rows else None

    async def user_reports(self, user_key: bytes) -> list[ReportRecord]:
        return [report_of(row, self._held) for row in await self._rows(USER_REPORTS, (user_key,))]
