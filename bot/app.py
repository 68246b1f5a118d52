"""``beistand run``: the runtime, the configured channels, reload on SIGHUP, periodic purge, the
health and metrics endpoint when configured, and readiness notices to systemd."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings
from bot.content import require_content
from bot.errors import ConfigError
from bot.flow import calendars
from bot.metrics import NO_OBSERVER, Metrics
from bot.ops import sdnotify
from bot.ops.lock import InstanceLock
from bot.ports import Store
from bot.runtime import Runtime, runtime_for
from bot.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from bot.ops.http import OpsServer

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600.0


class Channel(Protocol):
    """What ``serve`` needs of a transport (and, if it has one, ``wait()``: returns or raises
    when the channel ends by itself, e.g. a revoked token)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def install_reload(runtime: Runtime, settings: Settings) -> None:
    """Reload flows and knowledge on SIGHUP; invalid files leave the running content in place.
    Under systemd, ``RELOADING=1`` before and ``READY=1`` after."""

    def reload() -> None:
        sdnotify.reloading()
        try:
            runtime.reload(settings.content)
        finally:
            sdnotify.notify("READY=1")

    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)


def build_channels(settings: Settings, runtime: Runtime) -> list[Channel]:
    """The configured transports (each imported only when configured)."""
    channels: list[Channel] = []
    if settings.telegram_configured:
        from bot.transports.telegram import TelegramChannel, TelegramSettings

        telegram = TelegramSettings.from_settings(settings)
        if telegram is not None:
            # translations follow a reload: look the catalogs up on every use
            channels.append(
                TelegramChannel(
                    telegram, runtime, lambda loc: runtime.content.catalogs.translator(loc)
                )
            )
    if settings.matrix_configured:
        from bot.transports.matrix import MatrixConfig, MatrixTransport

        matrix = MatrixConfig.from_settings(settings)
        if matrix is not None:
            channels.append(MatrixTransport(matrix, runtime))
    return channels


async def _serve_http(
    settings: Settings, store: Store, channels: list[Channel], metrics: Metrics | None
) -> OpsServer | None:
    """The started ``/healthz`` and ``/metrics`` endpoint, if a port is configured."""
    if metrics is None or not settings.http_port:
        return None
    from bot.ops.http import OpsServer  # aiohttp's server only where the endpoint is wanted

    http = OpsServer(store, channels, metrics, settings.http_host, settings.http_port)
    await http.start()
    return http


async def serve(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM; returns the exit status."""
    if not (settings.telegram_configured or settings.matrix_configured):
        raise ConfigError(
            "no channel configured: set TELEGRAM_TOKEN and/or MATRIX_HOMESERVER, MATRIX_USER_ID"
        )
    content = require_content(settings.content)
    secret = settings.secret_bytes()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    metrics = Metrics() if settings.http_port else None
    # the lock first: a second instance must not open (let alone migrate) the database
    async with InstanceLock(settings.data_dir, "run"), SqliteStore(settings.db) as store:
        runtime = runtime_for(
            settings,
            content,
            store,
            secret,
            observer=metrics or NO_OBSERVER,
            purge_every=PURGE_EVERY_SECONDS,
        )
        install_reload(runtime, settings)
        channels = build_channels(settings, runtime)
        http = await _serve_http(settings, store, channels, metrics)
        started: list[Channel] = []
        failed = False
        # the runtime runs the outbox worker and the purge loop; a notice waits untouched
        # until its platform's channel has started and registered itself
        async with runtime:
            try:
                for channel in channels:
                    await channel.start()
                    started.append(channel)
                log.info("bot.started", extra={"count": len(started)})
                sdnotify.notify("READY=1")
                # the holiday calendars are computed once ready (bot/flow/calendars.py)
                services = content.knowledge.services.values()
                warming = asyncio.create_task(
                    asyncio.to_thread(calendars.warm, [s.holiday_dates for s in services])
                )
                failed = await _until_stop_or_failure(stop, started)
                await warming
            finally:
                sdnotify.notify("STOPPING=1")
                stop.set()
                for channel in reversed(started):
                    await channel.stop()
        if http is not None:
            await http.stop()
        log.info("bot.stopped")
    return 1 if failed else 0


async def _until_stop_or_failure(stop: asyncio.Event, channels: list[Channel]) -> bool:
    """Wait for a stop signal, or for a channel that ends by itself (True: it failed)."""
    stopper = asyncio.create_task(stop.wait())
    watchers: dict[asyncio.Task[object], Channel] = {}
    for channel in channels:
        wait = getattr(channel, "wait", None)
        if callable(wait):
            watchers[asyncio.create_task(wait())] = channel
    done, _pending = await asyncio.wait({stopper, *watchers}, return_when=asyncio.FIRST_COMPLETED)
    for task in (stopper, *watchers):
        task.cancel()
    for task in done & watchers.keys():
        error = None if task.cancelled() else task.exception()
        log.error(
            "channel.ended",
            extra={"kind": type(watchers[task]).__name__, "error": type(error).__name__},
        )
        return True
    return False
