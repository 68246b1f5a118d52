"""``beistand stats`` and ``beistand report``: the anonymous statistics, suppressed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.content import Content
    from bot.lagebild.report import ReportSection
    from bot.lagebild.tables import Lagebild


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_period(p: argparse.ArgumentParser, required: bool = False) -> None:
    """--from, --to, --region, --db."""
    p.add_argument(
        "--from",
        dest="start",
        type=_day,
        required=required,
        metavar="DATE",
        help="first day (its ISO week is the first week)",
    )
    p.add_argument(
        "--to",
        dest="end",
        type=_day,
        required=required,
        metavar="DATE",
        help="last day (its ISO week is the last week)",
    )
    p.add_argument("--region", metavar="AGS", help="only this region (an AGS or its prefix)")
    p.add_argument("--db", help="database file")


async def _picture(args: argparse.Namespace, settings: Settings) -> tuple[Content, Lagebild]:
    from bot.content import require_content
    from bot.lagebild.keys import flow_topics
    from bot.lagebild.tables import Query, build
    from bot.storage.sqlite import SqliteStore

    if args.start and args.end and args.end < args.start:
        raise ConfigError("--to is before --from")
    content = require_content(settings.content)
    async with SqliteStore(settings.existing_db()) as store:
        rows = await store.counters()
    query = Query.of(args.start, args.end, args.region)
    return content, build(rows, query, settings.stats_k, flow_topics(content.flows))


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Print the weekly statistics of a period and region, suppressed."""
    from bot.lagebild.tables import as_csv, as_json, as_text

    _content, picture = asyncio.run(_picture(args, settings))
    render = {"text": as_text, "csv": as_csv, "json": as_json}[args.format]
    sys.stdout.write(render(picture))
    return 0


def extra_sections(settings: Settings, lang: str) -> Sequence[ReportSection]:
    """Sections other parts add to the report: the results of closed anonymous surveys."""
    from bot.cli.survey import survey_report_body
    from bot.lagebild.report import ReportSection

    body = survey_report_body(settings, lang)
    title = "Anonymous surveys" if lang == "en" else "Anonyme Befragungen"
    return (ReportSection(title, body),) if body else ()


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the self-contained HTML report of a period and region."""
    from bot.lagebild.report import labels_of, render_report

    content, picture = asyncio.run(_picture(args, settings))
    extra = extra_sections(settings, args.lang)
    html = render_report(
        picture, labels_of(content, args.lang), lang=args.lang, extra_sections=extra
    )
    args.out.write_text(html, encoding="utf-8")
    print(f"wrote {args.out} ({len(html)} bytes; k = {picture.k})")
    return 0
