"""End to end: the bot transport with the real runtime, a real Synapse and real nio users."""

from __future__ import annotations

import logging

import pytest

from bot.engine.events import Start
from tests.channels.matrix.userclient import Received, UserClient

pytestmark = pytest.mark.channel


def bodies(messages: list[Received]) -> str:
    return "\n---\n".join(m.body for m in messages)


def assert_notices(messages: list[Received], encrypted: bool) -> None:
    """Every reply is an m.notice with HTML and plain text, encrypted iff the room is."""
    assert messages
    for message in messages:
        assert message.msgtype == "m.notice"
        assert message.format == "org.matrix.custom.html"
        assert message.formatted_body
        assert message.body
        assert message.encrypted is encrypted


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_user_walks_a_whole_flow_in_a_direct_chat(
    encrypted, register, make_bot, make_user, runtime, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="aiosqlite")  # as bot.logs.configure does
    account = register("bot")
    bot = await make_bot(account, runtime)
    user: UserClient = await make_user()

    room = await user.create_room([account.user_id], encrypted=encrypted)
    greeting = await user.turn(room)
    assert_notices(greeting, encrypted)
    assert "Willkommen bei Beistand" in greeting[0].body
    prompt = greeting[-1]
    assert "Worum geht es?" in prompt.body
    assert "1. Ich wurde bedroht" in prompt.body
    assert "<ol><li>Ich wurde bedroht</li>" in (prompt.formatted_body or "")
    assert runtime.handled[0] == (user.user_id, Start())

    await user.send(room, "1")  # the number of an option
    reply = await user.turn(room)
    assert_notices(reply, encrypted)
    assert "Sind Sie oder andere gerade in unmittelbarer Gefahr?" in reply[-1].body

    await user.send(room, "Nein")  # the label of an option
    reply = await user.turn(room)
    assert "In welchem Bundesland sind Sie tätig?" in reply[-1].body

    await user.send(room, "berlin")
    reply = await user.turn(room)
    assert_notices(reply, encrypted)
    text = bodies(reply)
    assert "Diese Stellen helfen Ihnen weiter." in text
    assert "starke Stelle" in text
    assert "Passen Sie auf sich auf." in text
    assert "Wie möchten Sie weitermachen?" in reply[-1].body

    await user.send(room, "/hilfe")
    reply = await user.turn(room)
    assert "/notfall" in reply[0].body

    # HTML the user sends is never echoed back as markup
    await user.send(
        room, "<b>fett</b>", format="org.matrix.custom.html", formatted_body="<b>fett</b>"
    )
    reply = await user.turn(room)
    assert all("<b>fett</b>" not in (m.formatted_body or "") for m in reply)
    assert "nicht verstanden" in reply[0].body

    assert user.undecryptable == 0
    assert bot.device_id
    # nothing the user typed, no user or room id and no secret in any log line
    secrets_ = [user.user_id, account.user_id, room, account.password, "fett", "berlin"]
    for record in caplog.records:
        line = record.getMessage() + str(record.__dict__.get("exc_text") or "")
        for secret in secrets_:
            assert secret not in line, (record.name, line)


async def test_messages_from_before_the_bot_joined_are_history(
    register, make_bot, make_user, runtime
):
    account = register("bot")
    await make_bot(account, runtime)
    user = await make_user()
    room = await user.create_room([account.user_id], encrypted=False)
    await user.send(room, "/hilfe")  # before the bot has accepted the invitation
    greeting = await user.turn(room)
    assert "Worum geht es?" in greeting[-1].body
    assert await user.silence(room, 1.5) == []
    assert [event for _, event in runtime.handled] == [Start()]


async def test_bot_leaves_a_room_with_three_members_and_says_nothing(
    register, make_bot, make_user, runtime
):
    account = register("bot")
    await make_bot(account, runtime)
    alice = await make_user("alice")
    bob = await make_user("bob")
    room = await alice.create_room([bob.user_id], encrypted=False, direct=False, name="Gruppe")
    await bob.join(room)
    await alice.wait_membership(room, bob.user_id, "join")

    await alice.invite(room, account.user_id)
    await alice.wait_membership(room, account.user_id, "leave")
    assert await alice.silence(room, 1.5) == []
    assert await bob.silence(room, 0) == []
    assert await alice.messages_from(room, account.user_id) == []
    # the runtime was never asked, so nothing about the room was stored
    assert runtime.handled == []
    assert runtime.seen == []


async def test_bot_leaves_a_direct_chat_that_grows_to_three_members(
    register, make_bot, make_user, runtime
):
    account = register("bot")
    await make_bot(account, runtime)
    alice = await make_user("alice")
    bob = await make_user("bob")
    room = await alice.create_room([account.user_id], encrypted=True)
    greeting = await alice.turn(room)
    sent_before = len(await alice.messages_from(room, account.user_id))
    assert sent_before == len(greeting)

    await alice.invite(room, bob.user_id)
    await alice.wait_membership(room, account.user_id, "leave")
    await alice.send(room, "1")
    assert await alice.silence(room, 1.5) == []
    assert len(await alice.messages_from(room, account.user_id)) == sent_before
    assert [event for _, event in runtime.handled] == [Start()]


async def test_unencrypted_rooms_are_left_when_encryption_is_required(
    register, make_bot, make_user, runtime
):
    account = register("bot")
    await make_bot(account, runtime, require_encryption=True)
    user = await make_user()
    plain = await user.create_room([account.user_id], encrypted=False)
    await user.wait_membership(plain, account.user_id, "leave")
    assert await user.silence(plain, 1.0) == []
    assert await user.messages_from(plain, account.user_id) == []

    encrypted = await user.create_room([account.user_id], encrypted=True)
    greeting = await user.turn(encrypted)
    assert_notices(greeting, encrypted=True)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_restart_answers_no_old_message_and_goes_on_where_it_was(
    encrypted, register, make_bot, make_user, open_runtime
):
    account = register("bot")
    user = await make_user()
    async with open_runtime() as handler:
        bot = await make_bot(account, handler)
        room = await user.create_room([account.user_id], encrypted=encrypted)
        await user.turn(room)
        await user.send(room, "1")
        reply = await user.turn(room)
        assert "unmittelbarer Gefahr" in reply[-1].body
        await bot.stop()
    first_device = bot.device_id
    assert bot.cross_signing is not None

    await user.send(room, "/hilfe")  # while the bot is down: history for the next start

    async with open_runtime() as handler:  # a new process: same database, same store
        bot = await make_bot(account, handler)
        try:
            assert bot.device_id == first_device
            assert bot.cross_signing is not None
            assert not bot.cross_signing.uploaded_keys
            assert not bot.cross_signing.signed_device
            assert await user.silence(room, 2.0) == []
            assert handler.handled == []

            await user.send(room, "Nein")
            reply = await user.turn(room)
            assert_notices(reply, encrypted)
            assert "In welchem Bundesland sind Sie tätig?" in reply[-1].body
            assert len(handler.handled) == 1
        finally:
            await bot.stop()
    assert user.undecryptable == 0
