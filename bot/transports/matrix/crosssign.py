"""Cross-signing of the bot's own Matrix device (matrix-nio cannot do it itself).

A Matrix account proves which of its devices are genuine with three Ed25519 keys: the *master*
key (the account's identity), the *self-signing* key (signs the account's own devices) and the
*user-signing* key (signs other users' master keys). The master key signs the other two. Here the
bot generates the three keys once, keeps the private halves in its store directory (mode 0600),
publishes the public halves through ``/keys/device_signing/upload`` and signs its device with the
self-signing key through ``/keys/signatures/upload``. Clients that share room keys only with
devices verified by their owner then treat the bot's device as verified by the bot's account.

Signatures follow the Matrix "signing JSON" rules: the object without ``signatures`` and
``unsigned``, serialised as canonical JSON, signed with Ed25519 and encoded as unpadded base64.
Ed25519 comes from pycryptodome, which matrix-nio already depends on.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from Crypto.Signature import eddsa

from bot.errors import ConfigError, TransportError

logger = logging.getLogger(__name__)

KEYS_FILE = "cross_signing_keys.json"
_FILE_VERSION = 1

JsonDict = dict[str, Any]

#: Signs canonical JSON text with the device's own Ed25519 key; returns unpadded base64.
DeviceSigner = Callable[[str], str]


def canonical_json(value: Any) -> bytes:
    """Matrix canonical JSON: sorted keys, no insignificant whitespace, UTF-8, no floats."""
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def unpadded_b64encode(data: bytes) -> str:
    """Base64 without the ``=`` padding, as Matrix writes keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def unpadded_b64decode(text: str) -> bytes:
    """Inverse of :func:`unpadded_b64encode`; raises ValueError on garbage."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as error:
        raise ValueError("not base64") from error


def signable(obj: Mapping[str, Any]) -> bytes:
    """The bytes a Matrix signature covers: the object without signatures and unsigned."""
    return canonical_json({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")})


def verify_signature(obj: Mapping[str, Any], signer: str, key_id: str, public_key: str) -> bool:
    """True if ``obj`` carries a valid signature by ``signer`` with ``key_id`` (``ed25519:...``)."""
    signature = obj.get("signatures", {}).get(signer, {}).get(key_id)
    if not isinstance(signature, str):
        return False
    try:
        key = eddsa.import_public_key(unpadded_b64decode(public_key))
        eddsa.new(key, "rfc8032").verify(signable(obj), unpadded_b64decode(signature))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 private key, held as its 32-byte seed (never shown in repr)."""

    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(32))

    @property
    def public(self) -> str:
        """The public key, unpadded base64 (also its Matrix key id after ``ed25519:``)."""
        key = eddsa.import_private_key(self.seed)
        raw: bytes = key.public_key().export_key(format="raw")
        return unpadded_b64encode(raw)

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def sign(self, obj: Mapping[str, Any]) -> str:
        """Signature over :func:`signable` of ``obj``, unpadded base64."""
        signer = eddsa.new(eddsa.import_private_key(self.seed), "rfc8032")
        return unpadded_b64encode(signer.sign(signable(obj)))


