"""The argument parser of ``beistand``: every command, its options and its help."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot import __version__
from bot.cli.admin import cmd_backup, cmd_contacts, cmd_restore
from bot.cli.common import content_args
from bot.cli.content import (
    cmd_graph,
    cmd_init,
    cmd_preview,
    cmd_schema,
    cmd_test,
    cmd_translations,
    cmd_validate,
)
from bot.cli.guide import cmd_guide
from bot.cli.service import cmd_chat, cmd_run
from bot.cli.stats import add_period, cmd_report, cmd_stats
from bot.cli.survey import add_survey_parser
from bot.config import ENV_FILE_VARIABLE, LOG_LEVELS
from bot.content import ContentPaths

#: The first line of ``beistand --help``.
DESCRIPTION = (
    "The `beistand` command: run the bot, check its content, manage contacts and the database."
)

RUN_EPILOG = f"""\
where settings come from (strongest first):
  1. the process environment (e.g. systemd's EnvironmentFile=)
  2. the settings file: beistand --env-file FILE ..., else ${ENV_FILE_VARIABLE}, else ./.env
     when it exists (KEY=value lines; see .env.example for every variable)
  3. the defaults
  Every problem is listed at once and nothing starts; unknown BEISTAND_*, TELEGRAM_* and
  MATRIX_* names are reported with the closest known name.

main variables:
  BEISTAND_SECRET          pseudonymisation secret, at least 32 bytes (required)
  BEISTAND_DATA_DIR        database, Matrix store (default ./data); BEISTAND_DB: the database
  BEISTAND_CONTENT_DIR     content directory made by `beistand init` (default: shipped content)
  BEISTAND_LOG_LEVEL       {", ".join(LOG_LEVELS)}
                           (DEBUG only with BEISTAND_ALLOW_DEBUG=1, never with real users)
  BEISTAND_LOG_FORMAT      text or json
  BEISTAND_HTTP_PORT       serve /healthz and /metrics on BEISTAND_HTTP_HOST (127.0.0.1)
  TELEGRAM_TOKEN           starts the Telegram channel; webhook: TELEGRAM_WEBHOOK_URL and
                           TELEGRAM_WEBHOOK_SECRET (long polling without them)
  MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN
                           start the Matrix channel; MATRIX_PICKLE_KEY encrypts its store
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``beistand``."""
    parser = argparse.ArgumentParser(prog="beistand", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"beistand {__version__}")
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help=f"settings file (default: ${ENV_FILE_VARIABLE}, else ./.env if present); "
        "the process environment wins over it",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check flows, knowledge and translations")
    content_args(p)
    p.add_argument("--translations", action="store_true", help="list each missing translation")
    p.add_argument(
        "--survey",
        type=Path,
        metavar="FILE",
        action="append",
        help="check this survey file (also: every file in the content's surveys/)",
    )
    p.add_argument(
        "--db",
        help="the service's database (default: $BEISTAND_DB or DATA_DIR/beistand.db), read only "
        "to warn about saved conversations at nodes the files no longer have",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "graph", help="draw a flow (also a broken one) as Mermaid, Graphviz DOT, SVG or HTML"
    )
    p.add_argument("flow_id")
    p.add_argument("--format", choices=("mermaid", "dot", "svg", "html"), default="mermaid")
    content_args(p)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("chat", help="talk to the bot in this terminal (SQLite, no network)")
    p.add_argument("--db", help="database file (default: $BEISTAND_DB or DATA_DIR/beistand.db)")
    p.add_argument("--lang", help="language: de or en (default: de)")
    p.add_argument("--flow", help="open this flow instead of the menu (like /start FLOW)")
    p.add_argument(
        "--local", type=Path, default=None, help="the local layer directory (BEISTAND_LOCAL_DIR)"
    )
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "preview", help="try the content in a local web page (chat, diagram, problems)"
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    content_args(p)
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser(
        "test",
        help="run conversation tests (default: the conversations/ of the configured content)",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"test files or folders (default: {ContentPaths().conversations}, or "
        "BEISTAND_CONTENT_DIR/conversations; with a local layer its conversations/)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list passing conversations")
    content_args(p)
    p.set_defaults(func=cmd_test)

    p = sub.add_parser(
        "run",
        help="run the configured Telegram and Matrix channels",
        description="Run the configured Telegram and Matrix channels until SIGINT or SIGTERM "
        "(SIGHUP reloads flows and knowledge).",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", help="database file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("contacts", help="invite, list and remove contact persons")
    p.add_argument("--db", help="database file")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    invite = actions.add_parser("invite", help="print a one-time registration code (7 days)")
    invite.add_argument("--name", required=True)
    invite.add_argument(
        "--land",
        default="",
        help="Land codes, comma-separated; DE = nationwide (with --region: the region's Land)",
    )
    invite.add_argument("--topics", required=True, help="topics, comma-separated, or 'all'")
    invite.add_argument(
        "--region",
        default="",
        metavar="AGS",
        help="make them the local contact of these regions of the local layer (AGS keys, "
        "comma-separated; docs/kommunen.md)",
    )
    invite.add_argument(
        "--role",
        default="contact",
        choices=("contact", "meldestelle"),
        help="contact (handoff cases, the default) or meldestelle (receives reports only)",
    )
    invite.add_argument("--local", type=Path, default=None, help="the local layer directory")
    actions.add_parser("list", help="list contact persons")
    remove = actions.add_parser("remove", help="remove a contact person")
    remove.add_argument("id", type=int)
    p.set_defaults(func=cmd_contacts)

    add_survey_parser(sub)
    p = sub.add_parser(
        "guide",
        help="write the printable guide (2-4 A4 pages, HTML or PDF) for a region or a Land",
        description="Write the printable guide for a region of the local layer or a Land: "
        "emergency numbers, first steps, deadlines, the register block, the contacts with their "
        "hours and a QR code that opens the bot (docs/kommunen-leitfaden.md).",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--region", metavar="AGS", help="a region of the local layer (its AGS)")
    where.add_argument("--land", metavar="XX", help="a Land code, e.g. BY")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language (default: de)")
    p.add_argument(
        "--format", choices=("html", "pdf"), help="default: pdf for an --out ending in .pdf"
    )
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    p.add_argument(
        "--telegram-bot",
        metavar="NAME",
        help="the bot's Telegram user name (default: $TELEGRAM_BOT_USERNAME)",
    )
    p.add_argument(
        "--matrix-user",
        metavar="@NAME:SERVER",
        help="the bot's Matrix user (default: $MATRIX_USER_ID)",
    )
    p.add_argument("--link", metavar="URL", help="one more https link (with its own QR code)")
    p.add_argument(
        "--start", metavar="FLOW", help="the flow the Telegram link opens (default: menu)"
    )
    p.add_argument(
        "--date",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the guide's date (default: today)",
    )
    content_args(p)
    p.set_defaults(func=cmd_guide)

    p = sub.add_parser("schema", help="print the JSON Schema of flow or knowledge files")
    p.add_argument(
        "kind",
        nargs="?",
        default="flow",
        choices=("flow", "knowledge", "taxonomy", "regions", "survey"),
    )
    p.add_argument("--write", metavar="DIR", help="write every schema into DIR")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("translations", help="extract messages and update the catalogs")
    content_args(p)
    p.set_defaults(func=cmd_translations)

    p = sub.add_parser(
        "init", help="make a content directory (flows, knowledge, locales, tests, .env) to edit"
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument(
        "--force", action="store_true", help="write into a non-empty DIR (keeps an existing .env)"
    )
    p.add_argument(
        "--example",
        default="",
        metavar="NAME",
        help="also copy an example local layer into DIR/local (e.g. musterland; docs/kommunen.md)",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("backup", help="write a consistent copy of the database (bot may run)")
    p.add_argument("file", type=Path, metavar="FILE", help="the backup file to write (mode 0600)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--db", help="database file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="check a backup and make it the database (bot stopped)")
    p.add_argument("file", type=Path, metavar="FILE", help="a file written by `beistand backup`")
    p.add_argument("--db", help="database file")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("stats", help="the anonymous weekly statistics (small counts suppressed)")
    add_period(p)
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("report", help="write the HTML report of the statistics (Lagebild)")
    add_period(p, required=True)
    p.add_argument("--out", type=Path, default=Path("lagebild.html"), metavar="FILE")
    p.add_argument("--lang", choices=("de", "en"), default="de")
    p.set_defaults(func=cmd_report)
    return parser
