"""The `beistand` command: run the bot, check its content, manage contacts and the database.

Library code never exits the process; only :func:`main` turns outcomes into exit statuses.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from bot import logs
from bot.cli.common import print_problems
from bot.cli.parser import build_parser
from bot.config import Settings, prepare_libraries
from bot.errors import BotError, ContentError

log = logging.getLogger("bot.cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``beistand`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    prepare_libraries()
    try:
        settings = Settings.load(getattr(args, "db", None), env_file=args.env_file)
        level = settings.log_level if args.command == "run" else "WARNING"
        logs.configure(level, secrets=settings.secret_values, fmt=settings.log_format)
        for notice in settings.notices:
            print(f"beistand: warning: {notice.text}", file=sys.stderr)
            log.warning("settings.unknown_name", extra={"kind": notice.name})
        return int(args.func(args, settings))
    except ContentError as err:
        print_problems([p for p in err.problems if p.severity != "warning"])
        started = args.command in ("run", "chat")
        print(f"{err}; {'nothing was started' if started else 'nothing was done'}", file=sys.stderr)
        return 1
    except BotError as err:
        print(f"beistand: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


__all__ = ["build_parser", "main"]
