"""Übergriff reports across channels (issue 14 item 4): one runtime serving Telegram (Bot API
emulator) and Matrix (a real Synapse), on the example overlay (examples/musterland). An employee
on one platform reports, the Meldestelle on the other receives the report, acknowledges it, and
the employee is told. The real runtime, store and transports.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import ContentPaths
from testbed.telegram_emulator import RateLimits
from testbed.userclient import UserClient, until
from tests.channels.matrix.cross import LIMITS, Both, labelled, serve_both, tap

pytestmark = pytest.mark.channel
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{2}")
OVERLAY = Path(__file__).resolve().parents[3] / "examples" / "musterland"
#: the way to the report, then its answers and the consent
TO_REPORT = (
    "Nein, es ist vorbei",
    "Ich wurde bedroht oder beleidigt",
    "Sachsen",
    "Landkreis Musterland",
    "Übergriff in meiner Verwaltung melden",
)
ANSWERS = ("Bedrohung", "Kfz-Zulassung", "Heute", "Nein", "Nein", "Nein", "Ja, senden")


@pytest.fixture
def telegram_limits() -> RateLimits:
    return LIMITS


@pytest.fixture
async def both(
    tmp_path, telegram_emulator, telegram_bot, start_channel, register, make_bot
) -> AsyncIterator[Both]:
    async with serve_both(
        ContentPaths(local=OVERLAY),
        tmp_path / "report.db",
        telegram_emulator,
        start_channel,
        register,
        make_bot,
    ) as served:
        yield served


async def test_telegram_employee_and_matrix_meldestelle(both: Both, telegram_bot, make_user):
    office, room = await matrix_meldestelle(both, make_user)

    anna = both.emulator.user(telegram_bot, first_name="Anna", username="anna_amt")
    anna.send_text("/start uebergriff")
    await both.telegram_sees(anna, "Ist die Person noch da")
    for label in (*TO_REPORT, *ANSWERS):
        await tap(both, anna, label)
    sent = await both.telegram_sees(anna, "Empfangende Stelle: Landratsamt Musterland")
    code = CODE.search(sent.text)
    assert code is not None

    notice = (await until(office, room, "Neue Meldung"))[-1]
    assert notice.encrypted and code.group() in notice.body
    assert "Kfz-Zulassung" in notice.body and "§ 193 SGB VII" in notice.body
    await office.send(room, f"/bestaetigen {code.group()}")
    await until(office, room, "ist bestätigt")
    await both.telegram_sees(anna, "Ihre Meldung wurde von der Meldestelle bestätigt.")
    assert await both.runtime.store.report(code.group()) is None
    for secret in ("Anna", "anna_amt", str(anna.id)):
        assert secret not in notice.body


async def test_matrix_employee_and_telegram_meldestelle(both: Both, telegram_bot, make_user):
    office = both.emulator.user(telegram_bot, first_name="Meldestelle", username="ms_amt")
    invitation = await both.runtime.handoff.invite(
        "Landratsamt Musterland", ["SN"], ["assault"], ["14999"], "meldestelle"
    )
    office.send_text(f"/registrieren {invitation}")
    await both.telegram_sees(office, "registriert")

    anna = await make_user("anna")
    room = await anna.create_room([both_bot_user(both)], encrypted=True)
    await anna.turn(room)
    await anna.send(room, "/start uebergriff")
    question = (await anna.turn(room))[-1]
    for label in (*TO_REPORT, *ANSWERS):
        await anna.send(room, labelled(question, label))
        question = (await anna.turn(room))[-1]
    notice = await both.telegram_sees(office, "Neue Meldung")
    code = CODE.search(notice.text)
    assert code is not None and "Kfz-Zulassung" in notice.text
    office.send_text(f"/bestaetigen {code.group()}")
    await both.telegram_sees(office, "ist bestätigt")
    await until(anna, room, "Ihre Meldung wurde von der Meldestelle bestätigt.")
    assert anna.user_id not in notice.text and room not in notice.text


async def test_contact_details_typed_at_once_reach_the_meldestelle_after_the_report(
    both: Both, telegram_bot, make_user
):
    """The employee types how to reach them as soon as the report is sent: on Synapse the
    Meldestelle gets the report first and the details after it (bot/handoff/report_relays.py)."""
    office, room = await matrix_meldestelle(both, make_user)

    anna = both.emulator.user(telegram_bot, first_name="Anna", username="anna_amt")
    anna.send_text("/start uebergriff")
    await both.telegram_sees(anna, "Ist die Person noch da")
    for label in (*TO_REPORT, *ANSWERS[:5], "Ja"):  # contact wanted
        await tap(both, anna, label)
    consent = next(m for m in reversed(anna.received) if "Ja, senden" in anna.current(m).labels)
    anna.press(consent, "Ja, senden")
    anna.send_text("Durchwahl 0351 4711-99")  # at once: the bot gets both in one poll
    await both.telegram_sees(anna, "weitergereicht")
    got = await until(office, room, "erreichbar")
    assert "4711-99" in got[-1].body
    assert any("Neue Meldung" in m.body for m in got[:-1]), [m.body for m in got]


async def matrix_meldestelle(both: Both, make_user) -> tuple[UserClient, str]:
    """A Meldestelle for the Landkreis on Matrix (a verified device: contacts write from one,
    T12), registered in an encrypted room with the bot: the account and the room."""
    office = await make_user("meldestelle")
    await office.cross_sign()
    invitation = await both.runtime.handoff.invite(
        "Landratsamt Musterland", ["SN"], ["assault"], ["14999"], "meldestelle"
    )
    room = await office.create_room([both_bot_user(both)], encrypted=True)
    await office.turn(room)
    await office.send(room, f"/registrieren {invitation}")
    await until(office, room, "registriert")
    return office, room


def both_bot_user(both: Both) -> str:
    """The Matrix id of the bot (the transport registered under "matrix")."""
    deliver = both.runtime.handoff.channels["matrix"]
    transport = getattr(deliver, "__self__", None)
    user_id = getattr(transport, "user_id", None)
    assert isinstance(user_id, str), transport
    return user_id
