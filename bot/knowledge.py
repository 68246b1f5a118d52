"""The knowledge base at run time: service selection by topic and Land, and opening hours.

Pure functions over the model (:class:`~bot.flow.model.Knowledge`, :class:`~bot.flow.model.Service`)
that take the time as an argument. Loading ``knowledge/*.yaml`` is
:mod:`bot.flow.knowledge_loader`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.flow.model import Knowledge, Service

BERLIN = ZoneInfo("Europe/Berlin")
NATIONAL = "DE"


def select(
    knowledge: Knowledge, topic: str | None, ids: tuple[str, ...], land: str | None
) -> tuple[Service, ...]:
    """Verified services for a query: by ids in order, or by topic with the Land's own first."""
    if ids:
        found = (knowledge.services.get(i) for i in ids)
        return tuple(s for s in found if s is not None and s.verified)
    chosen = [s for s in knowledge.services.values() if s.verified and topic in s.topics]
    local = [s for s in chosen if land and land in s.regions]
    national = [s for s in chosen if NATIONAL in s.regions]
    return tuple(local + national)


# ---------------------------------------------------------------- opening hours


def is_open(service: Service, now: datetime) -> bool:
    """Whether the service is open at ``now`` (any timezone-aware time)."""
    if service.always_open:
        return True
    local = now.astimezone(BERLIN)
    clock = local.time()
    return any(local.weekday() in h.days and h.opens <= clock < h.closes for h in service.hours)


def next_opening(service: Service, now: datetime) -> datetime | None:
    """The next time the service opens after ``now`` (Berlin time), or None without hours."""
    if service.always_open or not service.hours:
        return None
    local = now.astimezone(BERLIN)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        starts = sorted(h.opens for h in service.hours if day.weekday() in h.days)
        for start in starts:
            at = datetime.combine(day, start, BERLIN)
            if at > local:
                return at
    return None  # pragma: no cover - unreachable with at least one window


def closing_time(service: Service, now: datetime) -> time | None:
    """When the current opening window ends (None if closed or always open)."""
    if service.always_open:
        return None
    local = now.astimezone(BERLIN)
    clock = local.time()
    for h in service.hours:
        if local.weekday() in h.days and h.opens <= clock < h.closes:
            return h.closes
    return None
