"""From python-telegram-bot's objects to what the runtime takes (pure: no calls to Telegram)."""

from __future__ import annotations

from telegram import Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.engine.events import Event, Unsupported
from bot.engine.typed import parse_typed
from bot.runtime_api import Incoming, Sender
from bot.transports.telegram.settings import PLATFORM

_MEDIA_KINDS = ("photo", "voice", "audio", "video", "video_note", "document", "sticker")


def person(update: Update) -> User | None:
    """The human who sent the update (None for bots and updates without a sender)."""
    user = update.effective_user
    return None if user is None or user.is_bot else user


def from_a_person_in_private(update: Update) -> bool:
    """True for a message or tap of a person in a private chat (what the bot answers)."""
    chat = update.effective_chat
    return (
        chat is not None
        and chat.type == ChatType.PRIVATE
        and update.my_chat_member is None
        and person(update) is not None
    )


def bot_still_member(update: Update) -> bool:
    """False if the update says the bot has already left or been removed from the chat."""
    member = update.my_chat_member
    if member is None:
        return True
    return member.new_chat_member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def incoming(update: Update, event: Event) -> Incoming:
    """The event with its sender and the update's id (by which redeliveries are dropped)."""
    user = person(update)
    assert user is not None
    sender = Sender(PLATFORM, str(user.id), user.language_code)
    return Incoming(sender, event, str(update.update_id))


def text_event(message: Message) -> Event:
    """A typed text (:func:`bot.engine.typed.parse_typed`), as on every platform."""
    assert message.text is not None
    return parse_typed(message.text)


def media_event(message: Message) -> Unsupported:
    """Anything that is not text; never downloaded."""
    return Unsupported(next((kind for kind in _MEDIA_KINDS if getattr(message, kind)), "other"))
