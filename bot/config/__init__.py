"""Settings, built once at the command-line edge from the environment and an optional ``.env``.

One model, :class:`Settings` (pydantic-settings, frozen), holds every setting of Beistand. The
channels get their own settings objects from it (``TelegramSettings.from_settings``,
``MatrixConfig.from_settings``); no other module reads ``os.environ``.

Where values come from, strongest first:

1. the process environment;
2. a settings file: ``beistand --env-file FILE``, else ``$BEISTAND_ENV_FILE``, else ``./.env``
   when it exists. It is read by python-dotenv (``#`` comments, also after a value, quotes,
   multi-line quoted values, ``export KEY=...``; no ``${VAR}`` expansion, so secrets stay literal);
3. the defaults of the model (:mod:`bot.config.settings`).

Everything is checked at once: :meth:`Settings.from_env` raises one :class:`~bot.errors.ConfigError`
that lists every problem found (bad numbers, unknown log levels, a channel configured only partly,
...). Messages name variables, never their values. Names that look like ours but are not
(``TELEGRAM_TOKN``) are collected in :attr:`Settings.notices` with a "did you mean".

The parts: :mod:`bot.config.settings` (the model), :mod:`bot.config.checks` (what values must
look like, channel settings that contradict each other, the wording of problems) and
:mod:`bot.config.files` (the settings file, the variables set for libraries).

The sources are merged by :meth:`Settings.load` (not by pydantic-settings' own source chain) so that
:meth:`Settings.from_env` works on exactly the mapping it is given (tests, the file plus the
environment) and so that the names found can be checked against the known ones.
"""

from bot.config.checks import (
    LOG_LEVELS,
    MATRIX_USER_PATTERN,
    MIN_SECRET_BYTES,
    PREFIXES,
    TELEGRAM_TOKEN_PATTERN,
    WEBHOOK_SECRET_PATTERN,
    Notice,
    channel_problems,
    homeserver_problem,
)
from bot.config.files import (
    ENV_FILE_VARIABLE,
    LIBRARY_ENVIRONMENT,
    SERVICE_ENV_FILE,
    find_env_file,
    prepare_libraries,
    read_settings_file,
)
from bot.config.settings import KNOWN_NAMES, Settings, unknown_names

__all__ = [
    "ENV_FILE_VARIABLE",
    "KNOWN_NAMES",
    "LIBRARY_ENVIRONMENT",
    "LOG_LEVELS",
    "MATRIX_USER_PATTERN",
    "MIN_SECRET_BYTES",
    "PREFIXES",
    "SERVICE_ENV_FILE",
    "TELEGRAM_TOKEN_PATTERN",
    "WEBHOOK_SECRET_PATTERN",
    "Notice",
    "Settings",
    "channel_problems",
    "find_env_file",
    "homeserver_problem",
    "prepare_libraries",
    "read_settings_file",
    "unknown_names",
]
