"""A survey answered over Telegram: the real channel against the Bot API emulator, the real
runtime and SQLite store; the deep link's /start payload, buttons tapped, once per account."""

from __future__ import annotations

import pytest

from bot.survey.admin import close_survey, open_survey
from bot.survey.loader import load_survey
from tests.channels.test_telegram_flows import (  # noqa: F401 - fixtures of the flow tests
    ROOT,
    act,
    make_bot,
    shipped,
    telegram_limits,
)

pytestmark = pytest.mark.channel


async def test_a_survey_is_answered_by_tapping_and_only_once(
    make_bot,  # noqa: F811 - the fixture imported above
    telegram_emulator,
    telegram_bot,
):
    bot = await make_bot()
    survey, _ = load_survey(ROOT / "surveys" / "saalbefragung.yaml")
    assert survey is not None
    code = await open_survey(bot.store, survey, 1_000)
    user = telegram_emulator.user(telegram_bot, language_code="de")
    # what Telegram sends when t.me/<bot>?start=survey-<code> is opened
    reply = await act(bot, user, "de", "start", f"survey-{code}")
    assert "Umfrage: Anonyme Befragung" in reply.text
    chosen = ["Ja, einmal", "Brief oder E-Mail", "Nein", "Ich bin unsicher"]
    for number, label in enumerate(chosen, 1):
        assert f"Frage {number} von 4" in reply.text
        assert reply.labels[-2:] == ["Umfrage verlassen", "🆘 Akute Gefahr: Notruf 110"]
        reply = await act(bot, user, "de", "tap", label)
    assert "Vielen Dank" in reply.text
    counts = {(c.question, c.answer): c.count for c in await bot.store.survey_counts(code)}
    assert counts == {(0, 1): 1, (1, 1): 1, (2, 3): 1, (3, 1): 1}
    assert await bot.store.survey_voters(code) == 1
    again = await act(bot, user, "de", "start", f"survey-{code}")
    assert "bereits teilgenommen" in again.text
    typed = await act(bot, user, "de", "send", f"/umfrage {code}")
    assert "bereits teilgenommen" in typed.text
    # an English participant: texts from the file's en: part, 110 typed mid-survey
    other = telegram_emulator.user(telegram_bot, language_code="en")
    reply = await act(bot, other, "en", "start", f"survey-{code}")
    assert "In the last 12 months" in reply.text
    reply = await act(bot, other, "en", "command", "emergency")
    assert "110" in reply.text and "Question 1 of 4" in reply.text
    await close_survey(bot.store, code, 2_000)
    assert await bot.store.survey_voters(code) == 0
    late = await act(bot, other, "en", "tap", "Yes, once")
    assert "closed meanwhile" in late.text
    assert len(await bot.store.survey_counts(code)) == 4
