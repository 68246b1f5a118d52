"""The one typed-answer matcher."""

from __future__ import annotations

import pytest

from bot.engine.intent import match_answer

LABELS = ["Drohung erhalten", "Hass im Netz", "Drohbrief", "🆘 Akute Gefahr: Notruf 110"]


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("1", 0),
        (" 2 ", 1),
        ("4.", 3),
        ("Hass im Netz", 1),
        ("hass   IM netz!", 1),
        ("Hass im Netz?", 1),
        ("3)", 2),
        ("hass", 1),  # a unique beginning of three letters or more
        ("Droh", None),  # two labels begin so
        ("Dr", None),  # too short
        ("Drohbr", 2),
        ("5", None),
        ("0", None),
        ("¹", None),  # a digit int() refuses
        ("", None),
        ("etwas ganz anderes", None),
    ],
)
def test_typed_answers(typed: str, index: int | None) -> None:
    assert match_answer(typed, LABELS) == index


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("1", 0),
        ("1.", 0),
        ("hass im netz", 1),
        ("Hass im Netz.", 1),
        ("Hass im Netz!", None),  # relayed to the contact person, not taken for an answer
        ("hass", None),
        ("2)", None),
    ],
)
def test_strict_matching_in_an_open_case(typed: str, index: int | None) -> None:
    assert match_answer(typed, LABELS, strict=True) == index


def test_only_the_start_of_a_long_text_is_read() -> None:
    assert match_answer("1" + " " * 2000 + "x", LABELS) == 0
