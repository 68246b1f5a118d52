"""Parts of the in-memory store: a user's standing (:meth:`bot.ports.CaseReads.standing`) made
of the single reads (a lookup costs no round trip there; the SQLite store answers it in one
query instead) and the recorded event ids."""

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


class SeenIds:
    """:meth:`first_time` and :meth:`was_seen` over a dictionary of recorded event ids."""

    def _seen(self) -> dict[bytes, int]:
        raise NotImplementedError

    async def first_time(self, key: bytes, now: float) -> bool:
        seen = self._seen()
        if key in seen:
            return False
        seen[key] = int(now)
        return True

    async def was_seen(self, key: bytes) -> bool:
        return key in self._seen()
