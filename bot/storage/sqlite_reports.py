"""The SQL of the Übergriff reports (table ``reports``, migration 8): the writes of a unit,
the read and the expiry purge.

Used by :class:`bot.storage.sqlite.SqliteStore` (reads, purge) and
:func:`bot.storage.sqlite_cases.apply_write` (the writes of a unit). The answers are
fixed-choice values only, kept as ``question=value;...`` and cleared ("") once the notice was
delivered; nothing typed is ever written here."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.ports import AddReport, ClearReport, DropReport, ReportRecord
from bot.storage.routes_file import notice_owner

_COLUMNS = (
    "code, user_key, contact_id, user_route, land, region, locale, answers, created_at, expires_at"
)
#: The read of one report.
REPORT = f"SELECT {_COLUMNS} FROM reports WHERE code=?"  # noqa: S608


def encode_answers(answers: tuple[tuple[str, str], ...]) -> str:
    """``question=value;...`` (values are fixed choices or ISO dates: no ``=`` or ``;``)."""
    return ";".join(f"{k}={v}" for k, v in answers)


def decode_answers(text: str) -> tuple[tuple[str, str], ...]:
    """The answers of :func:`encode_answers` (() for "")."""
    pairs = (part.partition("=") for part in text.split(";") if part)
    return tuple((k, v) for k, _, v in pairs)


def report_of(row: tuple[Any, ...]) -> ReportRecord:
    """A report from its row."""
    code, key, contact, route, land, region, locale, answers, created, expires = row
    return ReportRecord(
        code=str(code),
        user_key=bytes(key),
        contact_id=int(contact),
        user_route=None if route is None else bytes(route),
        land=str(land),
        region=str(region),
        locale=str(locale),
        answers=decode_answers(str(answers)),
        created_at=int(created),
        expires_at=int(expires),
    )


def apply_report(db: sqlite3.Connection, write: AddReport | ClearReport | DropReport) -> list[str]:
    """Carry out one report write inside the caller's transaction; returns the owners of the
    routes in the routes file it released (the waiting notices to the employee it deleted).

    The report's own sealed route stays in ``reports.user_route`` in this database (reports
    are rare; its shred is the caller's checkpoint, see docs/kommunen-meldestelle.md)."""
    match write:
        case AddReport(r):
            db.execute(
                f"INSERT INTO reports ({_COLUMNS}) VALUES ({', '.join('?' * 10)})",  # noqa: S608
                (
                    r.code,
                    r.user_key,
                    r.contact_id,
                    r.user_route,
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
    return []


def _drop(db: sqlite3.Connection, where: str, args: tuple[object, ...]) -> tuple[int, list[str]]:
    """Delete the reports ``where`` selects and their waiting notices; how many reports went
    and the route owners (routes file) of the notices to users that went with them."""
    codes = [r[0] for r in db.execute(f"SELECT code FROM reports WHERE {where}", args)]  # noqa: S608
    released: list[str] = []
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


def purge_reports(db: sqlite3.Connection, now: int) -> tuple[int, list[str]]:
    """Delete reports past their expiry (and their waiting notices); how many went and the
    route owners the deleted notices released."""
    return _drop(db, "expires_at < ?", (now,))


class SqliteReportReads:
    """The report read over a connection; :meth:`_rows` decides the locking."""

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def report(self, code: str) -> ReportRecord | None:
        rows = await self._rows(REPORT, (code,))
        return report_of(rows[0]) if rows else None
