"""Canary run of a survey through the real runtime and SQLite store: participants whose ids,
typed texts and link payloads carry markers answer, stop, try twice; afterwards no marker, no
platform id and no conversation key is anywhere on disk, and the survey tables hold none."""

from __future__ import annotations

import random
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.content import Content
from bot.engine.actions import Action, Ask
from bot.engine.events import Choose, Command, Event, Start, Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from bot.survey.admin import close_survey, open_survey
from bot.survey.loader import load_survey
from bot.survey.participation import voter_key
from testbed.canary import Scanner, report
from testbed.scripts import Canaries
from tests.helpers import FakeClock
from tests.privacy.conftest import DebugLog

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = 40
SURVEY_TABLES = ("surveys", "survey_counts", "survey_voters")


def survey_rows(db: Path) -> bytes:
    """Every value of the survey tables, as bytes."""
    out = b""
    with closing(sqlite3.connect(db)) as connection:
        for table in SURVEY_TABLES:
            for row in connection.execute(f"SELECT * FROM {table}"):
                for value in row:
                    out += value if isinstance(value, bytes) else str(value).encode() + b"\x00"
    return out


async def test_a_survey_run_leaves_no_marker_and_no_id(
    shipped: Content, tmp_path: Path, debug_log: DebugLog, private_tmp: Path, clock: FakeClock
):
    canary = Canaries()
    rng = random.Random(20261207)
    survey, _ = load_survey(ROOT / "surveys" / "saalbefragung.yaml")
    assert survey is not None
    db = tmp_path / "data" / "beistand.db"
    secret = secrets.token_bytes(32)
    keys: list[bytes] = []
    key_scanner = Scanner()
    async with SqliteStore(db) as store:
        code = await open_survey(store, survey, int(clock()))
        runtime = Runtime(shipped, store, secret, clock=clock, rate_limit=10_000, purge_every=None)

        async def send(sender: Sender, event: Event) -> tuple[Action, ...]:
            clock.advance(rng.uniform(0.5, 20))
            return await runtime.handle(Incoming(sender, event))

        voters_seen = 0
        for number in range(PARTICIPANTS):
            platform = ("telegram", "matrix", "console")[number % 3]
            user_id = str(rng.randrange(10**9, 10**10)) if platform == "telegram" else canary()
            if platform == "telegram":
                canary.scanner.add_needle(user_id)
            user = Sender(platform, user_id, rng.choice(("de", "en")))
            keys.append(runtime.key(user))
            # conversation keys are stored in conversations by design: only the survey tables
            # are searched for them
            key_scanner.add_blob(f"key{number}", runtime.key(user))
            await send(user, Start(f"survey-{canary()}"))  # a forged payload: plain start
            replies = await send(user, Start(f"survey-{code}"))
            stop_after = rng.randrange(len(survey.questions) + 1)
            for question in range(len(survey.questions)):
                ask = [a for a in replies if isinstance(a, Ask)][-1]
                if rng.random() < 0.3:  # something typed in between, with markers
                    await send(user, Text(f"xq {canary()} zv"))
                    ask = [a for a in await send(user, Command("help", canary()))
                           if isinstance(a, Ask)][-1]  # fmt: skip
                if question == stop_after:
                    await send(user, Command("stop", canary()))
                    break
                replies = await send(user, Choose(ask.turn, rng.randrange(3)))
            if stop_after > 0:
                voters_seen += 1
            again = await send(user, Command("survey", code))  # a second try is refused
            said = " ".join(getattr(a, "text", "") for a in again)
            assert stop_after == 0 or "teilgenommen" in said or "already taken part" in said
        assert await store.survey_voters(code) == voters_seen
        assert voters_seen >= PARTICIPANTS // 2
        # while open: the hashes are neither conversation keys nor findable from an id
        rows = survey_rows(db)
        assert not any(key in rows for key in keys)
        hits = canary.scanner.scan_bytes(rows) + key_scanner.scan_bytes(rows)
        assert hits == [], report(hits)
        await close_survey(store, code, int(clock()))
        assert await store.survey_voters(code) == 0
        await store.checkpoint()
    # positive control: the row scan finds a key that is there
    control = voter_key(secret, code, "console", "x")
    key_scanner.add_blob("control", control)
    assert key_scanner.scan_bytes(b"\x00" + control + b"\x00")
    assert key_scanner.scan_bytes(survey_rows(db)) == []  # closed: no hash left, no key
    hits = canary.scanner.scan([tmp_path])
    assert hits == [], report(hits)
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT count(*) FROM survey_voters").fetchone() == (0,)
        counted = connection.execute("SELECT sum(count) FROM survey_counts").fetchone()[0]
    assert counted >= voters_seen
    print(f"survey canary: {PARTICIPANTS} participants, {canary.count} markers, {counted} answers")
