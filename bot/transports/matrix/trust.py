"""Whether a message came from a cross-signed device of its sender (security plan T12).

A contact person is recognised by their Matrix id; a stolen password or a lookalike session on
a new device would otherwise act as the contact. A device counts as verified when the sender's
account vouches for it through cross-signing: the device's keys carry a signature of the
account's self-signing key, which carries a signature of the account's master key (both read
from ``/keys/query`` at the time of the message). The device is identified by the Curve25519
key of the Olm session that delivered the room key (``sender_key`` of a decrypted event), not by
anything the sender writes into the event. Unencrypted messages are never verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.transports.matrix.crosssign import KeysApi, verify_signature

_QUERY = "/_matrix/client/v3/keys/query"


def _single_key(key_obj: Any, user_id: str) -> str | None:
    if not isinstance(key_obj, dict) or key_obj.get("user_id") != user_id:
        return None
    keys = key_obj.get("keys")
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    value = next(iter(keys.values()))
    return value if isinstance(value, str) else None


def device_cross_signed(reply: Mapping[str, Any], user_id: str, sender_key: str) -> bool:
    """True if, in a ``/keys/query`` reply, ``user_id``'s device with the Curve25519 key
    ``sender_key`` is signed by its own key and by the account's self-signing key, and the
    self-signing key by the master key."""
    master = reply.get("master_keys", {}).get(user_id)
    self_signing = reply.get("self_signing_keys", {}).get(user_id)
    master_key, ssk = _single_key(master, user_id), _single_key(self_signing, user_id)
    if master_key is None or ssk is None:
        return False
    if not verify_signature(self_signing, user_id, f"ed25519:{master_key}", master_key):
        return False
    devices = reply.get("device_keys", {}).get(user_id)
    if not isinstance(devices, dict):
        return False
    for device_id, device in devices.items():
        if not isinstance(device, dict) or device.get("user_id") != user_id:
            continue
        keys = device.get("keys")
        if not isinstance(keys, dict) or keys.get(f"curve25519:{device_id}") != sender_key:
            continue
        own = keys.get(f"ed25519:{device_id}")
        return (
            isinstance(own, str)
            and verify_signature(device, user_id, f"ed25519:{device_id}", own)
            and verify_signature(device, user_id, f"ed25519:{ssk}", ssk)
        )
    return False


async def sender_cross_signed(api: KeysApi, user_id: str, sender_key: str | None) -> bool:
    """Ask the homeserver for ``user_id``'s keys; False when unsure (no key, no answer)."""
    if not sender_key:
        return False
    try:
        status, reply = await api.post(_QUERY, {"device_keys": {user_id: []}})
    except (OSError, TimeoutError, aiohttp.ClientError):
        return False
    return status == 200 and device_cross_signed(reply, user_id, sender_key)
