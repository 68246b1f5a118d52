"""An in-memory store with the semantics of the SQLite store (for tests and simulations).

Implements :class:`bot.ports.Store`; ``tests/storage/`` runs the same contract suite over this
store and :class:`bot.storage.sqlite.SqliteStore`. Nothing is written to disk. A unit collects
its writes and carries them out together when it ends, so a unit that fails leaves no trace and
no reader ever sees a write before its unit ended.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from bot.engine.state import State
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
    ContactRecord,
    Count,
    Counter,
    CounterKey,
    CountOpen,
    DropReport,
    DropUserNotices,
    Forget,
    Invite,
    Notify,
    OutboxRow,
    PutState,
    Register,
    RemoveContact,
    ReportRecord,
    Seen,
    SetAvailable,
    Told,
    Unit,
    UnlinkReport,
    Write,
)
from bot.storage.memory_survey import MemorySurveyReads, SurveyTables
from bot.storage.memory_tables import Invitation
from bot.storage.memory_tables import Tables as _Tables
from bot.storage.memory_tables import copy_tables as _copy
from bot.storage.memory_tables import empty as _empty
from bot.storage.standing import SeenIds, StandingFromReads


class _Reads(StandingFromReads):
    """The case and contact reads over a set of tables."""

    def _tables(self) -> _Tables:
        raise NotImplementedError

    async def report(self, code: str) -> ReportRecord | None:
        return self._tables().reports.reports.get(code)

    async def user_reports(self, user_key: bytes) -> list[ReportRecord]:
        found = self._tables().reports.reports.values()
        return sorted((r for r in found if r.user_key == user_key), key=lambda r: r.code)

    async def case(self, code: str) -> CaseRecord | None:
        return self._tables().cases.get(code)

    async def user_cases(self, user_key: bytes) -> list[CaseRecord]:
        found = [c for c in self._tables().cases.values() if c.user_key == user_key]
        return sorted(found, key=lambda c: (c.created_at, c.code))

    async def case_users(self) -> set[bytes]:
        return {c.user_key for c in self._tables().cases.values()}

    async def blocked(self, user_key: bytes, now: int) -> bool:
        return self._tables().blocks.get(user_key, now) > now

    async def opened_since(self, limit_key: bytes, since: int) -> int:
        return sum(1 for key, at in self._tables().opens if key == limit_key and at > since)

    async def notified(self, code: str) -> set[int]:
        return {cid for c, cid in self._tables().notices if c == code}

    async def contact(self, contact_id: int) -> ContactRecord | None:
        return self._tables().contacts.get(contact_id)

    async def contact_by_account(self, platform: str, account: str) -> ContactRecord | None:
        found = (
            c
            for c in self._tables().contacts.values()
            if c.platform == platform and c.account == account
        )
        return next(found, None)

    async def contact_accounts(self) -> set[tuple[str, str]]:
        return {
            (c.platform, c.account)
            for c in self._tables().contacts.values()
            if c.platform is not None and c.account is not None
        }

    async def contacts(self) -> list[ContactRecord]:
        return [c for _, c in sorted(self._tables().contacts.items())]

    async def invitation(self, invite_hash: bytes, now: int) -> int | None:
        found = (
            cid
            for cid, i in self._tables().invitations.items()
            if i.invite_hash == invite_hash and i.expires > now
        )
        return next(found, None)

    async def contact_cases(self, contact_id: int) -> list[CaseRecord]:
        tables = self._tables()
        found = [
            c
            for c in tables.cases.values()
            if (c.code, contact_id) in tables.notices
            and (c.status == "open" or (c.status == "claimed" and c.contact_id == contact_id))
        ]
        return sorted(found, key=lambda c: (c.created_at, c.code))

    async def cases_due(self, now: int) -> list[CaseRecord]:
        found = [
            c
            for c in self._tables().cases.values()
            if c.status == "open" and c.escalate_at is not None and c.escalate_at <= now
        ]
        return sorted(found, key=lambda c: (c.escalate_at or 0, c.code))

    async def cases_opened_before(self, before: int) -> list[CaseRecord]:
        found = [
            c
            for c in self._tables().cases.values()
            if c.status in ("open", "claimed") and c.created_at < before
        ]
        return sorted(found, key=lambda c: (c.created_at, c.code))


class _MemoryUnit(_Reads):
    def __init__(self, tables: _Tables) -> None:
        self._committed = tables
        self.writes: list[Write] = []

    def _tables(self) -> _Tables:
        return self._committed

    def apply(self, *writes: Write) -> None:
        self.writes.extend(writes)


class MemoryStore(_Reads, SeenIds, MemorySurveyReads):
    """The store's contract in dictionaries (one process, nothing on disk)."""

    def __init__(self) -> None:
        self._data = _empty()
        self._write = asyncio.Lock()

    def _tables(self) -> _Tables:
        return self._data

    def _survey_tables(self) -> SurveyTables:
        return self._data.survey

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """Collect writes; carry them out together when the block ends without an error."""
        async with self._write:
            unit = _MemoryUnit(self._data)
            yield unit
            if not unit.writes:
                return
            await asyncio.sleep(0)  # a commit is a point where other tasks may run
            before = _copy(self._data)
            try:
                for write in unit.writes:
                    _apply(self._data, write)
            except BaseException:
                self._data = before  # all or nothing, as a rolled-back transaction
                raise

    # ------------------------------------------------------------ conversations

    async def load(self, key: bytes) -> State | None:
        found = self._data.conversations.get(key)
        return None if found is None else found[0]

    async def save(
        self,
        key: bytes,
        state: State,
        now: float,
        counters: tuple[CounterKey, ...] = (),
        seen: bytes | None = None,
    ) -> None:
        also = () if seen is None else (Seen(seen, int(now)),)
        async with self.unit() as unit:
            unit.apply(PutState(key, state, int(now)), Count(counters), *also)

    def _seen(self) -> dict[bytes, int]:
        return self._data.seen

    async def erase(self, key: bytes) -> None:
        async with self.unit() as unit:
            unit.apply(Forget(key))

    async def purge(self, idle_before: float, seen_before: float) -> int:
        data = self._data
        idle = [k for k, (_, at) in data.conversations.items() if at < int(idle_before)]
        for key in idle:
            del data.conversations[key]
        for key in [k for k, at in data.seen.items() if at < int(seen_before)]:
            del data.seen[key]
        return len(idle)

    async def checkpoint(self) -> None:
        return None

    async def conversation_count(self) -> int:
        return len(self._data.conversations)

    async def count(self, counters: tuple[CounterKey, ...]) -> None:
        if counters:
            async with self.unit() as unit:
                unit.apply(Count(counters))

    async def counters(self) -> list[Counter]:
        return [Counter(*key, count) for key, count in sorted(self._data.counters.items())]

    # ------------------------------------------------------------ cases and outbox

    async def purge_cases(self, closed_before: int, audit_before: int, now: int) -> int:
        data = self._data
        gone = [
            code
            for code, c in data.cases.items()
            if c.status == "closed" and c.closed_at is not None and c.closed_at < closed_before
        ]
        for code in gone:
            _drop_case(data, code)
        data.audit = [a for a in data.audit if a.at >= audit_before]
        data.blocks = {k: until for k, until in data.blocks.items() if until >= now}
        data.opens = [(k, at) for k, at in data.opens if at > now - LIMIT_WINDOW]
        for cid in [cid for cid, i in data.invitations.items() if i.expires < now]:
            _drop_contact(data, cid)
        return len(gone)

    async def purge_reports(self, now: int) -> int:
        return self._data.reports.purge(now, self._data.outbox)

    async def outbox_due(self, now: int, limit: int) -> list[OutboxRow]:
        due = [row for _, (row, at) in sorted(self._data.outbox.items()) if at <= now]
        return due[:limit]

    async def outbox_done(self, row_id: int) -> None:
        self._data.outbox.pop(row_id, None)

    async def outbox_retry(self, row_id: int, next_at: int) -> None:
        found = self._data.outbox.get(row_id)
        if found is not None:
            row, _ = found
            self._data.outbox[row_id] = (replace(row, attempts=row.attempts + 1), next_at)

    async def outbox_backlog(self) -> int:
        return len(self._data.outbox)

    async def ping(self, within: float = 2.0) -> bool:
        del within
        return True

    def audit(self) -> list[Audit]:
        """The audit trail (for tests)."""
        return list(self._data.audit)


