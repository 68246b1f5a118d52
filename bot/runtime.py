"""The async runtime: one lock per conversation, load, step, carry out, return the actions.

Transports call :meth:`Runtime.handle` for every incoming event. The runtime derives the
pseudonymous key, limits floods before anything is written, drops redeliveries, routes contact
persons to the handoff, serializes events of one conversation, runs the pure engine and carries
out its decisions in one place (:meth:`Runtime._carry_out`: the state, the counters and the case
writes in one unit of the store). Relayed text goes out after the conversation's lock is
released, through the outbox's lanes, and is never stored.

``async with Runtime(...)`` runs the outbox worker (escalation and notices) and the purge loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from bot.config import Settings
from bot.content import Content, ContentPaths, load_content
from bot.engine.actions import Action, CloseCase, OpenCase, Say, SendReport
from bot.engine.case import can_open
from bot.engine.commands import CONTACT_COMMANDS
from bot.engine.events import Command, Event
from bot.engine.state import State
from bot.engine.step import Step, step
from bot.engine.texts import UNVERIFIED_DEVICE, slow_down
from bot.erasure import ChannelErasure
from bot.errors import Problem, Redelivered
from bot.handoff import Handoff, HandoffSettings
from bot.lagebild.keys import flow_topics, step_counters
from bot.metrics import NO_OBSERVER, Observer
from bot.ports import Count, CounterKey, Forget, PutState, Seen, Store, Write
from bot.ratelimit import RateLimiter
from bot.runtime_api import Deliver, Erase, Incoming, Partners, Sender, VerifyDevice
from bot.serial import SerialQueue
from bot.survey.participation import survey_context, vote_writes

log = logging.getLogger(__name__)

Clock = Callable[[], float]
#: How long redelivered event ids are remembered.
SEEN_EVENT_DAYS = 7
#: How often ``async with Runtime`` purges (the first purge runs at once).
PURGE_EVERY_SECONDS = 3600.0


def pseudonym(secret: bytes, platform: str, user_id: str) -> bytes:
    """HMAC-SHA256 of platform and user id under the secret: the only user key ever stored."""
    return hmac.digest(secret, f"{platform}|{user_id}".encode(), "sha256")


def limit_key(secret: bytes, platform: str, user_id: str) -> bytes:
    """HMAC-SHA256 of "limit", platform and user id: the key of the daily case limit and of
    abuse blocks. Apart from the conversation key, so that ``/loeschen`` (which deletes the
    conversation and unlinks its cases) does not reset the limit, and a block or a limit row
    cannot be joined to a conversation or a case without the secret."""
    return hmac.digest(secret, f"limit|{platform}|{user_id}".encode(), "sha256")


def short(key: bytes) -> str:
    """A short, non-reversible label of a key for log lines."""
    return key[:4].hex()


class Runtime:
    """Runs events through the engine against the store; implements the transports' Handler."""

    def __init__(
        self,
        content: Content,
        store: Store,
        secret: bytes,
        *,
        clock: Clock = time.time,
        retention_days: int = 30,
        rate_limit: int = 10,
        rate_window: float = 10.0,
        handoff: HandoffSettings | None = None,
        observer: Observer = NO_OBSERVER,
        purge_every: float | None = PURGE_EVERY_SECONDS,
        worker_idle: float = 1.0,
    ) -> None:
        self.content = content
        self.observer = observer
        self.store = store
        self.secret = secret
        self.clock = clock
        self.retention_days = retention_days
        # one conversation at a time: the same per-key queue the transports use
        self.locks: SerialQueue[bytes] = SerialQueue()
        self.limiter = RateLimiter(rate_limit, rate_window, clock)
        self.handoff = Handoff(store, secret, lambda: self.content, clock, handoff, observer)
        self.purge_every = purge_every
        self.worker_idle = worker_idle
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: set[bytes] = set()  # event ids being handled, not yet recorded
        self.erasure = ChannelErasure(lambda loc: self.content.catalogs.translator(loc), observer)

    async def __aenter__(self) -> Self:
        """Start the outbox worker and (unless ``purge_every`` is None) the purge loop."""
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.handoff.run(self._stop, self.worker_idle), name="outbox")
        ]
        if self.purge_every is not None:
            self._tasks.append(asyncio.create_task(self._purge_forever(self.purge_every)))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the worker (after its current round) and the purge loop."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks[1:]:  # the purge loop: cancelled; the worker ends its round
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _purge_forever(self, every: float) -> None:
        while True:
            try:
                await self.purge()
            except Exception as error:  # keep purging; log the type only
                log.error("store.purge_failed", extra={"error": type(error).__name__})
                self.observer.error(type(error).__name__)
            await asyncio.sleep(every)

    def register_channel(self, platform: str, deliver: Deliver) -> None:
        """Let the runtime reach people on this platform outside a reply (handoff)."""
        self.handoff.register_channel(platform, deliver)

    def register_erasure(self, platform: str, partners: Partners, erase: Erase) -> None:
        """Let the runtime tell a platform whose conversation was erased or purged (Matrix
        leaves the room and drops the partner's keys)."""
        self.erasure.register(platform, partners, erase)

    async def _keep_on_channel(self, sender: Sender) -> bool:
        """A channel's partner still has a conversation, or is a contact person."""
        if await self.store.load(self.key(sender)) is not None:
            return True
        return await self.handoff.cases.contact_for(sender) is not None

    async def deliver_due(self) -> int:
        """Deliver the notices due now (the worker does this by itself; for a last round)."""
        return await self.handoff.deliver_due()

    def key(self, sender: Sender) -> bytes:
        """The pseudonymous conversation key of a sender."""
        return pseudonym(self.secret, sender.platform, sender.user_id)

    async def handle(self, incoming: Incoming) -> tuple[Action, ...]:
        """Run one event for one sender; returns what to send back to that sender.

        The one way in for transports: flood check, dropping a redelivered event id, routing
        to the contact person's commands or to the engine, the lock, step and save."""
        sender, event = incoming.sender, incoming.event
        began = time.perf_counter()
        self.observer.message(sender.platform)
        try:
            actions = await self._handle(sender, event, incoming.event_id, incoming.verify_device)
        except Exception as error:
            self.observer.error(type(error).__name__)
            raise
        if actions:
            self.observer.replied(sender.platform, time.perf_counter() - began)
        return actions

    async def _handle(
        self,
        sender: Sender,
        event: Event,
        event_id: str | None,
        verify_device: VerifyDevice | None = None,
    ) -> tuple[Action, ...]:
        key = self.key(sender)
        # an event the flood limit refuses changes nothing, so it is not worth a write to
        # remember its id; handling it twice is harmless
        seen = None
        if event_id is not None and self.limiter.would_allow(key):
            seen = self.event_key(sender.platform, event_id)
            if seen in self._inflight:  # its twin is being handled
                log.debug("event.redelivered", extra={"platform": sender.platform})
                return ()
            self._inflight.add(seen)  # a redelivery after a restart: see _step
        try:
            return await self._admitted(key, sender, event, seen, verify_device)
        finally:
            self._inflight.discard(seen)

    async def _admitted(
        self,
        key: bytes,
        sender: Sender,
        event: Event,
        seen: bytes | None,
        verify_device: VerifyDevice | None,
    ) -> tuple[Action, ...]:
        """An event past the redelivery check. Its id (``seen``) is recorded with the step's
        state in one transaction; outside a step (registering, a contact's command) first."""
        allowed, first_refusal = self.limiter.allow(key)
        if not allowed:
            # one line per burst at INFO: a flood must not flood the log as well
            level = logging.INFO if first_refusal else logging.DEBUG
            log.log(level, "event.limited", extra={"key": short(key), "platform": sender.platform})
            if first_refusal:
                t = self.content.catalogs.translator(sender.locale)
                return (Say(slow_down(t)),)
            return ()
        cases = self.handoff.cases
        command = event.name if isinstance(event, Command) else None
        contact = None if command == "register" else await cases.contact_for(sender)
        if seen is not None and (contact is not None or command in CONTACT_COMMANDS):
            await self.store.first_time(seen, self.clock())
            seen = None
        if command == "register":
            if verify_device is not None and not await verify_device():  # T12
                return (Say(UNVERIFIED_DEVICE),)
            return await cases.register(sender, event.argument)  # type: ignore[union-attr]
        if contact is not None:  # a contact person; a user too, outside their contact role
            # T12: a Matrix contact's device must be cross-signed before anything reaches the
            # contact role; on such a device the person cannot use the user role either
            if verify_device is not None and not await verify_device():
                log.info("contact.unverified_device", extra={"platform": sender.platform})
                return (Say(UNVERIFIED_DEVICE),)
            answered = await cases.contact_event(contact, event)
            if answered is not None:
                return answered
        if command in CONTACT_COMMANDS:
            return cases.refuse(sender)
        async with self.locks.hold(key):
            actions = await self._step(key, sender, event, seen)
        # relays leave after the lock: a slow platform never holds up this conversation's lock
        replies = await self.handoff.relayed(key, actions, sender.locale)
        if log.isEnabledFor(logging.DEBUG):  # on every step: not even the fields unless logged
            log.debug(
                "event.handled",
                extra={"key": short(key), "kind": type(event).__name__, "count": len(replies)},
            )
        return tuple(replies)

    async def _step(
        self, key: bytes, sender: Sender, event: Event, seen: bytes | None
    ) -> tuple[Action, ...]:
        now = self.clock()
        content = self.content  # one consistent bundle for the whole step
        state = await self.store.load(key)
        limits = functools.partial(limit_key, self.secret, sender.platform, sender.user_id)
        case = await self.handoff.cases.context_for(key, limits, can_open(state))
        moment = datetime.fromtimestamp(now, UTC)
        survey = await survey_context(self.store, self.secret, sender, state, event)
        report = await self.handoff.reports.context_for(content, state)
        result = step(content, state, event, moment, sender.locale, case, survey, report)
        counters: tuple[CounterKey, ...] = ()
        if result.outcomes:  # statistics: counted in the same unit as the step's writes
            known = result.state or state
            slots = dict(known.slots) if known is not None else {}
            topics = flow_topics(content.flows)
            counters = step_counters(result.outcomes, topics, slots, sender.platform, now)
        try:
            await self._carry_out(key, sender, state, result, now, counters, seen)
        except Redelivered:  # recorded with an earlier step (before a restart): drop this one
            log.debug("event.redelivered", extra={"platform": sender.platform})
            return ()
        return result.actions

    async def _carry_out(
        self,
        key: bytes,
        sender: Sender,
        before: State | None,
        result: Step,
        now: float,
        counters: tuple[CounterKey, ...],
        seen: bytes | None = None,
    ) -> None:
        """Carry out a step's decisions: the one place where a step's writes happen.

        A step with case work (``OpenCase``, ``CloseCase``, erasure) or survey answers writes the
        state, the counters, the event id ``seen``, the case writes and the answers' counts in one
        unit; the outbox is woken after the commit. A plain step saves its state, counters and
        event id through the store's group commit (one transaction with other conversations'
        saves)."""
        work = OpenCase | CloseCase | SendReport
        case_work = result.erase or any(isinstance(a, work) for a in result.actions)
        if case_work or result.answers:
            cases = self.handoff.cases
            votes = vote_writes(self.secret, sender, result.answers)
            own: tuple[Write, ...] = (Count(counters), *votes)
            if seen is not None:
                own = (*own, Seen(seen, int(now)))
            if result.erase:
                own = (Forget(key), *own)
            elif result.state is not None:
                own = (PutState(key, result.state, int(now)), *own)
            async with self.store.unit() as unit:
                keys = (key, limit_key(self.secret, sender.platform, sender.user_id))
                planned = await cases.plan(unit, keys, sender, result.actions, result.erase)
                planned += await self.handoff.reports.plan(
                    unit, key, sender, result.actions, result.erase
                )
                writes = (*planned, *own)
                unit.apply(*writes)
            cases.committed(writes)
            # a closed case's route is gone from disk already (the unit shreds it in the
            # routes file); an erasure's rows must be gone from this database's WAL too
            if result.erase:
                await self.store.checkpoint()
            if result.erase:
                log.info(
                    "conversation.erased", extra={"key": short(key), "platform": sender.platform}
                )
                await self.erasure.erase(sender)  # e.g. Matrix leaves the room
        elif result.state is not None and (result.state != before or counters or seen):
            await self.store.save(key, result.state, now, counters, seen)
        elif seen is not None and not await self.store.first_time(seen, now):
            raise Redelivered("event id recorded before")

    def limited(self, sender: Sender) -> bool:
        """True if the flood limit would refuse this sender's next event now (uses nothing up)."""
        return not self.limiter.would_allow(self.key(sender))

    def event_key(self, platform: str, event_id: str) -> bytes:
        """How a platform event id is stored: a keyed hash."""
        return hmac.digest(self.secret, f"event|{platform}|{event_id}".encode(), "sha256")[:16]

    async def first_time(self, platform: str, event_id: str) -> bool:
        """True the first time a platform event id is seen (recorded on its own)."""
        return await self.store.first_time(self.event_key(platform, event_id), self.clock())

    async def purge(self) -> int:
        """Delete conversations idle longer than the retention time (and closed cases past
        theirs); returns how many conversations were removed."""
        now = self.clock()
        await self.handoff.cases.purge(self.retention_days)
        await self.handoff.reports.purge()
        removed = await self.store.purge(
            now - self.retention_days * 86400, now - SEEN_EVENT_DAYS * 86400
        )
        await self.erasure.erase_gone(self._keep_on_channel)
        log.info("store.purged", extra={"count": removed})
        return removed

    def reload(self, paths: ContentPaths) -> list[Problem]:
        """Load flows and knowledge anew; switch only if they validate. Returns the problems."""
        content, problems = load_content(paths)
        errors = [p for p in problems if p.severity == "error"]
        if content is None:
            log.error("content.reload_failed", extra={"problems": len(errors)})
            self.observer.reloaded(False)
            for problem in errors:
                log.error("content.problem", extra={"where": str(problem)})
            return problems
        self.content = content
        self.observer.reloaded(True)
        log.info("content.reloaded", extra={"count": len(content.flows)})
        return problems


def runtime_for(
    settings: Settings, content: Content, store: Store, secret: bytes, **overrides: Any
) -> Runtime:
    """A runtime with the retention and flood settings of ``settings``."""
    options: dict[str, Any] = {
        "retention_days": settings.retention_days,
        "rate_limit": settings.rate_limit,
        "rate_window": settings.rate_window,
        "handoff": HandoffSettings(
            escalate_minutes=dict(settings.escalate_minutes),
            cases_per_day=settings.cases_per_day,
            abuse_block_days=settings.abuse_block_days,
            case_retention_days=settings.case_retention_days,
        ),
    }
    options.update(overrides)
    return Runtime(content, store, secret, **options)
