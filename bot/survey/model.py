"""A survey as the engine sees it: frozen, pure, with its texts in German and English.

A survey is a deployment's short-lived artefact, registered in the database by
``beistand survey open`` and read back by the running bot, so its texts travel with it (German,
and English where the file gives it) instead of living in the shipped catalogs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: The language every text has.
SOURCE = "de"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in German and, if given, English (``en`` empty: English readers see German)."""

    de: str
    en: str = ""

    def of(self, locale: str) -> str:
        """The text in ``locale``, German if there is none."""
        return self.en if locale == "en" and self.en else self.de


@dataclass(frozen=True, slots=True)
class Answer:
    """One fixed answer of a question."""

    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    """A question with fixed answers (like a choice node)."""

    id: str
    text: Text
    answers: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class Survey:
    """A survey: ``name`` is the id written in the file, ``questions`` in order."""

    name: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None

    def to_json(self) -> str:
        """The form stored in the database (the file's content, never an answer)."""

        def text(t: Text) -> dict[str, str]:
            return {"de": t.de, "en": t.en}

        return json.dumps(
            {
                "name": self.name,
                "title": text(self.title),
                "intro": text(self.intro) if self.intro else None,
                "questions": [
                    {
                        "id": q.id,
                        "text": text(q.text),
                        "answers": [{"id": a.id, "label": text(a.label)} for a in q.answers],
                    }
                    for q in self.questions
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> Survey:
        """The survey of :meth:`to_json`."""
        data = json.loads(raw)

        def text(d: dict[str, str]) -> Text:
            return Text(str(d["de"]), str(d.get("en") or ""))

        return cls(
            name=str(data["name"]),
            title=text(data["title"]),
            intro=text(data["intro"]) if data.get("intro") else None,
            questions=tuple(
                Question(
                    str(q["id"]),
                    text(q["text"]),
                    tuple(Answer(str(a["id"]), text(a["label"])) for a in q["answers"]),
                )
                for q in data["questions"]
            ),
        )


@dataclass(frozen=True, slots=True)
class SurveyContext:
    """What the runtime knows about the survey a step concerns (read before the step).

    ``id`` the registered survey's code; ``survey`` its questions, None if no open survey has
    that code (unknown, or closed meanwhile); ``voted`` whether this participant's keyed hash
    is already stored (they answered before); ``closed`` the questions of a survey closed
    meanwhile (so that its emergency button still works)."""

    id: str
    survey: Survey | None
    voted: bool = False
    closed: Survey | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One answer to count: question ``question`` of survey ``survey``, answer ``answer``."""

    survey: str
    question: int
    answer: int


__all__ = ["SOURCE", "Answer", "Question", "Survey", "SurveyAnswer", "SurveyContext", "Text"]
