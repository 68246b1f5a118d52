"""``beistand survey`` end to end on a real database: the link and the QR code (read back by
a real decoder, zxing-cpp), participants through the runtime, close, results with the k rule,
and ``beistand validate`` on survey files."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.content import ContentPaths, require_content
from bot.engine.actions import Ask
from bot.engine.events import Choose, Command, Start
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock
from tests.test_cli import ROOT, beistand, create_db

EXAMPLE = ROOT / "surveys" / "saalbefragung.yaml"
SECRET = "s" * 40


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def terminal_image(text: str) -> Image.Image:
    """The terminal's half-block QR code as a picture (each character is two modules high)."""
    rows = [line for line in text.splitlines() if line.strip()]
    width = max(len(r) for r in rows)
    top = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
    image = Image.new("L", (width * 8 + 80, len(rows) * 16 + 80), 255)
    for y, row in enumerate(rows):
        for x, char in enumerate(row.ljust(width)):
            upper, lower = top[char]
            for half, on in ((0, upper), (1, lower)):
                left, upper_edge = 40 + x * 8, 40 + y * 16 + half * 8
                box = (left, upper_edge, left + 8, upper_edge + 8)
                image.paste(255 if on else 0, box)
    return image


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BEISTAND_DATA_DIR": str(tmp_path), "BEISTAND_SECRET": SECRET, **extra}


async def participants(db: Path, code: str, first: int, second: int) -> None:
    """``first`` people answer question 1 (answer 0), ``second`` of them question 2 too."""
    content = require_content(ContentPaths())
    clock = FakeClock()
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, SECRET.encode(), clock=clock, purge_every=None)
        for number in range(first):
            user = Sender("telegram", str(7_000_000_000 + number), "de")
            replies = await runtime.handle(Incoming(user, Start(f"survey-{code}")))
            ask = [a for a in replies if isinstance(a, Ask)][-1]
            replies = await runtime.handle(Incoming(user, Choose(ask.turn, 0)))
            if number < second:
                ask = [a for a in replies if isinstance(a, Ask)][-1]
                await runtime.handle(Incoming(user, Choose(ask.turn, number % 2)))
            await runtime.handle(Incoming(user, Command("stop")))
            clock.advance(10)


def voter_rows(db: Path) -> int:
    with closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT count(*) FROM survey_voters").fetchone()[0])


def test_open_prints_the_link_and_a_qr_code_that_decodes_to_it(tmp_path: Path) -> None:
    create_db(tmp_path / "beistand.db")
    png = tmp_path / "qr.png"
    env = env_for(
        tmp_path,
        MATRIX_USER_ID="@beistand:example.org",
        MATRIX_HOMESERVER="https://example.org",
        MATRIX_ACCESS_TOKEN="t" * 20,
    )
    opened = beistand(
        "survey", "open", str(EXAMPLE), "--telegram-username", "beistand_test_bot", "--qr",
        str(png), env=env,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    code = re.search(r"ID: ([A-Z0-9]{8})", opened.stdout)
    assert code is not None, opened.stdout
    link = f"https://t.me/beistand_test_bot?start=survey-{code[1]}"
    assert f"Telegram: {link}" in opened.stdout
    assert f"send `/umfrage {code[1]}` to @beistand:example.org" in opened.stdout
    assert f"Terminal chat (beistand chat): /umfrage {code[1]}" in opened.stdout
    assert decode(Image.open(png)) == [link]
    block = "\n".join(line for line in opened.stdout.splitlines() if set(line) <= set("█▀▄ "))
    picture = terminal_image(block)
    found = decode(picture) or decode(Image.eval(picture, lambda v: 255 - v))
    assert found == [link]
    listed = beistand("survey", "list", env=env)
    assert f"{code[1]}  open    saalbefragung" in listed.stdout


def test_results_after_close_with_k_and_no_hash_left(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "beistand.db"
    create_db(db)
    env = env_for(tmp_path)
    opened = beistand("survey", "open", str(EXAMPLE), "--qr", str(tmp_path / "q.png"), env=env)
    assert opened.returncode == 0, opened.stderr
    code = re.search(r"ID: ([A-Z0-9]{8})", opened.stdout)
    assert code is not None
    asyncio.run(participants(db, code[1], first=6, second=4))
    assert voter_rows(db) == 6
    refused = beistand("survey", "results", code[1], env=env)
    assert refused.returncode != 0 and "still open" in refused.stderr
    closed = beistand("survey", "close", code[1], env=env)
    assert closed.returncode == 0, closed.stderr
    assert voter_rows(db) == 0
    shown = beistand("survey", "results", code[1], "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    first, second, *_rest = data["questions"]
    assert data["participants"] == 6 and first["answered"] == 6
    assert [a["count"] for a in first["answers"]] == [6, 0, 0, 0]
    assert second["answered"] is None  # 4 < k = 5
    assert all(a["count"] is None for a in second["answers"])
    low = beistand("survey", "results", code[1], env={**env, "BEISTAND_STATS_K": "3"})
    assert "4 Antworten" in low.stdout and "weniger als" in low.stdout  # question 3: nobody
    # the Lagebild report's section: the closed survey, question 2 suppressed
    from bot.cli.survey import survey_report_body
    from bot.config import Settings

    monkeypatch.setenv("BEISTAND_DATA_DIR", str(tmp_path))
    body = survey_report_body(Settings.load(db), "de")
    assert "Anonyme Befragung: Anfeindungen im Amt" in body
    assert "<caption>6 Antworten</caption>" in body and "Weniger als 5 Antworten" in body
    report = tmp_path / "lagebild.html"
    made = beistand(
        "report", "--from", "2026-01-01", "--to", "2027-12-31", "--out", str(report), env=env
    )
    assert made.returncode == 0, made.stderr
    page = report.read_text(encoding="utf-8")
    assert "<h2>Anonyme Befragungen</h2>" in page
    assert "Anonyme Befragung: Anfeindungen im Amt" in page and "Weniger als 5 Antworten" in page
    too_low = beistand("survey", "results", code[1], env={**env, "BEISTAND_STATS_K": "2"})
    assert too_low.returncode != 0 and "BEISTAND_STATS_K" in too_low.stderr


def test_validate_checks_survey_files_with_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "umfrage.yaml"
    bad.write_text(
        "id: probe\ntitle: {de: Probe, en: Trial}\nquestions:\n  - id: a\n    txt: {de: F}\n",
        encoding="utf-8",
    )
    checked = beistand("validate", "--survey", str(bad))
    assert checked.returncode == 1
    assert re.search(rf"{re.escape(str(bad))}:5:5: error: .*'txt'", checked.stdout), checked.stdout
    clean = beistand("validate", "--survey", str(EXAMPLE))
    assert clean.returncode == 0, clean.stdout
    assert "survey file(s)" in clean.stdout
