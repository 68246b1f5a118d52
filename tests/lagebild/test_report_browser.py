"""The report in a real headless Chromium (Debian's, never downloaded): it renders offline, the
four charts are there as SVG with drawn marks, and a screenshot is taken (copied to
/tmp/lagebild-shots/ for the closing note)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import ContentPaths, require_content, shipped_content
from bot.lagebild.report import labels_of, render_report
from bot.lagebild.tables import Query, build
from tests.helpers import unavailable
from tests.lagebild.test_outputs import list_rows
from tests.preview.test_browser import CHROMIUM, FLAGS

pytestmark = pytest.mark.channel

SHOTS = Path("/tmp/lagebild-shots")


async def test_the_report_renders_its_charts_offline(tmp_path: Path) -> None:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("playwright is not installed (the dev extra)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (tests/install-servers.sh installs it)")
    layout = shipped_content()
    content = require_content(ContentPaths(layout.flows, layout.knowledge, layout.locales))
    picture = build(list_rows(), Query(), 5, {})
    page_file = tmp_path / "lagebild.html"
    page_file.write_text(render_report(picture, labels_of(content, "de")), encoding="utf-8")
    requests: list[str] = []
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1100, "height": 1400},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            await page.goto(page_file.as_uri())
            charts = page.locator("section svg")
            assert await charts.count() == 4
            for i in range(4):
                box = await charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
                marks = charts.nth(i).locator("path, rect, use")
                assert await marks.count() > 10
            assert await page.locator("td.hidden").count() > 0
            assert "Schutz kleiner Zahlen" in await page.inner_text("body")
            shot = tmp_path / "report.png"
            await page.screenshot(path=str(shot), full_page=True)
        finally:
            await context.close()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert shot.stat().st_size > 20_000
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(shot, SHOTS / "report.png")
