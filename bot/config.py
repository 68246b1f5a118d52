"""Settings, built once at the command-line edge from the environment (and an optional ``.env``)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.content import ContentPaths
from bot.errors import ConfigError

log = logging.getLogger(__name__)

#: The shortest secret accepted for pseudonymisation, in bytes.
MIN_SECRET_BYTES = 32


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines (``#`` comments, optional quotes); no variable expansion."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of Beistand; see ``.env.example`` for their meaning."""

    data_dir: Path
    db: Path
    content: ContentPaths
    secret: str | None = field(default=None, repr=False)
    retention_days: int = 30
    rate_limit: int = 10
    rate_window: int = 10
    log_level: str = "INFO"
    escalate_minutes: tuple[tuple[str, int], ...] = (("high", 10), ("normal", 60), ("low", 240))
    cases_per_day: int = 3
    abuse_block_days: int = 30
    case_retention_days: int = 7
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: str | None = field(default=None, repr=False)
    matrix_access_token: str | None = field(default=None, repr=False)
    matrix_store_dir: Path | None = None
    #: the operator's content directory (``beistand init DIR``): flows/, knowledge/, locales/,
    #: conversations/ below it; None: the content shipped with the package
    content_dir: Path | None = None
    #: health and metrics endpoint (``/healthz``, ``/metrics``); off when the port is None
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    #: ``text`` or ``json`` (one object a line)
    log_format: str = "text"
    #: every variable the settings were read from (``.env`` and the process environment), for
    #: channels with settings of their own; not shown by ``repr``
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], db: str | None = None) -> Settings:
        """Build settings from a mapping such as ``os.environ`` (plus ``.env`` values)."""
        data_dir = Path(env.get("BEISTAND_DATA_DIR") or "data")
        defaults = ContentPaths()
        content = ContentPaths(
            flows=Path(env["BEISTAND_FLOWS"]) if env.get("BEISTAND_FLOWS") else defaults.flows,
            knowledge=Path(env["BEISTAND_KNOWLEDGE"])
            if env.get("BEISTAND_KNOWLEDGE")
            else defaults.knowledge,
            locales=Path(env["BEISTAND_LOCALES"])
            if env.get("BEISTAND_LOCALES")
            else defaults.locales,
        )
        store = env.get("MATRIX_STORE_DIR")
        return cls(
            data_dir=data_dir,
            db=Path(db or env.get("BEISTAND_DB") or data_dir / "beistand.db"),
            content=content,
            secret=env.get("BEISTAND_SECRET") or None,
            retention_days=_int(env, "BEISTAND_RETENTION_DAYS", 30),
            rate_limit=_int(env, "BEISTAND_RATE_LIMIT", 10),
            rate_window=_int(env, "BEISTAND_RATE_WINDOW", 10),
            log_level=(env.get("BEISTAND_LOG_LEVEL") or "INFO").upper(),
            escalate_minutes=(
                ("high", _int(env, "BEISTAND_ESCALATE_HIGH", 10)),
                ("normal", _int(env, "BEISTAND_ESCALATE_NORMAL", 60)),
                ("low", _int(env, "BEISTAND_ESCALATE_LOW", 240)),
            ),
            cases_per_day=_int(env, "BEISTAND_CASES_PER_DAY", 3),
            abuse_block_days=_int(env, "BEISTAND_ABUSE_BLOCK_DAYS", 30),
            case_retention_days=_int(env, "BEISTAND_CASE_RETENTION_DAYS", 7),
            telegram_token=env.get("TELEGRAM_TOKEN") or None,
            telegram_api_url=env.get("TELEGRAM_API_URL") or None,
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
            telegram_webhook_port=_int(env, "TELEGRAM_WEBHOOK_PORT", 8443),
            matrix_homeserver=env.get("MATRIX_HOMESERVER") or None,
            matrix_user_id=env.get("MATRIX_USER_ID") or None,
            matrix_password=env.get("MATRIX_PASSWORD") or None,
            matrix_access_token=env.get("MATRIX_ACCESS_TOKEN") or None,
            matrix_store_dir=Path(store) if store else data_dir / "matrix",
            content_dir=(
                Path(env["BEISTAND_CONTENT_DIR"]) if env.get("BEISTAND_CONTENT_DIR") else None
            ),
            http_host=env.get("BEISTAND_HTTP_HOST") or "127.0.0.1",
            http_port=_int(env, "BEISTAND_HTTP_PORT", 0) or None,
            log_format=(env.get("BEISTAND_LOG_FORMAT") or "text").lower(),
            environment=dict(env),
        )

    @classmethod
    def load(cls, db: str | None = None, env_file: Path = Path(".env")) -> Settings:
        """Settings from ``.env`` (if present) overridden by the process environment."""
        merged = read_env_file(env_file)
        merged.update(os.environ)
        return cls.from_env(merged, db)

    def secret_bytes(self, generate: bool = False) -> bytes:
        """The pseudonymisation secret.

        Args:
            generate: for the terminal chat only: without ``BEISTAND_SECRET``, use (or create
                with mode 0600) ``secret`` in the data directory, with a warning.
        """
        if self.secret:
            raw = self.secret.encode("utf-8")
            if len(raw) < MIN_SECRET_BYTES:
                raise ConfigError(f"BEISTAND_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
            return raw
        if not generate:
            raise ConfigError("BEISTAND_SECRET is not set (see .env.example)")
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
