"""The conversation mode as the text stored in the ``conversations.mode`` column.

The column keeps the strings of older versions, so existing databases go on working: ``""`` (a
flow question is open), ``language``, ``suggest:<flow>,<flow>``, ``consent`` and ``case:<code>``
(``case:<code>:<confirm>`` while the end of a case waits for a yes), ``region`` (the local
layer's region question after the Land), ``survey:<code>:<question>``, and
``report:<question>:<name>=<value>,...`` (the Übergriff report's fixed-choice answers).
Only the store's encoding and decoding use these strings; the engine sees :data:`Mode` values.
"""

from __future__ import annotations

from bot.engine.state import (
    AT_NODE,
    ChoosingLanguage,
    ChoosingRegion,
    Consenting,
    InCase,
    InSurvey,
    Mode,
    Reporting,
    Suggesting,
)

_LANGUAGE = "language"
_CONSENT = "consent"
_SUGGEST = "suggest:"
_CASE = "case:"
_REGION = "region"
_SURVEY = "survey:"
_REPORT = "report:"


def mode_text(mode: Mode) -> str:
    """The stored text of a mode."""
    match mode:
        case ChoosingLanguage():
            return _LANGUAGE
        case Consenting():
            return _CONSENT
        case ChoosingRegion():
            return _REGION
        case Suggesting(flows=flows):
            return _SUGGEST + ",".join(flows)
        case InCase(code=code, confirm=confirm):
            return _CASE + code + (f":{confirm}" if confirm else "")
        case InSurvey(survey=survey, question=question):
            return f"{_SURVEY}{survey}:{question}"
        case Reporting(question=question, answers=answers):
            return f"{_REPORT}{question}:" + ",".join(f"{k}={v}" for k, v in answers)
    return ""


def parse_mode(text: str) -> Mode:
    """The mode of a stored text; anything unknown (or empty) is the open flow question."""
    if text == _LANGUAGE:
        return ChoosingLanguage()
    if text == _CONSENT:
        return Consenting()
    if text == _REGION:
        return ChoosingRegion()
    if text.startswith(_SUGGEST) and text != _SUGGEST:
        return Suggesting(tuple(text.removeprefix(_SUGGEST).split(",")))
    if text.startswith(_CASE) and text != _CASE:
        code, _, confirm = text.removeprefix(_CASE).partition(":")
        return InCase(code, confirm)
    if text.startswith(_SURVEY):
        survey, _, question = text.removeprefix(_SURVEY).partition(":")
        if survey and question.isdigit():
            return InSurvey(survey, int(question))
    if text.startswith(_REPORT):
        question, _, rest = text.removeprefix(_REPORT).partition(":")
        pairs = (p.partition("=") for p in rest.split(",") if p)
        answers = tuple((k, v) for k, sep, v in pairs if sep)
        if question:
            return Reporting(question, answers)
    return AT_NODE
