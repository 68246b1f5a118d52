"""Recognising what free text is about, without keeping it.

Acute danger is recognised by a conservative list of German and English phrases: a false alarm
only shows the emergency guidance, a miss could cost more. The phrases are looked for twice: in
the text as typed (so every phrase that worked before still works) and in the text with its
words folded (case, umlauts, ß, letters held down) and typos corrected towards a small list of
danger words ("bedrot wordn" reads as "bedroht worden"). Topic words come from each flow's
``keywords``, in every language whatever the session's, matched as word starts on folded words
and, for words of five letters or more, with one or two typos (:mod:`rapidfuzz`). Nothing here
stores or logs the text. The rules are described in ``docs/matcher.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Only the start of a long text is looked at: answers and danger words come early, and a
#: 64 KiB message must not cost more than a short one.
SCAN_CHARS = 1000

_DANGER_PATTERNS = (
    # German
    r"notfall",
    r"notruf",
    r"hilfe+\b",
    r"\bsos\b",
    r"(akut\w*|unmittelbar\w*|gro(ss|ß)e\w*)\s+gefahr",
    r"\bin\s+gefahr",
    r"werde\s+(gerade\s+|jetzt\s+)?(bedroht|angegriffen|verfolgt|geschlagen)",
    r"(bedroht|bedrohen|verfolgt|schlägt|schlaegt|greift)\s+mich",
    r"(steht|stehen|ist|sind|wartet|warten)\s+(\w+\s+)?vor\s+(der|meiner|unserer)\s+(tür|tuer|haustür|haustuer|wohnung)",
    r"vor\s+(meinem|unserem|dem)\s+(haus|büro|buero|rathaus)",
    r"\b(messer|waffe|pistole)\b",
    r"angegriffen",
    r"\bbrennt\b",
    # English
    r"\bhelp\b",
    r"emergency",
    r"\bdanger\b",
    r"being\s+(threatened|attacked|followed)",
    r"(threatening|attacking|following|hitting)\s+me",
    r"(at|outside)\s+(my|the|our)\s+(door|house|home|office)",
    r"\b(knife|gun|weapon)\b",
    r"\bpolice\b",
)
_DANGER = re.compile("|".join(f"(?:{p})" for p in _DANGER_PATTERNS))


def normalize(text: str) -> str:
    """Casefold, drop zero-width and control characters, collapse white space (looking at the
    first :data:`SCAN_CHARS` characters only)."""
    head = unicodedata.normalize("NFC", text[:SCAN_CHARS])
    if not head.isprintable():  # printable text has no character of category C: skip the scan
        head = "".join(ch for ch in head if unicodedata.category(ch)[0] != "C")
    return " ".join(head.casefold().split())


#: Phrases looked for in the folded, corrected words only (umlauts as ae/oe/ue, ß as ss):
#: perfect-tense threats, threats to kill, and English threats to kill or hurt.
_FOLDED_DANGER_PATTERNS = (
    r"\b(bin|sind)\s+(\w+\s+){0,4}?bedroht\b",
    r"\b(mich|uns|dich|mir|meine\w*|unsere\w*)\s+(\w+\s+){0,3}?"
    r"(umbringen|umzubringen|toeten|abstechen|erstechen|erschiessen|abknallen|kaltmachen)\b",
    r"\b(umbringen|toeten|abstechen|erstechen|erschiessen|abknallen)\s+(\w+\s+){0,2}?"
    r"(mich|uns|dich)\b",
    r"\b(kill|murder|stab|shoot|hurt)\s+(me|us|my|our)\b",
    r"\b(wants?|going|gonna|threaten\w*|tried|tries|trying|will)\s+to\s+"
    r"(kill|murder|stab|shoot|hurt)\b",
)
_FOLDED_DANGER = re.compile(
    "|".join(f"(?:{p})" for p in (*_DANGER_PATTERNS, *_FOLDED_DANGER_PATTERNS))
)

#: Danger words a typed word is corrected towards (folded). Only words of six letters or more:
#: short ones ("messer", "hilfe", "waffe") sit one typo away from everyday words ("besser",
#: "helfe", "waffel") and are matched exactly only.
DANGER_WORDS = (
    "notfall", "notruf", "gefahr", "bedroht", "bedrohen", "angegriffen", "verfolgt",
    "geschlagen", "schlaegt", "haustuer", "wohnung", "worden", "gerade", "umbringen",
    "umzubringen", "abstechen", "erstechen", "erschiessen", "abknallen", "kaltmachen",
    "emergency", "danger", "threatened", "attacked", "followed", "threatening", "attacking",
    "following", "hitting", "murder",
)  # fmt: skip


def is_danger(text: str) -> bool:
    """Whether free text suggests acute danger."""
    normalized = normalize(text)
    if _DANGER.search(normalized):
        return True
    found = folded_words(normalized)
    fixes = {w: _corrected(w) for w in set(found)}  # per call only: no text is kept
    corrected = " ".join(fixes[w] for w in found)
    return bool(_FOLDED_DANGER.search(corrected))


def _corrected(word: str) -> str:
    if len(word) < 5 or word in _DANGER_SET:
        return word
    found = process.extractOne(word, DANGER_WORDS, scorer=OSA.distance, score_cutoff=1)
    return found[0] if found is not None else word


_DANGER_SET = frozenset(DANGER_WORDS)

# ---------------------------------------------------------------- folding and topic words

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_HELD = re.compile(r"(\w)\1{2,}")


def fold(normalized: str) -> str:
    """Normalized text folded for matching: umlauts as ae/oe/ue, ß as ss, other accents
    dropped, a letter held down three times or more ("hilfeeee") kept twice."""
    text = normalized.translate(_FOLD)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _HELD.sub(r"\1\1", text)


def folded_words(normalized: str) -> list[str]:
    """The folded words of normalized text."""
    return _NON_WORD.sub(" ", fold(normalized)).split()


#: A near miss (for the guesses after "not understood") differs in at most this share of letters.
NEAR_SHARE = 0.3


def _allowed(length: int) -> int:
    """Typos tolerated in a keyword of this length: none below five letters."""
    return 0 if length < 5 else 1 if length < 8 else 2


@dataclass(frozen=True, slots=True)
class _Index:
    """The keywords of some topics, folded, for :func:`rank_topics`."""

    topics: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]  # (id, keywords as words)
    by_length: dict[int, tuple[str, ...]]  # every keyword word, by its length


@lru_cache(maxsize=32)
def _index(topics: tuple[tuple[str, tuple[str, ...]], ...]) -> _Index:
    prepared: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    every: set[str] = set()
    for topic, keywords in topics:
        phrases = tuple(
            dict.fromkeys(
                tuple(folded_words(normalize(k))) for k in keywords if folded_words(normalize(k))
            )
        )
        prepared.append((topic, phrases))
        every.update(w for phrase in phrases for w in phrase)
    by_length: dict[int, list[str]] = {}
    for w in sorted(every):
        by_length.setdefault(len(w), []).append(w)
    return _Index(tuple(prepared), {n: tuple(ws) for n, ws in by_length.items()})


def _word_matches(word: str, index: _Index, near: bool) -> dict[str, float]:
    """The keyword words ``word`` begins with (1.0) or is one or two typos from (0.8); with
    ``near``, also the near misses (0.4, :data:`NEAR_SHARE`) for a "did you mean"."""
    found: dict[str, float] = {}
    for length, candidates in index.by_length.items():
        head = word[:length]
        if head in candidates:
            found[head] = 1.0
            continue
        allowed = _allowed(length)
        cutoff = max(allowed, int(length * NEAR_SHARE)) if near else allowed
        if not allowed or len(word) < length - cutoff:
            continue
        for cand, dist, _ in process.extract(
            head, candidates, scorer=OSA.distance, score_cutoff=cutoff, limit=None
        ):
            score = 0.8 if dist <= allowed else 0.4
            if found.get(cand, 0.0) < score:
                found[cand] = score
    return found


def rank_topics(
    text: str, topics: tuple[tuple[str, tuple[str, ...]], ...], *, near: bool = False
) -> list[tuple[float, str]]:
    """Topics (ids with their keywords, in any language) the text is about, best first, with
    their scores: each keyword found adds 1 (0.8 with a typo). With ``near``, keywords missed
    by one more typo count too, a little (0.4), for guesses when nothing fits."""
    index = _index(topics)
    words_ = folded_words(normalize(text))
    memo: dict[str, dict[str, float]] = {}
    for w in words_:
        if w not in memo:
            memo[w] = _word_matches(w, index, near)
    matched = [memo[w] for w in words_]
    anywhere: dict[str, float] = {}
    for found in memo.values():
        for w, score in found.items():
            anywhere[w] = max(anywhere.get(w, 0.0), score)
    ranked: list[tuple[float, str]] = []
    for topic, phrases in index.topics:
        score = 0.0
        for phrase in phrases:
            if len(phrase) == 1 or phrase[0] not in anywhere:
                score += anywhere.get(phrase[0], 0.0) if len(phrase) == 1 else 0.0
                continue
            score += max(
                (
                    min(matched[start + j].get(w, 0.0) for j, w in enumerate(phrase))
                    for start in range(len(matched) - len(phrase) + 1)
                    if phrase[0] in matched[start]
                ),
                default=0.0,
            )
        if score:
            ranked.append((round(score, 2), topic))
    ranked.sort(key=lambda s: -s[0])
    return ranked


_NON_WORD = re.compile(r"[^\w]+")


#: Shortest typed beginning of a label that may stand for the whole label.
MIN_PREFIX = 3


@lru_cache(maxsize=2048)
def _normalized_label(label: str) -> str:
    """A label normalized once: labels come from the content and the code, never from users."""
    return normalize(label)


def match_answer(text: str, labels: Sequence[str], *, strict: bool = False) -> int | None:
    """Which of the offered answers typed text means (its index), or None.

    An answer is chosen by its number (1 for the first), by its whole label (case, spacing and
    a trailing ``.``, ``!``, ``?`` or ``)`` do not matter) or by a unique beginning of its label
    of :data:`MIN_PREFIX` letters at least. ``strict`` is for an open case, where any other text
    is relayed to the contact person: only the number or the whole label (with at most a
    trailing ``.``) count, so a message is not taken for an answer by its first words.
    ``labels`` are the engine's own (content and code), never typed text: their normalized
    forms are kept in a small cache.
    """
    offered = [_normalized_label(label) for label in labels]
    typed = normalize(text).rstrip("." if strict else ".!?)")
    # isdecimal, not isdigit: int() refuses digits such as "¹" that isdigit() passes
    if typed.isdecimal() and 1 <= int(typed) <= len(offered):
        return int(typed) - 1
    if typed in offered:
        return offered.index(typed)
    if strict or len(typed) < MIN_PREFIX:
        return None
    prefixed = [i for i, label in enumerate(offered) if label.startswith(typed)]
    return prefixed[0] if len(prefixed) == 1 else None


#: Words of a place's name that say what kind of place it is, not which (dropped for matching).
PLACE_KINDS = frozenset(
    {"landkreis", "kreis", "stadt", "gemeinde", "markt", "grosse", "kreisstadt", "hansestadt",
     "stadtkreis", "district", "city", "town", "municipality", "of", "der", "die", "das"}
)  # fmt: skip


def match_place(text: str, names: Sequence[str]) -> int | None:
    """Which of the offered place names typed text means (its index), or None: the name's
    own words without their kind ("Musterland" for "Landkreis Musterland"), with a typo or two
    in longer words (:func:`_allowed`), or a unique beginning of :data:`MIN_PREFIX` letters."""
    typed = " ".join(w for w in folded_words(normalize(text)) if w not in PLACE_KINDS)
    if len(typed) < MIN_PREFIX:
        return None
    cores = [" ".join(w for w in folded_words(normalize(n)) if w not in PLACE_KINDS) for n in names]
    exact = [i for i, core in enumerate(cores) if core == typed]
    if len(exact) == 1:
        return exact[0]
    near = [
        i
        for i, core in enumerate(cores)
        if core.startswith(typed) or OSA.distance(core, typed) <= _allowed(len(core))
    ]
    return near[0] if len(near) == 1 else None
