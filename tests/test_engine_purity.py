"""The engine is pure: importing it loads no YAML, Babel, database, crypto or platform library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = (
    "import bot.engine.step, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
    "{'yaml','babel','aiosqlite','cryptography','telegram','nio'}))"
)


def test_importing_the_engine_loads_no_heavy_library() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", COMMAND],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_stale_button_text_is_written_once() -> None:
    found = [
        path.relative_to(ROOT)
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if "Diese Schaltfläche ist nicht mehr gültig." in path.read_text(encoding="utf-8")
    ]
    assert found == [Path("bot/engine/texts/user.py")]
