"""The knowledge base at run time: service selection by topic and Land, and opening hours.

Pure functions over the model (:class:`~bot.flow.model.Knowledge`, :class:`~bot.flow.model.Service`)
that take the time as an argument. Loading ``knowledge/*.yaml`` is
:mod:`bot.flow.knowledge_loader`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.flow.model import Closure, Knowledge, Service

BERLIN = ZoneInfo("Europe/Berlin")
NATIONAL = "DE"


def select(
    knowledge: Knowledge,
    topic: str | None,
    ids: tuple[str, ...],
    land: str | None,
    region: str | None = None,
) -> tuple[Service, ...]:
    """Verified services for a query: by ids in order, or by topic in this order: the local
    contacts of the user's ``region`` (an AGS key of the local layer), the region's other
    services, the Land's, the national ones (each service once).

    A query by ids shows exactly those (an editor chose them, the emergency cards among them);
    the local contact comes first wherever services are listed by topic (also a handoff's
    "contact details instead")."""
    if ids:
        found = (knowledge.services.get(i) for i in ids)
        return tuple(s for s in found if s is not None and s.verified)
    chosen = [s for s in knowledge.services.values() if s.verified and topic in s.topics]
    here = [s for s in chosen if region and region in s.regions]
    ordered = [s for s in here if s.local_contact] + [s for s in here if not s.local_contact]
    ordered += [s for s in chosen if land and land in s.regions]
    ordered += [s for s in chosen if NATIONAL in s.regions]
    return tuple(dict.fromkeys(ordered))


# ---------------------------------------------------------------- opening hours

#: How far ahead the next opening is looked for (a break plus holidays fit easily).
LOOKAHEAD_DAYS = 120


def closure_on(service: Service, day: date) -> Closure | None:
    """Why the service is closed all of ``day`` (a Berlin calendar date), or None.

    A dated closure comes first (a break says longer how long), then a public holiday of its
    calendar. Only lookups: a calendar's dates are computed once per process
    (:mod:`bot.flow.calendars`).
    """
    for closure in service.closures:
        if closure.first <= day <= closure.last:
            return closure
    if day in service.holiday_dates:
        return Closure(day, day, holiday=True)
    return None


def is_open(service: Service, now: datetime) -> bool:
    """Whether the service is open at ``now`` (any timezone-aware time)."""
    return service.always_open or closing_time(service, now) is not None


def next_opening(service: Service, now: datetime) -> datetime | None:
    """The next time the service opens after ``now`` (Berlin time), skipping holidays and
    closures; None without hours (or if it stays closed for :data:`LOOKAHEAD_DAYS`)."""
    if service.always_open or not service.hours:
        return None
    local = now.astimezone(BERLIN)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if closure_on(service, day) is not None:
            continue
        starts = sorted(h.opens for h in service.hours if day.weekday() in h.days)
        for start in starts:
            at = datetime.combine(day, start, BERLIN)
            if at > local:
                return at
    return None


def closing_time(service: Service, now: datetime) -> time | None:
    """When the current opening window ends (None if closed or always open)."""
    if service.always_open:
        return None
    local = now.astimezone(BERLIN)
    if closure_on(service, local.date()) is not None:
        return None
    clock = local.time()
    for h in service.hours:
        if local.weekday() in h.days and h.opens <= clock < h.closes:
            return h.closes
    return None
