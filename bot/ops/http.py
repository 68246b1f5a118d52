"""The operator's HTTP endpoint: ``GET /healthz`` and ``GET /metrics`` (aiohttp).

Bound only where ``BEISTAND_HTTP_HOST``/``BEISTAND_HTTP_PORT`` say (127.0.0.1 by default), for a
monitoring agent or a local Prometheus. Nothing in either answer is about a person: health names
the database and the channels, metrics are counts by channel, case event and error type.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bot.errors import ConfigError
from bot.metrics import CONTENT_TYPE, Metrics
from bot.ports import Health, OutboxStore

log = logging.getLogger(__name__)


class _Store(Health, OutboxStore, Protocol):
    """What the endpoint asks of the store."""


#: How long the health check waits for the database (and metrics for the outbox count).
DB_TIMEOUT = 2.0


def channel_name(channel: object) -> str:
    """The name a channel has in ``/healthz`` (its platform)."""
    name = getattr(channel, "platform", None)
    return name if isinstance(name, str) else type(channel).__name__.lower()


class OpsServer:
    """Serves ``/healthz`` and ``/metrics``; ``await start()``, then ``await stop()``.

    Args:
        store: the open store (its ping for health, the outbox count for metrics).
        channels: the configured channels; each must report ``health()`` true for a 200.
        metrics: the runtime's metrics.
        host, port: where to listen; port 0 picks a free one (see :attr:`port`).
    """

    def __init__(
        self,
        store: _Store,
        channels: Sequence[object],
        metrics: Metrics,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store = store
        self.channels = list(channels)
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind and serve (the bound port is in :attr:`port` afterwards).

        Raises:
            ConfigError: the address cannot be bound (in use, not local).
        """
        app = web.Application()
        # only GET: aiohttp answers 405 for other methods on these paths, 404 elsewhere
        app.router.add_get("/healthz", self.healthz, allow_head=False)
        app.router.add_get("/metrics", self.scrape, allow_head=False)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port} (BEISTAND_HTTP_HOST, "
                f"BEISTAND_HTTP_PORT): {error.strerror or type(error).__name__}"
            ) from None
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if self.port == 0:  # the port really bound
            self.port = int(runner.addresses[0][1])
        log.info("http.started", extra={"where": f"{self.host}:{self.port}"})

    async def stop(self) -> None:
        """Stop serving (safe to repeat)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("http.stopped")

    async def checks(self) -> dict[str, str]:
        """``ok`` or ``failing`` for the database and each channel."""
        found = {"database": "ok" if await self.store.ping(DB_TIMEOUT) else "failing"}
        for channel in self.channels:
            health = getattr(channel, "health", None)
            healthy = False
            if callable(health):
                try:
                    healthy = bool(health())
                except Exception as error:  # a broken check is a failing part, not a 500
                    log.warning("http.health_failed", extra={"error": type(error).__name__})
            found[channel_name(channel)] = "ok" if healthy else "failing"
        return found

    async def healthz(self, request: web.Request) -> web.Response:
        """200 with every part ``ok``, else 503 naming the failing parts."""
        del request
        checks = await self.checks()
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ok" if ok else "failing", "checks": checks}
        return web.json_response(body, status=200 if ok else 503)

    async def scrape(self, request: web.Request) -> web.Response:
        """The metrics in the Prometheus text format; the outbox backlog counted now."""
        del request
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                self.metrics.outbox_backlog.set(await self.store.outbox_backlog())
        except Exception as error:  # the database is down: the other metrics still count
            log.warning("http.backlog_failed", extra={"error": type(error).__name__})
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
