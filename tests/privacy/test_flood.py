"""Flood (security.md, test 8), CI-sized: 50 senders at 20 messages/s each beside 10 ordinary
users, through the real runtime and store, and through the whole Telegram channel (``beistand run``
polling a Bot API emulator that keeps Telegram's flood limits): ``benchmarks/flood.py`` run as a
script for 12 and 20 seconds (by hand it runs the full five minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.content import Content
from bot.engine.events import Start, Text
from bot.engine.step import step

#: Run as a script, not imported: tests import nothing from benchmarks/ (tests/test_tiers.py).
FLOOD = Path(__file__).resolve().parents[2] / "benchmarks" / "flood.py"
SECONDS = 12.0
TELEGRAM_SECONDS = 20.0


def flood(tmp_path: Path, seconds: float, *args: str) -> dict[str, Any]:
    """Run benchmarks/flood.py with 50 senders at 20 messages/s beside 10 users; its figures."""
    out = tmp_path / "flood.json"
    command = [sys.executable, str(FLOOD), "--seconds", str(seconds), "--attackers", "50"]
    command += ["--rate", "20", "--users", "10", "--json", str(out), *args]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    print(proc.stdout)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_flood_does_not_reach_ordinary_users(tmp_path: Path):
    report = flood(tmp_path, SECONDS)
    defaults = Settings.from_env({})
    assert (report["limit"], report["window"]) == (defaults.rate_limit, defaults.rate_window)
    assert report["offered"] >= 0.95 * 50 * 20 * SECONDS, "the flood was really offered"
    assert report["errors"] == 0
    assert report["lost"] == 0, "an ordinary user's message was lost"
    assert report["ordinary_sent"] >= 10 * SECONDS / 4
    assert report["p95"] < 2.0, f"ordinary users waited {report['p95']:.2f} s (p95)"
    allowed = report["attacker_allowed"].values()
    assert len(allowed) == 50
    assert max(allowed) <= report["allowed_bound"], "a flooding sender got past the limit"
    assert report["attacker_window_max"] <= 2 * report["limit"]
    assert report["growth_mb"] < 50


@pytest.mark.slow
@pytest.mark.channel
def test_a_flood_through_telegram_does_not_reach_ordinary_users(tmp_path: Path):
    report = flood(tmp_path, TELEGRAM_SECONDS, "--telegram")
    assert report["offered"] >= 0.95 * 50 * 20 * TELEGRAM_SECONDS, "the flood was really offered"
    assert report["errors"] == 0, "the bot logged an error or did not stop cleanly"
    assert report["lost"] == 0, "an ordinary user's message got no reply, or was refused"
    assert report["ordinary_sent"] >= 10 * TELEGRAM_SECONDS / 4
    assert report["p95"] < 2.0, f"ordinary users waited {report['p95']:.2f} s (p95)"
    allowed = report["attacker_allowed"].values()
    assert len(allowed) == 50
    assert max(allowed) <= report["allowed_bound"], "a flooding sender got past the limit"
    assert sum(allowed) > 0, "the flooding senders' messages were counted"
    assert report["growth_mb"] < 50


@pytest.mark.parametrize("length", [4096, 65536])
def test_one_long_message_costs_little(shipped: Content, length: int):
    """With 50 senders each allowed one message a second, a step must stay under 20 ms."""
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    state = step(shipped, None, Start(), now, "de").state
    text = ("Hass ä " * length)[:length]
    step(shipped, state, Text(text), now, "de")  # warm up
    started = time.thread_time()
    step(shipped, state, Text(text), now, "de")
    assert time.thread_time() - started < 0.020
