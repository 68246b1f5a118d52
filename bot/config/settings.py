"""The settings model, :class:`Settings` (pydantic-settings, frozen): every setting of Beistand,
read from one mapping of variables (the environment merged with the settings file) and checked at
once. See :mod:`bot.config` for where the values come from."""

from __future__ import annotations

import difflib
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config.checks import (
    LOG_LEVELS,
    MIN_SECRET_BYTES,
    PREFIXES,
    Notice,
    channel_problems,
    describe,
    missing_secret,
    problem_text,
)
from bot.config.files import (
    ENV_FILE_VARIABLE,
    find_env_file,
    read_settings_file,
)
from bot.content import ContentPaths
from bot.errors import ConfigError

log = logging.getLogger("bot.config")

#: Values taken exactly as written (no stripping of surrounding blanks).
_LITERAL = frozenset(
    {"BEISTAND_SECRET", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "MATRIX_PICKLE_KEY"}
)

Port = Annotated[int, Field(ge=1, le=65535)]


def _var(name: str, default: Any = None, *, secret: bool = False, **kwargs: Any) -> Any:
    """A field read from the variable ``name``; secrets are left out of ``repr``."""
    return Field(default, validation_alias=AliasChoices(name), repr=not secret, **kwargs)


def _derived(name: str, factory: Callable[[dict[str, Any]], Any]) -> Any:
    """A field read from ``name``, defaulting to a value computed from the fields before it."""
    return Field(default_factory=factory, validation_alias=AliasChoices(name))


def _data_dir(data: dict[str, Any]) -> Path:
    value = data.get("data_dir")
    return value if isinstance(value, Path) else Path("data")


