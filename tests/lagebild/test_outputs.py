"""``beistand stats`` and ``beistand report``: suppression holds in every format and in the
report, and what they print is jointly safe (the exact check of testbed/disclosure)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

import pytest

from bot.lagebild.tables import FAMILY, Query, build
from bot.ports import Count, CounterKey
from bot.storage.sqlite import SqliteStore
from testbed.disclosure import exposures
from tests.test_cli import FIXTURE_ENV, beistand

K = 5


def _key(week: int, topic: str, land: str, channel: str, outcome: str, region: str = "none"):
    return (f"2026-W{week:02d}", topic, land, region, channel, outcome)


#: a small month: big cells, small ones, one region
COUNTS: dict[CounterKey, int] = {
    _key(45, "threat", "BY", "telegram", "services_shown"): 14,
    _key(45, "threat", "BY", "matrix", "services_shown"): 6,
    _key(45, "threat", "SN", "telegram", "services_shown", "14999"): 2,
    _key(45, "hate", "BY", "telegram", "services_shown"): 9,
    _key(45, "hate", "SN", "terminal", "services_shown", "14999"): 1,
    _key(46, "threat", "BY", "telegram", "services_shown"): 11,
    _key(46, "hate", "BY", "telegram", "services_shown"): 3,
    _key(46, "assault", "SN", "telegram", "services_shown", "14999"): 7,
    _key(46, "threat", "BY", "telegram", "handoff_requested"): 6,
    _key(46, "threat", "BY", "telegram", "handoff_claimed"): 4,
    _key(46, "threat", "BY", "telegram", "handoff_nobody_free"): 2,
    _key(47, "threat", "BY", "telegram", "emergency_shown"): 1,
    _key(47, "threat", "BY", "telegram", "services_shown"): 12,
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("stats")

    async def fill() -> None:
        async with SqliteStore(folder / "beistand.db") as store, store.unit() as unit:
            unit.apply(*(Count((key,) * n) for key, n in COUNTS.items()))

    asyncio.run(fill())
    return {"BEISTAND_DATA_DIR": str(folder), "BEISTAND_SECRET": "s" * 40, **FIXTURE_ENV}


def test_the_family_of_the_month_is_safe() -> None:
    picture = build(list_rows(), Query(), K, {})
    assert picture.shown.primary > 0 and picture.shown.secondary > 0
    assert exposures(picture.base, picture.shown) == []


def list_rows():  # the rows as the store returns them
    from bot.ports.records import Counter

    return [Counter(*key, n) for key, n in sorted(COUNTS.items())]


def test_json_is_the_base_table_with_null_for_suppressed(env: dict[str, str]) -> None:
    done = beistand("stats", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {tuple(r) for r in rows} == {
        ("week", "topic", "land", "region", "channel", "outcome", "count")
    }
    assert len(rows) == len(COUNTS)
    counts = [r["count"] for r in rows]
    assert None in counts
    assert all(c is None or c >= K for c in counts)
    expected = build(list_rows(), Query(), K, {}).table(FAMILY[0])
    assert {tuple(r[f] for f in list(r)[:6]): r["count"] for r in rows} == dict(expected)


def test_text_and_csv_suppress_alike(env: dict[str, str]) -> None:
    text = beistand("stats", env=env)
    assert text.returncode == 0, text.stderr
    assert "suppressed" in text.stdout and "k = 5" in text.stdout
    numbers = [
        int(line.split()[-1])
        for line in text.stdout.splitlines()[1:]
        if line.strip() and line.split()[-1].isdigit()
    ]
    assert numbers and all(n >= K for n in numbers)
    table = beistand(
        "stats", "--format", "csv", "--from", "2026-11-02", "--to", "2026-11-15", env=env
    )
    assert table.returncode == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert {r["week"] for r in rows} == {"2026-W45", "2026-W46"}
    assert all(r["count"] == "" or int(r["count"]) >= K for r in rows)


def test_region_and_k(env: dict[str, str]) -> None:
    done = beistand("stats", "--region", "14999", "--format", "json", env=env)
    rows = json.loads(done.stdout)
    assert {r["region"] for r in rows} == {"14999"}
    assert all(r["count"] is None for r in rows)  # 2, 1 and 7 (7 alone would be revealed)
    refused = beistand("stats", env={**env, "BEISTAND_STATS_K": "2"})
    assert refused.returncode == 2 and "BEISTAND_STATS_K" in refused.stderr


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_report_shows_no_small_number(env: dict[str, str], tmp_path: Path, lang: str) -> None:
    out = tmp_path / "lagebild.html"
    done = beistand(
        "report",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-22",
        "--out",
        str(out),
        "--lang",
        lang,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 4
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing external
    shown = [int(n) for n in re.findall(r"<td class='n'>(\d+)</td>", page)]
    hidden = page.count("<td class='hidden'>")
    assert hidden > 0
    assert all(n == 0 or n >= K for n in shown)  # 0: an absent cell
    totals = re.findall(r"<li>[^<]*: <b>([^<]*)</b></li>", page)
    assert all(t == "·" or int(t) >= K for t in totals)
    assert ("Schutz kleiner Zahlen" in page) == (lang == "de")
