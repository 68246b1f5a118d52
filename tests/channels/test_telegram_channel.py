"""The Telegram channel end to end: a real python-telegram-bot application over HTTP against the
Bot API emulator, with a scripted stand-in for the runtime (the real runtime: test_telegram_flows).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from aiohttp import ClientSession

from bot.engine.actions import Ask, Option, Say
from bot.engine.commands import NAMES
from bot.engine.events import Choose, Command, Start, Text, Unsupported
from bot.errors import TransportError
from bot.i18n import Translator
from bot.render import Button, Outgoing, claim_data
from bot.transports.telegram import SECRET_HEADER, FloodLimiter
from bot.transports.telegram.updates import REPOLL_PAUSE
from testbed.telegram_emulator import RateLimits
from tests.channels.conftest import LABELS, QUESTION, STALE

pytestmark = pytest.mark.channel

PRIVATE_SCOPE = json.dumps({"type": "all_private_chats"}, sort_keys=True)


async def settle(seconds: float = 0.3) -> None:
    """Give the bot time to do something it should not do."""
    await asyncio.sleep(seconds)


async def asked(emulator, bot):
    """A new user who sent /start, and the last message (the one with the keyboard)."""
    user = emulator.user(bot)
    user.send_text("/start")
    return user, (await user.read_until_keyboard())[-1]


async def test_start_sends_the_telegram_notice_in_front_of_the_first_question(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    channel = await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot, language_code="de")

    user.send_text("/start")
    question = await user.next_message()
    assert channel.health()  # polling runs and getUpdates answers (/healthz)

    # the notice, the welcome and the question come as one message, the buttons under it
    notice, welcome = question.text.split("\n\n", 1)
    assert "Telegram" in notice
    assert "Ende-zu-Ende-verschlüsselt" in notice
    assert "/datenschutz" in notice
    assert welcome == f"Willkommen (menu)\n\n{QUESTION}"
    assert question.labels == LABELS
    assert len(telegram_bot.calls_of("sendMessage")) == 1
    sender, event = scripted_handler.events[0]
    assert event == Start(None)
    assert (sender.platform, sender.user_id, sender.locale) == ("telegram", str(user.id), "de")
    assert question.date < 10**10  # seconds, not ms
    await settle()
    assert user.unread() == []
    await channel.stop()
    assert not channel.health()


async def test_a_long_first_message_gets_the_notice_as_a_message_of_its_own(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    long_text = " ".join(["Lang."] * 300)  # with the notice over the joining limit
    scripted_handler.script = lambda sender, event: (
        (Say(long_text), Ask(QUESTION, (Option(0, "Ja"),), 1)) if event == Start(None) else None
    )
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("/start")
    notice, text, question = await user.next_messages(3)

    assert "Ende-zu-Ende-verschlüsselt" in notice.text
    assert notice.keyboard == ()
    assert text.text == long_text
    assert question.text == QUESTION
    assert question.labels == ("Ja",)


async def test_deep_link_opens_a_flow_and_bad_payloads_are_dropped(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("/start bedrohung")
    await user.read_until_keyboard()
    user.send_text("/start <script>")
    await user.read_until_keyboard()

    assert scripted_handler.of(user.id) == [Start("bedrohung"), Start(None)]


async def test_commands_are_published_in_german_and_english(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    english = Translator("en", {(None, "Hilfe und Befehle"): "Help and commands"})

    def translations(locale):
        return english if locale == "en" else Translator("de")

    await start_channel(scripted_handler, translations=translations)

    german = telegram_bot.commands[(PRIVATE_SCOPE, "de")]
    default = telegram_bot.commands[(PRIVATE_SCOPE, "")]
    english_menu = telegram_bot.commands[(PRIVATE_SCOPE, "en")]
    assert [c["command"] for c in german] == list(NAMES["de"])
    assert default == german
    assert [c["command"] for c in english_menu] == list(NAMES["en"])
    assert {"command": "hilfe", "description": "Hilfe und Befehle"} in german
    assert {"command": "help", "description": "Help and commands"} in english_menu
    assert all(c["description"] for c in german + english_menu)


async def test_messages_and_edits_go_out_as_html_without_link_previews(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    """What Telegram gets, call by call (the channel builds these parameters itself)."""
    await start_channel(scripted_handler)
    user, question = await asked(telegram_emulator, telegram_bot)
    tap = user.press(question, "Bedrohung")
    await user.next_message()
    await user.answer_to(tap)
    await telegram_emulator.wait_until(lambda: user.current(question).keyboard == ())

    sent = telegram_bot.calls_of("sendMessage")
    edits = telegram_bot.calls_of("editMessageText")
    assert len(sent) == 2 and len(edits) == 1
    for call in (*sent, *edits):
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}
        assert call.params["chat_id"] == user.id
    for call in sent:  # one button per row, the renderer's data on each
        rows = call.params["reply_markup"]["inline_keyboard"]
        assert [[b["text"] for b in row] for row in rows] == [[label] for label in LABELS]
        assert all(len(row) == 1 and row[0]["callback_data"] for row in rows)
    assert "reply_markup" not in edits[0].params  # the edit takes the keyboard away
    assert edits[0].params["message_id"] == question.message_id
    [answered] = telegram_bot.calls_of("answerCallbackQuery")
    assert answered.params == {"callback_query_id": tap}
    # every call, getUpdates and the command menu included, is one JSON document
    assert {c.content_type for c in telegram_bot.calls} == {"application/json"}


async def test_the_poll_after_updates_waits_until_their_replies_are_out(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    """No getUpdates goes out between an update's arrival and the reply to it (building that
    request would hold up the reply); the one after comes REPOLL_PAUSE after the last."""
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)
    for _ in range(5):
        await telegram_emulator.wait_until(lambda: not telegram_bot.updates)  # a poll waits
        await settle(0.05)
        began = time.monotonic()
        user.send_text("/start")
        await user.read_until_keyboard()
        [reply] = [c.at for c in telegram_bot.calls_of("sendMessage") if c.at > began]
        polls = [c.at for c in telegram_bot.calls_of("getUpdates") if c.at > began]
        assert all(at > reply for at in polls)
        await telegram_emulator.wait_until(lambda: not telegram_bot.updates)
        polls = [c.at for c in telegram_bot.calls_of("getUpdates") if c.at > began]
        assert polls[0] - began >= REPOLL_PAUSE


async def test_a_choice_removes_the_keyboard_and_a_second_tap_cannot_act(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user, question = await asked(telegram_emulator, telegram_bot)

    first = user.press(question, "Bedrohung")
    follow_up = await user.next_message()
    answer = await user.answer_to(first)

    await telegram_emulator.wait_until(lambda: user.current(question).keyboard == ())

    assert answer.text is None
    assert follow_up.text.startswith("Gewählt: Bedrohung\n\n")
    assert follow_up.labels == LABELS
    # one edit: the question as it was, the chosen answer (in bold) under it, no keyboard
    chosen = user.current(question)
    assert chosen.text == f"{question.text}\n\n✓ Bedrohung"
    assert chosen.styled("bold") == ["Bedrohung"]
    assert chosen.keyboard == ()
    assert telegram_bot.calls_of("editMessageReplyMarkup") == []
    assert len(telegram_bot.calls_of("editMessageText")) == 1
    assert [d.kind for d in user.log].count("edit") == 1

    second = user.press(question, "Etwas anderes")  # the user's stale copy still shows it
    stale = await user.answer_to(second)

    assert stale.text == STALE
    await settle()
    assert user.unread() == []
    assert [d.kind for d in user.log].count("edit") == 1
    assert scripted_handler.of(user.id)[1:] == [Choose(1, 0), Choose(1, 1)]


async def test_a_question_too_long_for_the_mark_only_loses_its_keyboard(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    long_question = "Frage " + "x" * 4080  # the mark under it would pass 4,096 characters
    options = (Option(0, "Bedrohung"), Option(1, "Etwas anderes"))
    scripted_handler.script = lambda sender, event: (
        (Ask(long_question, options, 1),) if event == Start(None) else (Say("Danke."),)
    )
    await start_channel(scripted_handler)
    # the notice came first, on its own: the question is the last message
    user, question = await asked(telegram_emulator, telegram_bot)

    first = user.press(question, "Bedrohung")
    await user.answer_to(first)
    await telegram_emulator.wait_until(lambda: user.current(question).keyboard == ())

    assert user.current(question).text == long_question
    assert telegram_bot.calls_of("editMessageText") == []
    assert len(telegram_bot.calls_of("editMessageReplyMarkup")) == 1


async def test_a_forged_button_changes_nothing(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user, question = await asked(telegram_emulator, telegram_bot)

    garbage = user.press_data(question, "ban_user:123")
    wrong_turn = user.press_data(question, "999.0")

    assert (await user.answer_to(garbage)).text == STALE
    assert (await user.answer_to(wrong_turn)).text == STALE
    await settle()
    assert user.unread() == []
    assert user.current(question).keyboard == question.keyboard
    # the garbage never reached the handler; the well-formed one was refused there
    assert scripted_handler.of(user.id) == [Start(None), Choose(999, 0)]


async def test_typed_text_and_localized_commands_become_events(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot, language_code="en-GB")

    for text in ("/hilfe", "/help@beistand_test_bot", "/loeschen", "hallo <b>& du", "/unbekannt"):
        user.send_text(text)
        await user.next_message()

    assert scripted_handler.of(user.id) == [
        Command("help"),
        Command("help"),
        Command("delete"),
        Text("hallo <b>& du"),
        Text("/unbekannt"),
    ]
    assert scripted_handler.events[0][0].locale == "en-GB"


async def test_dynamic_text_is_escaped_and_shown_literally(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    tricky = "<b>Tom & Jerry</b> <i>kursiv & 1 < 2 &amp; <tg-spoiler>"
    scripted_handler.script = lambda sender, event: (Say(tricky),)
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("<b>fett</b> & so")
    message = await user.next_message()

    assert message.text == tricky
    assert message.entities == ()
    assert telegram_bot.flood_errors == []


async def test_media_get_a_hint_and_are_never_downloaded(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_photo(caption="Drohbrief")
    user.send_voice()
    user.send_document()
    user.send_sticker()
    replies = await user.next_messages(4)

    assert scripted_handler.of(user.id) == [
        Unsupported("photo"),
        Unsupported("voice"),
        Unsupported("document"),
        Unsupported("sticker"),
    ]
    assert [r.text for r in replies] == [
        f"Das kann ich nicht öffnen ({kind})." for kind in ("photo", "voice", "document", "sticker")
    ]
    assert telegram_bot.calls_of("getFile") == []
    assert telegram_bot.downloads == []


async def test_added_to_a_group_the_bot_leaves_and_says_nothing(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    group = user.add_bot_to_group()
    group.send_text("/start@beistand_test_bot")
    await telegram_emulator.wait_until(lambda: not group.bot_is_member)
    await settle()

    # every group update makes it leave; the late ones get a harmless 403
    assert {c.params["chat_id"] for c in telegram_bot.calls_of("leaveChat")} == {group.id}
    assert group.received == []
    sent_to = {c.params.get("chat_id") for c in telegram_bot.calls_of("sendMessage")}
    assert group.id not in sent_to
    assert scripted_handler.events == []


async def test_added_to_a_channel_the_bot_leaves_and_says_nothing(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    channel = user.add_bot_to_channel()
    await telegram_emulator.wait_until(lambda: not channel.bot_is_member)
    await settle()

    assert {c.params["chat_id"] for c in telegram_bot.calls_of("leaveChat")} == {channel.id}
    assert telegram_bot.calls_of("sendMessage") == []
    assert scripted_handler.events == []


async def test_an_update_redelivered_after_a_crash_is_handled_once(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    first = await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)
    update = user.send_text("/hilfe")
    await user.next_message()
    await first.stop()
    telegram_bot.redeliver(update)  # the confirmation was lost with the crashed process

    await start_channel(scripted_handler)
    await telegram_emulator.wait_until(lambda: len(scripted_handler.seen) == 2)
    await settle()

    assert scripted_handler.seen == [f"telegram:{update['update_id']}"] * 2
    assert scripted_handler.of(user.id) == [Command("help")]
    assert user.unread() == []


async def test_two_users_at_once_stay_apart(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    anna = telegram_emulator.user(telegram_bot, first_name="Anna")
    ben = telegram_emulator.user(telegram_bot, first_name="Ben", language_code="en")

    anna.send_text("/start")
    ben.send_text("/start")
    anna_question = (await anna.read_until_keyboard())[-1]
    ben_question = (await ben.read_until_keyboard())[-1]
    anna.press(anna_question, "Bedrohung")
    ben.press(ben_question, "Etwas anderes")

    assert (await anna.next_message()).text.startswith("Gewählt: Bedrohung\n")
    assert (await ben.next_message()).text.startswith("Gewählt: Etwas anderes\n")
    assert (
        len(anna.received) == len(ben.received) == 2
    )  # the first question (notice in it), the next
    assert {m.chat_id for m in anna.received} == {anna.id}
    assert {m.chat_id for m in ben.received} == {ben.id}
    assert scripted_handler.of(anna.id) == [Start(None), Choose(1, 0)]
    assert scripted_handler.of(ben.id) == [Start(None), Choose(1, 1)]


async def test_a_failing_handler_gives_a_generic_apology(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)
    scripted_handler.fail = True

    user.send_text("geheim")
    apology = await user.next_message()
    user.send_text("/hilfe")
    after = await user.next_message()

    assert apology.text.startswith("Entschuldigung")
    assert "110" in apology.text
    assert after.text == "Befehl help"


async def test_html_refused_by_telegram_is_sent_as_plain_text(
    telegram_emulator, telegram_bot, scripted_handler, start_channel, monkeypatch
):
    from bot.render import Outgoing
    from bot.transports.telegram import sending

    monkeypatch.setattr(sending, "render_all", lambda actions: (Outgoing("a < b", "a < b"),))
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("hallo")
    message = await user.next_message()

    assert message.text == "a < b"
    refused = [c for c in telegram_bot.calls_of("sendMessage") if c.params.get("parse_mode")]
    assert len(refused) == 1


async def test_the_runtime_can_reach_a_chat_outside_a_reply(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    channel = await start_channel(scripted_handler)
    contact = telegram_emulator.user(telegram_bot)
    contact.send_text("/start")
    await contact.read_until_keyboard()
    notice = Outgoing(
        "Neuer Fall K7F3-Q9 <Bayern>",
        "Neuer Fall <b>K7F3-Q9</b> &lt;Bayern&gt;",
        (Button("Übernehmen", claim_data("K7F3-Q9")),),
    )

    assert scripted_handler.channels == {"telegram": channel.deliver}
    await scripted_handler.channels["telegram"](str(contact.id), notice, "outbox-1")
    received = await contact.next_message()
    contact.press(received, "Übernehmen")
    await contact.next_message()
    await telegram_emulator.wait_until(lambda: contact.current(received).keyboard == ())

    assert received.text == "Neuer Fall K7F3-Q9 <Bayern>"
    assert received.styled("bold") == ["K7F3-Q9"]
    assert scripted_handler.of(contact.id)[-1] == Command("claim", "K7F3-Q9")
    for route in ("-1001234", "@kanal", "42"):  # a group, a name, a chat that does not exist
        with pytest.raises(TransportError):
            await channel.deliver(route, notice, "")


async def test_a_message_over_the_length_limit_arrives_in_pieces(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    long_text = "".join(f"Absatz {i}: {'Text & mehr ' * 8}\n" for i in range(60))
    question = Ask(long_text, (Option(0, "Weiter"),), 7)
    scripted_handler.script = lambda sender, event: (question,)
    await start_channel(scripted_handler)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("los")
    pieces = await user.read_until_keyboard()

    assert len(pieces) == 2
    received = "".join(p.text for p in pieces)
    assert received.split() == long_text.split()  # nothing lost, "&" shown as it is
    assert pieces[0].keyboard == ()
    assert pieces[-1].labels == ("Weiter",)


# ------------------------------------------------------------------------------ flood limits


@pytest.mark.parametrize("telegram_limits", [RateLimits(per_chat_rate=10, per_chat_burst=4)])
async def test_a_burst_to_one_chat_is_paced_not_dropped(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    texts = [f"Nachricht {i}" for i in range(12)]
    scripted_handler.script = lambda sender, event: tuple(Say(t) for t in texts)
    await start_channel(scripted_handler, limiter=FloodLimiter(chat_rate=8, chat_burst=3))
    user = telegram_emulator.user(telegram_bot)

    began = time.monotonic()
    user.send_text("los")
    received = await user.next_messages(12)
    elapsed = time.monotonic() - began

    assert [m.text for m in received] == texts
    assert telegram_bot.flood_errors == []
    assert elapsed >= (12 - 3) / 8 * 0.9


@pytest.mark.parametrize("telegram_limits", [RateLimits(overall_rate=40, overall_burst=10)])
async def test_many_chats_stay_under_the_overall_limit(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    await start_channel(scripted_handler, limiter=FloodLimiter(overall_rate=30, overall_burst=8))
    # 20 messages (one per /start) against the emulator's burst of 10: only pacing avoids a 429
    users = [telegram_emulator.user(telegram_bot) for _ in range(20)]

    for user in users:
        user.send_text("/start")
    for user in users:
        await user.next_message()

    assert telegram_bot.flood_errors == []
    assert sum(len(u.received) for u in users) == 20


@pytest.mark.parametrize("telegram_limits", [RateLimits(per_chat_rate=5, per_chat_burst=2)])
async def test_a_429_is_waited_out_and_nothing_is_lost(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    texts = [f"Teil {i}" for i in range(6)]
    scripted_handler.script = lambda sender, event: tuple(Say(t) for t in texts)
    lax = FloodLimiter(chat_rate=100, chat_burst=100, overall_rate=100, overall_burst=100)
    await start_channel(scripted_handler, limiter=lax)
    user = telegram_emulator.user(telegram_bot)

    user.send_text("los")
    received = await user.next_messages(6, within=15)

    assert [m.text for m in received] == texts
    assert telegram_bot.flood_errors  # the emulator did refuse, and the bot retried


# ---------------------------------------------------------------------------------- webhook


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_delivers_with_the_secret_and_refuses_without(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    secret = "s3cret_" + "x" * 25
    await start_channel(scripted_handler, webhook_url=url, webhook_secret=secret, webhook_port=port)
    user = telegram_emulator.user(telegram_bot)

    info = await _call(telegram_emulator.base_url, telegram_bot.token, "getWebhookInfo")
    assert info["result"]["url"] == url
    update = user.send_text("/start")
    assert (await user.read_until_keyboard())[-1].labels == LABELS
    assert telegram_bot.calls_of("getUpdates") == []
    telegram_bot.redeliver(update)  # webhooks are at least once, too
    telegram_emulator.changed()
    await telegram_emulator.wait_until(lambda: not telegram_bot.updates)

    forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1}}}
    async with ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: secret[:-1]}):
            async with http.post(url, json=forged, headers=headers) as response:
                assert response.status == 403
        async with http.post(url, data="kein json", headers={SECRET_HEADER: secret}) as response:
            assert response.status == 400
    await settle()
    assert len(scripted_handler.events) == 1
    assert len(scripted_handler.seen) == 2  # the redelivery arrived and was recognised


async def _call(base_url: str, token: str, method: str, **params: object) -> dict:
    async with (
        ClientSession() as http,
        http.post(f"{base_url}/bot{token}/{method}", json=params) as response,
    ):
        return dict(await response.json())


async def _until(predicate, within: float = 10.0) -> None:
    """Poll ``predicate`` (a state of the channel, which signals nothing) until it is true."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on
            await asyncio.sleep(0.02)


async def test_health_follows_the_last_getupdates(
    telegram_emulator, telegram_bot, scripted_handler, start_channel
):
    """``health()`` (for /healthz) turns false when getUpdates fails (here: a second instance
    polls with the same token, 409) and true again once a poll succeeds."""
    channel = await start_channel(scripted_handler, poll_timeout=1)
    await _until(lambda: telegram_bot.calls_of("getUpdates"))
    assert channel.health()
    await _call(telegram_emulator.base_url, telegram_bot.token, "getUpdates")  # another instance
    telegram_emulator.changed()
    await _until(lambda: not channel.health())
    await _until(channel.health)
