"""The flood limit of the runtime: a token bucket per pseudonymous key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


class RateLimiter:
    """A token bucket per key: ``limit`` events per ``window`` seconds, refilled steadily."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.rate = limit / window
        self.clock = clock
        self._buckets: dict[bytes, _Bucket] = {}

    def allow(self, key: bytes) -> tuple[bool, bool]:
        """(allowed, first refusal in this burst) for one event of ``key``."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 50_000:
                self._sweep(now)
            bucket = self._buckets[key] = _Bucket(float(self.limit), now)
        bucket.tokens = min(self.limit, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True, False
        first = not bucket.warned
        bucket.warned = True
        return False, first

    def would_allow(self, key: bytes) -> bool:
        """True if :meth:`allow` would let an event of ``key`` through now; uses nothing up."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return True
        return bucket.tokens + (self.clock() - bucket.stamp) * self.rate >= 1

    def _sweep(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.stamp) * self.rate >= self.limit
        ]
        for key in full:
            del self._buckets[key]
