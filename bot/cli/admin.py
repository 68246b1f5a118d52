"""The administrative commands: ``contacts`` (invite, list, remove), ``backup``, ``restore``.
They take the service's secret and database and create neither."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bot.config import Settings
from bot.content import require_content


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
