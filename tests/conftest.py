"""Shared fixtures: the small fixture content set and a fixed clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.config import prepare_libraries
from bot.content import Content, ContentPaths, load_content
from bot.knowledge import BERLIN

# what `beistand` sets at its start (PTB_TIMEDELTA), for the channels the tests build directly
prepare_libraries()

FIXTURES = Path(__file__).parent / "fixtures"
BASIC = FIXTURES / "basic"
#: A Monday, 10:00 in Berlin.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


def basic_paths() -> ContentPaths:
    """The fixture content set used by engine and runtime tests."""
    return ContentPaths(BASIC / "flows", BASIC / "knowledge", BASIC / "locales")


@pytest.fixture(scope="session")
def content() -> Content:
    """The fixture content, loaded once."""
    loaded, problems = load_content(basic_paths())
    assert loaded is not None, [str(p) for p in problems]
    return loaded


@pytest.fixture(scope="session")
def musterland() -> Content:
    """The shipped content with the example local layer (examples/musterland), loaded once."""
    local = Path(__file__).resolve().parent.parent / "examples" / "musterland"
    loaded, problems = load_content(ContentPaths(local=local))
    assert loaded is not None, [str(p) for p in problems if p.severity == "error"]
    return loaded
