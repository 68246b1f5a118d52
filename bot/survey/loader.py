"""Read a survey file: the schema check (file:line:column, "did you mean"), the rules a schema
cannot say (unique ids, button lengths, English present), and the frozen :class:`Survey`."""

from __future__ import annotations

from pathlib import Path

from bot.errors import Problem
from bot.flow.loader import display_name
from bot.flow.schema import Checker, ListOf, Obj, Str, ident
from bot.flow.yamlsafe import YMap, YNode, YSeq, parse_file, text_of
from bot.survey.model import Answer, Question, Survey, Text

#: Telegram shows about this many characters on a button before it cuts the label.
MAX_LABEL = 60
MAX_QUESTIONS = 20
MAX_ANSWERS = 9

_TEXT = Str(what="a text", min_length=1)
TEXT = Obj({"de": _TEXT, "en": _TEXT}, ("de",), "text in German and English")
ANSWER = Obj({"id": ident("an answer id"), "label": TEXT}, ("id", "label"), "answer")
QUESTION = Obj(
    {"id": ident("a question id"), "text": TEXT, "answers": ListOf(ANSWER, 2, "answer")},
    ("id", "text", "answers"),
    "question",
)
SURVEY_FILE = Obj(
    {
        "id": ident("a survey id"),
        "title": TEXT,
        "intro": TEXT,
        "questions": ListOf(QUESTION, 1, "question"),
    },
    ("id", "title", "questions"),
    "survey",
)


def _text(node: YNode | None) -> Text:
    assert isinstance(node, YMap)
    en = node.get("en")
    return Text(text_of(node.get("de")).strip(), text_of(en).strip() if en is not None else "")


def _rules(tree: YMap) -> list[Problem]:
    """What the schema cannot say: ids unique, sizes, labels short, English given."""
    found: list[Problem] = []

    def check_text(node: YNode | None, what: str, limit: int = 0) -> None:
        assert isinstance(node, YMap)
        if node.get("en") is None:
            found.append(
                Problem(
                    node.loc, f"{what} has no English text (en:); English shows German", "warning"
                )
            )
        for lang in ("de", "en"):
            value = node.get(lang)
            if limit and value is not None and len(text_of(value)) > limit:
                found.append(Problem(value.loc, f"{what} is longer than {limit} characters"))

    check_text(tree.get("title"), "the title")
    if tree.get("intro") is not None:
        check_text(tree.get("intro"), "the intro")
    questions = tree.get("questions")
    assert isinstance(questions, YSeq)
    if len(questions.items) > MAX_QUESTIONS:
        found.append(Problem(questions.loc, f"a survey has at most {MAX_QUESTIONS} questions"))
    seen: set[str] = set()
    for question in questions.items:
        assert isinstance(question, YMap)
        qid = question.get("id")
        assert qid is not None
        if text_of(qid) in seen:
            found.append(Problem(qid.loc, f"question id '{text_of(qid)}' is used twice"))
        seen.add(text_of(qid))
        check_text(question.get("text"), f"question '{text_of(qid)}'")
        answers = question.get("answers")
        assert isinstance(answers, YSeq)
        if len(answers.items) > MAX_ANSWERS:
            found.append(Problem(answers.loc, f"a question has at most {MAX_ANSWERS} answers"))
        ids: set[str] = set()
        for answer in answers.items:
            assert isinstance(answer, YMap)
            aid = answer.get("id")
            assert aid is not None
            if text_of(aid) in ids:
                found.append(Problem(aid.loc, f"answer id '{text_of(aid)}' is used twice"))
            ids.add(text_of(aid))
            check_text(answer.get("label"), f"answer '{text_of(aid)}'", MAX_LABEL)
    return found


def build_survey(tree: YMap) -> Survey:
    """The survey of a tree that passed the checks."""
    questions = tree.get("questions")
    assert isinstance(questions, YSeq)
    built: list[Question] = []
    for q in questions.items:
        assert isinstance(q, YMap)
        answers = q.get("answers")
        assert isinstance(answers, YSeq)
        built.append(
            Question(
                text_of(q.get("id")),
                _text(q.get("text")),
                tuple(
                    Answer(text_of(a.get("id")), _text(a.get("label")))
                    for a in answers.items
                    if isinstance(a, YMap)
                ),
            )
        )
    intro = tree.get("intro")
    return Survey(
        name=text_of(tree.get("id")),
        title=_text(tree.get("title")),
        questions=tuple(built),
        intro=_text(intro) if intro is not None else None,
    )


def load_survey(path: Path) -> tuple[Survey | None, list[Problem]]:
    """Load one survey file: the survey (None if it has errors) and every problem."""
    tree, problems = parse_file(path, display_name(path))
    if tree is None:
        return None, problems
    checker = Checker()
    checker.check(tree, SURVEY_FILE, "survey")
    reported = {p.location for p in problems}
    problems.extend(p for p in checker.problems if p.location not in reported)
    if checker.problems or not isinstance(tree, YMap):
        return None, problems
    problems.extend(_rules(tree))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return build_survey(tree), problems


def survey_files(*directories: Path | None) -> list[Path]:
    """The survey files (``.yaml``, ``.yml``) of the directories that exist, sorted."""
    found: list[Path] = []
    for directory in directories:
        if directory is not None and directory.is_dir():
            found.extend(sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")))
    return found


__all__ = ["SURVEY_FILE", "build_survey", "load_survey", "survey_files"]
