"""``beistand report``: one self-contained HTML page for a strategy group (no external resources).

Charts are drawn with matplotlib (Agg backend, imported only here, only when a report is
written) as inline SVG; every chart has its table beside it, where ``·`` marks a suppressed
count. Every number comes from the protected family of :mod:`bot.lagebild.tables`.

Other parts add sections through ``render_report(..., extra_sections=[ReportSection(...)])``
(the survey results, for instance); their ``body_html`` must already be escaped.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.lagebild.keys import (
    EMERGENCY_SHOWN,
    HANDOFF_CLAIMED,
    HANDOFF_NOBODY_FREE,
    HANDOFF_REQUESTED,
    OUTCOMES,
    REPORT_SENT,
    SERVICES_SHOWN,
)
from bot.lagebild.report_text import TEXTS, outcome_label
from bot.lagebild.suppress import Dims, Key
from bot.lagebild.tables import (
    BY_TOPIC,
    BY_TOPIC_LAND,
    BY_TOPIC_REGION,
    BY_WEEK,
    BY_WEEK_TOPIC,
    REGION,
    TOTALS,
    Lagebild,
)

if TYPE_CHECKING:
    from bot.content import Content

HIDDEN = "·"
CHOSEN = (SERVICES_SHOWN, EMERGENCY_SHOWN, HANDOFF_REQUESTED, REPORT_SENT)
HANDOFF = (HANDOFF_REQUESTED, HANDOFF_CLAIMED, HANDOFF_NOBODY_FREE)


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A section another part adds to the report: a title and escaped HTML."""

    title: str
    body_html: str


@dataclass(frozen=True, slots=True)
class Labels:
    """Display names of topics and places, in the report's language."""

    topics: Mapping[str, str]
    places: Mapping[str, str]

    def topic(self, value: str) -> str:
        """A topic's label."""
        return self.topics.get(value, value)

    def place(self, value: str) -> str:
        """A Land's or region's label."""
        return self.places.get(value, value)


def labels_of(content: Content, lang: str) -> Labels:
    """The labels of ``content``'s topics, Länder and regions in ``lang``."""
    t = content.catalogs.translator(lang)
    knowledge = content.knowledge
    topics = {k: t.pgettext("topic", v) for k, v in knowledge.topic_labels.items()}
    topics["none"] = TEXTS[lang]["no_topic"]
    places = {r.code: t.pgettext("region", r.label) for r in knowledge.regions}
    for region in getattr(knowledge, "local_regions", ()):  # the local layer (issue 14)
        places[region.ags] = region.name
    return Labels(topics, places)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _svg(figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg") :]  # no XML prologue or DOCTYPE inside the page


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (and searchable)
    matplotlib.rcParams["svg.hashsalt"] = "beistand"  # the same input draws the same SVG
    import matplotlib.pyplot as plt

    return plt


def _grid(
    table: Mapping[Key, int | None], dims: Dims, rows: int, cols: int, outcome: str | None
) -> tuple[list[str], list[str], dict[tuple[str, str], int | None]]:
    """A two-way view of a table (optionally one outcome's slice)."""
    cells: dict[tuple[str, str], int | None] = {}
    for key, value in table.items():
        if outcome is not None and key[-1] != outcome:
            continue
        cells[(key[dims.index(rows)], key[dims.index(cols)])] = value
    return sorted({r for r, _ in cells}), sorted({c for _, c in cells}), cells


def _html_table(
    corner: str,
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Mapping[tuple[str, str], int | None],
    row_label: Any,
    col_label: Any,
) -> str:
    head = "".join(f"<th scope='col'>{_esc(col_label(c))}</th>" for c in cols)
    body = []
    for r in rows:
        tds = []
        for c in cols:
            value = cells.get((r, c), 0)
            shown = HIDDEN if value is None else str(value)
            tds.append(f"<td class='{'hidden' if value is None else 'n'}'>{shown}</td>")
        body.append(f"<tr><th scope='row'>{_esc(row_label(r))}</th>{''.join(tds)}</tr>")
    return (
        f"<table><thead><tr><th>{_esc(corner)}</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _bars(
    plt: Any,
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Mapping[tuple[str, str], int | None],
    labels: tuple[Any, Any],
    title: str,
    stacked: bool = False,
) -> str:
    """Horizontal bars, one group (or with ``stacked`` one bar) per row, a colour per column;
    a suppressed count draws nothing."""
    row_label, col_label = labels
    per_row = 1 if stacked else max(1, len(cols))
    figure, axes = plt.subplots(figsize=(7.5, 0.8 + 0.32 * max(1, len(rows)) * per_row))
    height = 0.8 / per_row
    left = [0.0] * len(rows)
    for j, c in enumerate(cols):
        xs = [float(cells.get((r, c)) or 0) for r in rows]
        if stacked:
            axes.barh(range(len(rows)), xs, left=left, height=0.7, label=str(col_label(c)))
            left = [a + b for a, b in zip(left, xs, strict=True)]
        else:
            ys = [i + j * height for i in range(len(rows))]
            axes.barh(ys, xs, height=height, label=str(col_label(c)))
    offset = 0.0 if stacked else 0.4 - height / 2
    axes.set_yticks([i + offset for i in range(len(rows))])
    axes.set_yticklabels([str(row_label(r)) for r in rows])
    axes.invert_yaxis()
    axes.set_title(title)
    if len(cols) > 1:
        axes.legend(loc="lower right", fontsize="small")
    return _svg(figure)


def _trend(
    plt: Any,
    weeks: Sequence[str],
    series: Sequence[str],
    cells: Mapping[tuple[str, str], int | None],
    label: Any,
    title: str,
) -> str:
    """Lines over the weeks, one per series; a suppressed week is a gap in its line."""
    figure, axes = plt.subplots(figsize=(7.5, 3.6))
    for s in series:
        ys = [cells.get((w, s), 0) for w in weeks]
        axes.plot(weeks, [float("nan") if y is None else y for y in ys], marker="o", label=label(s))
    axes.set_title(title)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize="small", ncol=2)
    axes.tick_params(axis="x", labelrotation=30)
    return _svg(figure)


