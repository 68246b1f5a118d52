"""Recognising what free text is about, without keeping it.

Acute danger is recognised by a conservative list of German and English phrases: a false alarm
only shows the emergency guidance, a miss could cost more. Topic words come from each flow's
``keywords``. Nothing here stores or logs the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

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
    cleaned = "".join(
        ch
        for ch in unicodedata.normalize("NFC", text[:SCAN_CHARS])
        if unicodedata.category(ch)[0] != "C"
    )
    return " ".join(cleaned.casefold().split())


def is_danger(text: str) -> bool:
    """Whether free text suggests acute danger."""
    return bool(_DANGER.search(normalize(text)))


_NON_WORD = re.compile(r"[^\w]+")


def words(normalized: str) -> str:
    """Normalized text as words between single spaces, with a space in front, so that
    ``" " + word in words(text)`` finds a word or a word start in one C-speed search."""
    return " " + _NON_WORD.sub(" ", normalized)


@lru_cache(maxsize=256)
def _needles(keywords: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(words(normalize(k)).rstrip() for k in keywords)


def keyword_hits(spaced: str, keywords: tuple[str, ...]) -> int:
    """How many of a flow's keywords occur (as whole words or word starts) in text prepared by
    :func:`words`."""
    return sum(1 for needle in _needles(keywords) if needle.strip() and needle in spaced)


#: Shortest typed beginning of a label that may stand for the whole label.
MIN_PREFIX = 3


def match_answer(text: str, labels: Sequence[str], *, strict: bool = False) -> int | None:
    """Which of the offered answers typed text means (its index), or None.

    An answer is chosen by its number (1 for the first), by its whole label (case, spacing and
    a trailing ``.``, ``!``, ``?`` or ``)`` do not matter) or by a unique beginning of its label
    of :data:`MIN_PREFIX` letters at least. ``strict`` is for an open case, where any other text
    is relayed to the contact person: only the number or the whole label (with at most a
    trailing ``.``) count, so a message is not taken for an answer by its first words.
    """
    offered = [normalize(label) for label in labels]
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
