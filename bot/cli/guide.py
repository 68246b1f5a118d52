"""The ``guide`` command: write the printable regional guide as HTML or PDF."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.cli.common import chosen_paths
from bot.config import Settings
from bot.content import require_content
from bot.errors import ConfigError


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return "pdf" if Path(args.out).suffix.lower() == ".pdf" else "html"


def cmd_guide(args: argparse.Namespace, settings: Settings) -> int:
    """Write the guide for a Land or a region of the local layer."""
    from bot.guide.links import bot_links
    from bot.guide.model import build_guide, resolve_place
    from bot.guide.render import to_html, to_pdf

    content = require_content(chosen_paths(args, settings))
    start = args.start or content.entry
    if start not in content.flows:
        raise ConfigError(f"unknown flow {start!r}; flows: {', '.join(sorted(content.flows))}")
    links = bot_links(
        args.telegram_bot or settings.telegram_bot_username,
        args.matrix_user or settings.matrix_user_id,
        args.link,
        start,
    )
    place = resolve_place(content, args.land, args.region)
    made: date = args.date or date.today()
    locale = args.lang or "de"
    if locale not in content.catalogs.by_locale:
        raise ConfigError(
            f"no catalog for {locale!r}; languages: {', '.join(content.catalogs.locales)}"
        )
    guide = build_guide(content, place, locale, made, links)
    html = to_html(guide, made)
    out = Path(args.out)
    if _format(args) == "pdf":
        data = to_pdf(html)
        out.write_bytes(data)
    else:
        out.write_text(html, encoding="utf-8")
    print(f"wrote {out}: the guide for {guide.place.name} ({locale}, {_format(args)})")
    return 0
