"""Canary for the Übergriff report: the employee's typed contact details and typed dates carry
CNRY markers; after the report went to the Meldestelle, was acknowledged and the employee was
told, no marker is found in the database, its -wal and -shm, the routes file (with its -wal and
-shm) or the DEBUG log. The report's sealed route is only ever in the routes file, and gone
from every file at the end."""

from __future__ import annotations

from pathlib import Path

from bot.content import ContentPaths, load_content
from bot.engine.actions import Action, Say
from bot.engine.events import Choose, Command, Start, Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.routes_file import read_routes, routes_path
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, new_marker, report, sqlite_family
from tests.helpers import FakeClock, RecordingChannel, last_ask
from tests.privacy.conftest import DebugLog

ROOT = Path(__file__).resolve().parents[2]
USER = Sender("telegram", "4001", "de")
OFFICE = Sender("matrix", "@meldestelle:x", "de", route="room-m")


async def tap(runtime: Runtime, actions: tuple[Action, ...], label: str) -> tuple[Action, ...]:
    prompt = last_ask(actions)
    index = next(o.index for o in prompt.options if o.label == label)
    return await runtime.handle(Incoming(USER, Choose(prompt.turn, index)))


async def test_no_typed_report_text_stays_anywhere(
    tmp_path: Path, debug_log: DebugLog, private_tmp: Path
) -> None:
    content, problems = load_content(ContentPaths(local=ROOT / "examples" / "musterland"))
    assert content is not None, problems
    scanner = Scanner()
    contact_text = scanner.add_marker(new_marker())
    bad_date = scanner.add_marker(new_marker())
    db = tmp_path / "canary.db"
    matrix = RecordingChannel()
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, b"c" * 32, clock=FakeClock(), rate_limit=1000)
        runtime.register_channel("matrix", matrix)
        runtime.register_channel("telegram", RecordingChannel())
        code = await runtime.handoff.invite(
            "Meldestelle Musterland", ["SN"], ["assault"], ["14999"], "meldestelle"
        )
        await runtime.handle(Incoming(OFFICE, Command("register", code)))
        actions = await runtime.handle(Incoming(USER, Start("uebergriff")))
        for label in ("Nein, es ist vorbei", "Ich wurde bedroht oder beleidigt", "Sachsen"):
            actions = await tap(runtime, actions, label)
        actions = await tap(runtime, actions, "Landkreis Musterland")
        actions = await tap(runtime, actions, "Übergriff in meiner Verwaltung melden")
        for label in ("Körperlicher Angriff", "Jugendamt"):
            actions = await tap(runtime, actions, label)
        actions = await runtime.handle(Incoming(USER, Text(f"3.12. {bad_date}")))
        assert "Dieses Datum kann ich nicht lesen" in " ".join(
            a.text for a in actions if isinstance(a, Say)
        )
        actions = await runtime.handle(Incoming(USER, Text("20.11.2026")))
        for label in ("Ja", "Ja", "Ja", "Ja, senden"):
            actions = await tap(runtime, actions, label)
        await runtime.deliver_due()
        await runtime.handle(Incoming(USER, Text(f"Durchwahl {contact_text}")))
        assert contact_text in matrix.text("room-m")  # it was relayed, and only relayed
        codes = [line for line in matrix.texts("room-m") if "/bestaetigen" in line]
        report_code = codes[0].rsplit("/bestaetigen ", 1)[1].rstrip(".")
        sealed = read_routes(db)[f"report:{report_code}"]  # the report's route, in that file
        route = Scanner()
        route.add_blob("report route", sealed)
        assert route.scan(sqlite_family(db)), "the scan finds the route while the report is open"
        main = [p for p in sqlite_family(db) if not p.name.startswith(routes_path(db).name)]
        assert route.scan(main) == [], "the report's route was in the database's own files"
        scanner.add_blob("report route", sealed)  # and at the end it is gone from every file
        await runtime.handle(Incoming(OFFICE, Command("acknowledge", report_code)))
        await runtime.deliver_due()
        await runtime.purge()
        files = [*sqlite_family(db), debug_log.path]
        assert db.exists() and debug_log.text()
        assert routes_path(db) in files and routes_path(db).exists()  # the routes file is scanned
        assert read_routes(db) == {}  # the acknowledgement's route went with its delivery
        assert await store.report(report_code) is None
        hits = scanner.scan(files)
    assert hits == [], report(hits)
    # positive control: the scan does read these files
    control = tmp_path / "control.log"
    control.write_bytes(debug_log.path.read_bytes() + f"{contact_text}\n".encode())
    assert scanner.scan([control])
