"""With DEBUG logging on everything, the bot token (and what users type) never reaches the output.

Everything written to stdout and stderr is captured at the file-descriptor level, so handlers made
before and after the channel started, library loggers forced back to DEBUG and exception tracebacks
are all covered.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path

import pytest

from bot.errors import TransportError
from tests.channels.conftest import LABELS
from tests.channels.test_telegram_channel import free_port

pytestmark = pytest.mark.channel

LIBRARIES = ("telegram", "telegram.ext", "httpx", "httpcore", "aiohttp", "asyncio", "bot")


class Output:
    """Everything written to file descriptors 1 and 2 and to sys.stdout/sys.stderr, in a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sink = path.open("w+", encoding="utf-8")
        self.saved = {fd: os.dup(fd) for fd in (1, 2)}

    def start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for fd in self.saved:
            os.dup2(self.sink.fileno(), fd)
        monkeypatch.setattr(sys, "stdout", self.sink)
        monkeypatch.setattr(sys, "stderr", self.sink)

    def text(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.sink.flush()
        return self.path.read_text(encoding="utf-8")

    def stop(self) -> None:
        for fd, saved in self.saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self.sink.close()


@pytest.fixture
def output(monkeypatch, tmp_path):
    """Capture all output; a root handler at DEBUG writes to stderr (the capture)."""
    captured = Output(tmp_path / "output.txt")
    captured.start(monkeypatch)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield captured
    root.removeHandler(handler)
    captured.stop()


def debug_everywhere() -> None:
    """Every library logger at DEBUG."""
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)


async def test_the_token_never_appears_even_at_debug(
    output,
    telegram_emulator,
    telegram_bot,
    telegram_token,
    scripted_handler,
    start_channel,
):
    debug_everywhere()
    port = free_port()
    secret = uuid.uuid4().hex
    telegram_emulator.inject_fault("getMe", 500, "<html>Internal Server Error</html>")
    with pytest.raises(TransportError, match="could not be started"):
        await start_channel(scripted_handler)  # a failed start logs too
    channel = await start_channel(scripted_handler)
    # someone turns the libraries up again after the channel protected the logs
    late = logging.StreamHandler(sys.stdout)
    logging.getLogger().addHandler(late)
    debug_everywhere()
    telegram_emulator.inject_fault("getUpdates", 502, "<html>Bad Gateway</html>")
    telegram_emulator.inject_fault("getUpdates", 200, "kein JSON")

    user = telegram_emulator.user(telegram_bot)
    user.send_text("/start")
    question = (await user.read_until_keyboard(within=10))[-1]
    user.press(question, LABELS[0])
    await user.next_message()
    await user.answer_to(user.press_data(question, "gefälscht"))
    scripted_handler.fail = True
    user.send_text("hallo")
    await user.next_message()
    await channel.stop()
    await start_channel(
        scripted_handler,
        webhook_url=f"http://127.0.0.1:{port}/hook",
        webhook_secret=secret,
        webhook_port=port,
    )
    user.send_text("/hilfe")
    await user.next_message()

    text = output.text()
    logging.getLogger().removeHandler(late)
    assert "telegram.started" in text  # the capture works
    assert "getUpdates" in text  # httpx (forced to DEBUG) logged URLs: redacted
    assert "[redacted]" in text
    assert telegram_token not in text
    assert telegram_token.partition(":")[2] not in text
    assert secret not in text


async def test_default_protection_keeps_user_content_out_of_debug_logs(
    output, telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    canary = f"CNRY-{uuid.uuid4()}"
    user = telegram_emulator.user(telegram_bot, first_name=f"Name-{canary}")

    user.send_text(f"Mein Text {canary}")
    await user.next_message()
    user.send_text("/start")
    question = (await user.read_until_keyboard())[-1]
    user.press(question, LABELS[1])
    await user.next_message()

    text = output.text()
    assert "telegram.started" in text
    assert canary not in text
    assert str(user.id) not in text
