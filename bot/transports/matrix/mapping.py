"""Between nio's events and the engine (pure): a room event to an engine event, a rendered
message to an ``m.notice``, and the rule for which rooms the bot stays in."""

from __future__ import annotations

from typing import Any

from nio import (
    RoomEncryptedAudio,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomEncryptedMedia,
    RoomEncryptedVideo,
    RoomMessage,
    RoomMessageAudio,
    RoomMessageEmote,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    RoomMessageVideo,
    StickerEvent,
)

from bot.engine.events import Event, Unsupported
from bot.engine.typed import parse_typed
from bot.render import Outgoing

PLATFORM = "matrix"
#: A direct chat: the user and the bot.
MAX_MEMBERS = 2

_MEDIA_KINDS: tuple[tuple[type, str], ...] = (
    (RoomMessageImage, "image"),
    (RoomEncryptedImage, "image"),
    (RoomMessageAudio, "audio"),
    (RoomEncryptedAudio, "audio"),
    (RoomMessageVideo, "video"),
    (RoomEncryptedVideo, "video"),
    (RoomMessageFile, "file"),
    (RoomEncryptedFile, "file"),
)

#: A typed text as an event: :func:`bot.engine.typed.parse_typed` (the same on every platform).
typed_event = parse_typed


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted ``> ...`` lines clients put in front of a reply's plain body."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index] == "":
        index += 1
    return "\n".join(lines[index:])


def to_engine_event(event: Any, encrypted_room: bool) -> Event | None:
    """The engine event for a nio room event, or None when the bot should not react.

    Notices (other bots), edits and, in an encrypted room, anything that did not arrive
    encrypted are ignored. Only the plain ``body`` is read, never ``formatted_body``.
    """
    if not isinstance(event, RoomMessage | StickerEvent) or isinstance(event, RoomMessageNotice):
        return None
    if encrypted_room and not event.decrypted:
        return None
    if isinstance(event, RoomMessageText | RoomMessageEmote):
        content = event.source.get("content") or {}
        relation = content.get("m.relates_to") or {}
        if not isinstance(relation, dict) or relation.get("rel_type") == "m.replace":
            return None
        body = str(event.body)
        if "m.in_reply_to" in relation:
            body = strip_reply_fallback(body)
        return parse_typed(body)
    if isinstance(event, StickerEvent):
        return Unsupported("sticker")
    if isinstance(event, RoomMessageMedia | RoomEncryptedMedia):
        for cls, kind in _MEDIA_KINDS:
            if isinstance(event, cls):
                return Unsupported(kind)
        return Unsupported("media")
    if isinstance(event, RoomMessageUnknown):
        return Unsupported("other")
    return None


def message_content(message: Outgoing) -> dict[str, str]:
    """An ``m.notice`` with the plain body and the (already escaped) HTML from the renderer."""
    return {
        "msgtype": "m.notice",
        "body": message.plain,
        "format": "org.matrix.custom.html",
        "formatted_body": message.html.replace("\n", "<br>"),
    }


def room_allowed(member_count: int, encrypted: bool, require_encryption: bool) -> bool:
    """The bot stays only in direct chats (and, if so configured, only encrypted ones)."""
    return member_count <= MAX_MEMBERS and (encrypted or not require_encryption)
