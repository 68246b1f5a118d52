"""Webhook mode: a small aiohttp server that takes Telegram's POSTs, checks the secret header in
constant time and queues the update (after the flood cut on the raw JSON).

Imported only in webhook mode (by the channel as it starts, or through the package's lazy
``WebhookReceiver``): aiohttp's server takes a few tenths of a second to import, which long
polling does not need."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.transports.telegram.settings import ALLOWED_UPDATES, SECRET_HEADER, TelegramSettings
from bot.transports.telegram.updates import PerChatProcessor

_LOG = logging.getLogger("bot.transports.telegram")
#: Bodies over this size are refused (an update is a few kilobytes).
MAX_BODY = 1 << 20
#: What :func:`start_webhook` returns and the channel cleans up at stop.
WebhookServer = web.AppRunner


class WebhookReceiver:
    """Accepts Telegram's POSTs: the secret header is compared in constant time, 403 otherwise."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], secret: str) -> None:
        self.application = application
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        """Queue one update; 403 without the right secret, 400 for a body that is no update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            _LOG.warning("telegram.webhook_refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            processor = self.application.update_processor
            if isinstance(processor, PerChatProcessor) and not processor.screen([data], False):
                return web.Response(status=200)  # a flood: dropped before it is parsed
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)


async def start_webhook(
    application: Application[Any, Any, Any, Any, Any, Any], settings: TelegramSettings
) -> WebhookServer:
    """Serve the webhook path and tell Telegram about it (``setWebhook``); the caller cleans the
    returned runner up at stop. Telegram keeps the webhook, and its updates, while the bot is away.
    """
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    receiver = WebhookReceiver(application, settings.webhook_secret)
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(settings.webhook_path, receiver.handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
        )
    except BaseException:
        await runner.cleanup()
        raise
    return runner
