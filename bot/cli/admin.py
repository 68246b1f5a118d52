"""The administrative commands: ``contacts`` (invite, list, remove), ``backup``, ``restore``.
They take the service's secret and database and create neither."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import replace

from bot.config import Settings
from bot.content import Content, require_content


def _invite_scope(
    args: argparse.Namespace, content: Content
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Lands, topics and regions of an invitation, and what is wrong with them (every problem
    at once). ``--region`` names AGS keys of the local layer; their Länder are added."""
    knowledge = content.knowledge
    lands = [x.strip().upper() for x in args.land.split(",") if x.strip()]
    topics = [x.strip() for x in args.topics.split(",") if x.strip()]
    regions = [x.strip() for x in args.region.split(",") if x.strip()]
    known = {r.code for r in knowledge.regions} | {"DE"}
    wrong = [f"unknown Land {x}" for x in lands if x not in known]
    wrong += [f"unknown topic {x}" for x in topics if x not in knowledge.topics and x != "all"]
    for ags in regions:
        found = knowledge.local_region(ags)
        if found is None:
            have = ", ".join(f"{r.ags} {r.name}" for r in knowledge.local_regions)
            wrong.append(f"unknown region {ags} (the local layer has: {have or 'no regions'})")
        elif found.land not in lands:
            lands.append(found.land)
    if not lands:
        wrong.append("no Land given (--land, or --region)")
    if not topics:
        wrong.append("no topic given")
    return lands, topics, regions, wrong


async def _contacts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.handoff.admin import Contacts
    from bot.handoff.rules import HandoffSettings
    from bot.storage.sqlite import SqliteStore

    # the service's secret and database or nothing: a new secret or an empty database here
    # would hand out invitations the running bot never sees
    _secret, db = settings.admin("contacts")
    paths = settings.content
    if getattr(args, "local", None):
        paths = replace(paths, local=args.local)
    content = require_content(paths)
    async with SqliteStore(db) as store:
        handoff = Contacts(store, time.time, HandoffSettings())
        if args.action == "invite":
            lands, topics, regions, wrong = _invite_scope(args, content)
            if wrong:
                for problem in wrong:
                    print(problem, file=sys.stderr)
                known = {r.code for r in content.knowledge.regions} - {"none"}
                print(f"Länder: DE, {', '.join(sorted(known))}", file=sys.stderr)
                print(f"topics: all, {', '.join(content.knowledge.topics)}", file=sys.stderr)
                return 1
            code = await handoff.invite(args.name, lands, topics, regions, args.role)
            print(f"Invitation for {args.name}: {code}")
            print(f"Valid {handoff.settings.invite_days} days. The person sends: /register {code}")
            return 0
        if args.action == "list":
            for c in await handoff.contacts():
                where = c.platform or "invited, not registered"
                state = "available" if c.available else "away"
                local = f"  regions [{', '.join(c.regions)}]" if c.regions else ""
                role = "  meldestelle" if c.role != "contact" else ""
                print(
                    f"{c.id:>4}  {c.name}  [{', '.join(c.lands)}]  [{', '.join(c.topics)}]"
                    f"{local}{role}  {where}  {state if c.platform else ''}".rstrip()
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
