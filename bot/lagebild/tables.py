"""The published tables of a period and a region, protected together.

Every output of one period and region (``beistand stats`` in any format, ``beistand report``)
is cut from the same protected family :data:`FAMILY`, so that what the CLI prints and what the
report shows for the same arguments cannot be combined to compute a suppressed cell. Week is
the finest time; a period is a range of ISO weeks.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.lagebild.audit import protected
from bot.lagebild.keys import legacy_topic
from bot.lagebild.suppress import Dims, Key, Protected
from bot.ports.records import Counter

#: The key's fields, in order (bot.ports.records.CounterKey).
FIELDS = ("week", "topic", "land", "region", "channel", "outcome")
WEEK, TOPIC, LAND, REGION, CHANNEL, OUTCOME = range(6)
BASE: Dims = (WEEK, TOPIC, LAND, REGION, CHANNEL, OUTCOME)
BY_WEEK_TOPIC: Dims = (WEEK, TOPIC, OUTCOME)
BY_TOPIC_LAND: Dims = (TOPIC, LAND, OUTCOME)
BY_TOPIC_REGION: Dims = (TOPIC, REGION, OUTCOME)
BY_TOPIC: Dims = (TOPIC, OUTCOME)
BY_WEEK: Dims = (WEEK, OUTCOME)
TOTALS: Dims = (OUTCOME,)
#: Every table any output publishes (a subset of one of them at most).
FAMILY: tuple[Dims, ...] = (
    BASE,
    BY_WEEK_TOPIC,
    BY_TOPIC_LAND,
    BY_TOPIC_REGION,
    BY_TOPIC,
    BY_WEEK,
    TOTALS,
)


def week_of_date(day: date) -> str:
    """The ISO week of a calendar day, e.g. ``2026-W47``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Query:
    """A period (ISO weeks, inclusive; None: open) and a region (an AGS prefix; None: all)."""

    first: str | None = None
    last: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, start: date | None, end: date | None, region: str | None) -> Query:
        """The query for calendar days (each day stands for its ISO week)."""
        return cls(
            week_of_date(start) if start else None,
            week_of_date(end) if end else None,
            region or None,
        )

    def keeps(self, key: Key) -> bool:
        """Whether a statistics key belongs to the query."""
        week, region = key[WEEK], key[REGION]
        if self.first is not None and week < self.first:
            return False
        if self.last is not None and week > self.last:
            return False
        return self.region is None or region.startswith(self.region)


def base_of(
    rows: Iterable[Counter], query: Query, topics: Mapping[str, str | None] | None = None
) -> dict[Key, int]:
    """The counts of the query (rows migrated from before v6 get their flow's topic)."""
    found: dict[Key, int] = defaultdict(int)
    for row in rows:
        key: Key = row.key
        if topics is not None:
            key = (key[0], legacy_topic(key[1], topics), *key[2:])
        if row.count > 0 and query.keeps(key):
            found[key] += row.count
    return dict(found)


@dataclass(frozen=True, slots=True)
class Lagebild:
    """One query's protected family and the values the outputs need."""

    query: Query
    base: Mapping[Key, int]
    shown: Protected

    @property
    def k(self) -> int:
        """The suppression threshold."""
        return self.shown.k

    def table(self, dims: Dims) -> Mapping[Key, int | None]:
        """One protected table."""
        return self.shown.table(dims)

    def weeks(self) -> list[str]:
        """The weeks that have any count, in order."""
        return sorted({key[WEEK] for key in self.base})

    def values(self, dims: Dims, position: int) -> list[str]:
        """The values a dimension takes in a table, in order."""
        return sorted({key[dims.index(position)] for key in self.table(dims)})


def build(
    rows: Iterable[Counter], query: Query, k: int, topics: Mapping[str, str | None]
) -> Lagebild:
    """Filter, then protect the whole family at once."""
    base = base_of(rows, query, topics)
    if not base:
        return Lagebild(query, base, Protected(k, {dims: {} for dims in FAMILY}, 0, 0))
    return Lagebild(query, base, protected(base, FAMILY, k))


def records(picture: Lagebild) -> list[dict[str, str | int | None]]:
    """The base table as objects ``{week, topic, land, region, channel, outcome, count}``;
    a suppressed cell has ``count`` None."""
    return [
        {**dict(zip(FIELDS, key, strict=True)), "count": value}
        for key, value in picture.table(BASE).items()
    ]


def as_json(picture: Lagebild) -> str:
    """``beistand stats --format json``."""
    return json.dumps(records(picture), ensure_ascii=False, indent=1) + "\n"


def as_csv(picture: Lagebild) -> str:
    """``beistand stats --format csv``: an empty count is suppressed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIELDS, "count"])
    for row in records(picture):
        writer.writerow([*(row[f] for f in FIELDS), "" if row["count"] is None else row["count"]])
    return out.getvalue()


def as_text(picture: Lagebild) -> str:
    """``beistand stats``: an aligned table; ``·`` marks a suppressed cell."""
    rows = [[*key, "·" if v is None else str(v)] for key, v in picture.table(BASE).items()]
    header = [*FIELDS, "count"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    hidden = sum(v is None for v in picture.table(BASE).values())
    q = picture.query
    period = f"{q.first or '…'} – {q.last or '…'}"
    lines.append("")
    lines.append(
        f"{period}, region {q.region or 'all'}: {len(rows)} cells, {hidden} suppressed "
        f"(k = {picture.k}: counts below k and the counts from which they could be computed)"
    )
    return "\n".join(lines) + "\n"


def labelled(values: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """Values with their labels where known."""
    return [labels.get(v, v) for v in values]
