"""The Bot API emulator answers like Telegram where the bot can tell the difference.

These talk raw HTTP (no python-telegram-bot), so a wrong emulator cannot hide behind the library.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web

from testbed.telegram_emulator import (
    EmulatedBot,
    RateLimits,
    SimUser,
    TelegramEmulator,
    fake_token,
    parse_html,
)

pytestmark = pytest.mark.channel


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


class Api:
    """Raw calls to the emulator as one bot."""

    def __init__(self, http: ClientSession, emulator: TelegramEmulator, bot: EmulatedBot) -> None:
        self.http = http
        self.url = f"{emulator.base_url}/bot{bot.token}"

    async def __call__(self, method: str, **params: object) -> tuple[int, dict]:
        async with self.http.post(f"{self.url}/{method}", json=params) as response:
            return response.status, dict(await response.json())

    async def form(self, method: str, **params: str) -> tuple[int, dict]:
        """Form-encoded, objects as JSON strings: the way python-telegram-bot sends them."""
        async with self.http.post(f"{self.url}/{method}", data=params) as response:
            return response.status, dict(await response.json())

    async def ok(self, method: str, **params: object) -> object:
        status, body = await self(method, **params)
        assert (status, body["ok"]) == (200, True), body
        return body["result"]


@pytest.fixture
def api(http, telegram_emulator, telegram_bot) -> Api:
    return Api(http, telegram_emulator, telegram_bot)


@pytest.fixture
def user(telegram_emulator, telegram_bot) -> SimUser:
    return telegram_emulator.user(telegram_bot)


KEYBOARD = {"inline_keyboard": [[{"text": "Ja", "callback_data": "1.0"}]]}


async def test_get_me_identifies_a_bot(api, telegram_bot):
    me = await api.ok("getMe")
    assert me["is_bot"] is True
    assert me["id"] == telegram_bot.id
    assert me["username"] == telegram_bot.username


async def test_unknown_methods_and_tokens_get_json_errors(http, api, telegram_emulator):
    assert await api("fooBar") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await Api(
        http, telegram_emulator, EmulatedBot(fake_token(), "x", "x", RateLimits())
    )("getMe")
    assert (status, body["description"]) == (401, "Unauthorized")
    async with http.get(f"{telegram_emulator.base_url}/nothing/here") as response:
        assert response.status == 404
        assert (await response.json())["ok"] is False


async def test_method_names_are_case_insensitive(api):
    assert (await api.ok("getme"))["is_bot"] is True


async def test_updates_stay_until_a_later_offset_confirms_them(api, user):
    user.send_text("eins")
    user.send_text("zwei")

    first = await api.ok("getUpdates")
    again = await api.ok("getUpdates", offset=first[0]["update_id"])
    limited = await api.ok("getUpdates", limit=1)
    after = await api.ok("getUpdates", offset=first[-1]["update_id"] + 1, timeout=0)

    assert [u["message"]["text"] for u in first] == ["eins", "zwei"]
    assert again == first
    assert limited == first[:1]
    assert after == []
    assert first[1]["update_id"] == first[0]["update_id"] + 1
    assert isinstance(first[0]["message"]["date"], int)
    assert first[0]["message"]["date"] < 10**10  # seconds


async def test_long_polling_waits_for_an_update_or_the_timeout(api, user):
    began = time.monotonic()
    assert await api.ok("getUpdates", timeout=0.3) == []
    assert time.monotonic() - began >= 0.25

    async def later() -> None:
        await asyncio.sleep(0.2)
        user.send_text("da")

    sender = asyncio.create_task(later())
    began = time.monotonic()
    updates = await api.ok("getUpdates", timeout=5)
    await sender
    assert [u["message"]["text"] for u in updates] == ["da"]
    assert 0.15 <= time.monotonic() - began < 2


async def test_a_newer_poll_ends_the_older_with_a_conflict(api):
    older = asyncio.create_task(api("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    assert await api.ok("getUpdates", timeout=0) == []
    status, body = await older
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_allowed_updates_filters_update_types(api, user):
    await api.ok("getUpdates", allowed_updates=["callback_query"])
    user.send_text("nicht erlaubt")
    assert await api.ok("getUpdates") == []


async def test_commands_from_the_user_carry_a_bot_command_entity(api, user):
    user.send_text("/start abc")
    user.send_text("bitte /hilfe@beistand_test_bot")
    first, second = (u["message"] for u in await api.ok("getUpdates"))
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert second["entities"] == [{"type": "bot_command", "offset": 6, "length": 24}]


async def test_send_message_parses_html_like_telegram(api, user):
    sent = await api.ok(
        "sendMessage",
        chat_id=user.id,
        text="<b>fett</b> &amp; <i>kursiv &lt;x&gt;</i> & 😀 <a href='https://a.example/?a=1&b=2'>hier</a>",
        parse_mode="HTML",
    )
    assert sent["text"] == "fett & kursiv <x> & 😀 hier"
    assert sent["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 7, "length": 10},
        {"type": "text_link", "offset": 23, "length": 4, "url": "https://a.example/?a=1&b=2"},
    ]
    assert sent["from"]["is_bot"] is True
    assert user.received[0].styled("bold") == ["fett"]


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("a <b>fett", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("ä <b", "Unclosed start tag at byte offset 3"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_refused(api, user, html, detail):
    status, body = await api("sendMessage", chat_id=user.id, text=html, parse_mode="HTML")
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {detail}"
    assert user.received == []


def test_html_parser_counts_utf16_and_handles_nesting():
    text, entities = parse_html('😀 <b>a <i>b</i></b><pre><code class="language-py">x</code></pre>')
    assert text == "😀 a bx"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 3},
        {"type": "italic", "offset": 5, "length": 1},
        {"type": "pre", "offset": 6, "length": 1, "language": "py"},
    ]
    assert parse_html("&#228;&#x1F600;&quot;") == ('ä😀"', [])


async def test_send_message_checks_its_input(api, user):
    cases = [
        ({"chat_id": 42, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": user.id, "text": "  "}, "Bad Request: message text is empty"),
        ({"chat_id": user.id, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {
                "chat_id": user.id,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
    ]
    for params, description in cases:
        status, body = await api("sendMessage", **params)
        assert (status, body["description"]) == (400, description)
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "ü" * 32}]]}  # 64 bytes
    assert await api.ok("sendMessage", chat_id=user.id, text="ok", reply_markup=markup)


async def test_form_encoded_parameters_are_read_like_python_telegram_bot_sends_them(api, user):
    status, body = await api.form(
        "sendMessage",
        chat_id=str(user.id),
        text="<b>x</b>",
        parse_mode="HTML",
        reply_markup=json.dumps(KEYBOARD),
    )
    assert status == 200
    assert body["result"]["reply_markup"] == KEYBOARD
    assert user.received[0].labels == ("Ja",)


async def test_editing_without_reply_markup_removes_the_keyboard(api, user):
    sent = await api.ok("sendMessage", chat_id=user.id, text="Frage", reply_markup=KEYBOARD)
    ids = {"chat_id": user.id, "message_id": sent["message_id"]}

    edited = await api.ok("editMessageReplyMarkup", **ids)
    status, body = await api("editMessageReplyMarkup", **ids)
    await api.ok("editMessageText", **ids, text="Neu", reply_markup=KEYBOARD)
    retexted = await api.ok("editMessageText", **ids, text="<i>Neuer</i>", parse_mode="HTML")

    assert "reply_markup" not in edited
    assert isinstance(edited["edit_date"], int)
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")
    assert "reply_markup" not in retexted
    assert [d.kind for d in user.log] == ["new", "edit", "edit", "edit"]
    assert user.received[0].keyboard  # what the user first saw is kept
    assert user.current(user.received[0]).text == "Neuer"
    status, body = await api("editMessageText", chat_id=user.id, message_id=999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"


async def test_a_button_press_carries_chat_instance_and_is_answered_once(api, user):
    await api.ok("sendMessage", chat_id=user.id, text="Frage", reply_markup=KEYBOARD)
    query_id = user.press(user.received[0], "Ja")
    query = (await api.ok("getUpdates"))[0]["callback_query"]

    assert query["id"] == query_id
    assert query["data"] == "1.0"
    assert query["chat_instance"]
    assert query["message"]["reply_markup"] == KEYBOARD
    assert await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Danke")
    status, body = await api("answerCallbackQuery", callback_query_id=query_id)
    assert status == 400
    assert "query ID is invalid" in body["description"]
    assert [a.text for a in user.answers] == ["Danke"]


async def test_commands_are_kept_per_scope_and_language(api):
    private = {"type": "all_private_chats"}
    commands = [{"command": "hilfe", "description": "Hilfe"}]
    await api.ok("setMyCommands", commands=commands, scope=private, language_code="de")

    assert await api.ok("getMyCommands", scope=private, language_code="de") == commands
    assert await api.ok("getMyCommands", scope=private) == []
    assert await api.ok("getMyCommands", language_code="de") == []
    bad = [{"command": "Hilfe!", "description": "x"}]
    status, body = await api("setMyCommands", commands=bad)
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    status, _ = await api("setMyCommands", commands=commands, language_code="deu")
    assert status == 400
    await api.ok("deleteMyCommands", scope=private, language_code="de")
    assert await api.ok("getMyCommands", scope=private, language_code="de") == []


async def test_leaving_a_group_is_reported_and_private_chats_cannot_be_left(api, user):
    group = user.add_bot_to_group()
    joined = await api.ok("getUpdates")
    assert [next(k for k in u if k != "update_id") for u in joined] == ["my_chat_member", "message"]
    assert joined[0]["my_chat_member"]["new_chat_member"]["status"] == "member"

    assert await api.ok("leaveChat", chat_id=group.id)
    status, body = await api("sendMessage", chat_id=group.id, text="hallo")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the group chat",
    )
    status, body = await api("leaveChat", chat_id=user.id)
    assert (status, body["description"]) == (
        400,
        "Bad Request: chat member status can't be changed in private chats",
    )
    left = await api.ok("getUpdates", offset=joined[-1]["update_id"] + 1)
    assert left[0]["my_chat_member"]["new_chat_member"]["status"] == "left"
    assert group.send_text("niemand liest mit") is None


async def test_chat_action_get_chat_close_and_log_out(api, user):
    assert await api.ok("sendChatAction", chat_id=user.id, action="typing")
    status, _ = await api("sendChatAction", chat_id=user.id, action="dancing")
    assert status == 400
    chat = await api.ok("getChat", chat_id=user.id)
    assert (chat["id"], chat["type"]) == (user.id, "private")
    assert await api.ok("close")
    assert await api.ok("logOut")
    status, _ = await api("getMe")
    assert status == 401


@pytest.mark.parametrize("telegram_limits", [RateLimits(per_chat_rate=1, per_chat_burst=3)])
async def test_flooding_one_chat_gets_429_with_retry_after(api, user, telegram_bot):
    for _ in range(3):
        await api.ok("sendMessage", chat_id=user.id, text="x")
    status, body = await api("sendMessage", chat_id=user.id, text="zu viel")

    assert status == 429
    assert body["parameters"]["retry_after"] == 1
    assert body["description"] == "Too Many Requests: retry after 1"
    assert telegram_bot.flood_errors == [("sendMessage", user.id, 1)]
    await asyncio.sleep(1.05)
    assert await api.ok("sendMessage", chat_id=user.id, text="wieder")


@pytest.mark.parametrize("telegram_limits", [RateLimits(overall_rate=5, overall_burst=4)])
async def test_flooding_many_chats_hits_the_overall_limit(api, telegram_emulator, telegram_bot):
    users = [telegram_emulator.user(telegram_bot) for _ in range(5)]
    results = [await api("sendMessage", chat_id=u.id, text="x") for u in users]
    assert [status for status, _ in results] == [200, 200, 200, 200, 429]


async def test_webhook_posts_updates_with_the_secret_header(api, user, telegram_bot):
    received: list[tuple[str | None, dict]] = []
    status_to_send = [403, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=status_to_send.pop(0) if status_to_send else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        status, body = await api("setWebhook", url="http://example.org/hook")
        assert status == 400
        assert await api.ok("setWebhook", url=url, secret_token="geheim_123")
        status, body = await api("getUpdates")
        assert status == 409
        assert "webhook is active" in body["description"]

        user.send_text("eins")
        user.send_text("zwei")
        await user.emulator.wait_until(lambda: len(received) == 3 and not telegram_bot.updates)
        info = await api.ok("getWebhookInfo")
    finally:
        await api.ok("deleteWebhook")
        await runner.cleanup()

    assert [secret for secret, _ in received] == ["geheim_123"] * 3
    texts = [update["message"]["text"] for _, update in received]
    assert texts == ["eins", "eins", "zwei"]  # refused once with 403, then delivered again
    assert info["url"] == url
    assert info["pending_update_count"] == 0
    assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
