"""Which statistics Beistand keeps, and how a step or a case event becomes one (pure).

A statistic is a count per (ISO week, topic, Land, region, channel, outcome): no conversation
key, no time finer than the week (Europe/Berlin), only enumerated values. See PRIVACY.md
("Statistiken").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.flow.model import Flow
from bot.ports.records import CounterKey

BERLIN = ZoneInfo("Europe/Berlin")

SERVICES_SHOWN = "services_shown"
EMERGENCY_SHOWN = "emergency_shown"
HANDOFF_REQUESTED = "handoff_requested"
HANDOFF_CLAIMED = "handoff_claimed"
HANDOFF_NOBODY_FREE = "handoff_nobody_free"
REPORT_SENT = "report_sent"

#: Every outcome that is counted, in the order the outputs show them.
OUTCOMES = (
    SERVICES_SHOWN,
    EMERGENCY_SHOWN,
    HANDOFF_REQUESTED,
    HANDOFF_CLAIMED,
    HANDOFF_NOBODY_FREE,
    REPORT_SENT,
)

#: The engine's outcome names (``Step.outcomes``) -> the statistic; ``end`` is not counted.
ENGINE_OUTCOMES: Mapping[str, str] = {
    "services": SERVICES_SHOWN,
    "emergency": EMERGENCY_SHOWN,
    "handoff": HANDOFF_REQUESTED,
    "report": REPORT_SENT,
    **{name: name for name in OUTCOMES},
}

#: Platform name -> channel; "unknown" stays (a case whose route is gone), anything else (the
#: preview) counts as "other".
CHANNELS: Mapping[str, str] = {
    "telegram": "telegram",
    "matrix": "matrix",
    "console": "terminal",
    "unknown": "unknown",
}

NONE = "none"
#: The topic of rows migrated from the old ``counters`` table: ``flow:<flow id>``.
LEGACY_TOPIC_PREFIX = "flow:"


def week_of(now: float) -> str:
    """The ISO week of a moment in Europe/Berlin, e.g. ``2026-W47``."""
    return datetime.fromtimestamp(now, BERLIN).strftime("%G-W%V")


def channel_of(platform: str) -> str:
    """The channel a platform is counted under."""
    return CHANNELS.get(platform, "other")


def _value(value: str | None) -> str:
    return value if value else NONE


def step_counters(
    outcomes: Iterable[tuple[str, str]],
    topics: Mapping[str, str | None],
    slots: Mapping[str, str],
    platform: str,
    now: float,
) -> tuple[CounterKey, ...]:
    """The statistics of one step's ``(flow id, outcome)`` pairs; ``topics`` maps flow ids to
    their taxonomy topic (``none`` for a flow without one, such as the menu), ``slots`` are the
    conversation's slots after the step (``land``, ``region``)."""
    counted = [(flow, ENGINE_OUTCOMES[o]) for flow, o in outcomes if o in ENGINE_OUTCOMES]
    if not counted:
        return ()
    week = week_of(now)
    land, region = _value(slots.get("land")), _value(slots.get("region"))
    channel = channel_of(platform)
    return tuple(
        (week, _value(topics.get(flow)), land, region, channel, outcome)
        for flow, outcome in counted
    )


def case_counter(
    topic: str, land: str, region: str, platform: str, outcome: str, now: float
) -> CounterKey:
    """The statistic of a case event (claimed, nobody free) at ``now``."""
    return (
        week_of(now),
        _value(topic),
        _value(land),
        _value(region),
        channel_of(platform),
        outcome,
    )


_TOPICS: list[tuple[Mapping[str, Flow], dict[str, str | None]]] = []


def flow_topics(flows: Mapping[str, Flow]) -> dict[str, str | None]:
    """Flow id -> taxonomy topic (the last content's map is kept until a reload swaps it)."""
    if _TOPICS and _TOPICS[0][0] is flows:
        return _TOPICS[0][1]
    found = {f.id: f.topic for f in flows.values()}
    _TOPICS[:] = [(flows, found)]
    return found


def legacy_topic(topic: str, topics: Mapping[str, str | None]) -> str:
    """A migrated row's ``flow:<id>`` as the flow's topic today (``none`` if unknown)."""
    if topic.startswith(LEGACY_TOPIC_PREFIX):
        return _value(topics.get(topic.removeprefix(LEGACY_TOPIC_PREFIX)))
    return topic
