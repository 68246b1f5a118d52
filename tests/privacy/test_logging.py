"""The log format cannot carry user content, exception messages or secrets (``bot.logs``)."""

from __future__ import annotations

import io
import logging
import secrets
import string

import pytest

from bot import logs
from testbed.canary import Scanner, new_marker
from tests.privacy.conftest import DebugLog

LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)


def bot_token() -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:" + "".join(
        secrets.choice(alphabet) for _ in range(35)
    )


@pytest.fixture
def configured() -> tuple[logging.Logger, io.StringIO]:
    """``bot.logs.configure`` at DEBUG into a string, restored afterwards."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    stream = io.StringIO()
    logs.configure("DEBUG", secrets=["geheimes-passwort-123"], stream=stream)
    yield logging.getLogger("bot.test"), stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_fields_outside_the_allow_list_are_never_printed(configured):
    log, out = configured
    marker = new_marker()
    log.info(
        "event.handled",
        extra={"text": marker, "user": marker, "first_name": marker, "key": "ab12cd34", "count": 3},
    )
    (line,) = lines(out)
    assert marker not in line
    assert line.endswith("bot.test event.handled key=ab12cd34 count=3")


def test_string_arguments_of_a_message_are_hidden_numbers_kept(configured):
    log, out = configured
    marker = new_marker()
    log.info("user %s sent %d messages in %.1f s", marker, 7, 2.5)
    log.info("named %(who)s %(n)d", {"who": marker, "n": 4})
    log.info("broken %d", marker)  # a wrong format does not fall back to the argument
    first, second, third = lines(out)
    assert first.endswith("user <str> sent 7 messages in 2.5 s")
    assert second.endswith("named <str> 4")
    assert third.endswith("broken %d")
    assert marker not in out.getvalue()


def test_a_free_text_value_in_a_short_field_is_hidden(configured):
    log, out = configured
    marker = new_marker()
    try:
        int(f"Meine Adresse ist {marker}")
    except ValueError as err:
        log.error("matrix.cross_signing_failed", extra={"error": str(err), "kind": "ok.word"})
    (line,) = lines(out)
    assert "error=<hidden>" in line
    assert "kind=ok.word" in line
    assert marker not in line


def test_exceptions_are_logged_by_type_and_place_only(configured):
    log, out = configured
    marker = new_marker()

    def handler(text: str) -> int:
        return int(text)  # ValueError: invalid literal for int() with base 10: '<text>'

    try:
        handler(marker)
    except ValueError:
        log.exception("event.failed")
    try:
        try:
            handler(marker)
        except ValueError as inner:
            raise RuntimeError(f"while handling {marker}") from inner
    except RuntimeError as err:
        log.error("event.failed", exc_info=err, stack_info=True)
    log.error(ValueError(marker))  # an exception object as the message
    first, second, third = lines(out)
    assert first.endswith(
        f"event.failed [ValueError at {__file__}:{handler.__code__.co_firstlineno + 1}]"
    )
    assert "[RuntimeError at " in second
    assert third.endswith("bot.test <ValueError>")
    assert marker not in out.getvalue()
    assert "Traceback" not in out.getvalue()
    assert "Stack (most recent call last)" not in out.getvalue()


@pytest.mark.parametrize("level", LEVELS, ids=logging.getLevelName)
def test_tokens_and_secrets_are_redacted_at_every_level(configured, level):
    log, out = configured
    token = bot_token()
    url = f"https://api.telegram.org/bot{token}/getUpdates"
    log.log(level, f"request to {url} failed")  # an f-string: the token is in the template
    log.log(level, "login with geheimes-passwort-123")
    log.log(level, "event", extra={"where": url})
    try:
        raise ConnectionError(url)
    except ConnectionError:
        log.log(level, "network", exc_info=True)
    text = out.getvalue()
    assert token not in text
    assert token.partition(":")[2] not in text
    assert "geheimes-passwort-123" not in text
    assert text.count("[redacted]") == 3
    assert len(lines(out)) == 4


def test_other_handlers_on_the_root_see_redacted_records(configured):
    log, _out = configured
    token, marker = bot_token(), new_marker()
    extra = io.StringIO()
    plain = logging.StreamHandler(extra)
    plain.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(plain)  # after the configured one, as a library would
    try:
        try:
            int(marker)
        except ValueError:
            log.exception(f"token {token}")
    finally:
        logging.getLogger().removeHandler(plain)
    assert token not in extra.getvalue()
    assert marker not in extra.getvalue()
    assert "ValueError at" in extra.getvalue()


def test_no_forged_lines_and_no_hidden_direction_changes(configured):
    log, out = configured
    log.warning("first\n2026-11-23 10:00:00,000 INFO bot.runtime forged\r\x1b[2J")
    log.warning("name \u202egnp.exe\u2066 x\u2028y")
    first, second = lines(out)
    assert "\\u000a2026-11-23" in first
    assert "\\u001b" in first
    assert "\\u202e" in second
    assert "\\u2028" in second
    assert "\u202e" not in out.getvalue()


def test_configure_keeps_chatty_libraries_quiet(configured):
    import bot.storage.sqlite  # noqa: F401 - the store quiets its driver's logger (bot.logs.quiet)

    logging.getLogger("aiosqlite").setLevel(logging.DEBUG)
    logs.configure("INFO", stream=io.StringIO())
    for name in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        assert logging.getLogger(name).level == logging.WARNING


def test_library_debug_output_with_user_ids_stays_out(debug_log: DebugLog):
    """What aiosqlite and nio print at DEBUG (statements with parameters, room ids) reaches the
    file as templates only."""
    marker = new_marker()
    logging.getLogger("aiosqlite").debug("executing %s", ("SELECT ?", (marker,)))
    logging.getLogger("nio.rooms").debug("Room %s: new member %s", "!abc:hs", f"@{marker}:hs")
    logging.getLogger("telegram.ext").debug("Processing update %s", {"text": marker})
    text = debug_log.text()
    assert "executing <tuple>" in text
    assert "Processing update <dict>" in text
    assert Scanner([marker]).scan([debug_log.path]) == []
