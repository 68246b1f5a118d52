"""Typed text to one engine event (bot/engine/typed.py), the same on every platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.engine.commands import NAMES
from bot.engine.events import Command, Start, Text
from bot.engine.typed import parse_typed

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("/start", Start(None)),
        ("/start bedrohung", Start("bedrohung")),
        ("  /start   bedrohung  ", Start("bedrohung")),
        ("/start@beistand_bot menu", Start("menu")),
        ("/START bedrohung", Start("bedrohung")),
        ("/start ../../etc", Start(None)),
        ("/start zwei worte", Start(None)),
        ("/start " + "a" * 64, Start("a" * 64)),
        ("/start " + "a" * 65, Start(None)),
        ("/notfall", Command("emergency")),
        ("/emergency", Command("emergency")),
        ("/hilfe", Command("help")),
        ("/help@beistand_bot", Command("help")),
        ("/zurück", Command("back")),
        ("/löschen", Command("delete")),
        ("/sprache en", Command("language", "en")),
        ("/uebernehmen K7Q2", Command("claim", "K7Q2")),
        ("/claim K7Q2", Command("claim", "K7Q2")),
        ("/gibtsnicht", Text("/gibtsnicht")),
        ("Hilfe!", Text("Hilfe!")),
        ("2", Text("2")),
        ("Ja, jetzt", Text("Ja, jetzt")),
        ("", Text("")),
    ],
)
def test_typed_texts_become_events(text: str, event: object) -> None:
    assert parse_typed(text) == event


@pytest.mark.parametrize("language", sorted(NAMES))
def test_every_command_name_in_every_language_is_a_command(language: str) -> None:
    for name, canon in NAMES[language].items():
        expected = Start() if canon == "start" else Command(canon)
        assert parse_typed(f"/{name}") == expected


def test_numbers_and_labels_stay_text_for_the_engine() -> None:
    """The engine matches typed answers against the question; the parser never guesses."""
    for typed in ("1", "10", "nein", "Nein, gerade nicht", "start", "hilfe"):
        assert parse_typed(typed) == Text(typed)


def _chat(tmp_path: Path, script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "chat.db")],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BEISTAND_DATA_DIR": str(tmp_path / "data")},
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_start_with_a_flow_opens_it_in_the_terminal_chat(tmp_path: Path) -> None:
    """``printf '/start bedrohung\\n' | beistand chat`` reaches the shipped bedrohung flow."""
    flow = yaml.safe_load((ROOT / "flows" / "bedrohung.yaml").read_text(encoding="utf-8"))
    first_question = flow["nodes"][flow["start"]]["choice"]
    out = _chat(tmp_path, "/start bedrohung\n")
    before, _, after = out.partition("> /start bedrohung")
    assert first_question not in before  # the greeting: the main menu
    assert first_question in after
    plain = _chat(tmp_path / "plain", "/start\n")
    assert first_question not in plain
