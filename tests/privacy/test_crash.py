"""Crash consistency (security.md, test 7), CI-sized: ``beistand chat`` with handoffs killed with
SIGKILL at random moments, restarted each time. ``benchmarks/crash_runs.py`` runs 200 runs."""

from __future__ import annotations

from pathlib import Path

from benchmarks.crash_runs import account, run_all, summary

RUNS = 10


def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path):
    results = run_all(runs=RUNS, kills=2, workers=2, base=tmp_path)
    print("\n".join(summary(results, 0)))
    assert sum(r.kills for r in results) == 2 * RUNS
    assert all(r.integrity and set(r.integrity) == {"ok"} for r in results)
    assert sum(r.cases for r in results) >= RUNS, "the runs must reach the handoff"
    assert sum(r.ended for r in results) > 0
    failed = [r for r in results if not r.ok]
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
