"""The preview's test content: a copy of the shipped flows, knowledge and catalogs to edit."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import ContentPaths, shipped_content
from bot.preview import server
from bot.preview.server import start_preview
from bot.preview.session import Preview


@pytest.fixture
def content_copy(tmp_path: Path) -> ContentPaths:
    """Flows, knowledge and locales copied into ``tmp_path`` (the tests break and fix them)."""
    shipped = shipped_content()
    for name, source in (
        ("flows", shipped.flows),
        ("knowledge", shipped.knowledge),
        ("locales", shipped.locales),
    ):
        shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    return ContentPaths(
        flows=tmp_path / "flows",
        knowledge=tmp_path / "knowledge",
        locales=tmp_path / "locales",
        conversations=tmp_path / "conversations",
    )


@pytest.fixture
async def served(
    content_copy: ContentPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Preview, str]]:
    """A running preview of the copy: (the preview, its URL); it looks for changes often."""
    monkeypatch.setattr(server, "POLL_SECONDS", 0.1)
    preview = Preview(content_copy)
    runner, url = await start_preview(preview)
    try:
        yield preview, url
    finally:
        await runner.cleanup()


def break_target(paths: ContentPaths) -> tuple[Path, str]:
    """Make an option of ``anzeige`` point at a node that does not exist; returns the file and
    its old text."""
    path = paths.flows / "anzeige.yaml"
    old = path.read_text(encoding="utf-8")
    assert "next: eingestellt}" in old
    path.write_text(old.replace("next: eingestellt}", "next: eingestelt}", 1), encoding="utf-8")
    return path, old
