"""The preview's JSON API without a browser: state, buttons, typed text, language, jump, reload."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientSession

from bot.content import ContentPaths, load_content
from bot.preview.session import Preview
from bot.preview.svg import to_svg
from tests.preview.conftest import break_target


async def _get(url: str) -> Any:
    async with ClientSession() as http, http.get(url + "api/state") as response:
        assert response.status == 200
        return await response.json()


async def _post(url: str, body: dict[str, Any], status: int = 200) -> Any:
    async with ClientSession() as http, http.post(url + "api/event", json=body) as response:
        assert response.status == status, await response.text()
        return await response.json() if status == 200 else None


def _last_buttons(state: dict[str, Any]) -> list[dict[str, str]]:
    return next(e["buttons"] for e in reversed(state["transcript"]) if e["buttons"])


async def test_the_page_and_its_assets_are_served(served: tuple[Preview, str]) -> None:
    _, url = served
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    async with ClientSession() as http:
        for path, kind in (("", "text/html"), ("assets/app.js", "text/javascript")):
            async with http.get(url + path) as response:
                assert response.status == 200
                assert response.content_type == kind
                assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        async with http.get(url + "assets/../server.py") as response:
            assert response.status == 404
        async with http.get(url + "api/state", headers={"Host": "evil.example"}) as response:
            assert response.status == 403
        async with http.post(url + "api/event", data="type=restart") as response:
            assert response.status == 415
        async with http.get(url + "api/graph/anzeige.svg") as response:
            svg = await response.text()
    assert response.content_type == "image/svg+xml"
    assert 'data-flow="anzeige"' in svg and 'data-node="stand"' in svg


async def test_buttons_text_and_the_path(served: tuple[Preview, str]) -> None:
    _, url = served
    state = await _get(url)
    assert state["ready"] and not state["broken"] and not state["problems"]
    assert state["current"] == {"flow": "menu", "node": "auswahl"}
    button = next(b for b in _last_buttons(state) if "Anzeige" in b["label"])
    state = await _post(url, {"type": "choose", **button})
    assert state["current"] == {"flow": "anzeige", "node": "stand"}
    assert ["menu", "zu_anzeige"] in state["path"] and ["anzeige", "einstieg"] in state["path"]
    assert state["transcript"][-2]["who"] == "bot" or state["transcript"][-1]["who"] == "bot"
    state = await _post(url, {"type": "text", "text": "/start hass"})
    assert state["current"]["flow"] == "hass"
    state = await _post(url, {"type": "restart"})
    assert state["current"] == {"flow": "menu", "node": "auswahl"}


async def test_language_and_jump(served: tuple[Preview, str]) -> None:
    _, url = served
    state = await _post(url, {"type": "jump", "flow": "anzeige", "node": "stand"})
    assert state["current"] == {"flow": "anzeige", "node": "stand"}
    assert state["transcript"][-1]["text"].endswith("Was ist der Stand bei Ihnen?")
    state = await _post(url, {"type": "language", "locale": "en"})
    assert state["locale"] == "en"
    assert state["current"] == {"flow": "anzeige", "node": "stand"}
    assert "Was ist der Stand" not in state["transcript"][-1]["text"]
    await _post(url, {"type": "jump", "flow": "anzeige", "node": "nowhere"}, status=404)
    await _post(url, {"type": "dance"}, status=400)
    await _post(url, {"type": "text", "text": 5}, status=400)


async def test_a_broken_file_keeps_the_last_good_content(
    served: tuple[Preview, str], content_copy: ContentPaths
) -> None:
    preview, url = served
    path, old = break_target(content_copy)
    _, problems = load_content(content_copy)
    expected = next(str(p.location) for p in problems if p.location.file.endswith("anzeige.yaml"))
    for _ in range(40):
        state = await _get(url)
        if state["broken"]:
            break
        await asyncio.sleep(0.1)
    assert state["broken"] and state["ready"]
    texts = [p["text"] for p in state["problems"]]
    assert any(t.startswith(expected + ": error:") for t in texts), texts
    # the chat goes on with the last good content
    button = next(b for b in _last_buttons(state) if "Anzeige" in b["label"])
    state = await _post(url, {"type": "choose", **button})
    assert state["current"] == {"flow": "anzeige", "node": "stand"}
    path.write_text(old, encoding="utf-8")
    for _ in range(40):
        state = await _get(url)
        if not state["broken"]:
            break
        await asyncio.sleep(0.1)
    assert not state["broken"] and not state["problems"]
    assert preview.version >= 3


def test_every_shipped_flow_draws(content_copy: ContentPaths) -> None:
    content, _ = load_content(content_copy)
    assert content is not None
    for flow in content.flows.values():
        svg = to_svg(flow)
        assert svg.startswith("<svg") and svg.count('class="node') >= len(flow.nodes)
