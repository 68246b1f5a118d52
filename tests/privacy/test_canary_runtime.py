"""Canary suite through the real runtime: hundreds of conversations over every flow, the handoff
with relay both ways, and forced errors; then no marker anywhere on disk.

Every user id, deep-link payload, typed text and command argument carries a fresh marker. The
whole run logs at DEBUG (every library too) into a file under the test's directory, temporary
files go there as well, and afterwards every file under it (database, ``-wal``, ``-shm``, logs,
temporary files) is scanned. Positive controls at the end prove the scan reads those files.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

from bot.content import Content
from bot.engine.actions import Action, Ask, Say
from bot.engine.events import Choose, Command, Event, Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.modes import mode_text
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, new_marker, report, sqlite_family
from testbed.scripts import PLATFORMS, Canaries, Explorer, resting_nodes
from tests.helpers import FakeClock, RecordingChannel
from tests.privacy.conftest import DebugLog

SEED = 20261123
CONVERSATIONS = 420  # enough to rest at every node of the shipped flows (10 flows since wave 3)
HANDOFFS = 16
#: Contact persons are staff: their account ids are stored by design, so they are no markers.
CONTACTS = (Sender("telegram", "880000000001", "de"), Sender("matrix", "@kontakt:example.org"))


def last_ask(actions: tuple[Action, ...]) -> Ask | None:
    asks = [a for a in actions if isinstance(a, Ask)]
    return asks[-1] if asks else None


async def contacts_registered(runtime: Runtime) -> None:
    for number, contact in enumerate(CONTACTS, 1):
        code = await runtime.handoff.invite(f"Ansprechperson {number}", ["DE"], ["all"])
        replies = await runtime.handle(Incoming(contact, Command("register", code)))
        assert "registriert" in " ".join(a.text for a in replies if isinstance(a, Say))


async def handoff_with_relay(
    explorer: Explorer,
    runtime: Runtime,
    canary: Canaries,
    channels: dict[str, RecordingChannel],
    send: Callable[[Sender, Event], Awaitable[tuple[Action, ...]]],
    rng: random.Random,
) -> dict[str, int]:
    """Cases opened with consent, claimed, text relayed both ways, ended in every way."""
    consents = [p for place, p in explorer.paths.items() if place[2] == "consent"]
    assert consents, "the exploration must reach a handoff consent"
    endings = ("user_ends", "contact_closes", "abuse", "erased", "open", "unclaimed_erased")
    done = dict.fromkeys(endings, 0)
    for number in range(HANDOFFS):
        ending = endings[number % len(endings)]
        user = Sender(rng.choice(PLATFORMS[:2]), canary(), rng.choice(("de", "en")))
        root, path = rng.choice(consents)
        prompt = await explorer.reach(user, root, path)
        await send(user, Choose(prompt.turn, 0))  # consent: hand over
        state = await runtime.store.load(runtime.key(user))
        assert state is not None
        assert mode_text(state.mode).startswith("case:"), "consent opens a case"
        code = mode_text(state.mode).removeprefix("case:")
        await runtime.handoff.deliver_due()
        # someone who is no contact person cannot claim, even with the right code
        refused = await send(Sender("telegram", canary()), Command("claim", code))
        assert "nur für registrierte" in " ".join(a.text for a in refused if isinstance(a, Say))
        # the user types while nobody has the case yet: nothing is relayed
        await send(user, Text(f"Ist da jemand? {canary()}"))
        if ending == "unclaimed_erased":
            await send(user, Command("delete"))
            done[ending] += 1
            continue
        owner, other = rng.sample(CONTACTS, 2)
        await send(owner, Command("claim", code))
        second = await send(other, Command("claim", code))
        assert "andere Ansprechperson" in " ".join(a.text for a in second if isinstance(a, Say))
        await runtime.handoff.deliver_due()
        before = len(channels[owner.platform].sent)
        user_text = f"Er steht vor meiner Tür, {canary()}, Telefon {canary()}"
        await send(user, Text(user_text))
        assert channels[owner.platform].sent[before:], "the user's text is relayed at once"
        assert user_text in channels[owner.platform].text()
        await send(owner, Text(f"{code}: Ich rufe Sie an, {canary()}"))
        await send(owner, Text(f"Bleiben Sie drinnen {canary()}"))
        match ending:
            case "user_ends":
                now = await runtime.store.load(runtime.key(user))
                assert now is not None
                asked = await send(user, Choose(now.turn, 0))  # "Fall beenden": asks first
                assert any(isinstance(a, Ask) for a in asked), asked
                now = await runtime.store.load(runtime.key(user))
                assert now is not None
                ended = await send(user, Choose(now.turn, 0))  # "Ja, Fall beenden"
                assert code in " ".join(a.text for a in ended if isinstance(a, Say)), ended
            case "contact_closes":
                await send(owner, Command("close", code))
            case "abuse":
                await send(owner, Command("abuse", code))
            case "erased":
                await send(user, Command("delete", canary()))
        await runtime.handoff.deliver_due()
        done[ending] += 1
    return done


async def test_canary_conversations_leave_no_trace(
    shipped: Content, tmp_path: Path, debug_log: DebugLog, private_tmp: Path, clock: FakeClock
):
    canary = Canaries()
    rng = random.Random(SEED)
    db = tmp_path / "data" / "beistand.db"
    channels = {p: RecordingChannel(p) for p in PLATFORMS}
    async with SqliteStore(db) as store:
        runtime = Runtime(shipped, store, secrets.token_bytes(32), clock=clock, rate_limit=10_000)
        for platform, channel in channels.items():
            runtime.register_channel(platform, channel)

        async def send(sender: Sender, event: Event) -> tuple[Action, ...]:
            clock.advance(rng.uniform(0.5, 30))
            return await runtime.handle(Incoming(sender, event))

        await contacts_registered(runtime)
        explorer = Explorer(runtime, shipped, canary, rng, send=send)
        await explorer.explore(limit=CONVERSATIONS)
        await runtime.handoff.deliver_due()
        endings = await handoff_with_relay(explorer, runtime, canary, channels, send, rng)

        # forced errors: a channel that fails with a message holding a marker; a relay then
        # cannot be delivered and the outbox keeps retrying
        for channel in channels.values():
            channel.error = f"invalid literal for int() with base 10: '{canary()}'"
            channel.failing = True
        await handoff_with_relay_failure(explorer, runtime, canary, send, rng)
        clock.advance(3600)
        await runtime.handoff.escalate_due()
        await runtime.handoff.deliver_due()

        # the run did what it claims
        assert explorer.conversations >= 200
        assert resting_nodes(shipped) <= explorer.visited, resting_nodes(shipped) - explorer.visited
        assert {"", "consent", "case"} <= explorer.modes
        assert all(count > 0 for count in endings.values()), endings
        relayed = "\n".join(c.text() for c in channels.values())
        assert sum(marker in relayed for marker in canary.scanner.markers) >= 3 * HANDOFFS // 2
        assert await store.conversation_count() > 100
        assert "event.handled" in debug_log.text()
        assert "delivery.failed" in debug_log.text()

        await statistics_hold_no_marker(store, shipped, canary, tmp_path)
        backups = take_backups(db, tmp_path / "backups")
        hits = canary.scanner.scan([tmp_path])
        assert hits == [], report(hits)
        assert sqlite_family(db)[1:], "the WAL and shared memory files were there to be scanned"
        assert all(b.stat().st_size > 0 for b in backups), "the backups were there to be scanned"

    hits = canary.scanner.scan([tmp_path])
    assert hits == [], report(hits)
    print(
        f"canary run: {explorer.conversations} conversations, {explorer.events} events, "
        f"{canary.count} markers, {len(explorer.visited)} places, endings {endings}"
    )
    await positive_controls(db, debug_log, tmp_path)


async def statistics_hold_no_marker(
    store: SqliteStore, shipped: Content, canary: Canaries, tmp_path: Path
) -> None:
    """The statistics rows are enumerated values only, and the outputs made from them (stats in
    every format, the report) hold no marker, no user id and no case code."""
    from bot.lagebild.keys import CHANNELS, OUTCOMES, flow_topics
    from bot.lagebild.report import labels_of, render_report
    from bot.lagebild.tables import Query, as_csv, as_json, as_text, build

    rows = await store.counters()
    assert {r.outcome for r in rows} >= {"services_shown", "handoff_requested"}
    topics = set(shipped.knowledge.topics) | {"none"}
    lands = set(shipped.knowledge.region_codes())
    for row in rows:
        assert re.fullmatch(r"\d{4}-W\d{2}", row.week), row
        assert row.topic in topics and row.land in lands and row.region == "none", row
        assert row.channel in set(CHANNELS.values()) and row.outcome in OUTCOMES, row
    picture = build(rows, Query(), 5, flow_topics(shipped.flows))
    page = render_report(picture, labels_of(shipped, "de"))
    for name, text in (
        ("stats.json", as_json(picture)),
        ("stats.csv", as_csv(picture)),
        ("stats.txt", as_text(picture)),
        ("lagebild.html", page),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")  # scanned with everything else
        assert canary.scanner.scan_bytes(text.encode(), Path(name)) == [], name


async def handoff_with_relay_failure(
    explorer: Explorer,
    runtime: Runtime,
    canary: Canaries,
    send: Callable[[Sender, Event], Awaitable[tuple[Action, ...]]],
    rng: random.Random,
) -> None:
    """A claimed case whose channels are down: relays fail, notices wait in the outbox."""
    consents = [p for place, p in explorer.paths.items() if place[2] == "consent"]
    user = Sender("matrix", canary(), "de")
    root, path = rng.choice(consents)
    prompt = await explorer.reach(user, root, path)
    await send(user, Choose(prompt.turn, 0))
    state = await runtime.store.load(runtime.key(user))
    assert state is not None
    code = mode_text(state.mode).removeprefix("case:")
    await runtime.handoff.deliver_due()  # fails: the notices stay in the outbox
    await send(CONTACTS[0], Command("claim", code))
    failed = await send(user, Text(f"Hallo? {canary()}"))
    assert "nicht zugestellt" in " ".join(a.text for a in failed if isinstance(a, Say))
    failed = await send(CONTACTS[0], Text(f"{code}: Hallo {canary()}"))
    assert "nicht zugestellt" in " ".join(a.text for a in failed if isinstance(a, Say))


def take_backups(db: Path, directory: Path) -> list[Path]:
    """What an operator's backup would hold: SQLite's online backup (a copy of every page, free
    ones included), ``VACUUM INTO`` (a rebuilt copy) and ``beistand backup``, all taken while the
    bot runs."""
    from bot.storage.backup import backup

    directory.mkdir()
    online, vacuumed = directory / "online.db", directory / "vacuum.db"
    command = directory / "command.db"
    backup(db, command)
    with closing(sqlite3.connect(db)) as source, closing(sqlite3.connect(online)) as target:
        source.backup(target)
    with closing(sqlite3.connect(db)) as source:
        source.execute("VACUUM INTO ?", (str(vacuumed),))
    return [online, vacuumed, command]


async def positive_controls(db: Path, debug_log: DebugLog, root: Path) -> None:
    """The scan reads the files the run wrote: a marker put there on purpose is found."""
    control = Scanner()
    in_db, in_log = control.add_marker(new_marker()), control.add_marker(new_marker())
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE control (v TEXT)")
    connection.execute("INSERT INTO control VALUES (?)", (in_db,))
    connection.commit()
    connection.close()
    logging.getLogger("bot.control").warning("control", extra={"where": in_log})
    debug_log.handler.flush()
    found = {h.needle for h in control.scan([root])}
    assert found == {in_db, in_log}
