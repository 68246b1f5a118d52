"""A survey's results: the marginal of each question, shown only when at least k participants
answered that question (no cross-tabulation, no per-participant view), as text, JSON and the
HTML section of the Lagebild report.

Why per question: people may stop after any question, so each question has its own number of
answers; a question answered by fewer than k shows no counts at all (not even its number of
answers), so nobody can tell from a small group who chose what. Results are shown only for a
closed survey (:func:`bot.survey.admin.results`): looking at the counts after every new
participant would reveal each one's answers by subtraction.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.ports import SurveyCount, SurveyRecord
from bot.survey.model import Text

#: The smallest k ever used, whatever the setting says.
MIN_K = 3


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """One answer's count (None: its question is suppressed)."""

    id: str
    label: Text
    count: int | None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """A question's marginal; ``answered`` is None when fewer than k answered it."""

    id: str
    text: Text
    answered: int | None
    answers: tuple[AnswerResult, ...]


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """The results of one survey under the rule "at least k per question"."""

    id: str
    name: str
    title: Text
    opened_at: int
    closed_at: int | None
    k: int
    questions: tuple[QuestionResult, ...]

    @property
    def participants(self) -> int | None:
        """How many answered the first question (everyone who took part), or None below k."""
        return self.questions[0].answered if self.questions else None


def effective_k(k: int) -> int:
    """k, never below :data:`MIN_K`."""
    return max(k, MIN_K)


def marginals(record: SurveyRecord, counts: Sequence[SurveyCount], k: int) -> SurveyResults:
    """The results of a survey from its counts; questions below k are suppressed."""
    k = effective_k(k)
    table = {(c.question, c.answer): c.count for c in counts}
    questions: list[QuestionResult] = []
    for qi, question in enumerate(record.survey.questions):
        per_answer = [table.get((qi, ai), 0) for ai in range(len(question.answers))]
        shown = sum(per_answer) >= k
        questions.append(
            QuestionResult(
                question.id,
                question.text,
                sum(per_answer) if shown else None,
                tuple(
                    AnswerResult(a.id, a.label, n if shown else None)
                    for a, n in zip(question.answers, per_answer, strict=True)
                ),
            )
        )
    return SurveyResults(
        record.id,
        record.survey.name,
        record.survey.title,
        record.opened_at,
        record.closed_at,
        k,
        tuple(questions),
    )


def _day(at: int | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, UTC).date().isoformat()


def to_json(results: SurveyResults) -> str:
    """The results as JSON: a suppressed question has ``answered`` and every ``count`` null."""
    return json.dumps(
        {
            "id": results.id,
            "survey": results.name,
            "title": results.title.de,
            "opened": _day(results.opened_at),
            "closed": _day(results.closed_at) or None,
            "k": results.k,
            "participants": results.participants,
            "questions": [
                {
                    "id": q.id,
                    "text": q.text.de,
                    "answered": q.answered,
                    "answers": [
                        {"id": a.id, "label": a.label.de, "count": a.count} for a in q.answers
                    ],
                }
                for q in results.questions
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def _percent(count: int, total: int) -> str:
    return f"{round(100 * count / total)} %" if total else "–"


def to_text(results: SurveyResults, locale: str = "de") -> str:
    """The results as plain text for the terminal (German by default, or English)."""
    en = locale == "en"
    lines = [
        f"{results.title.of(locale)} ({results.id})",
        ("opened " if en else "geöffnet ")
        + _day(results.opened_at)
        + (
            f", {'closed' if en else 'beendet'} {_day(results.closed_at)}"
            if results.closed_at
            else ""
        ),
        (
            f"Shown only where at least {results.k} answered a question."
            if en
            else f"Gezeigt nur, wo mindestens {results.k} Personen eine Frage beantwortet haben."
        ),
    ]
    for number, q in enumerate(results.questions, 1):
        lines.append("")
        lines.append(f"{number}. {q.text.of(locale)}")
        if q.answered is None:
            lines.append(
                f"   fewer than {results.k} answers: not shown"
                if en
                else f"   weniger als {results.k} Antworten: nicht angezeigt"
            )
            continue
        lines.append(f"   {q.answered} {'answers' if en else 'Antworten'}")
        width = max(len(a.label.of(locale)) for a in q.answers)
        for a in q.answers:
            count = a.count or 0
            lines.append(
                f"   {a.label.of(locale):<{width}}  {count:>5}  {_percent(count, q.answered):>5}"
            )
    return "\n".join(lines) + "\n"


def survey_section(results: Sequence[SurveyResults], lang: str = "de", heading: bool = True) -> str:
    """The report's section on the anonymous surveys as self-contained HTML (escaped; a bar
    per answer drawn with CSS widths, no script, no external resource); empty without surveys.
    ``heading=False`` leaves out the section's own ``<h2>`` (for a report that titles it)."""
    if not results:
        return ""
    en, esc = lang == "en", html.escape
    k = results[0].k
    parts = ['<section class="surveys">']
    if heading:
        parts.append(f"<h2>{'Anonymous surveys' if en else 'Anonyme Befragungen'}</h2>")
    parts.append(
        f"<p>Results of closed surveys; a question only where at least {k} people answered it. "
        "Answers are not linked to each other and no single answer is kept.</p>"
        if en
        else f"<p>Ergebnisse beendeter Befragungen, je Frage nur, wenn mindestens {k} Personen "
        "sie beantwortet haben. Die Antworten sind nicht miteinander verknüpft, und keine "
        "einzelne Antwort wird aufbewahrt.</p>"
    )
    for r in results:
        period = f"{_day(r.opened_at)} {'to' if en else 'bis'} {_day(r.closed_at)}"
        parts.append(f"<article><h3>{esc(r.title.of(lang))}</h3><p>{esc(period)}</p>")
        for q in r.questions:
            parts.append(f"<h4>{esc(q.text.of(lang))}</h4>")
            if q.answered is None:
                parts.append(
                    f"<p>{'Fewer than' if en else 'Weniger als'} {r.k} "
                    f"{'answers: not shown' if en else 'Antworten: nicht angezeigt'}.</p>"
                )
                continue
            parts.append(
                f"<table><caption>{q.answered} {'answers' if en else 'Antworten'}</caption>"
            )
            for a in q.answers:
                count = a.count or 0
                share = round(100 * count / q.answered) if q.answered else 0
                parts.append(
                    f"<tr><th>{esc(a.label.of(lang))}</th><td>{count}</td>"
                    f'<td><span class="bar" style="display:inline-block;height:0.8em;'
                    f'background:#3b6ea5;width:{share * 2}px"></span> {share} %</td></tr>'
                )
            parts.append("</table>")
        parts.append("</article>")
    parts.append("</section>")
    return "\n".join(parts)


__all__ = [
    "MIN_K",
    "AnswerResult",
    "QuestionResult",
    "SurveyResults",
    "effective_k",
    "marginals",
    "survey_section",
    "to_json",
    "to_text",
]
