"""The transports' shape (issue 12, item 5): packages split by job, small modules, settings from
the config edge only, and nothing of the runtime or its store imported. (That no module is over 400
lines is checked for all of bot/ in tests/test_architecture.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TRANSPORTS = Path(__file__).resolve().parent.parent / "bot" / "transports"
MODULES = sorted(TRANSPORTS.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(TRANSPORTS)))
def test_no_transport_module_touches_the_environment(path: Path) -> None:
    """Settings are built at the config edge (bot.config.Settings), never read here."""
    code = path.read_text(encoding="utf-8")
    assert not re.search(r"\benviron\b|\bgetenv\b|\bputenv\b", code)


@pytest.mark.parametrize(
    "module", ["bot.transports.telegram", "bot.transports.matrix", "bot.transports.console"]
)
def test_a_transport_imports_nothing_of_the_runtime_or_its_store(module: str) -> None:
    """Only the runtime's face (bot.runtime_api): importing a transport loads no runtime, no
    store, no aiosqlite and none of Beistand's cryptography (bot.crypto)."""
    probe = (
        f"import sys, {module}\n"
        # bot.storage.nio_crypto: the SQL on matrix-nio's own crypto store (none of Beistand's)
        "bad = {'aiosqlite', 'bot.runtime', 'bot.handoff', 'bot.crypto'}\n"
        "print(sorted(m for m in sys.modules if m in bad or m.split('.')[0] == 'aiosqlite'"
        " or (m.startswith('bot.storage.') and m != 'bot.storage.nio_crypto')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
