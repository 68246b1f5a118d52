"""Fixtures for the privacy tests: the shipped content, a controlled clock, DEBUG logs in a file."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import logs
from bot.content import Content, ContentPaths, require_content
from tests.channels.conftest import (  # noqa: F401 - the Telegram emulator's fixtures, reused
    _restore_logging,
    start_channel,
    telegram_bot,
    telegram_emulator,
    telegram_token,
)
from tests.channels.matrix.conftest import (  # noqa: F401 - Synapse and the Matrix transport
    make_bot,
    register,
    synapse,
)
from tests.helpers import FakeClock

#: Loggers forced to DEBUG during a canary run (``bot.logs.configure`` quiets some of them).
LIBRARY_LOGGERS = (
    "bot",
    "aiosqlite",
    "asyncio",
    "httpx",
    "httpcore",
    "aiohttp",
    "telegram",
    "telegram.ext",
    "nio",
    "peewee",
)


@pytest.fixture(scope="session")
def shipped() -> Content:
    """The flows, knowledge and catalogs in the repository."""
    return require_content(ContentPaths())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class DebugLog:
    """Everything logged during the test, at DEBUG, through ``bot.logs.configure``."""

    path: Path
    handler: logging.Handler

    def text(self) -> str:
        self.handler.flush()
        return self.path.read_text(encoding="utf-8")

    def lines(self) -> list[str]:
        return self.text().splitlines()


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[DebugLog]:
    """Configure logging as the bot does, at DEBUG, into ``tmp_path/logs/beistand.log``; every
    library logger is at DEBUG too. Everything is put back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    factory = logging.getLogRecordFactory()
    path = tmp_path / "logs" / "beistand.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("w", encoding="utf-8")
    logs.configure("DEBUG", stream=stream)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    ours = root.handlers[0]
    try:
        yield DebugLog(path, ours)
    finally:
        ours.flush()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        logging.setLogRecordFactory(factory)
        stream.close()


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this process (Python's and SQLite's) go under ``tmp_path/tmp``."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setenv("TMPDIR", str(directory))
    monkeypatch.setenv("SQLITE_TMPDIR", str(directory))
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory
