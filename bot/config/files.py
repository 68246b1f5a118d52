"""Where the settings come from besides the process environment: the settings file (``.env``,
read by python-dotenv) and the variables set for libraries at the start of the process."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from dotenv import dotenv_values

from bot.errors import ConfigError

#: Names read outside the model: the settings file itself.
ENV_FILE_VARIABLE = "BEISTAND_ENV_FILE"
#: Where the service's settings usually are (used in messages only).
SERVICE_ENV_FILE = "/etc/beistand/beistand.env"
#: Variables set for libraries at the start of the process (``prepare_libraries``):
#: python-telegram-bot's durations as ``timedelta``, the behaviour of its next major version;
#: without it every flood-limit answer raises a deprecation warning.
LIBRARY_ENVIRONMENT = {"PTB_TIMEDELTA": "true"}


def find_env_file(option: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    """The settings file to read: ``--env-file``, else ``$BEISTAND_ENV_FILE``, else ``./.env``
    if it exists, else none.

    Raises:
        ConfigError: a file named by the option or the variable does not exist.
    """
    for where, named in (
        ("--env-file", option),
        (ENV_FILE_VARIABLE, environ.get(ENV_FILE_VARIABLE)),
    ):
        if named:
            path = Path(named)
            if not path.is_file():
                raise ConfigError(f"settings file {path} not found ({where})")
            return path
    default = Path(".env")
    return default if default.is_file() else None


def read_settings_file(path: Path) -> dict[str, str]:
    """The variables of a ``.env`` file, read by python-dotenv (no ``${VAR}`` expansion).

    Raises:
        ConfigError: the file cannot be read.
    """
    try:
        with path.open(encoding="utf-8") as stream:
            values = dotenv_values(stream=stream, interpolate=False)
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read settings file {path}: {type(err).__name__}") from None
    return {name: value for name, value in values.items() if value is not None}


def prepare_libraries(environ: MutableMapping[str, str] | None = None) -> None:
    """Set what the libraries read from the environment (:data:`LIBRARY_ENVIRONMENT`), unless
    the operator set it; called once at the start of the process."""
    target = os.environ if environ is None else environ
    for name, value in LIBRARY_ENVIRONMENT.items():
        target.setdefault(name, value)


__all__ = [
    "ENV_FILE_VARIABLE",
    "LIBRARY_ENVIRONMENT",
    "SERVICE_ENV_FILE",
    "find_env_file",
    "prepare_libraries",
    "read_settings_file",
]
