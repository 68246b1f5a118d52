"""End to end: the bot transport with the real runtime, a real Synapse and real nio users."""

from __future__ import annotations

import asyncio
import html
import logging

import pytest

from bot.engine.events import Start
from bot.errors import TransportError
from bot.flow.model import EndNode
from bot.render import Outgoing
from bot.runtime_api import Sender
from testbed.userclient import Received, UserClient

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


async def exchange(user: UserClient, room: str, oracle, typed: str | None) -> list[Received]:
    """Send ``typed`` (None: just wait for the greeting) and check that exactly the messages the
    engine produces for it arrive, in order, rendered as the transport must render them."""
    expected = await oracle.expect(user.user_id, typed)
    if typed is not None:
        await user.send(room, typed)
    got = [await user.next_message(room) for _ in expected]
    assert [message.body for message in got] == expected
    return got


def option(prompt: Received, choose) -> tuple[int, str]:
    """(number, label) of the first option of the prompt that ``choose`` accepts."""
    for number, label in enumerate(prompt.options, 1):
        if choose(label):
            return number, label
    raise AssertionError(f"no such option in {prompt.options}")


def not_emergency(label: str) -> bool:
    return "110" not in label


async def ended(handler, user_id: str, flow: str) -> bool:
    """The user's stored conversation stands at an end node of ``flow`` and the statistics
    counted services shown in its topic on the Matrix channel (an end is no statistic)."""
    inner = handler.inner
    state = await inner.store.load(inner.key(Sender("matrix", user_id)))
    if state is None or state.flow != flow:
        return False
    topic = inner.content.flows[flow].topic
    counters = await inner.store.counters()
    counted = any(
        c.topic == topic and c.channel == "matrix" and c.outcome == "services_shown"
        for c in counters
    )
    return counted and isinstance(inner.content.flows[flow].nodes[state.node], EndNode)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_user_walks_a_whole_flow_in_a_direct_chat(
    encrypted, register, make_bot, make_user, runtime, oracle, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="aiosqlite")  # as bot.logs.configure does
    account = register("bot")
    bot = await make_bot(account, runtime)
    user: UserClient = await make_user()

    room = await user.create_room([account.user_id], encrypted=encrypted)
    greeting = await exchange(user, room, oracle, None)
    assert_notices(greeting, encrypted)
    assert runtime.handled[0] == (user.user_id, Start())
    assert runtime.routes[0] == room  # handoff notices and relayed replies go to this room
    assert runtime.channels["matrix"] == bot.deliver
    menu = greeting[-1]
    assert menu.is_prompt
    assert menu.formatted_body is not None
    assert menu.formatted_body.endswith(
        "<ol>" + "".join(f"<li>{html.escape(o, quote=False)}</li>" for o in menu.options) + "</ol>"
    )

    # the threat flow by the number of its menu entry, then the first answer by its label,
    # then out of the flow at the first chance: services on the way, an end at the end
    number, _ = option(menu, lambda label: "bedroht" in label)
    reply = await exchange(user, room, oracle, str(number))
    _, label = option(reply[-1], not_emergency)
    reply = await exchange(user, room, oracle, label)
    assert_notices(reply, encrypted)
    for _ in range(10):
        if await ended(runtime, user.user_id, "bedrohung"):
            break
        labels = [o for o in reply[-1].options if not_emergency(o)]
        reply = await exchange(user, room, oracle, labels[-1].casefold())
    assert await ended(runtime, user.user_id, "bedrohung")

    reply = await exchange(user, room, oracle, "/hilfe")
    assert "/notfall" in reply[0].body

    # HTML the user sends is never echoed back as markup
    typed = "<b>fett</b>"
    reply = await exchange(user, room, oracle, typed)
    assert all(typed not in (m.formatted_body or "") for m in reply)
    assert await user.silence(room, 0.5) == []

    assert user.undecryptable == 0
    assert bot.device_id
    # nothing the user typed, no user or room id and no secret in any log line
    secrets_ = [user.user_id, account.user_id, room, account.password, "fett"]
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
    room = await user.create_room([], encrypted=False)
    await user.send(room, "/hilfe")  # before the bot was even invited; visible to it on joining
    await user.invite(room, account.user_id)
    greeting = await user.turn(room)
    assert greeting[-1].is_prompt
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
    encrypted, register, make_bot, make_user, open_runtime, oracle
):
    account = register("bot")
    user = await make_user()
    async with open_runtime() as handler:
        bot = await make_bot(account, handler)
        room = await user.create_room([account.user_id], encrypted=encrypted)
        menu = (await exchange(user, room, oracle, None))[-1]
        number, _ = option(menu, lambda label: "bedroht" in label)
        question = (await exchange(user, room, oracle, str(number)))[-1]
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

            # the answer to the question asked before the restart is understood
            _, label = option(question, not_emergency)
            reply = await exchange(user, room, oracle, label)
            assert_notices(reply, encrypted)
            assert len(handler.handled) == 1
        finally:
            await bot.stop()
    assert user.undecryptable == 0


async def test_deliver_sends_once_per_key_and_only_to_known_rooms(
    register, make_bot, make_user, runtime
):
    account = register("bot")
    bot = await make_bot(account, runtime)
    user = await make_user()
    room = await user.create_room([account.user_id], encrypted=True)
    await user.turn(room)

    note = Outgoing("Fall K7F3-Q9 übernommen", "Fall <b>K7F3-Q9</b> übernommen")
    await bot.deliver(room, note, "outbox-17")
    got = await user.next_message(room)
    assert (got.body, got.formatted_body, got.encrypted) == (note.plain, note.html, True)
    await bot.deliver(room, note, "outbox-17")  # a retry after a crash: the same transaction
    assert await user.silence(room, 1.0) == []
    with pytest.raises(TransportError):
        await bot.deliver("!nowhere:localhost", note, "outbox-18")


async def test_a_revoked_token_ends_the_channel_with_an_error(
    synapse, register, make_bot, runtime, caplog
):
    account = register("bot")
    bot = await make_bot(
        account, runtime, password=None, access_token=account.access_token, sync_timeout_ms=1000
    )
    synapse.client_post("/_matrix/client/v3/logout", {}, account.access_token)
    with pytest.raises(TransportError, match="token rejected"):
        await asyncio.wait_for(bot.wait(), 30)
    assert any(r.getMessage() == "matrix.token_rejected" for r in caplog.records)
    assert all(account.access_token not in r.getMessage() for r in caplog.records)


async def test_wait_returns_after_stop(register, make_bot, runtime):
    bot = await make_bot(register("bot"), runtime)
    waiter = asyncio.create_task(bot.wait())
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await bot.stop()
    await asyncio.wait_for(waiter, 5)
