"""The preview's web server (aiohttp, 127.0.0.1 only): the page, its assets and a JSON API.

``GET /`` the page; ``GET /assets/NAME`` its script and style; ``GET /api/state`` everything
the page shows; ``GET /api/graph/FLOW.svg`` a flow's diagram; ``POST /api/event`` with
``{"type": "choose"|"text"|"restart"|"language"|"jump"|"start", ...}`` one step of the chat
(answered with the new state). A background task polls the content files' mtimes and reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import webbrowser
from collections.abc import Callable
from importlib import resources
from typing import Any

from aiohttp import web

from bot.content import ContentPaths
from bot.errors import ConfigError
from bot.preview.session import Preview
from bot.preview.svg import to_svg

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: How often the content files are checked for changes (seconds).
POLL_SECONDS = 0.5
_ASSETS = {"app.js": "text/javascript", "style.css": "text/css", "index.html": "text/html"}
PREVIEW_KEY = web.AppKey("preview", Preview)


def asset(name: str) -> str:
    """The text of a page asset shipped in the package."""
    return resources.files("bot.preview").joinpath("assets", name).read_text(encoding="utf-8")


def _preview(request: web.Request) -> Preview:
    return request.app[PREVIEW_KEY]


_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # the page loads nothing from anywhere else
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'",
}


async def page(request: web.Request) -> web.Response:
    """The page."""
    return web.Response(text=asset("index.html"), content_type="text/html", headers=_HEADERS)


async def assets(request: web.Request) -> web.Response:
    """The page's script and style."""
    name = request.match_info["name"]
    if name not in _ASSETS:
        raise web.HTTPNotFound()
    return web.Response(text=asset(name), content_type=_ASSETS[name], headers=_HEADERS)


async def state(request: web.Request) -> web.Response:
    """Everything the page shows."""
    preview = _preview(request)
    return web.json_response(await preview.view(), headers=_HEADERS)


async def graph(request: web.Request) -> web.Response:
    """One flow's diagram, from the content in use."""
    preview = _preview(request)
    content = preview.content
    flow = content.flows.get(request.match_info["flow"]) if content else None
    if flow is None:
        raise web.HTTPNotFound()
    return web.Response(text=to_svg(flow), content_type="image/svg+xml", headers=_HEADERS)


def _text(body: dict[str, Any], name: str, limit: int = 4000) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > limit:
        raise web.HTTPBadRequest(text=f"{name}: a text is needed")
    return value


async def event(request: web.Request) -> web.Response:
    """One step of the chat; answers with the new state."""
    preview = _preview(request)
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="JSON expected") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object expected")
    async with preview.lock:
        await _dispatch(preview, body)
    return web.json_response(await preview.view(), headers=_HEADERS)


async def _dispatch(preview: Preview, body: dict[str, Any]) -> None:
    kind = body.get("type")
    if kind == "start":
        await preview.start()
    elif kind == "text":
        await preview.text(_text(body, "text"))
    elif kind == "choose":
        await preview.choose(_text(body, "data", 40), _text(body, "label"))
    elif kind == "restart":
        await preview.restart()
    elif kind == "language":
        await preview.language(_text(body, "locale", 10))
    elif kind == "jump":
        node = body.get("node")
        if node is not None and not isinstance(node, str):
            raise web.HTTPBadRequest(text="node: a text is needed")
        if not await preview.jump(_text(body, "flow", 200), node or None):
            raise web.HTTPNotFound(text="no such flow or node")
    else:
        raise web.HTTPBadRequest(text="unknown event type")


async def _watch(app: web.Application) -> Any:
    preview = app[PREVIEW_KEY]

    async def loop() -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                if await preview.reload():
                    log.info("preview.reloaded", extra={"count": len(preview.problems)})
            except Exception:  # a reload must never end the preview
                log.exception("preview.reload_failed")

    task = asyncio.create_task(loop(), name="preview-watch")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


#: Host names the page may be reached under (another name: a DNS rebinding attempt)
LOCAL_NAMES = frozenset({HOST, "localhost"})


@web.middleware
async def local_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """Refuse requests for another host name, and posts a web form could make from any site
    (a JSON body needs a preflight that this server never answers)."""
    name = (request.host or "").rsplit(":", 1)[0]
    if name not in LOCAL_NAMES:
        raise web.HTTPForbidden(text="the preview answers only on 127.0.0.1")
    if request.method == "POST" and request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="JSON expected")
    response: web.StreamResponse = await handler(request)
    return response


def make_app(preview: Preview) -> web.Application:
    """The preview's web application."""
    app = web.Application(client_max_size=64 * 1024, middlewares=[local_only])
    app[PREVIEW_KEY] = preview
    app.router.add_get("/", page)
    app.router.add_get("/assets/{name}", assets)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/graph/{flow}.svg", graph)
    app.router.add_post("/api/event", event)
    app.cleanup_ctx.append(_watch)
    return app


async def start_preview(preview: Preview, port: int = 0) -> tuple[web.AppRunner, str]:
    """Load the content, open the chat and serve the page; returns the runner and the URL."""
    await preview.reload()
    if preview.content is not None:
        await preview.start()
    runner = web.AppRunner(make_app(preview), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {HOST}:{port}: {err.strerror}") from None
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, f"http://{HOST}:{bound}/"


def _has_browser() -> bool:
    """True if a browser is configured or a desktop is there to show one."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def serve(
    paths: ContentPaths, say: Callable[[str], None], port: int = 0, open_browser: bool = True
) -> int:
    """Run the preview until interrupted; the first line said is its URL."""
    preview = Preview(paths)
    runner, url = await start_preview(preview, port)
    say(url)
    if preview.broken:
        say("the content does not validate yet; the page lists the problems")
    if open_browser and _has_browser():
        with contextlib.suppress(Exception):  # no browser: the URL above is enough
            await asyncio.to_thread(webbrowser.open, url)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0
