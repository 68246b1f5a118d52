"""A user's standing (:meth:`bot.ports.CaseReads.standing`) made of the single reads, for
stores where a lookup costs no round trip (the in-memory store); the SQLite store answers it
in one query instead."""

from __future__ import annotations

from bot.ports import LIMIT_WINDOW, CaseRecord, Standing


class StandingFromReads:
    """:meth:`standing` on top of :meth:`user_cases`, :meth:`blocked` and :meth:`opened_since`."""

    async def user_cases(self, user_key: bytes) -> list[CaseRecord]:
        raise NotImplementedError

    async def blocked(self, user_key: bytes, now: int) -> bool:
        raise NotImplementedError

    async def opened_since(self, limit_key: bytes, since: int) -> int:
        raise NotImplementedError

    async def standing(self, user_key: bytes | None, limit_key: bytes, now: int) -> Standing:
        cases = [] if user_key is None else await self.user_cases(user_key)
        current = next((c for c in cases if c.status in ("open", "claimed")), None)
        old = user_key is not None and bool(cases) and await self.blocked(user_key, now)
        blocked = old or await self.blocked(limit_key, now)
        opened = await self.opened_since(limit_key, now - LIMIT_WINDOW)
        return Standing(current, blocked, opened)
