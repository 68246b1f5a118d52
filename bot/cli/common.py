"""What the commands share: the content options, the content paths, printing problems."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings
from bot.content import ContentPaths
from bot.errors import Problem


def content_args(parser: argparse.ArgumentParser) -> None:
    defaults = ContentPaths()
    parser.add_argument(
        "--flows", type=Path, default=None, help=f"flows directory ({defaults.flows})"
    )
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge directory")
    parser.add_argument("--locales", type=Path, default=None, help="translation catalogs directory")
    parser.add_argument(
        "--local",
        type=Path,
        default=None,
        help="the local layer directory (regions.yaml, local services; BEISTAND_LOCAL_DIR)",
    )


def chosen_paths(args: argparse.Namespace, settings: Settings) -> ContentPaths:
    base = settings.content
    return ContentPaths(
        flows=args.flows or base.flows,
        knowledge=args.knowledge or base.knowledge,
        locales=args.locales or base.locales,
        conversations=base.conversations,
        local=getattr(args, "local", None) or base.local,
    )


def print_problems(problems: Sequence[Problem]) -> None:
    ordered = sorted(
        problems, key=lambda p: (p.location.file, p.location.line, p.location.column, p.message)
    )
    for problem in ordered:
        print(problem)
