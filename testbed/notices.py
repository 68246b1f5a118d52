"""The notice accounting of the crash runs: from what a contact person and a user were sent,
which notices were lost, repeated, or name a case nobody opened (benchmarks/crash_runs.py;
checked in tests/privacy/test_crash.py)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection

NEW = re.compile(r"Neuer Fall (\S+) ·")
ENDED = re.compile(r"Fall (\S+) wurde von der Person zurückgezogen|Fall (\S+): Die Person hat")
# notices to the user
CLAIMED = re.compile(r"Eine Ansprechperson hat Ihren Fall (\S+) übernommen")
CLOSED = re.compile(r"Ihr Fall (\S+) ist abgeschlossen\.")


def _codes(pattern: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(next(g for g in m.groups() if g) for m in pattern.finditer(text))


def account(
    text: str,
    cases: dict[str, str],
    to_user: str | None = None,
    claimed: Collection[str] = (),
) -> tuple[list[str], int, list[str]]:
    """Notices lost, notices repeated, and notices for unknown cases.

    ``text`` is everything the contact person was sent and ``to_user`` everything the user was
    sent (on the terminal channel both are the chat's output, the default). ``cases`` maps each
    case code in the database to its close reason ("" while open); ``claimed`` names the cases a
    contact took. Every case must have been announced to the contact, every case the user ended
    or withdrew reported to the contact, and every claim and every close by the contact reported
    to the user (a claim only unless the user erased everything, which drops what still waited
    for them), each exactly once.
    """
    user_text = text if to_user is None else to_user
    seen = {
        "new": _codes(NEW, text),
        "ended": _codes(ENDED, text),
        "claimed": _codes(CLAIMED, user_text),
        "closed": _codes(CLOSED, user_text),
    }
    lost: list[str] = []
    repeated = 0
    for code, reason in cases.items():
        due = ["new"]
        if reason in ("user", "erased"):
            due.append("ended")
        if code in claimed and reason != "erased":
            due.append("claimed")
        if reason in ("contact", "abuse"):
            due.append("closed")
        lost += [f"{kind} {code}" for kind in due if seen[kind][code] == 0]
        repeated += sum(max(0, counts[code] - 1) for counts in seen.values())
    unknown = sorted(set().union(*seen.values()) - set(cases))
    return lost, repeated, unknown
