"""One store fixture over both implementations of :class:`bot.ports.Store`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ports import Store
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Each contract test runs on the SQLite store and on the in-memory store."""
    if request.param == "sqlite":
        async with SqliteStore(tmp_path / "contract.db") as sqlite:
            yield sqlite
    else:
        async with MemoryStore() as memory:
            yield memory
