"""``beistand survey``: open (register, print the link and the QR code), close, results, list.

Like the other administrative commands it takes the service's existing database and creates
none; it needs no secret (the participants' keyed hashes are made by the running bot)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

from bot.cli.common import print_problems
from bot.config import Settings
from bot.errors import ConfigError, Problem

_USERNAME = re.compile(r"@?[A-Za-z0-9_]{5,32}")


def _username(args: argparse.Namespace, settings: Settings) -> str | None:
    name = args.telegram_username or settings.telegram_bot_username
    if name is not None and not _USERNAME.fullmatch(name):
        raise ConfigError("TELEGRAM_BOT_USERNAME must be a Telegram user name like beistand_bot")
    return name.lstrip("@") if name else None


def survey_dir(settings: Settings) -> Path:
    """Where a deployment keeps its survey files: ``<content dir>/surveys``, else the shipped
    ``surveys/`` (the example)."""
    from bot.content import shipped_content

    root = settings.content_dir if settings.content_dir else shipped_content().root
    return root / "surveys"


def check_surveys(files: list[Path], settings: Settings) -> tuple[int, list[Problem]]:
    """Check the named survey files and those in :func:`survey_dir`: (files, problems)."""
    from bot.survey.loader import load_survey, survey_files

    chosen = [*files, *(p for p in survey_files(survey_dir(settings)) if p not in files)]
    found: list[Problem] = []
    for path in chosen:
        found.extend(load_survey(path)[1])
    return len(chosen), found


async def _open(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.sqlite import SqliteStore
    from bot.survey.admin import open_survey
    from bot.survey.links import invitation, terminal_qr, write_png
    from bot.survey.loader import load_survey

    survey, problems = load_survey(args.file)
    print_problems(problems)
    if survey is None:
        print("the survey file has errors; nothing was opened", file=sys.stderr)
        return 1
    username = _username(args, settings)
    async with SqliteStore(settings.existing_db()) as store:
        code = await open_survey(store, survey, int(time.time()))
    way = invitation(code, username, settings.matrix_user_id)
    print(f"Survey {survey.name!r} is open. ID: {code}")
    if way.telegram:
        print(f"Telegram: {way.telegram}")
    else:
        print("Telegram: set TELEGRAM_BOT_USERNAME (or --telegram-username) for a deep link")
    if way.matrix:
        print(f"Matrix: send `{way.command}` to {way.matrix}")
    print(f"Terminal chat (beistand chat): {way.command}")
    target = way.qr_target
    if target is not None:
        png = write_png(target, args.qr or Path(f"umfrage-{code}.png"))
        print(f"QR code ({target}) written to {png}")
        print(terminal_qr(target), end="")
    print(f"Close it with: beistand survey close {code}")
    return 0


async def _close(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.sqlite import SqliteStore
    from bot.survey.admin import close_survey

    async with SqliteStore(settings.existing_db()) as store:
        record = await close_survey(store, args.id, int(time.time()))
    print(f"Survey {record.id} is closed; every participant's hash is deleted.")
    print(f"Results: beistand survey results {record.id}")
    return 0


async def _results(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.sqlite import SqliteStore
    from bot.survey.admin import results
    from bot.survey.results import to_json, to_text

    async with SqliteStore(settings.existing_db()) as store:
        found = await results(store, args.id, settings.stats_k)
    print(to_json(found) if args.format == "json" else to_text(found, args.lang), end="")
    if args.format == "json":
        print()
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.sqlite import SqliteStore

    async with SqliteStore(settings.existing_db()) as store:
        for record in await store.surveys():
            state = "open" if record.open else "closed"
            print(f"{record.id}  {state:<6}  {record.survey.name}  {record.survey.title.de}")
    return 0


def survey_report_body(settings: Settings, lang: str = "de") -> str:
    """The HTML of the closed surveys' results for the Lagebild report (``beistand report``);
    empty when there is none. The report's hook wraps it as a section."""
    from bot.storage.sqlite import SqliteStore
    from bot.survey.admin import closed_results
    from bot.survey.results import survey_section

    async def read() -> str:
        async with SqliteStore(settings.existing_db()) as store:
            found = await closed_results(store, settings.stats_k)
        return survey_section(found, lang, heading=False)

    return asyncio.run(read())


def cmd_survey(args: argparse.Namespace, settings: Settings) -> int:
    """Open, close, list an anonymous survey or show its results."""
    actions = {"open": _open, "close": _close, "results": _results, "list": _list}
    return asyncio.run(actions[args.action](args, settings))


def add_survey_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``beistand survey ...``."""
    p = sub.add_parser("survey", help="anonymous survey: open, close, results, list")
    p.add_argument("--db", help="database file")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    opened = actions.add_parser("open", help="register a survey file; print its link and QR code")
    opened.add_argument("file", type=Path, metavar="FILE")
    opened.add_argument("--qr", type=Path, metavar="PNG", help="QR code file (umfrage-ID.png)")
    opened.add_argument(
        "--telegram-username", help="the bot's Telegram user name (TELEGRAM_BOT_USERNAME)"
    )
    close = actions.add_parser("close", help="end a survey; deletes every participant's hash")
    close.add_argument("id")
    shown = actions.add_parser("results", help="the answers per question of a closed survey")
    shown.add_argument("id")
    shown.add_argument("--format", choices=("text", "json"), default="text")
    shown.add_argument("--lang", choices=("de", "en"), default="de", help="text language")
    actions.add_parser("list", help="every survey with its state")
    p.set_defaults(func=cmd_survey)
