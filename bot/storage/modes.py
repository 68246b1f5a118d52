"""The conversation mode as the text stored in the ``conversations.mode`` column.

The column keeps the strings of older versions, so existing databases go on working: ``""`` (a
flow question is open), ``language``, ``suggest:<flow>,<flow>``, ``consent`` and ``case:<code>``.
Only the store's encoding and decoding use these strings; the engine sees :data:`Mode` values.
"""

from __future__ import annotations

from bot.engine.state import AT_NODE, ChoosingLanguage, Consenting, InCase, Mode, Suggesting

_LANGUAGE = "language"
_CONSENT = "consent"
_SUGGEST = "suggest:"
_CASE = "case:"


def mode_text(mode: Mode) -> str:
    """The stored text of a mode."""
    match mode:
        case ChoosingLanguage():
            return _LANGUAGE
        case Consenting():
            return _CONSENT
        case Suggesting(flows=flows):
            return _SUGGEST + ",".join(flows)
        case InCase(code=code):
            return _CASE + code
    return ""


def parse_mode(text: str) -> Mode:
    """The mode of a stored text; anything unknown (or empty) is the open flow question."""
    if text == _LANGUAGE:
        return ChoosingLanguage()
    if text == _CONSENT:
        return Consenting()
    if text.startswith(_SUGGEST) and text != _SUGGEST:
        return Suggesting(tuple(text.removeprefix(_SUGGEST).split(",")))
    if text.startswith(_CASE) and text != _CASE:
        return InCase(text.removeprefix(_CASE))
    return AT_NODE
