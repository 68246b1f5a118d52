"""Public-holiday calendars of services, computed on first use.

The dates come from the ``holidays`` package. Importing it costs about 0.4 s on this project's
machines (it imports a module per country and builds a registry), which is more than a
quarter of ``beistand run``'s start without bytecode caches. So the content keeps only which
calendar a service follows and for which years (:class:`HolidayDates`); the dates of a calendar
are computed once per process when first looked up, and :func:`warm` computes every calendar
of a loaded content in the background right after the bot is ready (``bot.app``), so the first
reply that needs them rarely pays.

The lookup is deterministic (the same calendar and years give the same dates), so the engine
stays pure: a :class:`HolidayDates` behaves like the frozen set it stands for.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

#: Public holidays are computed for this many years before and after the load date (a reload,
#: at the latest a restart, moves the window on).
HOLIDAY_YEARS_BEFORE = 1
HOLIDAY_YEARS_AFTER = 5

_lock = threading.Lock()


@functools.cache
def _dates(calendar: str, first_year: int, last_year: int) -> frozenset[date]:
    import holidays  # imported on first use only (see the module docstring)

    subdiv = None if calendar == "national" else calendar
    years = range(first_year, last_year + 1)
    return frozenset(holidays.country_holidays("DE", subdiv=subdiv, years=years))


def _computed(calendar: str, first_year: int, last_year: int) -> frozenset[date]:
    if not calendar:
        return frozenset()
    with _lock:  # the background warm-up and a reply may ask at the same time
        return _dates(calendar, first_year, last_year)


@dataclass(frozen=True, slots=True)
class HolidayDates:
    """The public holidays of ``calendar`` ("national", a Land code, or "" for none) from
    ``first_year`` to ``last_year``, as a set of dates computed on first use."""

    calendar: str = ""
    first_year: int = 0
    last_year: int = -1

    @classmethod
    def around(cls, calendar: str, today: date) -> HolidayDates:
        """The calendar's holidays for the years around ``today``."""
        return cls(calendar, today.year - HOLIDAY_YEARS_BEFORE, today.year + HOLIDAY_YEARS_AFTER)

    @property
    def dates(self) -> frozenset[date]:
        """All the dates (computed now if no one asked before)."""
        return _computed(self.calendar, self.first_year, self.last_year)

    def __contains__(self, day: object) -> bool:
        return day in self.dates

    def __iter__(self) -> Iterator[date]:
        return iter(self.dates)

    def __len__(self) -> int:
        return len(self.dates)


NO_HOLIDAYS = HolidayDates()


def holiday_dates(calendar: str, today: date) -> frozenset[date]:
    """The public holidays of a calendar ("national" or a Land code) around ``today``."""
    return HolidayDates.around(calendar, today).dates


def warm(calendars: Iterable[HolidayDates]) -> None:
    """Compute the given calendars now (run in a worker thread after start-up)."""
    for calendar in set(calendars):
        _ = calendar.dates