@dataclass(frozen=True, slots=True)
class CrossSigningKeys:
    """The bot account's master, self-signing and user-signing keys."""

    user_id: str
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls, user_id: str) -> CrossSigningKeys:
        return cls(user_id, SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def key_object(self, usage: str) -> JsonDict:
        """The public key object for ``usage`` (``master``, ``self_signing``, ``user_signing``);
        the two sub-keys come signed by the master key."""
        key = {"master": self.master, "self_signing": self.self_signing}.get(
            usage, self.user_signing
        )
        obj: JsonDict = {
            "user_id": self.user_id,
            "usage": [usage],
            "keys": {key.key_id: key.public},
        }
        if usage != "master":
            obj["signatures"] = {self.user_id: {self.master.key_id: self.master.sign(obj)}}
        return obj

    def upload_body(self) -> JsonDict:
        """The body of ``/keys/device_signing/upload`` (without ``auth``)."""
        return {
            "master_key": self.key_object("master"),
            "self_signing_key": self.key_object("self_signing"),
            "user_signing_key": self.key_object("user_signing"),
        }

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _FILE_VERSION,
                "user_id": self.user_id,
                "master": unpadded_b64encode(self.master.seed),
                "self_signing": unpadded_b64encode(self.self_signing.seed),
                "user_signing": unpadded_b64encode(self.user_signing.seed),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CrossSigningKeys:
        data = json.loads(text)
        if data.get("version") != _FILE_VERSION:
            raise ValueError("unknown key file version")
        seeds = [
            unpadded_b64decode(data[name]) for name in ("master", "self_signing", "user_signing")
        ]
        if any(len(seed) != 32 for seed in seeds):
            raise ValueError("bad key length")
        return cls(str(data["user_id"]), *(SigningKey(seed) for seed in seeds))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (0600)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, path)


def load_or_create_keys(store_dir: Path, user_id: str) -> tuple[CrossSigningKeys, bool]:
    """The account's cross-signing keys from ``store_dir``; generated and saved on first use.

    Returns the keys and whether they were created now. The file is kept at mode 0600.
    """
    path = store_dir / KEYS_FILE
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("matrix.cross_signing_key_file_mode_fixed", extra={"platform": "matrix"})
            path.chmod(0o600)
        try:
            keys = CrossSigningKeys.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigError(f"cannot read {KEYS_FILE}: {type(error).__name__}") from None
        if keys.user_id != user_id:
            raise ConfigError(f"{KEYS_FILE} belongs to another Matrix account")
        return keys, False
    keys = CrossSigningKeys.generate(user_id)
    _write_private(path, keys.to_json())
    return keys, True


class KeysApi(Protocol):
    """The two HTTP calls cross-signing needs; :class:`HttpKeysApi` is the real one."""

    async def post(self, path: str, body: JsonDict) -> tuple[int, JsonDict]:
        """POST ``body`` to the client-server API path; returns the status and JSON reply."""
        ...


@dataclass(frozen=True, slots=True)
class HttpKeysApi:
    """:class:`KeysApi` over aiohttp; the token travels in the Authorization header only."""

    homeserver: str
    access_token: str = field(repr=False)
    timeout: float = 30.0

    async def post(self, path: str, body: JsonDict) -> tuple[int, JsonDict]:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(f"{self.homeserver.rstrip('/')}{path}", json=body, headers=headers) as r,
        ):
            try:
                reply = await r.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                reply = {}
            return r.status, reply if isinstance(reply, dict) else {}


@dataclass(frozen=True, slots=True)
class CrossSigningResult:
    """What :func:`ensure_cross_signed` did."""

    master_key: str  # public master key, unpadded base64: the bot's published identity
    uploaded_keys: bool  # the cross-signing keys were (re)published
    signed_device: bool  # a new signature on the device was uploaded
    signed_master: bool  # the device's signature on the master key was uploaded


_QUERY = "/_matrix/client/v3/keys/query"
_UPLOAD_KEYS = "/_matrix/client/v3/keys/device_signing/upload"
_UPLOAD_SIGNATURES = "/_matrix/client/v3/keys/signatures/upload"


def _public_of(key_obj: Any) -> str | None:
    if not isinstance(key_obj, dict):
        return None
    keys = key_obj.get("keys")
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    value = next(iter(keys.values()))
    return value if isinstance(value, str) else None


async def _upload_keys(api: KeysApi, keys: CrossSigningKeys, password: str | None) -> None:
    body = keys.upload_body()
    status, reply = await api.post(_UPLOAD_KEYS, body)
    if status == 401 and "flows" in reply:
        # user-interactive auth: replacing published keys needs the password
        if password is None:
            raise TransportError(
                "the homeserver wants the account password to replace the cross-signing keys;"
                " set MATRIX_PASSWORD"
            )
        flows = reply.get("flows", [])
        if not any(f.get("stages") == ["m.login.password"] for f in flows if isinstance(f, dict)):
            raise TransportError("the homeserver offers no password auth for key upload")
        body["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": keys.user_id},
            "password": password,
            "session": reply.get("session"),
        }
        status, reply = await api.post(_UPLOAD_KEYS, body)
    if status != 200:
        raise TransportError(
            f"cross-signing key upload failed: HTTP {status} {reply.get('errcode')}"
        )


