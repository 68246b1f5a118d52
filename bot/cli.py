"""The `beistand` command: run the bot, check its content, manage contacts and the database.

Library code never exits the process; only :func:`main` turns outcomes into exit statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot import __version__, logs
from bot.config import ENV_FILE_VARIABLE, LOG_LEVELS, Settings, prepare_libraries
from bot.content import ContentPaths, load_content, missing_translations, require_content
from bot.errors import BotError, ConfigError, ContentError, Problem
from bot.hardening import no_core_dumps
from bot.ops.files import private_umask

log = logging.getLogger("bot.cli")


def _content_args(parser: argparse.ArgumentParser) -> None:
    defaults = ContentPaths()
    parser.add_argument(
        "--flows", type=Path, default=None, help=f"flows directory ({defaults.flows})"
    )
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge directory")
    parser.add_argument("--locales", type=Path, default=None, help="translation catalogs directory")


def _paths(args: argparse.Namespace, settings: Settings) -> ContentPaths:
    base = settings.content
    return ContentPaths(
        flows=args.flows or base.flows,
        knowledge=args.knowledge or base.knowledge,
        locales=args.locales or base.locales,
        conversations=base.conversations,
    )


def _print_problems(problems: Sequence[Problem]) -> None:
    ordered = sorted(
        problems, key=lambda p: (p.location.file, p.location.line, p.location.column, p.message)
    )
    for problem in ordered:
        print(problem)


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check flows, knowledge and translations; exit 1 on any error."""
    paths = _paths(args, settings)
    content, problems = load_content(paths)
    missing: list[Problem] = []
    if content is not None:
        missing = missing_translations(content, paths)
        if args.translations:
            problems = [*problems, *missing]
    _print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(1 for p in problems if p.severity == "warning")
    summary = f"{errors} error(s), {warnings} warning(s)"
    if content is not None:
        per_locale = {loc: 0 for loc in content.catalogs.locales}
        for problem in missing:
            per_locale[problem.message[1 : problem.message.index("]")]] += 1
        counts = ", ".join(f"{loc} {n}" for loc, n in per_locale.items())
        summary += f"; {len(content.flows)} flows, {len(content.knowledge.services)} services"
        summary += f"; missing translations: {counts}"
        if missing and not args.translations:
            summary += " (list them with --translations)"
    print(summary)
    return 1 if errors else 0


def cmd_graph(args: argparse.Namespace, settings: Settings) -> int:
    """Draw one flow as Mermaid, DOT, SVG or an HTML page; broken references are marked."""
    from bot.content import drawable_flows
    from bot.flow.drawing import to_html, to_svg
    from bot.flow.graph import build, to_dot, to_mermaid

    flows, broken, problems = drawable_flows(_paths(args, settings))
    flow = flows.get(args.flow_id)
    if flow is None:
        if args.flow_id in broken:
            file = broken[args.flow_id]
            for problem in sorted(problems, key=str):
                if problem.location.file == file and problem.severity == "error":
                    print(problem, file=sys.stderr)
            print(f"flow {args.flow_id!r} cannot be drawn: {file} did not load", file=sys.stderr)
            return 1
        print(
            f"unknown flow {args.flow_id!r}; flows: {', '.join(sorted(flows))}",
            file=sys.stderr,
        )
        return 1
    own = [str(p) for p in sorted(problems, key=str) if p.location.file == flow.loc.file]
    for line in own:
        print(line, file=sys.stderr)
    graph = build(flow, set(flows) | set(broken))
    renderers = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}
    out = to_html(graph, own) if args.format == "html" else renderers[args.format](graph)
    print(out, end="")
    return 0


