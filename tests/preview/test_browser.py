"""The preview in a real browser: Playwright driving Debian's headless Chromium.

Tap through a flow and watch the highlighted node follow; break a file and see the error with
its file:line; fix it and the chat goes on. Screenshots go to a folder the test prints; two are
copied to /tmp/preview-shots/ for the closing note. The browser is never downloaded: the test
setup (tests/install-servers.sh) installs Debian's ``chromium``; without it the test skips, and
fails in CI.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.content import ContentPaths, load_content
from bot.preview.session import Preview
from tests.helpers import unavailable
from tests.preview.conftest import break_target

pytestmark = pytest.mark.channel

CHROMIUM = Path("/usr/bin/chromium")
#: ../shared/reference/test-servers.md: no background traffic to outside hosts
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS_FOR_NOTE = Path("/tmp/preview-shots")
TIMEOUT = 10_000  # ms


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[Any]:
    """A page of a fresh headless Chromium (its own empty profile)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("playwright is not installed (the dev extra)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (tests/install-servers.sh installs Debian's chromium)")
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1500, "height": 950},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(TIMEOUT)
            yield page
        finally:
            await context.close()


async def _current(page: Any) -> tuple[str, str]:
    """The conversation's node as the page shows it, checked against the diagram."""
    at = await page.get_attribute("body", "data-current")
    flow, node = at.split("/")
    await page.wait_for_selector(
        f'#graph svg[data-flow="{flow}"] .node.current[data-node="{node}"]'
    )
    return flow, node


async def _tap(page: Any, label: str) -> None:
    await page.locator("#log button.choice:not([disabled])", has_text=label).first.click()


async def test_tap_break_fix(
    browser_page: Any, served: tuple[Preview, str], content_copy: ContentPaths, tmp_path: Path
) -> None:
    page = browser_page
    _, url = served
    shots = tmp_path / "shots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")

    await page.goto(url)
    await page.wait_for_selector('body[data-current="menu/auswahl"]')
    assert await _current(page) == ("menu", "auswahl")
    await page.screenshot(path=str(shots / "1-menu.png"))

    await _tap(page, "Meine Anzeige kommt nicht voran")
    await page.wait_for_selector('body[data-current="anzeige/stand"]')
    assert await _current(page) == ("anzeige", "stand")
    await _tap(page, "Das Verfahren wurde eingestellt")
    await page.wait_for_selector('body:not([data-current="anzeige/stand"])')
    flow, node = await _current(page)
    assert flow == "anzeige" and node != "stand"
    # the path taken: the nodes passed are marked, and the edge between two of them
    assert await page.locator('#graph .node.visited[data-node="stand"]').count() == 1
    assert await page.locator("#graph .edge.taken").count() >= 1
    await page.screenshot(path=str(shots / "2-flow-highlighted.png"))

    path, old = break_target(content_copy)
    _, problems = load_content(content_copy)
    where = next(str(p.location) for p in problems if p.location.file.endswith("anzeige.yaml"))
    line = where.rsplit(":", 1)[0]  # FILE:LINE
    error = page.locator("#problems li.error", has_text=line)
    await error.first.wait_for()
    assert "anzeige.yaml:" in (await error.first.text_content() or "")
    assert "letzten guten Inhalt" in (await page.text_content("#status") or "")
    await page.screenshot(path=str(shots / "3-broken-file.png"))

    path.write_text(old, encoding="utf-8")
    await page.wait_for_selector("#problems li.none")
    assert "Inhalt geladen" in (await page.text_content("#status") or "")
    before = await _current(page)
    buttons = page.locator("#log button.choice:not([disabled])")
    await buttons.first.click()
    await page.wait_for_selector(f'body:not([data-current="{"/".join(before)}"])')
    await _current(page)
    await page.screenshot(path=str(shots / "4-fixed-and-on.png"))

    SHOTS_FOR_NOTE.mkdir(parents=True, exist_ok=True)
    for name in ("2-flow-highlighted.png", "3-broken-file.png"):
        shutil.copy(shots / name, SHOTS_FOR_NOTE / name)


async def test_language_switch_and_jump(browser_page: Any, served: tuple[Preview, str]) -> None:
    page = browser_page
    _, url = served
    await page.goto(url)
    await page.wait_for_selector('body[data-current="menu/auswahl"]')
    # the page's own labels: German by default, English with the chat language
    assert await page.get_attribute("html", "lang") == "de"
    assert await page.text_content("#restart") == "Neu starten"
    assert await page.get_attribute("#text", "placeholder") == "Nachricht eingeben oder /start FLOW"
    await page.select_option("#jump-flow", "bedrohung")
    await page.select_option("#jump-node", "kanal")
    await page.click("#jump")
    await page.wait_for_selector('body[data-current="bedrohung/kanal"]')
    assert await _current(page) == ("bedrohung", "kanal")
    await page.select_option("#lang", "en")
    await page.wait_for_selector("#log li.note", state="attached")
    assert await _current(page) == ("bedrohung", "kanal")
    await page.wait_for_selector('html[lang="en"]')
    assert await page.text_content("#restart") == "Restart"
    assert await page.get_attribute("#text", "placeholder") == "Type a message or /start FLOW"
    assert "content loaded" in (await page.text_content("#status") or "")
    await page.click("#restart")
    await page.wait_for_selector('body[data-current="menu/auswahl"]')
    await page.fill("#text", "/start hass")
    await page.press("#text", "Enter")
    await page.wait_for_selector('body[data-current^="hass/"]')
    await _current(page)
