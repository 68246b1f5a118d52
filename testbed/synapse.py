"""A throwaway Synapse homeserver on 127.0.0.1 for end-to-end tests of the Matrix channel.

Start it with :func:`start_synapse` (or use :class:`Synapse` as a context manager): it writes its
own ``homeserver.yaml`` into a directory, listens on a free loopback port, keeps its data in
SQLite, contacts nothing outside the machine and has every rate limit relaxed, so that a test
can send many messages quickly. Users are registered through the shared-secret admin API with
the standard library only.

Runs standalone as well: ``python -m testbed.synapse DIR`` starts a server and prints its
URL until Ctrl-C.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

SERVER_NAME = "localhost"
HOST = "127.0.0.1"

#: Every client-side rate limit Synapse knows, set so high that no test ever meets one.
#: Nested limits (login, joins, invites, presence) are spelled out: a top-level value would not
#: reach them.
_UNLIMITED = {"per_second": 10000, "burst_count": 100000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {
        "address": _UNLIMITED,
        "account": _UNLIMITED,
        "failed_attempts": _UNLIMITED,
    },
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {
        "per_room": _UNLIMITED,
        "per_user": _UNLIMITED,
        "per_issuer": _UNLIMITED,
    },
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}


class SynapseError(RuntimeError):
    """Synapse did not start, or an admin call failed."""


@dataclass(frozen=True, slots=True)
class RegisteredUser:
    """A user created through the admin API (the server's first device and token included)."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _signing_key(path: Path) -> None:
    # Synapse depends on signedjson, so it is present wherever Synapse is.
    from signedjson.key import generate_signing_key, write_signing_keys

    key = generate_signing_key("a_" + secrets.token_hex(2))
    with path.open("w", encoding="utf-8") as stream:
        write_signing_keys(stream, [key])
    path.chmod(0o600)


def _log_config(directory: Path) -> dict[str, Any]:
    return {
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "plain",
                "filename": str(directory / "homeserver.log"),
                "encoding": "utf-8",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


def homeserver_config(directory: Path, port: int, shared_secret: str) -> dict[str, Any]:
    """The whole configuration, as a dict (written as JSON, which YAML reads)."""
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://{HOST}:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": [HOST],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "sqlite3",
            "args": {"database": str(directory / "homeserver.db")},
        },
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        # nothing leaves the machine
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "enable_metrics": False,
        "allow_public_rooms_over_federation": False,
        "push": {"enabled": False},
        # lighter
        "presence": {"enabled": False},
        "caches": {"global_factor": 0.5},
        **RATE_LIMITS,
    }


@dataclass
class Synapse:
    """One Synapse process; ``url`` is its client API base, e.g. ``http://127.0.0.1:8448``."""

    directory: Path
    port: int = 0
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.directory / "homeserver.log"

    def _write_config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "media").mkdir(exist_ok=True)
        if not (self.directory / "signing.key").exists():
            _signing_key(self.directory / "signing.key")
        (self.directory / "log.yaml").write_text(
            json.dumps(_log_config(self.directory), indent=1), encoding="utf-8"
        )
        config_path = self.directory / "homeserver.yaml"
        config = homeserver_config(self.directory, self.port, self.shared_secret)
        config_path.write_text(json.dumps(config, indent=1), encoding="utf-8")
        config_path.chmod(0o600)
        return config_path

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log and console output, for failure messages."""
        parts = []
        for path in (self.log_file, self.directory / "console.log"):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    def start(self, timeout: float = 60.0, attempts: int = 5) -> Synapse:
        """Start on a free port (retrying if another process takes it first); wait until ready."""
        last: SynapseError | None = None
        for _ in range(attempts):
            self.port = free_port()
            try:
                self._start_once(timeout)
                return self
            except SynapseError as error:
                last = error
                self.stop()
                if "Address already in use" not in self.log_tail(200):
                    raise
        raise SynapseError(f"no free port after {attempts} attempts") from last

    def _start_once(self, timeout: float) -> None:
        config_path = self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        with (self.directory / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config_path)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SynapseError(
                    f"synapse exited with {self.process.returncode}\n{self.log_tail()}"
                )
            if self._ready():
                return
            time.sleep(0.1)
        raise SynapseError(f"synapse not ready after {timeout} s\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"{self.url}/_matrix/client/versions", timeout=1
            ) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, wait, then SIGKILL; only this server's own process."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)

    def __enter__(self) -> Synapse:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- admin API (standard library only) -------------------------------------------------

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace")
            raise SynapseError(f"{method} {path}: HTTP {error.code} {detail}") from None

    def register(self, localpart: str, password: str | None = None) -> RegisteredUser:
        """Create a user with the shared-secret registration API."""
        password = password or secrets.token_urlsafe(16)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"notadmin"])
        )
        reply = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
        )
        return RegisteredUser(reply["user_id"], password, reply["access_token"], reply["device_id"])

    def client_get(self, path: str, token: str) -> dict[str, Any]:
        """A GET on the client API, e.g. for assertions on server state."""
        return self._request("GET", path, token=token)

    def client_post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        """A POST on the client API."""
        return self._request("POST", path, body, token=token)


def start_synapse(directory: Path) -> Synapse:
    """Start a throwaway Synapse with its data in ``directory``."""
    return Synapse(Path(directory)).start()


if __name__ == "__main__":  # pragma: no cover - manual use
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="synapse-"))
    with Synapse(target) as server:
        print(f"Synapse at {server.url} (data in {target}); Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