def cmd_test(args: argparse.Namespace, settings: Settings) -> int:
    """Run conversation tests and print a report."""
    from bot.convtest import run_paths

    content_paths = _paths(args, settings)
    paths = args.paths or [content_paths.conversations]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"no conversation tests at {', '.join(str(p) for p in missing)}")
    content = require_content(content_paths)
    report = run_paths(content, paths)
    if args.verbose:
        for name in report.passed:
            print(f"PASS {name}")
    _print_problems(report.problems)
    for failure in report.failures:
        print(f"FAIL {failure}")
    total = len(report.passed) + len(report.failures)
    print(f"{len(report.passed)} passed, {len(report.failures)} failed ({total} conversations)")
    return 0 if report.ok and total else 1


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write) the JSON Schema of a file format."""
    from bot.schemas import SCHEMAS, render_schema

    names = list(SCHEMAS) if args.write else [args.kind]
    for name in names:
        text = render_schema(name)
        if args.write:
            target = Path(args.write) / f"{name}.schema.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        else:
            print(text, end="")
    return 0


def cmd_translations(args: argparse.Namespace, settings: Settings) -> int:
    """Extract messages and update every catalog (pybabel extract + update)."""
    from bot.i18n.tools import update_catalogs

    for line in update_catalogs(_paths(args, settings)):
        print(line)
    return 0


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Write a copy of the shipped content and a commented ``.env`` into a directory."""
    from bot.initdir import init_directory, next_steps

    for line in next_steps(init_directory(args.directory, force=args.force)):
        print(line)
    return 0


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.lock import InstanceLock
    from bot.runtime import runtime_for
    from bot.storage.sqlite import SqliteStore
    from bot.transports.console import Console

    content = require_content(settings.content)
    if args.flow is not None and args.flow not in content.flows:
        raise ConfigError(f"unknown flow {args.flow!r}; flows: {', '.join(sorted(content.flows))}")
    secret = settings.secret_bytes(generate=True)
    # a second writer beside a running bot: refused like a second `beistand run`
    async with InstanceLock(settings.data_dir, "chat"), SqliteStore(settings.db) as store:
        # a local user may paste many lines at once
        runtime = runtime_for(
            settings, content, store, secret, rate_limit=1000, purge_every=None, worker_idle=0.2
        )
        console = Console(runtime, args.lang, flow=args.flow)
        runtime.register_channel("console", console.deliver)
        async with runtime:
            try:
                return await console.run()
            finally:
                await runtime.deliver_due()  # what is due now is shown before exit


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in this terminal."""
    no_core_dumps()
    private_umask()
    return asyncio.run(_chat(args, settings))


async def _contacts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.handoff.admin import Contacts
    from bot.handoff.rules import HandoffSettings
    from bot.storage.sqlite import SqliteStore

    # the service's secret and database or nothing: a new secret or an empty database here
    # would hand out invitations the running bot never sees
    _secret, db = settings.admin("contacts")
    content = require_content(settings.content)
    async with SqliteStore(db) as store:
        handoff = Contacts(store, time.time, HandoffSettings())
        if args.action == "invite":
            lands = [x.strip().upper() for x in args.land.split(",") if x.strip()]
            topics = [x.strip() for x in args.topics.split(",") if x.strip()]
            known = {r.code for r in content.knowledge.regions} | {"DE"}
            wrong = [x for x in lands if x not in known] + [
                x for x in topics if x not in content.knowledge.topics and x != "all"
            ]
            if wrong or not lands or not topics:
                print(
                    f"unknown Land or topic: {', '.join(wrong) or '(none given)'}", file=sys.stderr
                )
                print(f"Länder: DE, {', '.join(sorted(known - {'DE', 'none'}))}", file=sys.stderr)
                print(f"topics: all, {', '.join(content.knowledge.topics)}", file=sys.stderr)
                return 1
            code = await handoff.invite(args.name, lands, topics)
            print(f"Invitation for {args.name}: {code}")
            print(f"Valid {handoff.settings.invite_days} days. The person sends: /register {code}")
            return 0
        if args.action == "list":
            for c in await handoff.contacts():
                where = c.platform or "invited, not registered"
                state = "available" if c.available else "away"
                print(
                    f"{c.id:>4}  {c.name}  [{', '.join(c.lands)}]  [{', '.join(c.topics)}]  "
                    f"{where}  {state if c.platform else ''}".rstrip()
                )
            return 0
        if await handoff.remove(args.id):
            print(f"removed contact {args.id}")
            return 0
        print(f"no contact {args.id}", file=sys.stderr)
        return 1


def cmd_contacts(args: argparse.Namespace, settings: Settings) -> int:
    """Invite, list and remove contact persons."""
    return asyncio.run(_contacts(args, settings))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the configured channels until interrupted."""
    from bot.app import serve

    # the level is one of LOG_LEVELS (Settings refuses NOTSET, numbers and unknown names)
    if settings.log_level == "DEBUG" and not settings.allow_debug:
        raise ConfigError(
            "BEISTAND_LOG_LEVEL=DEBUG is refused for `beistand run`: debug logs are for test "
            "deployments; set BEISTAND_ALLOW_DEBUG=1 there, never with real users"
        )
    no_core_dumps()
    private_umask()
    return asyncio.run(serve(settings))


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


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Write a consistent copy of the database (works beside a running bot)."""
    from bot.storage.backup import backup

    size = backup(settings.db, args.file, force=args.force)
    print(f"wrote {args.file} ({size} bytes), a copy of {settings.db}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Check a backup and make it the database (refused while a bot runs)."""
    from bot.storage.backup import restore

    done = restore(args.file, settings.db, settings.data_dir)
    print(f"restored {settings.db} from {args.file} (schema version {done.version})")
    if done.kept is not None:
        print(f"the replaced database is kept as {done.kept}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``beistand``."""
    parser = argparse.ArgumentParser(prog="beistand", description=__doc__.splitlines()[0])
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
    _content_args(p)
    p.add_argument("--translations", action="store_true", help="list each missing translation")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "graph", help="draw a flow (also a broken one) as Mermaid, Graphviz DOT, SVG or HTML"
    )
    p.add_argument("flow_id")
    p.add_argument("--format", choices=("mermaid", "dot", "svg", "html"), default="mermaid")
    _content_args(p)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("chat", help="talk to the bot in this terminal (SQLite, no network)")
    p.add_argument("--db", help="database file (default: $BEISTAND_DB or DATA_DIR/beistand.db)")
    p.add_argument("--lang", help="language: de or en (default: de)")
    p.add_argument("--flow", help="open this flow instead of the menu (like /start FLOW)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "test",
        help="run conversation tests (default: the conversations/ of the configured content)",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"test files or folders (default: {ContentPaths().conversations}, or "
        "BEISTAND_CONTENT_DIR/conversations)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list passing conversations")
    _content_args(p)
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
        "--land", required=True, help="Land codes, comma-separated; DE = nationwide"
    )
    invite.add_argument("--topics", required=True, help="topics, comma-separated, or 'all'")
    actions.add_parser("list", help="list contact persons")
    remove = actions.add_parser("remove", help="remove a contact person")
    remove.add_argument("id", type=int)
    p.set_defaults(func=cmd_contacts)

    p = sub.add_parser("schema", help="print the JSON Schema of flow or knowledge files")
    p.add_argument("kind", nargs="?", default="flow", choices=("flow", "knowledge", "taxonomy"))
    p.add_argument("--write", metavar="DIR", help="write every schema into DIR")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("translations", help="extract messages and update the catalogs")
    _content_args(p)
    p.set_defaults(func=cmd_translations)

    p = sub.add_parser(
        "init", help="make a content directory (flows, knowledge, locales, tests, .env) to edit"
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument(
        "--force", action="store_true", help="write into a non-empty DIR (keeps an existing .env)"
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
    return parser


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
        _print_problems([p for p in err.problems if p.severity != "warning"])
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