class Settings(BaseSettings):
    """Every setting of Beistand; see ``.env.example`` for their meaning.

    Build it with :meth:`load` (file and environment) or :meth:`from_env` (a mapping); both list
    every problem at once. Attribute names are the variables' names without the prefix
    (``BEISTAND_RETENTION_DAYS`` -> ``retention_days``, ``TELEGRAM_TOKEN`` -> ``telegram_token``).
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        case_sensitive=True,
        validate_by_name=True,
        validate_by_alias=True,
        env_file=None,
    )

    # --- core
    data_dir: Path = _var("BEISTAND_DATA_DIR", Path("data"))
    db: Path = _derived("BEISTAND_DB", lambda d: _data_dir(d) / "beistand.db")
    secret: str | None = _var("BEISTAND_SECRET", secret=True)
    #: the operator's content directory (``beistand init DIR``): flows/, knowledge/, locales/,
    #: conversations/ below it; None: the content shipped with the package
    content_dir: Path | None = _var("BEISTAND_CONTENT_DIR")
    #: single parts of the content, overriding the content directory
    flows_dir: Path | None = _var("BEISTAND_FLOWS")
    knowledge_dir: Path | None = _var("BEISTAND_KNOWLEDGE")
    locales_dir: Path | None = _var("BEISTAND_LOCALES")
    #: the deployment's local layer (regions.yaml, local services); default: the content
    #: directory's ``local/`` when it exists
    local_dir: Path | None = _var("BEISTAND_LOCAL_DIR")
    retention_days: PositiveInt = _var("BEISTAND_RETENTION_DAYS", 30)
    rate_limit: PositiveInt = _var("BEISTAND_RATE_LIMIT", 10)
    rate_window: PositiveInt = _var("BEISTAND_RATE_WINDOW", 10)
    log_level: str = _var("BEISTAND_LOG_LEVEL", "INFO")
    #: ``text`` or ``json`` (one object a line)
    log_format: Literal["text", "json"] = _var("BEISTAND_LOG_FORMAT", "text")
    #: lets ``beistand run`` log at DEBUG (test deployments only)
    allow_debug: bool = _var("BEISTAND_ALLOW_DEBUG", False)
    #: health and metrics endpoint (``/healthz``, ``/metrics``); off when the port is None
    http_host: str = _var("BEISTAND_HTTP_HOST", "127.0.0.1")
    http_port: Port | None = _var("BEISTAND_HTTP_PORT")
    # --- handoff
    escalate_high: PositiveInt = _var("BEISTAND_ESCALATE_HIGH", 10)
    escalate_normal: PositiveInt = _var("BEISTAND_ESCALATE_NORMAL", 60)
    escalate_low: PositiveInt = _var("BEISTAND_ESCALATE_LOW", 240)
    cases_per_day: PositiveInt = _var("BEISTAND_CASES_PER_DAY", 3)
    abuse_block_days: PositiveInt = _var("BEISTAND_ABUSE_BLOCK_DAYS", 30)
    case_retention_days: PositiveInt = _var("BEISTAND_CASE_RETENTION_DAYS", 7)
    #: the smallest count any statistic or survey result shows (never below 3)
    stats_k: int = _var("BEISTAND_STATS_K", 5, ge=3)
    # --- Telegram
    telegram_token: str | None = _var("TELEGRAM_TOKEN", secret=True)
    telegram_api_url: str | None = _var("TELEGRAM_API_URL")
    telegram_webhook_url: str | None = _var("TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str | None = _var("TELEGRAM_WEBHOOK_SECRET", secret=True)
    telegram_webhook_listen: str = _var("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1")
    telegram_webhook_port: Port = _var("TELEGRAM_WEBHOOK_PORT", 8443)
    #: the bot's user name (without @), for survey links and the printed guide
    telegram_bot_username: str | None = _var("TELEGRAM_BOT_USERNAME")
    # --- Matrix
    matrix_homeserver: str | None = _var("MATRIX_HOMESERVER")
    matrix_user_id: str | None = _var("MATRIX_USER_ID")
    matrix_password: str | None = _var("MATRIX_PASSWORD", secret=True)
    matrix_access_token: str | None = _var("MATRIX_ACCESS_TOKEN", secret=True)
    matrix_store_dir: Path = _derived("MATRIX_STORE_DIR", lambda d: _data_dir(d) / "matrix")
    matrix_pickle_key: str | None = _var("MATRIX_PICKLE_KEY", secret=True)
    matrix_require_encryption: bool = _var("MATRIX_REQUIRE_ENCRYPTION", False)
    matrix_device_name: str = _var("MATRIX_DEVICE_NAME", "Beistand")
    matrix_no_cross_signing: bool = _var("MATRIX_NO_CROSS_SIGNING", False)
    #: warnings about the names read (unknown ``BEISTAND_*`` ...), without values; cli prints them
    notices: tuple[Notice, ...] = Field((), exclude=True, repr=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what is passed in: :meth:`load` merges the file and the environment itself."""
        del settings_cls, env_settings, dotenv_settings, file_secret_settings
        return (init_settings,)

    # --- field checks ----------------------------------------------------------------------

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        name = value.strip().upper() if isinstance(value, str) else value
        if name not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return name

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes long")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Channel settings that contradict each other (also for settings built directly)."""
        problems = channel_problems(self._variable)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _variable(self, name: str) -> str | None:
        value = getattr(self, _FIELD_OF[name])
        return None if value is None else str(value)

    # --- building --------------------------------------------------------------------------

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        db: str | Path | None = None,
        *,
        origin: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from a mapping such as ``os.environ`` merged with a settings file.

        Args:
            env: variable names and values; empty values count as unset.
            db: the database file from ``--db``; stronger than ``BEISTAND_DB``.
            origin: where each name came from (for the notices), e.g. the file's path.

        Raises:
            ConfigError: listing every problem found, one a line, values never shown.
        """
        values: dict[str, str] = {}
        for name, raw in env.items():
            if name not in _FIELD_OF:
                continue
            value = raw if name in _LITERAL else raw.strip()
            if value.strip():
                values[name] = value
        if db:
            values["BEISTAND_DB"] = str(db)
        problems: list[str] = []
        settings: Settings | None = None
        try:
            settings = cls.model_validate(values)
        except ValidationError as err:
            problems += [
                describe(e)
                for e in err.errors(include_input=False, include_url=False)
                # a derived default is not computed after an error; that is no problem of its own
                if e["loc"] and e["type"] != "default_factory_not_called"
            ]
        # the channel checks read the values themselves, so they are listed beside field errors
        problems += channel_problems(values.get)
        notices = unknown_names(env, origin or {})
        if problems:
            raise ConfigError(problem_text(problems, notices))
        assert settings is not None
        return settings.model_copy(update={"notices": notices}) if notices else settings

    @classmethod
    def load(
        cls,
        db: str | Path | None = None,
        env_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from the settings file (if any) overridden by the process environment.

        Args:
            db: the database file from ``--db``.
            env_file: ``--env-file``; must exist. Default: ``$BEISTAND_ENV_FILE`` (must exist),
                else ``./.env`` when there is one.
            environ: the process environment (default ``os.environ``).
        """
        environ = os.environ if environ is None else environ
        path = find_env_file(env_file, environ)
        merged: dict[str, str] = {}
        origin: dict[str, str] = {}
        if path is not None:
            merged = read_settings_file(path)
            origin = dict.fromkeys(merged, str(path))
        for name, value in environ.items():
            merged[name] = value
            origin[name] = "the environment"
        return cls.from_env(merged, db, origin=origin)

    # --- derived values --------------------------------------------------------------------

    @property
    def content(self) -> ContentPaths:
        """Where flows, knowledge and catalogs are read from."""
        return ContentPaths.configured(
            self.content_dir,
            flows=self.flows_dir,
            knowledge=self.knowledge_dir,
            locales=self.locales_dir,
            local=self.local_dir,
        )

    @property
    def escalate_minutes(self) -> tuple[tuple[str, int], ...]:
        """Minutes before an unclaimed case goes to the next circle, by urgency."""
        return (
            ("high", self.escalate_high),
            ("normal", self.escalate_normal),
            ("low", self.escalate_low),
        )

    @property
    def telegram_configured(self) -> bool:
        """True when ``beistand run`` starts the Telegram channel."""
        return bool(self.telegram_token)

    @property
    def matrix_configured(self) -> bool:
        """True when ``beistand run`` starts the Matrix channel."""
        return bool(self.matrix_homeserver or self.matrix_user_id)

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every secret setting that is set, for log redaction."""
        candidates = (
            self.secret,
            self.telegram_token,
            self.telegram_webhook_secret,
            self.matrix_password,
            self.matrix_access_token,
            self.matrix_pickle_key,
        )
        return tuple(s for s in candidates if s)

    # --- what commands need ----------------------------------------------------------------

    def secret_bytes(self, generate: bool = False, command: str | None = None) -> bytes:
        """The pseudonymisation secret.

        Args:
            generate: for the terminal chat only: without ``BEISTAND_SECRET``, use (or create
                with mode 0600) ``secret`` in the data directory, with a warning.
            command: the administrative command asking (``contacts``), named in the message.

        Raises:
            ConfigError: no secret (and ``generate`` is False), or the file is readable by others.
        """
        if self.secret:
            return self.secret.encode("utf-8")
        if not generate:
            raise ConfigError(missing_secret(self.data_dir, command))
        from bot.ops.files import private_dir

        private_dir(self.data_dir)
        path = self.data_dir / "secret"
        if not path.exists():
            log.warning("secret.generated", extra={"where": str(path)})
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        if path.stat().st_mode & 0o077:
            raise ConfigError(f"{path} must be readable by its owner only (chmod 600)")
        return path.read_text(encoding="ascii").strip().encode("ascii")

    def existing_db(self) -> Path:
        """The database file, which must exist: for commands that must not create one
        (``contacts``, ``backup``, ``restore``...). Creates nothing.

        Raises:
            ConfigError: there is no file at :attr:`db`.
        """
        if not self.db.is_file():
            raise ConfigError(
                f"no database at {self.db}: start `beistand run` once, "
                "or set BEISTAND_DATA_DIR/BEISTAND_DB"
            )
        return self.db

    def admin(self, command: str) -> tuple[bytes, Path]:
        """The secret and the existing database, for an administrative command; creates nothing.

        Raises:
            ConfigError: what is missing, and how to run the command with the service's settings.
        """
        return self.secret_bytes(command=command), self.existing_db()


#: Environment variable -> attribute, for every variable of the model.
_FIELD_OF: dict[str, str] = {
    choice: name
    for name, info in Settings.model_fields.items()
    if isinstance(info.validation_alias, AliasChoices)
    for choice in info.validation_alias.choices
    if isinstance(choice, str)
}
#: Every name Beistand reads.
KNOWN_NAMES = frozenset({*_FIELD_OF, ENV_FILE_VARIABLE})


def unknown_names(names: Mapping[str, object], origin: Mapping[str, str]) -> tuple[Notice, ...]:
    """A notice for every ``BEISTAND_*``, ``TELEGRAM_*``, ``MATRIX_*`` name Beistand does not
    read, with the closest known name; values are never looked at."""
    notices = []
    for name in sorted(names):
        if not name.startswith(PREFIXES) or name in KNOWN_NAMES:
            continue
        text = f"unknown setting {name}"
        if name in origin:
            text += f" (in {origin[name]})"
        close = difflib.get_close_matches(name, sorted(KNOWN_NAMES), n=1, cutoff=0.75)
        text += f": did you mean {close[0]}?" if close else ": it is ignored"
        notices.append(Notice(name, text))
    return tuple(notices)


__all__ = ["KNOWN_NAMES", "Settings", "unknown_names"]
