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

Libraries are guarded here too: :func:`protect_logs` wraps the log record factory, so every record
of every logger is redacted as it is made (the Telegram token, which the Bot API puts into every
URL, never reaches a handler, even one added later), and :func:`guard_loggers` holds a library's
loggers at a level and blanks Matrix ids in their records (:class:`RedactIdsFilter`).

Timestamps are UTC with the zone (``2026-12-03T12:34:56.789Z``). :class:`JsonFormatter` prints
the same event and the same fields, filtered and redacted by the same functions, as one JSON
object a line for log collectors (``BEISTAND_LOG_FORMAT=json``).

:class:`RedactFilter` also cleans the record itself (message and exception), so handlers that do
not use this formatter (a test's capture, a handler added by a library) see no token and no
exception message either.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.errors import ConfigError

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
#: The values of ``BEISTAND_LOG_FORMAT``.
FORMATS = ("text", "json")


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


def _value(name: str, value: Any) -> bool | int | float | str | None:
    """What a log line shows of an allowed field: numbers as they are, short fields as one word
    (else ``<hidden>``), free fields cut to :data:`MAX_FREE_FIELD` characters."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if name in FREE_FIELDS:
        return text[:MAX_FREE_FIELD]
    return text if _WORD.fullmatch(text) else "<hidden>"


def fields(record: logging.LogRecord) -> list[tuple[str, bool | int | float | str | None]]:
    """The allowed fields of a record, in :data:`ALLOWED_FIELDS` order, as a line shows them."""
    return [
        (name, _value(name, record.__dict__[name]))
        for name in ALLOWED_FIELDS
        if name in record.__dict__ and name not in _RESERVED
    ]


def event_of(record: logging.LogRecord) -> str:
    """The printable event: the text :class:`RedactFilter` kept, else the template with string
    arguments hidden and the exception's type and place."""
    event = record.__dict__.get(EVENT_ATTR)
    if isinstance(event, str):
        return event
    event = event_text(record)
    note = _exception_note(record)
    return event if note is None else f"{event} {note}"


def utc_time(record: logging.LogRecord) -> str:
    """The record's time in UTC, RFC 3339 with milliseconds: ``2026-12-03T12:34:56.789Z``."""
    moment = datetime.fromtimestamp(record.created, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


class FieldFormatter(logging.Formatter):
    """``time level logger event key=value ...`` with allowed fields only, time in UTC.

    Args:
        redactor: redacts the finished line (the secrets it knows and token shapes); without one,
            token shapes are still redacted.
    """

    def __init__(self, redactor: RedactFilter | None = None) -> None:
        super().__init__()
        self.redactor = redactor or RedactFilter()

    def format(self, record: logging.LogRecord) -> str:
        """One line; never the message's string arguments, an exception message or a stack."""
        shown = [f"{name}={value}" for name, value in fields(record)]
        head = f"{utc_time(record)} {record.levelname} {record.name} {event_of(record)}"
        return escape(self.redactor.redact(" ".join([head, *shown])))


class JsonFormatter(FieldFormatter):
    """One JSON object a line: ``time`` (UTC), ``level``, ``logger``, ``event`` and the allowed
    fields, with exactly the values and the redaction of :class:`FieldFormatter`."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON; strings redacted and escaped as in the text format."""

        def clean(value: object) -> object:
            if isinstance(value, float) and not math.isfinite(value):
                return str(value)  # JSON has no NaN or infinity
            return escape(self.redactor.redact(value)) if isinstance(value, str) else value

        line: dict[str, object] = {
            "time": utc_time(record),
            "level": record.levelname,
            "logger": clean(record.name),
            "event": clean(event_of(record)),
        }
        line.update((name, clean(value)) for name, value in fields(record))
        return self.redactor.redact(json.dumps(line, ensure_ascii=False, allow_nan=False))


# ------------------------------------------------------------------ guarding library loggers


class _RedactingFactory:
    """Wraps the log record factory, so records are clean before any handler sees them."""

    def __init__(self, inner: Callable[..., logging.LogRecord], redactor: RedactFilter) -> None:
        self.inner = inner
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        self.redactor.filter(record)
        return record


def protect_logs(secrets: Iterable[str], floors: Mapping[str, int] | None = None) -> RedactFilter:
    """Keep ``secrets`` out of every log line, at every level, from now on.

    Every record is redacted (:class:`RedactFilter`) when it is made, through the record factory
    (installed once per process, the one deliberate change to global logging state), and again by
    a filter on every handler there is. Repeated calls add their secrets to the same filter.
    ``floors`` pins loggers at a level or higher (never noisier than they were), e.g. libraries
    that log request URLs holding a token.

    Returns:
        The one shared filter (its ``redact`` cleans error messages as well).
    """
    for name, floor in (floors or {}).items():
        raise_level(logging.getLogger(name), floor)
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        factory = _RedactingFactory(factory, RedactFilter())
        logging.setLogRecordFactory(factory)
    redactor = factory.redactor  # one filter object, shared, so repeated calls add no filters
    known = set(redactor.secrets)
    fresh = [s for s in secrets if s and len(s) >= 8 and s not in known]
    redactor.secrets = (*redactor.secrets, *dict.fromkeys(fresh))
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            handler.addFilter(redactor)
    return redactor


def raise_level(logger: logging.Logger, floor: int) -> None:
    """Pin a logger at its current level or ``floor``, whichever is higher (never noisier)."""
    logger.setLevel(max(floor, logger.getEffectiveLevel()))


_MATRIX_ID = re.compile(
    r"[@!#+][^\s:'\"<>/]+:[A-Za-z0-9.\-\[\]]+(?::\d+)?"  # @user:server, !room:server, #alias:server
    r"|[$!][A-Za-z0-9+/_\-]{16,}"  # event ids and server-less room ids
)


def redact_ids(text: str) -> str:
    """Replace Matrix user, room, alias and event ids in ``text`` with ``<id>``."""
    return _MATRIX_ID.sub("<id>", text)


class RedactIdsFilter(logging.Filter):
    """Blanks Matrix ids in a record's message and traceback (nio logs room and user ids)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean the record in place; never drops it."""
        record.msg = redact_ids(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact_ids(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_REDACT_IDS = RedactIdsFilter()


def guard_loggers(bases: Iterable[str], floor: int = logging.WARNING) -> None:
    """Hold the loggers ``bases`` at ``floor`` or above (unless set higher), and put
    :class:`RedactIdsFilter` on them and on every logger below them that exists now."""
    for base_name in bases:
        base = logging.getLogger(base_name)
        if base.level == logging.NOTSET or base.level < floor:
            base.setLevel(floor)
        for name in list(logging.Logger.manager.loggerDict):
            if name == base_name or name.startswith(base_name + "."):
                guarded = logging.getLogger(name)
                if _REDACT_IDS not in guarded.filters:
                    guarded.addFilter(_REDACT_IDS)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (a test's capture, or
    the real one), not to the stream that was current when logging was configured."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


#: Loggers of chatty libraries held at WARNING by :func:`configure`; a part of Beistand that uses
#: such a library adds its logger with :func:`quiet` (the SQLite store adds its driver's).
_QUIET = ["httpx", "httpcore", "asyncio"]


def quiet(name: str) -> None:
    """Keep the logger ``name`` at WARNING: now, unless a level was chosen for it, and at every
    :func:`configure`."""
    if name not in _QUIET:
        _QUIET.append(name)
    chatty = logging.getLogger(name)
    if chatty.level == logging.NOTSET:
        chatty.setLevel(logging.WARNING)


def configure(
    level: str = "INFO", secrets: Iterable[str] = (), stream: object = None, fmt: str = "text"
) -> None:
    """Set up the root logger once: allow-list formatter, redaction, quiet HTTP libraries.

    Args:
        fmt: ``text`` (one ``key=value`` line) or ``json`` (one object a line).

    Raises:
        ConfigError: an unknown format.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"BEISTAND_LOG_FORMAT must be one of {', '.join(FORMATS)}")
    redactor = RedactFilter(secrets)
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()  # type: ignore[call-overload]
    )
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else FieldFormatter(redactor))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in _QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
