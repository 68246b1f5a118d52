"""Contact details of a report that wait, in memory only, for the report's notice.

The employee's typed contact details reach the Meldestelle as a relay: handed to the platform at
once and never stored. They must arrive *after* the report's notice, which the outbox worker
delivers once the report's unit committed; an employee who types quickly (or a Meldestelle whose
platform is slow or down for a moment) would otherwise see the details before the report they
belong to. So :meth:`bot.handoff.reports.Reports.relay` sends at once only when the notice is
out already (the report's answers are cleared at its delivery); else it leaves the message here
and the worker sends it right after the notice, in the same lane
(:meth:`bot.handoff.reports.Reports.delivered`). If the notice is not out within
:data:`RELAY_WAIT` seconds, the text is dropped and the employee is told it could not be passed
on, as when the platform fails. Nothing here outlives the process: a restart drops waiting text
(the employee's step is gone with it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.handoff.outbox import SEND_TIMEOUT
from bot.render import Outgoing

#: Longest wait of a relay for its report's notice: one send of the notice at most.
RELAY_WAIT = SEND_TIMEOUT


@dataclass(eq=False, slots=True)
class Waiting:
    """One relayed message waiting for its report's notice; ``sent`` tells the employee's step
    whether it went out."""

    platform: str
    route: str
    message: Outgoing
    sent: asyncio.Future[bool]


class WaitingRelays:
    """The relayed messages waiting, by report code (in order of arrival)."""

    def __init__(self) -> None:
        self._by_code: dict[str, list[Waiting]] = {}

    def __len__(self) -> int:
        return sum(len(w) for w in self._by_code.values())

    def add(self, code: str, platform: str, route: str, message: Outgoing) -> Waiting:
        """Leave a message for the notice of report ``code``."""
        waiting = Waiting(platform, route, message, asyncio.get_running_loop().create_future())
        self._by_code.setdefault(code, []).append(waiting)
        return waiting

    def claim(self, code: str, waiting: Waiting) -> bool:
        """Take one message back (True), unless the worker took it already (False)."""
        found = self._by_code.get(code, [])
        if waiting not in found:
            return False
        found.remove(waiting)
        if not found:
            del self._by_code[code]
        return True

    def take(self, code: str) -> list[Waiting]:
        """The notice of report ``code`` is out: every message waiting for it, to send now."""
        return self._by_code.pop(code, [])
