"""Crash consistency (security.md, test 7), CI-sized: the bot with handoffs killed with SIGKILL at
random moments and restarted each time, as ``beistand chat`` (the terminal channel) and as
``beistand run`` on Telegram (against the Bot API emulator): ``benchmarks/crash_runs.py`` run as a
script with fewer runs (by hand it runs 200 of either)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testbed.notices import account

#: Run as a script, not imported: tests import nothing from benchmarks/ (tests/test_tiers.py).
CRASH_RUNS = Path(__file__).resolve().parents[2] / "benchmarks" / "crash_runs.py"
RUNS = 10
TELEGRAM_RUNS = 4


def crash_runs(tmp_path: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """Run benchmarks/crash_runs.py; its runs' results (and how many plans a Telegram run has)."""
    out = tmp_path / "runs.json"
    proc = subprocess.run(
        [sys.executable, str(CRASH_RUNS), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=tmp_path,
        check=False,
    )
    print(proc.stdout)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-4000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    return figures["plans"], figures["runs"]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path):
    _plans, results = crash_runs(tmp_path, "--runs", str(RUNS), "--kills", "2", "--workers", "2")
    assert sum(r["kills"] for r in results) == 2 * RUNS
    assert all(r["integrity"] and set(r["integrity"]) == {"ok"} for r in results)
    assert sum(r["cases"] for r in results) >= RUNS, "the runs must reach the handoff"
    assert sum(r["ended"] for r in results) > 0
    failed = [r for r in results if not r["ok"]]
    assert failed == [], failed


@pytest.mark.slow
@pytest.mark.channel
def test_telegram_sigkill_at_random_moments_loses_no_notice(tmp_path: Path):
    """``beistand run`` killed twice per run while three users and a contact person talk to it
    over Telegram: every case announced, every end and claim reported, a repeat at most once per
    kill, ``integrity_check`` ok after every kill, the conversations picked up again."""
    plans, results = crash_runs(
        tmp_path, "--channel", "telegram", "--runs", str(TELEGRAM_RUNS), "--kills", "2",
        "--workers", str(TELEGRAM_RUNS),
    )  # fmt: skip
    assert sum(r["kills"] for r in results) == 2 * TELEGRAM_RUNS
    assert all(len(r["integrity"]) == 3 and set(r["integrity"]) == {"ok"} for r in results)
    assert sum(r["cases"] for r in results) == plans * TELEGRAM_RUNS
    assert sum(r["claimed"] for r in results) == 2 * TELEGRAM_RUNS
    failed = [r for r in results if not r["ok"]]
    assert failed == [], failed


def test_the_notice_accounting_sees_loss_repeats_and_strangers():
    printed = "\n".join(
        [
            "Neuer Fall AAAA-11 · Bedrohung · Dringlichkeit: hoch · Bayern · 23.11. 10:00",
            "Neuer Fall BBBB-22 · Hass · Dringlichkeit: mittel · Bayern · 23.11. 10:01",
            "Neuer Fall BBBB-22 · Hass · Dringlichkeit: mittel · Bayern · 23.11. 10:01",
            "Fall AAAA-11 wurde von der Person zurückgezogen.",
            "Neuer Fall ZZZZ-99 · Hass · Dringlichkeit: mittel · Bayern · 23.11. 10:02",
        ]
    )
    cases = {"AAAA-11": "erased", "BBBB-22": "user", "CCCC-33": ""}
    lost, repeated, unknown = account(printed, cases)
    assert lost == ["ended BBBB-22", "new CCCC-33"]
    assert repeated == 1
    assert unknown == ["ZZZZ-99"]
    assert account(printed, {"AAAA-11": "erased"})[:2] == ([], 0)


def test_the_notice_accounting_counts_what_the_user_is_told():
    to_contact = "\n".join(
        f"Neuer Fall {code} · Hass · Dringlichkeit: mittel · Bayern · 23.11. 10:01"
        for code in ("AAAA-11", "BBBB-22", "CCCC-33")
    )
    to_user = "\n".join(
        [
            "Eine Ansprechperson hat Ihren Fall AAAA-11 übernommen. Schreiben Sie einfach hier",
            "Eine Ansprechperson hat Ihren Fall AAAA-11 übernommen. Schreiben Sie einfach hier",
            "Ihr Fall AAAA-11 ist abgeschlossen. Mit /start kommen Sie zum Hauptmenü.",
            "Ihr Fall DDDD-44 ist abgeschlossen. Mit /start kommen Sie zum Hauptmenü.",
        ]
    )
    cases = {"AAAA-11": "contact", "BBBB-22": "contact", "CCCC-33": "erased"}
    claimed = {"AAAA-11", "BBBB-22", "CCCC-33"}
    lost, repeated, unknown = account(to_contact, cases, to_user, claimed)
    # a claim of a case the user erased may have been dropped with what waited for them; the
    # erasure itself must reach the contact
    assert lost == ["claimed BBBB-22", "closed BBBB-22", "ended CCCC-33"]
    assert repeated == 1
    assert unknown == ["DDDD-44"]
