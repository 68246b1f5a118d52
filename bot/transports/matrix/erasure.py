"""Erasing one conversation partner from matrix-nio's memory and its crypto store.

End-to-end encryption needs the partner's Matrix id, device keys and sessions while a
conversation is active (a residual bounded by the retention time; see ``PRIVACY.md``). When the
conversation is erased (``/loeschen``) or purged (idle past the retention time), the transport
leaves and forgets the room and then calls :func:`forget_partner`, which removes from the
client's memory and from the SQLite crypto store in ``MATRIX_STORE_DIR``:

* the partner's device keys (``devicekeys``, their ``keys`` and ``devicetruststate`` rows) and
  nio's trust files (verified, blacklisted, ignored devices: nio marks every unverified device of
  a partner as *ignored* when the bot sends);
* the tracked-user entry and a pending key query for the partner;
* the Olm sessions with the partner's devices (``olmsessions``, by their Curve25519 keys);
* the room's Megolm sessions (``megolminboundsessions``, their ``forwardedchains``, the outbound
  session in memory), its key requests and its encrypted-room entry (``encryptedrooms``).

The deletions (:mod:`bot.storage.nio_crypto`: all SQL lives under ``bot/storage/``) run with
SQLite's ``secure_delete`` switched on, on nio's own connection (deleted rows are
overwritten, not merely unlinked), followed by a WAL checkpoint (a no-op in nio's default
rollback-journal mode, kept in case the mode changes).

The table and column names are matrix-nio 0.26's (:mod:`nio.store.models`, peewee's defaults:
lower-case model names, ``<field>_id`` for foreign keys); a table that does not exist
(``trackedusers`` is declared but never created by 0.26) is skipped.
"""

from __future__ import annotations

from typing import Any

from nio import AsyncClient

from bot.storage.nio_crypto import forget_in_database


def forget_partner(client: AsyncClient, user_id: str, room_id: str) -> None:
    """Remove ``user_id``'s keys and sessions and ``room_id``'s sessions from nio (memory and
    store). Call it after the room was left and forgotten."""
    own_key = client.olm.account.identity_keys.get("curve25519") if client.olm else None
    store: Any = client.store
    if store is not None:  # first the store: its queries need the rows the memory pass drops
        forget_in_database(store.database, user_id, room_id, own_key)
        _forget_trust(store, user_id)
    _forget_in_memory(client, user_id, room_id)
    client.encrypted_rooms.discard(room_id)


def _forget_in_memory(client: AsyncClient, user_id: str, room_id: str) -> set[str]:
    olm: Any = client.olm
    if olm is None:
        return set()
    own_key = olm.account.identity_keys.get("curve25519")
    devices = olm.device_store._entries.pop(user_id, {})
    curve_keys = {device.curve25519 for device in devices.values()}
    room_sessions = olm.inbound_group_store._entries.pop(room_id, {})
    curve_keys |= set(room_sessions)
    curve_keys.discard(own_key)
    for key in curve_keys:
        olm.session_store._entries.pop(key, None)
    olm.outbound_group_sessions.pop(room_id, None)
    olm.tracked_users.discard(user_id)
    olm.users_for_key_query.discard(user_id)
    for request_id, request in list(olm.outgoing_key_requests.items()):
        if getattr(request, "room_id", None) == room_id:
            del olm.outgoing_key_requests[request_id]
    for request_id, request in list(olm.received_key_requests.items()):
        if getattr(request, "sender", None) == user_id:
            del olm.received_key_requests[request_id]
    return curve_keys


def _forget_trust(store: Any, user_id: str) -> None:
    """nio's DefaultStore keeps device trust in text files, one line per device."""
    for name in ("trust_db", "blacklist_db", "ignore_db"):
        keys = getattr(store, name, None)
        if keys is None:
            continue
        mine = [key for key in keys if key.user_id == user_id]
        if mine:
            keys.remove_many(mine)
