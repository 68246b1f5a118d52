"""The checks of the settings: what a variable's value must look like, the channel settings that
contradict each other, and the wording of every problem (names, never values)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

#: The shortest secret accepted for pseudonymisation, in bytes.
MIN_SECRET_BYTES = 32
#: Log levels an operator may choose (NOTSET and numbers would get past the DEBUG guard).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Prefixes of the variables Beistand reads; unknown names with them are reported.
PREFIXES = ("BEISTAND_", "TELEGRAM_", "MATRIX_")

#: A Telegram bot token: the bot id, a colon, the secret part.
TELEGRAM_TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
#: What Telegram accepts as ``secret_token`` of a webhook.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")
MATRIX_USER_PATTERN = re.compile(r"@[^:\s]+:\S+")


class Notice(NamedTuple):
    """A warning about a name read from the settings (never about a value)."""

    name: str
    text: str


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as ``NAME must ...``, without the value."""
    name = str(error["loc"][0])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name} must be a whole number"
    if kind == "greater_than" and ctx.get("gt") == 0:
        return f"{name} must be positive"
    if kind in ("greater_than_equal", "less_than_equal") and name.endswith("_PORT"):
        return f"{name} must be a port number from 1 to 65535"
    if kind == "bool_parsing":
        return f"{name} must be 1 or 0 (or true/false, yes/no, on/off)"
    if kind == "literal_error":
        return f"{name} must be {ctx.get('expected', '')}".replace("'", "")
    if kind == "value_error":
        return f"{name} {str(error['msg']).removeprefix('Value error, ')}"
    return f"{name}: {error['msg']}"


def problem_text(problems: list[str], notices: tuple[Notice, ...]) -> str:
    """The message of the ConfigError: the problems, then the unknown names (often the cause)."""
    if len(problems) == 1:
        text = problems[0]
    else:
        text = f"{len(problems)} problems in the settings:" + "".join(
            f"\n  - {p}" for p in problems
        )
    return text + "".join(f"\n  (warning: {n.text})" for n in notices)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def homeserver_problem(url: str) -> str | None:
    """Why ``url`` cannot be a Matrix homeserver (None when it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "MATRIX_HOMESERVER must be an http(s) URL"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "MATRIX_HOMESERVER must use https (plain http only on loopback)"
    return None


def channel_problems(get: Callable[[str], str | None]) -> list[str]:
    """Telegram and Matrix settings that are unusable or contradict each other.

    Args:
        get: the value of a variable by name (None or empty: unset).
    """
    problems: list[str] = []
    token, hook = get("TELEGRAM_TOKEN"), get("TELEGRAM_WEBHOOK_URL")
    hook_secret = get("TELEGRAM_WEBHOOK_SECRET")
    if token and not TELEGRAM_TOKEN_PATTERN.fullmatch(token.strip()):
        problems.append("TELEGRAM_TOKEN does not look like a bot token (digits:secret)")
    if hook and not token:
        problems.append("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_TOKEN is not")
    if hook:
        if urlsplit(hook).scheme not in ("http", "https"):
            problems.append("TELEGRAM_WEBHOOK_URL must be an http(s) URL")
        if not hook_secret or not WEBHOOK_SECRET_PATTERN.fullmatch(hook_secret):
            problems.append(
                "TELEGRAM_WEBHOOK_SECRET is required with a webhook: 16 to 256 characters "
                "of A-Z, a-z, 0-9, _ and -"
            )
    api = get("TELEGRAM_API_URL")
    if api and urlsplit(api).scheme not in ("http", "https"):
        problems.append("TELEGRAM_API_URL must be an http(s) URL")
    homeserver, user = get("MATRIX_HOMESERVER"), get("MATRIX_USER_ID")
    password, access = get("MATRIX_PASSWORD"), get("MATRIX_ACCESS_TOKEN")
    if homeserver or user or password or access:
        missing = [
            n for n, v in (("MATRIX_HOMESERVER", homeserver), ("MATRIX_USER_ID", user)) if not v
        ]
        if not (password or access):
            missing.append("MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN")
        if missing:
            problems.append("Matrix is configured only partly; missing " + ", ".join(missing))
        if user and not MATRIX_USER_PATTERN.fullmatch(user):
            problems.append("MATRIX_USER_ID must look like @name:server")
        if homeserver and (problem := homeserver_problem(homeserver)):
            problems.append(problem)
    return problems


__all__ = [
    "LOG_LEVELS",
    "MATRIX_USER_PATTERN",
    "MIN_SECRET_BYTES",
    "PREFIXES",
    "TELEGRAM_TOKEN_PATTERN",
    "WEBHOOK_SECRET_PATTERN",
    "Notice",
    "channel_problems",
    "describe",
    "homeserver_problem",
    "missing_secret",
    "problem_text",
]


def missing_secret(data_dir: Path, command: str | None) -> str:
    """Why there is no pseudonymisation secret, and how to run ``command`` with one."""
    from bot.config.files import SERVICE_ENV_FILE

    if command is None:
        return "BEISTAND_SECRET is not set (see .env.example)"
    text = (
        "BEISTAND_SECRET is not set: run this with the service's settings, e.g. "
        f"`beistand --env-file {SERVICE_ENV_FILE} {command} ...`"
    )
    if (data_dir / "secret").is_file():
        text += (
            f"; for the database of `beistand chat`, set BEISTAND_SECRET to the content of "
            f"{data_dir / 'secret'}"
        )
    return text
