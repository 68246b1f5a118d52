"""Logging that cannot leak: an allow-list of fields and redaction of secrets at every level.

Log calls pass an event name as the message and fields through ``extra``; the formatter prints
only allowed fields, so user text, names and platform ids cannot reach a log line by accident.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

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
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactFilter(logging.Filter):
    """Replaces known secrets and anything shaped like a bot token with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[0] is not None:
            # keep the type and place of an exception, never its message (it may hold input)
            exc_type, _exc, tb = record.exc_info
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
            record.msg = f"{message} [{exc_type.__name__} at {where}]"
            record.exc_info = None
            record.exc_text = None
        return True


class FieldFormatter(logging.Formatter):
    """``time level logger event key=value ...`` with allowed fields only."""

    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        fields = [
            f"{name}={getattr(record, name)}"
            for name in ALLOWED_FIELDS
            if name in record.__dict__ and name not in _RESERVED
        ]
        return " ".join([base, *fields])


def configure(level: str = "INFO", secrets: Iterable[str] = (), stream: object = None) -> None:
    """Set up the root logger once: allow-list formatter, redaction, quiet HTTP libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(FieldFormatter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
