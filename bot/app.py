"""``beistand run``: the runtime, the configured channels, reload on SIGHUP, periodic purge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings
from bot.content import require_content
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.storage.sqlite import SqliteStore

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 3600


def install_reload(runtime: Runtime, settings: Settings) -> None:
    """Reload flows and knowledge on SIGHUP; invalid files leave the running content in place."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, runtime.reload, settings.content)


async def _purge_forever(runtime: Runtime) -> None:
    while True:
        await runtime.purge()
        await asyncio.sleep(PURGE_EVERY_SECONDS)


async def serve(settings: Settings) -> int:
    """Run until SIGINT or SIGTERM; returns the exit status."""
    channels = []
    if settings.telegram_token:
        channels.append("telegram")
    if settings.matrix_homeserver and settings.matrix_user_id:
        channels.append("matrix")
    if not channels:
        raise ConfigError(
            "no channel configured: set TELEGRAM_TOKEN and/or MATRIX_HOMESERVER, MATRIX_USER_ID"
        )
    content = require_content(settings.content)
    secret = settings.secret_bytes()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with SqliteStore(settings.db) as store:
        runtime = Runtime(
            content,
            store,
            secret,
            retention_days=settings.retention_days,
            rate_limit=settings.rate_limit,
            rate_window=settings.rate_window,
        )
        install_reload(runtime, settings)
        purger = asyncio.create_task(_purge_forever(runtime))
        worker = asyncio.create_task(runtime.handoff.run(stop))
        log.info("bot.started", extra={"count": len(channels)})
        try:
            await stop.wait()
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await worker
            log.info("bot.stopped")
    return 0
