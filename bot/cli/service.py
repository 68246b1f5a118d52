"""The commands that run the bot: ``chat`` (this terminal) and ``run`` (the configured
channels)."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace

from bot.config import Settings
from bot.content import require_content
from bot.errors import ConfigError
from bot.hardening import no_core_dumps
from bot.ops.files import private_umask


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.lock import InstanceLock
    from bot.runtime import runtime_for
    from bot.storage.sqlite import SqliteStore
    from bot.transports.console import Console

    paths = settings.content
    if args.local is not None:
        paths = replace(paths, local=args.local)
    content = require_content(paths)
    if args.flow is not None and args.flow not in content.flows:
        raise ConfigError(f"unknown flow {args.flow!r}; flows: {', '.join(sorted(content.flows))}")
    secret = settings.secret_bytes(generate=True)
    # a second writer beside a running bot: refused like a second `beistand run`
    async with InstanceLock(settings.data_dir, "chat"), SqliteStore(settings.db) as store:
        # a local user may paste many lines at once
        runtime = runtime_for(
            settings, content, store, secret, rate_limit=1000, purge_every=None, worker_idle=0.2
        )
        console = Console(runtime, args.lang, flow=args.flow)
        runtime.register_channel("console", console.deliver)
        async with runtime:
            try:
                return await console.run()
            finally:
                await runtime.deliver_due()  # what is due now is shown before exit


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in this terminal."""
    no_core_dumps()
    private_umask()
    return asyncio.run(_chat(args, settings))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the configured channels until interrupted."""
    from bot.app import serve

    # the level is one of LOG_LEVELS (Settings refuses NOTSET, numbers and unknown names)
    if settings.log_level == "DEBUG" and not settings.allow_debug:
        raise ConfigError(
            "BEISTAND_LOG_LEVEL=DEBUG is refused for `beistand run`: debug logs are for test "
            "deployments; set BEISTAND_ALLOW_DEBUG=1 there, never with real users"
        )
    no_core_dumps()
    private_umask()
    return asyncio.run(serve(settings))
