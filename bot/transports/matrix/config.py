"""The Matrix channel's settings (built at the config edge) and its store directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError

#: The bot's user and device id, so the device survives a restart.
DEVICE_FILE = "device.json"


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    """Settings of the Matrix channel; secrets never appear in ``repr``."""

    homeserver: str
    user_id: str
    store_dir: Path
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    pickle_key: str | None = field(default=None, repr=False)
    device_name: str = "Beistand"
    require_encryption: bool = False
    cross_sign: bool = True
    sync_timeout_ms: int = 30_000

    @classmethod
    def from_settings(cls, settings: Settings) -> MatrixConfig | None:
        """The Matrix part of Beistand's settings; None when the channel is not configured.

        :class:`~bot.config.Settings` has checked them already (a channel configured only
        partly, the user id, the homeserver URL); this only takes them over.
        """
        if not settings.matrix_configured:
            return None
        homeserver, user_id = settings.matrix_homeserver, settings.matrix_user_id
        if not homeserver or not user_id:  # only for settings built around the checks
            raise ConfigError("Matrix is configured only partly; see `beistand run --help`")
        return cls(
            homeserver=homeserver.strip().rstrip("/"),
            user_id=user_id.strip(),
            store_dir=settings.matrix_store_dir,
            password=settings.matrix_password,
            access_token=settings.matrix_access_token,
            pickle_key=settings.matrix_pickle_key,
            device_name=settings.matrix_device_name,
            require_encryption=settings.matrix_require_encryption,
            cross_sign=not settings.matrix_no_cross_signing,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MatrixConfig | None:
        """:meth:`from_settings` of the settings in ``env`` (a mapping, as in tests; the process
        environment is read only at the config edge).

        Raises :class:`~bot.errors.ConfigError` when it is configured only partly.
        """
        return cls.from_settings(Settings.from_env(env))


def prepare_store_dir(path: Path) -> Path:
    """Create the store directory with mode 0700 (and tighten it if it exists)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def tighten_store_files(store: Path) -> None:
    """Mode 0600 for every file in the store (nio creates its crypto store with the umask)."""
    for path in store.iterdir():
        if path.is_file():
            path.chmod(0o600)


def read_device_file(store: Path, user_id: str) -> str | None:
    """The device id saved for ``user_id``, if any."""
    try:
        data = json.loads((store / DEVICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("user_id") != user_id:
        return None
    device = data.get("device_id")
    return device if isinstance(device, str) and device else None


def write_device_file(store: Path, user_id: str, device_id: str | None) -> None:
    """Remember the bot's device for the next start."""
    (store / DEVICE_FILE).write_text(
        json.dumps({"user_id": user_id, "device_id": device_id}), encoding="utf-8"
    )
