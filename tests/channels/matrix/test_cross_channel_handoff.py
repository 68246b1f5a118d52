"""Handoff across channels: one runtime serving Telegram (through the Bot API emulator) and
Matrix (through a real Synapse) at once, as ``beistand run`` does. A user on one platform, the
contact person on the other: consent, notification, claim, relay both ways, close. Fixture
content (``tests/fixtures/basic``), the real runtime, store and transports.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from testbed.telegram_emulator import RateLimits
from testbed.userclient import until
from tests.channels.matrix.cross import LIMITS, Both, labelled, serve_both, tap
from tests.conftest import basic_paths

pytestmark = pytest.mark.channel
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{2}")


@pytest.fixture
def telegram_limits() -> RateLimits:
    return LIMITS


@pytest.fixture
async def both(
    tmp_path, telegram_emulator, telegram_bot, start_channel, register, make_bot
) -> AsyncIterator[Both]:
    async with serve_both(
        basic_paths(), tmp_path / "cross.db", telegram_emulator, start_channel, register, make_bot
    ) as served:
        yield served


async def test_telegram_user_and_matrix_contact(both: Both, telegram_bot, make_user):
    erika = await make_user("erika")
    await erika.cross_sign()  # contact persons write from a verified device (T12)
    assert set(both.runtime.handoff.channels) == {"telegram", "matrix"}
    invitation = await both.runtime.handoff.invite("Erika Beispiel", ["BY"], ["threat"])
    room = await erika.create_room([both_bot_user(both)], encrypted=True)
    await erika.turn(room)
    await erika.send(room, f"/registrieren {invitation}")
    await until(erika, room, "registriert")

    max_ = both.emulator.user(telegram_bot, first_name="Max", username="max_buerger")
    max_.send_text("/start demo")
    await both.telegram_sees(max_, "Wie kam die Drohung?")
    await tap(both, max_, "Online")
    await both.telegram_sees(max_, "Welches Bundesland?")
    await tap(both, max_, "Bayern")
    await both.telegram_sees(max_, "Weiter?")
    await tap(both, max_, "Online-Hinweis")
    consent = await both.telegram_sees(max_, "Kein Name, kein Text, kein Konto")
    assert "Land: Bayern" in consent.text
    await tap(both, max_, "Ja, über diesen Chat weitergeben")

    notice = (await until(erika, room, "Neuer Fall"))[-1]
    assert notice.encrypted
    code = CODE.search(notice.body)
    assert code is not None
    await erika.send(room, f"/uebernehmen {code.group()}")
    await until(erika, room, "übernommen")
    await both.telegram_sees(max_, "Eine Ansprechperson hat Ihren Fall")

    max_.send_text("Guten Tag, ich brauche Rat.")
    relayed = (await until(erika, room, "Guten Tag, ich brauche Rat."))[-1]
    assert relayed.body.startswith(f"[{code.group()}]")
    await erika.send(room, "Hier ist Ihre Ansprechperson.")
    answer = await both.telegram_sees(max_, "Hier ist Ihre Ansprechperson.")
    assert answer.text.startswith("💬 Ansprechperson:")

    await erika.send(room, f"/abschliessen {code.group()}")
    await until(erika, room, "abgeschlossen")
    await both.telegram_sees(max_, f"Ihr Fall {code.group()} ist abgeschlossen")

    seen_by_erika = "\n".join(m.body for m in await erika.silence(room, 0.3)) + relayed.body
    for secret in ("Max", "max_buerger", str(max_.id)):
        assert secret not in seen_by_erika
    assert erika.user_id not in "\n".join(m.text for m in max_.received)


async def test_matrix_user_and_telegram_contact(both: Both, telegram_bot, make_user):
    erika = both.emulator.user(telegram_bot, first_name="Erika", username="erika_kontakt")
    invitation = await both.runtime.handoff.invite("Erika Beispiel", ["DE"], ["all"])
    erika.send_text(f"/registrieren {invitation}")
    await both.telegram_sees(erika, "registriert")

    max_ = await make_user("max")
    room = await max_.create_room([both_bot_user(both)], encrypted=True)
    await max_.turn(room)
    await max_.send(room, "/start demo")
    question = (await max_.turn(room))[-1]
    await max_.send(room, labelled(question, "Online"))
    question = (await max_.turn(room))[-1]
    await max_.send(room, "Keine Angabe")
    question = (await max_.turn(room))[-1]
    await max_.send(room, labelled(question, "Online-Hinweis"))
    consent = (await max_.turn(room))[-1]
    assert "Land: Keine Angabe" in consent.body
    await max_.send(room, labelled(consent, "über diesen Chat"))

    notice = await both.telegram_sees(erika, "Neuer Fall")
    assert notice.labels == ("Übernehmen",)
    await tap(both, erika, "Übernehmen")
    await both.telegram_sees(erika, "Sie haben Fall")
    await until(max_, room, "übernommen")

    await max_.send(room, "Hallo, hier ist die Person mit dem Fall.")
    relayed = await both.telegram_sees(erika, "Hallo, hier ist die Person mit dem Fall.")
    erika.send_text("Danke, ich bin für Sie da.")
    answer = (await until(max_, room, "Danke, ich bin für Sie da."))[-1]
    assert answer.encrypted

    await max_.send(room, "/loeschen")
    await until(max_, room, "gelöscht")
    await both.telegram_sees(erika, "zurückgezogen")

    assert max_.user_id not in relayed.text and room not in relayed.text
    assert "Erika" not in answer.body and str(erika.id) not in answer.body


def both_bot_user(both: Both) -> str:
    """The Matrix id of the bot (the transport registered under "matrix")."""
    deliver = both.runtime.handoff.channels["matrix"]
    transport = getattr(deliver, "__self__", None)
    user_id = getattr(transport, "user_id", None)
    assert isinstance(user_id, str), transport
    return user_id
