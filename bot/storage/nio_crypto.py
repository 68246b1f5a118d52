"""SQL on matrix-nio's crypto store (a SQLite file in ``MATRIX_STORE_DIR``), for erasing one
conversation partner (:mod:`bot.transports.matrix.erasure` calls it with nio's own connection).

The table and column names are matrix-nio 0.26's (:mod:`nio.store.models`, peewee's defaults:
lower-case model names, ``<field>_id`` for foreign keys); a table that does not exist
(``trackedusers`` is declared but never created by 0.26) is skipped. Nothing here imports nio:
the database object only needs peewee's ``execute_sql`` and ``atomic``.
"""

from __future__ import annotations

from typing import Any

#: (table, statement) in order, children first; ``?`` is the user id or the room id.
_BY_USER = (
    (
        "keys",
        "DELETE FROM keys WHERE device_id IN (SELECT id FROM devicekeys WHERE user_id = ?)",
    ),
    (
        "devicetruststate",
        "DELETE FROM devicetruststate"
        " WHERE device_id IN (SELECT id FROM devicekeys WHERE user_id = ?)",
    ),
    ("devicekeys", "DELETE FROM devicekeys WHERE user_id = ?"),
    ("trackedusers", "DELETE FROM trackedusers WHERE user_id = ?"),
)
_BY_ROOM = (
    (
        "forwardedchains",
        "DELETE FROM forwardedchains"
        " WHERE session_id IN (SELECT session_id FROM megolminboundsessions WHERE room_id = ?)",
    ),
    ("megolminboundsessions", "DELETE FROM megolminboundsessions WHERE room_id = ?"),
    ("encryptedrooms", "DELETE FROM encryptedrooms WHERE room_id = ?"),
    ("outgoingkeyrequests", "DELETE FROM outgoingkeyrequests WHERE room_id = ?"),
)
_CURVE_KEYS = (
    "SELECT key FROM keys WHERE key_type = 'curve25519'"
    " AND device_id IN (SELECT id FROM devicekeys WHERE user_id = ?)"
)
_ROOM_SENDERS = "SELECT sender_key FROM megolminboundsessions WHERE room_id = ?"


def _tables(db: Any) -> set[str]:
    rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def forget_in_database(db: Any, user_id: str, room_id: str, own_key: str | None) -> None:
    """Delete ``user_id``'s device keys and Olm sessions and ``room_id``'s Megolm sessions,
    key requests and encrypted-room entry from nio's store ``db`` (its peewee database), with
    secure_delete on, then checkpoint. ``own_key`` (the bot's Curve25519 key) is kept."""
    present = _tables(db)
    db.execute_sql("PRAGMA secure_delete = ON")
    with db.atomic():
        curve_keys: set[str] = set()
        if {"keys", "devicekeys"} <= present:
            curve_keys |= {str(r[0]) for r in db.execute_sql(_CURVE_KEYS, (user_id,)).fetchall()}
        if "megolminboundsessions" in present:
            rows = db.execute_sql(_ROOM_SENDERS, (room_id,)).fetchall()
            curve_keys |= {str(r[0]) for r in rows}
        curve_keys.discard(own_key or "")
        for table, statement in _BY_USER:
            if table in present:
                db.execute_sql(statement, (user_id,))
        for table, statement in _BY_ROOM:
            if table in present:
                db.execute_sql(statement, (room_id,))
        if "olmsessions" in present:
            for key in curve_keys:
                db.execute_sql("DELETE FROM olmsessions WHERE sender_key = ?", (key,))
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = ["forget_in_database"]