def _drop_case(data: _Tables, code: str) -> None:
    del data.cases[code]
    data.notices = {(c, cid) for c, cid in data.notices if c != code}
    data.outbox = {i: r for i, r in data.outbox.items() if r[0].code != code}


def _drop_contact(data: _Tables, contact_id: int) -> None:
    data.contacts.pop(contact_id, None)
    data.invitations.pop(contact_id, None)
    data.notices = {(c, cid) for c, cid in data.notices if cid != contact_id}
    data.outbox = {i: r for i, r in data.outbox.items() if r[0].contact_id != contact_id}
    data.reports.drop_contact(contact_id)
    for code, case in data.cases.items():
        if case.contact_id == contact_id:
            data.cases[code] = replace(case, contact_id=None)


def _apply(data: _Tables, write: Write) -> None:  # noqa: C901 - a table, as in sqlite_cases
    match write:
        case PutState(key, state, at):
            data.conversations[key] = (state, at)
        case Forget(key):
            data.conversations.pop(key, None)
        case Seen(key, at):
            if key in data.seen:  # the unit fails: all or nothing
                raise Redelivered("event id recorded before")
            data.seen[key] = at
        case Count(counted):
            for counter in counted:
                data.counters[counter] = data.counters.get(counter, 0) + 1
        case AddCase(case):
            if case.code in data.cases:
                raise ValueError(f"case {case.code} exists")
            data.cases[case.code] = case
        case ChangeCase(code, changes):
            if code in data.cases:
                values: dict[str, Any] = dict(changes)
                data.cases[code] = replace(data.cases[code], **values)
        case Told(code, contact_id):
            data.notices.add((code, contact_id))
        case Notify(kind, code, at, contact_id, route):
            target = "contact" if contact_id is not None else "user"
            queued = OutboxRow(
                data.next_outbox, target, contact_id, code, route, kind, 0, secrets.token_hex(12)
            )
            data.outbox[data.next_outbox] = (queued, at)
            data.next_outbox += 1
        case DropUserNotices(codes):
            data.outbox = {
                i: r
                for i, r in data.outbox.items()
                if not (r[0].target == "user" and r[0].code in codes)
            }
        case Audit():
            data.audit.append(write)
        case Block(user_key, until):
            data.blocks[user_key] = until
        case CountOpen(limit_key, at):
            data.opens.append((limit_key, at))
        case Invite(name, lands, topics, invite_hash, expires, _at, regions, role):
            cid = data.next_contact
            data.next_contact += 1
            data.contacts[cid] = ContactRecord(
                cid, name, lands, topics, None, None, None, "de", True, regions, role
            )
            data.invitations[cid] = Invitation(invite_hash, expires)
        case Register(contact_id, platform, account, route, locale):
            if contact_id in data.contacts:
                contact = data.contacts[contact_id]
                data.contacts[contact_id] = replace(
                    contact, platform=platform, account=account, route=route, locale=locale
                )
                data.invitations.pop(contact_id, None)
        case SetAvailable(contact_id, available):
            if contact_id in data.contacts:
                data.contacts[contact_id] = replace(data.contacts[contact_id], available=available)
        case RemoveContact(contact_id, at):
            for code, case in data.cases.items():
                if case.contact_id == contact_id and case.status == "claimed":
                    data.cases[code] = replace(case, status="open", contact_id=None, escalate_at=at)
            _drop_contact(data, contact_id)
        case AddReport() | ClearReport() | DropReport() | UnlinkReport():
            data.reports.apply(write, data.outbox)
        case _:
            data.survey.apply(write)
