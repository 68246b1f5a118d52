"""Trying a flow (issue 16): ``beistand test`` failures show what the bot said, and the terminal
chat opens a flow with ``--flow FLOW`` or ``/start FLOW``."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.convtest import Failure
from bot.errors import SourceLocation
from tests.conftest import BASIC

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ["--flows", str(BASIC / "flows"), "--knowledge", str(BASIC / "knowledge"),
           "--locales", str(BASIC / "locales")]  # fmt: skip


def test_failure_shows_the_reply_beside_the_expectation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test = tmp_path / "demo.yaml"
    test.write_text(
        "conversations:\n"
        "  - name: falsche Erwartung\n"
        "    steps:\n"
        "      - start: demo\n"
        "        expect: {says: Gibt es nicht}\n",
        encoding="utf-8",
    )
    assert main(["test", str(test), *FIXTURE]) == 1
    out = capsys.readouterr().out
    assert (
        f"FAIL {test}:4:9: falsche Erwartung: step 1: expected the bot to say 'Gibt es nicht'\n"
        "    the bot said:\n"
        "      | Willkommen bei Beistand. Ich speichere keine Texte und keine Namen; mehr dazu "
        "mit /datenschutz. Bei akuter Gefahr wählen Sie 110.\n"
        "      | Wie kam die Drohung?\n"
        "      | Online\n"
    ) in out


def test_a_long_reply_is_shortened_with_a_count() -> None:
    failure = Failure(
        SourceLocation("t.yaml", 3, 9), "c", "step 1: x", "\n".join(map(str, range(40)))
    )
    text = str(failure)
    assert "      | 29\n      | ... (10 more lines)" in text and "| 30" not in text


def run_chat(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "chat.db"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BEISTAND_DATA_DIR": str(tmp_path / "data")},
        cwd=ROOT,
        check=False,
    )


def test_chat_opens_a_flow_with_the_flow_option(tmp_path: Path) -> None:
    result = run_chat(tmp_path, "--flow", "anzeige")
    assert result.returncode == 0, result.stderr
    assert "Was ist der Stand bei Ihnen?" in result.stdout


def test_chat_opens_a_flow_with_start_flow(tmp_path: Path) -> None:
    result = run_chat(tmp_path, stdin="/start anzeige\n")
    assert result.returncode == 0, result.stderr
    assert "Was ist der Stand bei Ihnen?" in result.stdout


def test_chat_refuses_an_unknown_flow(tmp_path: Path) -> None:
    result = run_chat(tmp_path, "--flow", "anzeig")
    assert result.returncode == 2
    assert "unknown flow 'anzeig'" in result.stderr


def test_console_starts_in_the_given_flow() -> None:
    from bot.transports.console import Console

    seen: list[object] = []

    class Handler:
        async def handle(self, incoming: object) -> tuple[object, ...]:
            seen.append(incoming)
            return ()

    console = Console(Handler(), "de", stdin=io.StringIO(""), stdout=io.StringIO(), flow="demo")  # type: ignore[arg-type]
    assert asyncio.run(console.run()) == 0
    assert getattr(getattr(seen[0], "event", None), "payload", None) == "demo"
