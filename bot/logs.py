"""Logging that cannot leak: an allow-list of fields and redaction of secrets at every level.

Log calls pass an event name as the message and fields through ``extra``; the formatter prints
only allowed fields, so user text, names and platform ids cannot reach a log line by accident.

What :class:`FieldFormatter` prints, and why:

* the message *template*, never its string arguments: ``log.info("got %s", text)`` prints
  ``got <str>``. Numbers are kept. Libraries (python-telegram-bot, nio, aiohttp) log URLs,
  room ids and texts as arguments, so this holds for every logger;
* only the fields in :data:`ALLOWED_FIELDS`; short fields must be one word or a number
  (``error=ValueError``), anything else prints as ``<hidden>`` (an exception message put into a
  field by mistake);
* an exception as its type and the file and line where it was raised, never its message
  (``int(text)`` raises a ValueError that repeats the text), and no traceback or stack;
* control characters and bidirectional overrides escaped (no forged log lines);
* known secrets and anything shaped like a Telegram bot token replaced by ``[redacted]``, in the
  whole line.

:class:`RedactFilter` also cleans the record itself (message and exception), so handlers that do
not use this formatter (a test's capture, a handler added by a library) see no token and no
exception message either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

#: The only extra fields a log line may carry.
ALLOWED_FIELDS = (
    "key",
    "platform",
    "flow",
    "node",
    "outcome",
    "kind",
    "count",
    "error",
    "where",
    "version",
    "problems",
    "seconds",
)
#: Fields printed as they are (after redaction), up to :data:`MAX_FREE_FIELD` characters.
FREE_FIELDS = frozenset({"where"})
MAX_FREE_FIELD = 300
_WORD = re.compile(r"[\w.:+/@-]{1,80}")
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
#: The record attribute holding the printable event text (template with safe arguments).
EVENT_ATTR = "beistand_event"


class _Hidden:
    """Stands in for a string argument of a log call."""

    def __init__(self, value: object) -> None:
        self.kind = type(value).__name__

    def __str__(self) -> str:
        return f"<{self.kind}>"

    __repr__ = __str__


def _safe_arg(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    return _Hidden(value)


def event_text(record: logging.LogRecord) -> str:
    """The message template with string arguments hidden (numbers kept)."""
    template = record.msg if isinstance(record.msg, str) else f"<{type(record.msg).__name__}>"
    args = record.args
    if not args:
        return template
    try:
        if isinstance(args, Mapping):  # one mapping argument: named fields, or shown as one
            if "%(" in template:
                return template % {k: _safe_arg(v) for k, v in args.items()}
            return template % (_Hidden(args),)
        return template % tuple(_safe_arg(a) for a in args)
    except (TypeError, ValueError, KeyError):
        return template


def escape(text: str) -> str:
    """Control characters, line separators and bidirectional overrides as ``\\uXXXX``."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _exception_note(record: logging.LogRecord) -> str | None:
    """``[Type at file:line]`` for a record with an exception, else None."""
    if not record.exc_info or record.exc_info[0] is None:
        return None
    exc_type, _exc, tb = record.exc_info
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    return f"[{exc_type.__name__} at {where}]"


class RedactFilter(logging.Filter):
    """Replaces known secrets and anything shaped like a bot token with ``[redacted]``.

    It also takes the exception off the record (keeping its type and place) and remembers the
    event text (the template without string arguments) for :class:`FieldFormatter`, before the
    message is interpolated for other handlers.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def redact(self, text: str) -> str:
        """``text`` with every secret and token replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean the record in place; never drops it."""
        if EVENT_ATTR not in record.__dict__:
            record.__dict__[EVENT_ATTR] = self.redact(event_text(record))
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = str(record.msg)
        message = self.redact(message)
        record.msg, record.args = message, None
        note = _exception_note(record)
        if note is not None:
            # keep the type and place of an exception, never its message (it may hold input)
            record.msg = f"{message} {note}"
            record.__dict__[EVENT_ATTR] = f"{record.__dict__[EVENT_ATTR]} {note}"
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        return True


def _field(name: str, value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return f"{name}={value}"
    text = str(value)
    if name in FREE_FIELDS:
        return f"{name}={text[:MAX_FREE_FIELD]}"
    return f"{name}={text}" if _WORD.fullmatch(text) else f"{name}=<hidden>"


class FieldFormatter(logging.Formatter):
    """``time level logger event key=value ...`` with allowed fields only.

    Args:
        redactor: redacts the finished line (the secrets it knows and token shapes); without one,
            token shapes are still redacted.
    """

    def __init__(self, redactor: RedactFilter | None = None) -> None:
        super().__init__()
        self.redactor = redactor or RedactFilter()

    def format(self, record: logging.LogRecord) -> str:
        """One line; never the message's string arguments, an exception message or a stack."""
        event = record.__dict__.get(EVENT_ATTR)
        if not isinstance(event, str):
            event = event_text(record)
            note = _exception_note(record)
            if note is not None:
                event = f"{event} {note}"
        fields = [
            _field(name, record.__dict__[name])
            for name in ALLOWED_FIELDS
            if name in record.__dict__ and name not in _RESERVED
        ]
        line = " ".join(
            [f"{self.formatTime(record)} {record.levelname} {record.name} {event}", *fields]
        )
        return escape(self.redactor.redact(line))


def configure(level: str = "INFO", secrets: Iterable[str] = (), stream: object = None) -> None:
    """Set up the root logger once: allow-list formatter, redaction, quiet HTTP libraries."""
    redactor = RedactFilter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(FieldFormatter(redactor))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