async def ensure_cross_signed(
    api: KeysApi,
    keys: CrossSigningKeys,
    device_id: str,
    local_device_keys: Mapping[str, str],
    password: str | None = None,
    device_signer: DeviceSigner | None = None,
) -> CrossSigningResult:
    """Publish ``keys`` if the server holds other ones, and sign the bot's device with them.

    ``local_device_keys`` are the device's own identity keys (``ed25519``, ``curve25519``) as the
    local crypto store knows them: the device object the server returns is signed only if it
    carries exactly these keys, so a server cannot get a foreign device signed. Idempotent: a
    restart with the same keys changes nothing on the server.
    """
    user_id = keys.user_id
    status, reply = await api.post(_QUERY, {"device_keys": {user_id: [device_id]}})
    if status != 200:
        raise TransportError(f"keys query failed: HTTP {status}")
    device = reply.get("device_keys", {}).get(user_id, {}).get(device_id)
    if not isinstance(device, dict):
        raise TransportError("the bot's device keys are not on the homeserver")
    expected = {
        f"ed25519:{device_id}": local_device_keys["ed25519"],
        f"curve25519:{device_id}": local_device_keys["curve25519"],
    }
    if device.get("keys") != expected or device.get("user_id") != user_id:
        raise TransportError("device keys on the homeserver differ from the local ones")

    published = (
        _public_of(reply.get("master_keys", {}).get(user_id)),
        _public_of(reply.get("self_signing_keys", {}).get(user_id)),
        _public_of(reply.get("user_signing_keys", {}).get(user_id)),
    )
    ours = (keys.master.public, keys.self_signing.public, keys.user_signing.public)
    uploaded = published != ours
    if uploaded:
        if published[0] is not None:
            logger.warning("matrix.cross_signing_keys_replaced", extra={"platform": "matrix"})
        await _upload_keys(api, keys, password)
        master_obj: JsonDict = keys.key_object("master")
    else:
        master_obj = reply["master_keys"][user_id]

    signatures: JsonDict = {}
    ssk_id = keys.self_signing.key_id
    if uploaded or not verify_signature(device, user_id, ssk_id, keys.self_signing.public):
        signed = {k: v for k, v in device.items() if k not in ("signatures", "unsigned")}
        signed["signatures"] = {user_id: {ssk_id: keys.self_signing.sign(signed)}}
        signatures[device_id] = signed
    device_key_id = f"ed25519:{device_id}"
    if device_signer is not None and (
        uploaded
        or not verify_signature(master_obj, user_id, device_key_id, local_device_keys["ed25519"])
    ):
        master = {k: v for k, v in master_obj.items() if k not in ("signatures", "unsigned")}
        master["signatures"] = {
            user_id: {device_key_id: device_signer(signable(master).decode("utf-8"))}
        }
        signatures[keys.master.public] = master

    if signatures:
        status, reply = await api.post(_UPLOAD_SIGNATURES, {user_id: signatures})
        failures = reply.get("failures") or {}
        if status != 200 or failures:
            codes = sorted(
                {
                    str(f.get("errcode"))
                    for per_user in failures.values()
                    if isinstance(per_user, dict)
                    for f in per_user.values()
                    if isinstance(f, dict)
                }
            )
            raise TransportError(f"signature upload failed: HTTP {status} {codes}")
    return CrossSigningResult(
        master_key=keys.master.public,
        uploaded_keys=uploaded,
        signed_device=device_id in signatures,
        signed_master=keys.master.public in signatures,
    )