def _section(title: str, intro: str, *parts: str) -> str:
    return f"<section><h2>{_esc(title)}</h2><p>{_esc(intro)}</p>{''.join(parts)}</section>"


def render_report(
    picture: Lagebild,
    labels: Labels,
    *,
    lang: str = "de",
    extra_sections: Sequence[ReportSection] = (),
) -> str:
    """The whole report as one HTML document."""
    text = TEXTS[lang]
    plt = _pyplot()

    def outcome(value: str) -> str:
        return outcome_label(value, lang)

    sections: list[str] = []
    weeks_t, topics_t, trend = _grid(
        picture.table(BY_WEEK_TOPIC), BY_WEEK_TOPIC, 0, 1, SERVICES_SHOWN
    )
    if trend:
        sections.append(
            _section(
                text["trend_title"],
                text["trend_intro"],
                _trend(plt, weeks_t, topics_t, trend, labels.topic, text["trend_title"]),
                _html_table(text["week"], weeks_t, topics_t, trend, str, labels.topic),
            )
        )
    by_region = any(key[REGION] != "none" for key in picture.base)
    dims = BY_TOPIC_REGION if by_region else BY_TOPIC_LAND
    topics_p, places, where = _grid(picture.table(dims), dims, 1, dims[1], SERVICES_SHOWN)
    if where:
        title = text["region_title" if by_region else "land_title"]
        sections.append(
            _section(
                title,
                text["place_intro"],
                _bars(
                    plt,
                    places,
                    topics_p,
                    {(p, t): v for (t, p), v in where.items()},
                    (labels.place, labels.topic),
                    title,
                    stacked=True,
                ),
                _html_table(
                    text["place"],
                    places,
                    topics_p,
                    {(p, t): v for (t, p), v in where.items()},
                    labels.place,
                    labels.topic,
                ),
            )
        )
    topics_c, outs, chosen = _grid(picture.table(BY_TOPIC), BY_TOPIC, 1, 5, None)
    outs = [o for o in CHOSEN if o in outs]
    if chosen and outs:
        sections.append(
            _section(
                text["help_title"],
                text["help_intro"],
                _bars(plt, topics_c, outs, chosen, (labels.topic, outcome), text["help_title"]),
                _html_table(text["topic"], topics_c, outs, chosen, labels.topic, outcome),
            )
        )
    weeks_h, outs_h, handoff = _grid(picture.table(BY_WEEK), BY_WEEK, 0, 5, None)
    outs_h = [o for o in HANDOFF if o in outs_h]
    if handoff and outs_h:
        sections.append(
            _section(
                text["handoff_title"],
                text["handoff_intro"],
                _bars(plt, weeks_h, outs_h, handoff, (str, outcome), text["handoff_title"]),
                _html_table(text["week"], weeks_h, outs_h, handoff, str, outcome),
            )
        )
    totals = picture.table(TOTALS)
    summary = "".join(
        f"<li>{_esc(outcome(o))}: <b>{HIDDEN if totals[(o,)] is None else totals[(o,)]}</b></li>"
        for o in OUTCOMES
        if (o,) in totals
    )
    for extra in extra_sections:
        sections.append(f"<section><h2>{_esc(extra.title)}</h2>{extra.body_html}</section>")
    q = picture.query
    period = f"{q.first or '…'} – {q.last or '…'}"
    region = labels.place(q.region) if q.region else text["all_regions"]
    notes = "".join(f"<p>{_esc(p)}</p>" for p in text["notes"])
    rule = text["rule"].format(k=picture.k)
    empty = "" if sections else f"<p>{_esc(text['empty'])}</p>"
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(text["title"])} {_esc(period)}</title>
<style>{STYLE}</style></head>
<body><main>
<h1>{_esc(text["title"])}</h1>
<p class="meta">{_esc(text["period"])}: {_esc(period)} · {_esc(text["region"])}: {_esc(region)}
 · k = {picture.k}</p>
<section class="rule"><h2>{_esc(text["rule_title"])}</h2><p>{_esc(rule)}</p></section>
<section><h2>{_esc(text["totals_title"])}</h2><ul>{summary}</ul></section>
{empty}{"".join(sections)}
<section><h2>{_esc(text["notes_title"])}</h2>{notes}</section>
</main></body></html>
"""


STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f3;color:#1d1d1b}
main{max-width:60rem;margin:auto;padding:1.5rem}
h1{font-size:1.7rem;margin-bottom:.2rem}.meta{color:#555}
section{background:#fff;border-radius:.5rem;padding:1rem 1.25rem;margin:1rem 0;
box-shadow:0 1px 2px #0002}
section svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin-top:.75rem;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th[scope=row]{text-align:left}td.hidden{color:#999;background:#f0f0f0}
.rule{border-left:.35rem solid #b35c00}
"""
