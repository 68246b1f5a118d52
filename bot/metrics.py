"""What the runtime counts, and the Prometheus metrics that count it.

The core (:mod:`bot.runtime`, :mod:`bot.handoff`) calls an :class:`Observer` at its few entry
points; it never imports a web server or a metrics library itself beyond this module. Without
an HTTP endpoint the runtime uses :data:`NO_OBSERVER`, which does nothing.

:class:`Metrics` is the Prometheus implementation. Every instance has its own registry (not
prometheus-client's global one), so two runtimes in one process, as in the tests, count apart.
No label value comes from a person: channels are the platform names, case events a fixed list,
error types exception class names; anything else is counted as ``other``.
"""

from __future__ import annotations

import re
import time
from typing import Protocol

from bot import __version__

# prometheus-client is imported only where metrics are kept (``BEISTAND_HTTP_PORT``): by
# :class:`Metrics` and by ``CONTENT_TYPE`` on first use, not at every start of the bot


def __getattr__(name: str) -> str:
    """``CONTENT_TYPE``: the media type of :meth:`Metrics.render` (prometheus-client's)."""
    if name == "CONTENT_TYPE":
        from prometheus_client import CONTENT_TYPE_LATEST

        return str(CONTENT_TYPE_LATEST)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The label values of ``channel``.
CHANNELS = ("telegram", "matrix", "console")
#: The label values of ``beistand_cases_total{event}``.
CASE_EVENTS = ("opened", "claimed", "escalated", "nobody_free", "closed")
#: Reply latency buckets in seconds: a reply usually takes a few milliseconds.
REPLY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")

__all__ = ["CASE_EVENTS", "CHANNELS", "NO_OBSERVER", "Metrics", "Observer"]  # and CONTENT_TYPE


class Observer(Protocol):
    """What the core reports; every method is cheap and never raises."""

    def message(self, channel: str) -> None:
        """An event arrived from a person on ``channel`` (a platform name)."""

    def replied(self, channel: str, seconds: float) -> None:
        """The runtime answered an event on ``channel`` after ``seconds``."""

    def case(self, event: str) -> None:
        """An audit event of the handoff such as ``case.opened`` or ``case.closed.contact``."""

    def error(self, kind: str) -> None:
        """An exception of type ``kind`` (its class name) ended a step or a worker round."""

    def reloaded(self, ok: bool) -> None:
        """A content reload switched to new content (True) or kept the old (False)."""


class _Nothing:
    """The observer of a runtime without metrics."""

    def message(self, channel: str) -> None:
        del channel

    def replied(self, channel: str, seconds: float) -> None:
        del channel, seconds

    def case(self, event: str) -> None:
        del event

    def error(self, kind: str) -> None:
        del kind

    def reloaded(self, ok: bool) -> None:
        del ok


NO_OBSERVER: Observer = _Nothing()


def _channel(name: str) -> str:
    return name if name in CHANNELS else "other"


def case_event(event: str) -> str | None:
    """``opened`` for ``case.opened``, ``closed`` for ``case.closed.<reason>``; None otherwise."""
    parts = event.split(".")
    if len(parts) < 2 or parts[0] != "case" or parts[1] not in CASE_EVENTS:
        return None
    return parts[1]


class Metrics:
    """The Prometheus metrics of one runtime (an :class:`Observer`), in a registry of its own."""

    def __init__(self, process: bool = True) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            Info,
            ProcessCollector,
        )

        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "beistand_messages", "Events handled, by channel", ["channel"], registry=r
        )
        self.replies = Counter(
            "beistand_replies", "Events answered, by channel", ["channel"], registry=r
        )
        self.reply_seconds = Histogram(
            "beistand_reply_seconds",
            "Time from an event reaching the runtime to its answer, by channel",
            ["channel"],
            buckets=REPLY_BUCKETS,
            registry=r,
        )
        self.cases = Counter(
            "beistand_cases", "Handoff case events (opened, claimed, ...)", ["event"], registry=r
        )
        self.errors = Counter(
            "beistand_errors",
            "Exceptions in steps and the handoff worker, by type",
            ["type"],
            registry=r,
        )
        self.reloads = Counter(
            "beistand_content_reloads",
            "Content reloads (SIGHUP), by result",
            ["result"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "beistand_outbox_backlog", "Handoff notices waiting in the outbox", registry=r
        )
        self.started = Gauge(
            "beistand_start_time_seconds", "When this runtime started (Unix time)", registry=r
        )
        self.started.set(time.time())
        Info("beistand_build", "The running version", registry=r).info({"version": __version__})
        if process:
            ProcessCollector(registry=r)
        # every series exists from the start (a scrape sees 0, not nothing)
        for channel in CHANNELS[:2]:
            self.messages.labels(channel)
            self.replies.labels(channel)
            self.reply_seconds.labels(channel)
        for event in CASE_EVENTS:
            self.cases.labels(event)
        for result in ("ok", "failed"):
            self.reloads.labels(result)

    # ------------------------------------------------------------ Observer

    def message(self, channel: str) -> None:
        self.messages.labels(_channel(channel)).inc()

    def replied(self, channel: str, seconds: float) -> None:
        label = _channel(channel)
        self.replies.labels(label).inc()
        self.reply_seconds.labels(label).observe(seconds)

    def case(self, event: str) -> None:
        kind = case_event(event)
        if kind is not None:
            self.cases.labels(kind).inc()

    def error(self, kind: str) -> None:
        self.errors.labels(kind if _TYPE_NAME.fullmatch(kind) else "other").inc()

    def reloaded(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()

    # ------------------------------------------------------------ exposition

    def render(self) -> bytes:
        """Every metric in the Prometheus text format (:data:`CONTENT_TYPE`)."""
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
