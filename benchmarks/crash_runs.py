"""Crash consistency: the bot killed with SIGKILL at random moments (security.md, test 7).

Two channels, one accounting:

- ``--channel console``: ``beistand chat`` (the terminal channel). A contact person is registered
  on the terminal channel, so every handoff notice is printed by the chat: the process's output is
  what was "sent". The scripted user walks to a handoff, consents, types, ends the case, and does
  it again; after the last kill a clean process delivers what is still due.
- ``--channel telegram``: ``beistand run`` against the Bot API emulator
  (``testbed/telegram_emulator.py``), served by this process on 127.0.0.1. A contact person
  registers with ``/registrieren CODE`` (the code from ``beistand contacts invite``) from a second
  Telegram account; notices are what the emulator saw as ``sendMessage`` in her chat (and, for
  claims and closes, in the user's). Three users walk to a handoff at the same time, tapping as
  on Telegram (:data:`PLANS`): one withdraws with ``/loeschen`` before anyone took the case, one
  case the contact claims and the two talk through the bot until the user ends it, one the
  contact claims and closes. Meanwhile the process is killed at random moments: while it starts
  up, at any moment while people talk, and in the instant a notice reached the emulator but
  before the bot had the answer (mid-send). It is restarted each time and people go on where
  they are (sending again what got no answer); after the last kill each user goes on once more
  and the outbox must drain.

Each run gets its own database and data directory; every kill is followed by
``PRAGMA integrity_check`` of the database and of its routes file, which must report ``ok``;
after the last, clean stop no sealed route may be left that no row owns. Then, per case:

- every case that was opened was announced to the contact (none lost; a repeat is only possible
  for a notice that was being sent in the instant of a kill, so at most one per kill);
- every case the user ended or withdrew was reported to the contact (same rule); on Telegram also
  every claim and every close by the contact was reported to the user;
- the outbox is empty, and the conversation continued (same pseudonymous row, a later turn).

    .venv/bin/python benchmarks/crash_runs.py                     # 200 runs, two kills each
    .venv/bin/python benchmarks/crash_runs.py --runs 20 --kills 1
    .venv/bin/python benchmarks/crash_runs.py --channel telegram  # 200 runs over Telegram, ~35 min
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.content import ContentPaths, require_content  # noqa: E402
from testbed.notices import CLAIMED, CLOSED, ENDED, NEW, account  # noqa: E402
from testbed.telegram_emulator import Message, SimUser, TelegramEmulator  # noqa: E402

BEISTAND = Path(sys.executable).with_name("beistand")
INVITATION = re.compile(r"Invitation for [^:]*: (\S+)")


async def _consent_answers() -> list[str]:
    """The numbers a terminal user types from the main menu to a handoff consent."""
    from testbed.scripts import find_consent

    _root, path = await find_consent(require_content(ContentPaths()), None)
    return [str(index + 1) for index in path]


def script(answers: list[str], rng: random.Random) -> list[str]:
    """What the user types: three handoffs, the first two withdrawn with ``/loeschen`` (typing
    the number of "Fall beenden" is passed on as a message), the last left open."""
    lines: list[str] = []
    for case in range(3):
        lines += ["/start", *answers, "1", f"Hallo, ist da jemand? {rng.randrange(10**6)}"]
        if case < 2:
            lines += ["/loeschen"]
    return lines


@dataclass
class RunResult:
    """What one run found."""

    number: int
    kills: int = 0
    integrity: list[str] = field(default_factory=list)
    cases: int = 0
    ended: int = 0
    claimed: int = 0
    closed: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: int = 0
    moments: list[str] = field(default_factory=list)  # when each kill came (Telegram)
    outbox_left: int = 0
    continued: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            all(r == "ok" for r in self.integrity)
            and not self.lost
            and self.duplicates <= self.kills
            and self.outbox_left == 0
            and self.continued
            and not self.problems
        )


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEISTAND_", "TELEGRAM_"))}
    env.update(BEISTAND_DATA_DIR=str(data), PYTHONUNBUFFERED="1", BEISTAND_LOG_LEVEL="WARNING")
    env.pop("MATRIX_HOMESERVER", None)
    return env


def _service_data(data: Path, env: dict[str, str]) -> dict[str, str]:
    """What a service's first start leaves in ``data`` (the database; without
    ``BEISTAND_SECRET`` in ``env`` the secret file ``beistand chat`` uses), and ``env`` with the
    secret: ``beistand contacts`` works only with the service's secret and database."""
    from bot.storage.sqlite import SqliteStore

    async def create() -> None:
        async with SqliteStore(data / "beistand.db"):
            pass

    asyncio.run(create())
    if "BEISTAND_SECRET" in env:
        return env
    path = data / "secret"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return {**env, "BEISTAND_SECRET": path.read_text(encoding="ascii")}


def invite(data: Path, env: dict[str, str]) -> str:
    """``beistand contacts invite`` for a nationwide contact person for every topic, in ``data``;
    returns the one-time code."""
    env = _service_data(data, env)
    done = subprocess.run(
        [
            str(BEISTAND),
            "contacts",
            "invite",
            "--name",
            "Kontakt",
            "--land",
            "DE",
            "--topics",
            "all",
        ],
        env=env,
        cwd=data,
        check=True,
        capture_output=True,
        text=True,
    )
    found = INVITATION.search(done.stdout)
    if found is None:
        raise RuntimeError("beistand contacts invite printed no code")
    return found[1]


def template(directory: Path) -> Path:
    """A data directory with a database that has one registered contact person ("kontakt")."""
    data = directory / "template"
    data.mkdir()
    invite(data, _env(data))
    db = sqlite3.connect(data / "beistand.db")
    # what "/register CODE" does, for a contact on the terminal channel
    db.execute(
        "UPDATE contacts SET platform='console', account='kontakt', route='kontakt', "
        "invite_hash=NULL, invite_expires=NULL"
    )
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return data


def chat(data: Path, lines: list[str], rng: random.Random, kill_after: float | None) -> str:
    """Run ``beistand chat`` once, typing ``lines``; SIGKILL it ``kill_after`` seconds after its
    first output (a negative value: that long after starting, while it is still starting up)."""
    process = subprocess.Popen(
        [str(BEISTAND), "chat", "--db", str(data / "beistand.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_env(data),
        cwd=ROOT,
    )
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None
    assert stdout is not None
    output: list[bytes] = []
    greeted = threading.Event()

    def read() -> None:
        for chunk in iter(stdout.readline, b""):
            output.append(chunk)
            greeted.set()
        greeted.set()

    reader = threading.Thread(target=read)
    reader.start()
    started = time.monotonic()
    if kill_after is not None and kill_after < 0:
        time.sleep(-kill_after)
        process.send_signal(signal.SIGKILL)
    else:
        greeted.wait(timeout=60)
        started = time.monotonic()
        try:
            for line in lines:
                if kill_after is not None and time.monotonic() - started >= kill_after:
                    break
                stdin.write(line.encode() + b"\n")
                stdin.flush()
                time.sleep(rng.uniform(0.005, 0.04))
            if kill_after is None:
                stdin.close()
            else:
                time.sleep(max(0.0, kill_after - (time.monotonic() - started)))
                process.send_signal(signal.SIGKILL)
        except BrokenPipeError:
            pass
    process.wait(timeout=60)
    reader.join(timeout=60)
    for pipe in (stdin, stdout):
        with contextlib.suppress(BrokenPipeError):  # it died with input still buffered
            pipe.close()
    text = b"".join(output).decode("utf-8", "replace")
    if kill_after is None and process.returncode != 0:
        raise RuntimeError(f"beistand chat failed ({process.returncode}): {text[-500:]}")
    return text


def kill_moment(rng: random.Random) -> float:
    """Mostly while the conversation runs, sometimes while the process starts up."""
    return -rng.uniform(0.05, 0.8) if rng.random() < 0.1 else rng.uniform(0.0, 1.2)


def _integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of the database and of its routes file (``<db>.routes``)."""
    from bot.storage.routes_file import routes_path

    found = []
    for path in (db, routes_path(db)):
        if not path.exists() and path != db:
            continue
        connection = sqlite3.connect(path)
        try:
            found.append(str(connection.execute("PRAGMA integrity_check").fetchone()[0]))
        finally:
            connection.close()
    bad = [f"{n}: {r}" for n, r in zip(("db", "routes"), found, strict=False) if r != "ok"]
    return bad[0] if bad else "ok"


def _stray_routes(db: Path) -> int:
    """How many sealed routes no row owns (after a clean stop: none may be left)."""
    from bot.storage.routes_file import read_routes
    from bot.storage.sqlite_routes import live_owners

    connection = sqlite3.connect(db)
    try:
        live = live_owners(connection)
    finally:
        connection.close()
    return sum(owner not in live for owner in read_routes(db))


def _conversation(db: Path) -> tuple[bytes, int] | None:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT key, turn FROM conversations").fetchall()
    finally:
        connection.close()
    return (bytes(rows[0][0]), int(rows[0][1])) if len(rows) == 1 else None


def one_run(
    number: int, template_dir: Path, base: Path, answers: list[str], kills: int
) -> RunResult:
    """One run: ``kills`` killed processes, then a clean one; checks as in the module doc."""
    rng = random.Random(number)
    result = RunResult(number)
    data = base / f"run{number}"
    shutil.copytree(template_dir, data)
    db = data / "beistand.db"
    outputs: list[str] = []
    lines = script(answers, rng)
    before: tuple[bytes, int] | None = None
    for _ in range(kills):
        outputs.append(chat(data, lines, rng, kill_after=kill_moment(rng)))
        result.kills += 1
        result.integrity.append(_integrity(db))
        before = _conversation(db)
    outputs.append(chat(data, ["/start", *answers[:1]], rng, kill_after=None))
    result.integrity.append(_integrity(db))
    after = _conversation(db)
    if before is not None:  # the stored conversation is picked up, not started anew
        greeted = "Willkommen bei Beistand" in outputs[-1]
        if greeted or after is None or after[0] != before[0] or after[1] <= before[1]:
            result.continued = False
    text = "\n".join(outputs)
    connection = sqlite3.connect(db)
    try:
        cases = {
            str(c): str(r)
            for c, r in connection.execute("SELECT code, coalesce(close_reason, '') FROM cases")
        }
        result.outbox_left = int(connection.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        connection.close()
    result.cases = len(cases)
    result.ended = sum(reason in ("user", "erased") for reason in cases.values())
    result.lost, result.duplicates, unknown = account(text, cases)
    if unknown:
        result.problems.append(f"notices for cases not in the database: {unknown}")
    if "Traceback" in text:
        result.problems.append("a traceback in the output")
    if stray := _stray_routes(db):
        result.problems.append(f"{stray} sealed routes nobody owns")
    shutil.rmtree(data)
    return result


def run_all(runs: int, kills: int, workers: int, base: Path) -> list[RunResult]:
    """All runs, ``workers`` at a time."""
    answers = asyncio.run(_consent_answers())
    template_dir = template(base)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one_run, n, template_dir, base, answers, kills) for n in range(runs)]
        return [f.result() for f in futures]


# ------------------------------------------------------------------------------------ Telegram

#: The question of an open case, as the user sees it.
CASE = re.compile(r"Ihr Fall (\S+?)(?: wartet auf|: Eine Ansprechperson ist)")
CONSENT = "Kein Name, kein Text, kein Konto"
#: The question before a case ends (its button, or /start in the case): "no" stays in it.
END_ASKED = re.compile(r"Möchten Sie Ihren Fall \S+ wirklich beenden|Ihr Fall \S+ ist noch offen")
#: Seconds of silence in the chats concerned after which a person tries again. The bot sends at
#: most one message a second into a chat (after a burst), so a busy bot is never silent this long.
PATIENCE = 4.0
#: A run that takes longer has hung.
RUN_DEADLINE = 300.0


@dataclass(frozen=True)
class Plan:
    """What one user of the Telegram script does: whether the contact person takes their case,
    and how it ends: "erase" (the user sends /loeschen), "button" (the user taps "Fall beenden")
    or "contact" (the contact person closes it with /abschliessen)."""

    claim: bool
    end: str


#: One user each, all at the same time, with the same contact person.
PLANS = (
    Plan(claim=False, end="erase"),
    Plan(claim=True, end="button"),
    Plan(claim=True, end="contact"),
)


class Hang(Exception):
    """A run made no progress before its deadline."""


def _token() -> str:
    """A bot token of the real shape, for the emulator."""
    return f"{random.randrange(10**8, 10**9)}:{secrets.token_urlsafe(30)}"


async def _questions() -> dict[str, int]:
    """The questions on the way from the main menu to a handoff consent (by their first line),
    each with the answer (button index) that leads on."""
    from bot.engine.actions import Ask
    from bot.engine.events import Choose, Start
    from bot.runtime import Runtime
    from bot.runtime_api import Incoming, Sender
    from bot.storage.sqlite import SqliteStore
    from testbed.scripts import find_consent

    content = require_content(ContentPaths())
    root, path = await find_consent(content, None)
    answers: dict[str, int] = {}
    async with SqliteStore(":memory:") as store:
        runtime = Runtime(content, store, b"x" * 32, rate_limit=1_000_000)
        sender = Sender("telegram", "1", "de")
        actions = await runtime.handle(Incoming(sender, Start(root)))
        for index in path:
            question = [a for a in actions if isinstance(a, Ask)][-1]
            answers[question.text.splitlines()[0]] = index
            actions = await runtime.handle(Incoming(sender, Choose(question.turn, index)))
    return answers


def telegram_template(directory: Path) -> tuple[Path, str]:
    """A data directory whose database holds one invitation for a contact person, and its code
    (the person registers over Telegram in every run)."""
    data = directory / "template"
    data.mkdir()
    code = invite(data, {**_env(data), "BEISTAND_SECRET": secrets.token_hex(32)})
    return data, code


def _outbox(db: Path) -> int:
    connection = sqlite3.connect(db)
    try:
        return int(connection.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        connection.close()


def _conversations(db: Path) -> dict[bytes, int]:
    """The turn of each stored conversation, by its key."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT key, turn FROM conversations").fetchall()
    finally:
        connection.close()
    return {bytes(key): int(turn) for key, turn in rows}


def _cases(db: Path) -> tuple[dict[str, str], set[str], bool]:
    """Each case's close reason ("" while open), the cases a contact claimed, and whether the
    contact person is registered."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT code, coalesce(close_reason, ''), claimed_at IS NOT NULL FROM cases"
        ).fetchall()
        registered = connection.execute(
            "SELECT count(*) FROM contacts WHERE account IS NOT NULL"
        ).fetchone()[0]
    finally:
        connection.close()
    return {str(c): str(r) for c, r, _ in rows}, {str(c) for c, _, t in rows if t}, registered == 1


def said(person: SimUser, seen: int, *fragments: str) -> bool:
    """Whether a message after the first ``seen`` in a person's chat holds one of the fragments."""
    return any(f in m.text for m in person.received[seen:] for f in fragments)


class TelegramRun:
    """One run over Telegram: ``beistand run`` against the emulator, killed ``kills`` times and
    restarted (:meth:`killer`), while one user per plan and a contact person talk to it."""

    def __init__(
        self,
        number: int,
        emulator: TelegramEmulator,
        template_dir: Path,
        invitation: str,
        base: Path,
        questions: dict[str, int],
        kills: int,
    ) -> None:
        self.rng = random.Random(number)
        self.result = RunResult(number)
        self.emulator = emulator
        self.token = _token()
        self.bot = emulator.add_bot(self.token)
        self.contact = emulator.user(self.bot, first_name="Kontakt")
        self.users = [Walker(self, emulator.user(self.bot, first_name="Nutzer"), p) for p in PLANS]
        self.template_dir = template_dir
        self.invitation = invitation
        self.data = base / f"run{number}"
        self.db = self.data / "beistand.db"
        self.questions = questions
        self.kills = kills
        self.secret = secrets.token_hex(32)
        self.env = {
            **_env(self.data),
            "BEISTAND_SECRET": self.secret,
            "TELEGRAM_TOKEN": self.token,
            "TELEGRAM_API_URL": emulator.base_url,
            "BEISTAND_RATE_LIMIT": "1000",  # scripted people answer faster than anyone types
        }
        self.process: asyncio.subprocess.Process | None = None
        self.up = asyncio.Event()  # the current process polls for updates
        self.watcher: asyncio.Task[None] | None = None
        self.all_killed = asyncio.Event()
        self.deadline = time.monotonic() + RUN_DEADLINE
        self.done: set[str] = set()  # cases the script is through with
        self.registered = asyncio.Event()
        self.before: dict[bytes, int] = {}  # the conversations at the last kill
        self.logs: list[Path] = []

    # ------------------------------------------------------------------ the process

    async def start(self) -> None:
        """Start ``beistand run``; ``up`` is set once it polls for updates."""
        calls = len(self.bot.calls)
        log = self.data / f"bot{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(BEISTAND),
                "run",
                env=self.env,
                cwd=self.data,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        self.up.clear()
        self.watcher = asyncio.create_task(self._watch(calls))

    async def _watch(self, calls: int) -> None:
        def polling() -> bool:
            return any(c.method == "getUpdates" for c in self.bot.calls[calls:])

        with contextlib.suppress(TimeoutError):
            await self.emulator.wait_until(polling, RUN_DEADLINE)
            self.up.set()

    async def kill(self) -> None:
        """SIGKILL; then ``PRAGMA integrity_check`` and where the conversations stand."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()
        self.up.clear()
        if self.watcher is not None:
            self.watcher.cancel()
        self.result.kills += 1
        for user in self.users:
            user.seen_at_kill = len(user.sim.received)
        self.result.integrity.append(await asyncio.to_thread(_integrity, self.db))
        self.before = await asyncio.to_thread(_conversations, self.db)

    def notices(self) -> int:
        """Notices the emulator has seen so far (to the contact or a user)."""
        to_contact = sum(
            bool(NEW.search(m.text) or ENDED.search(m.text)) for m in self.contact.received
        )
        to_users = sum(
            bool(CLAIMED.search(m.text) or CLOSED.search(m.text))
            for user in self.users
            for m in user.sim.received
        )
        return to_contact + to_users

    async def moment(self) -> None:
        """Wait for a moment to kill: while the bot starts up (1 in 10), the instant a notice
        reached the emulator, before the bot has the answer (3 in 10), or any moment while people
        talk."""
        roll = self.rng.random()
        if roll < 0.1:
            await asyncio.sleep(self.rng.uniform(0.05, 4.0))
            self.result.moments.append("starting" if not self.up.is_set() else "talking")
            return
        await self.wait_up()
        if roll < 0.4:
            sent = self.notices()
            notice = await self.within(lambda: self.notices() > sent, 15.0)
            self.result.moments.append("notice" if notice else "talking")
            return
        await asyncio.sleep(self.rng.uniform(0.0, 5.0))
        self.result.moments.append("talking")

    async def killer(self) -> None:
        """Kill the bot ``kills`` times, each time restarting it after a short while."""
        for _ in range(self.kills):
            await self.moment()
            await self.kill()
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))  # people go on while it is down
            await self.start()
        self.all_killed.set()

    # ------------------------------------------------------------------ waiting

    def check(self, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise Hang(what)

    async def within(self, predicate: Callable[[], object], seconds: float = PATIENCE) -> bool:
        """Whether ``predicate()`` holds within ``seconds`` (never past the run's deadline)."""
        remaining = min(seconds, self.deadline - time.monotonic())
        try:
            await self.emulator.wait_until(predicate, max(remaining, 0.0))
        except TimeoutError:
            return False
        return True

    async def wait_up(self) -> None:
        """Until the bot polls for updates (after a kill: once it is back)."""
        try:
            await asyncio.wait_for(self.up.wait(), max(self.deadline - time.monotonic(), 0.0))
        except TimeoutError:
            raise Hang("waiting for the bot to poll") from None

    async def answered(
        self, done: Callable[[], object], chats: tuple[SimUser, ...], what: str = "an answer"
    ) -> bool:
        """Wait for ``done()`` as long as the bot keeps sending into one of ``chats``; False after
        PATIENCE seconds of silence there."""
        while True:
            self.check(what)
            deliveries = sum(len(chat.log) for chat in chats)
            if await self.within(done):
                return True
            if sum(len(chat.log) for chat in chats) == deliveries:
                return False

    async def patiently(
        self,
        act: Callable[[], object],
        done: Callable[[], bool],
        chats: tuple[SimUser, ...],
        what: str,
    ) -> None:
        """``act()`` until ``done()``: again after each silence, once the bot is up (a message
        taken in by a killed process is lost, so people send it again)."""
        while True:
            act()
            if await self.answered(done, chats, what):
                return
            await self.wait_up()

    # ------------------------------------------------------------------ the contact person

    async def register(self) -> None:
        """The contact person sends /registrieren with the invitation's code."""
        seen = len(self.contact.received)
        await self.patiently(
            lambda: self.contact.send_text(f"/registrieren {self.invitation}"),
            lambda: said(self.contact, seen, "registriert", "ungültig"),
            (self.contact,),
            "the registration",
        )
        # "ungültig" answers a repeat whose first attempt was taken in by a killed process
        if (
            not said(self.contact, seen, "registriert")
            and not (await asyncio.to_thread(_cases, self.db))[2]
        ):
            raise Hang("the contact person could not register")
        self.registered.set()

    async def claim(self, code: str, user: SimUser) -> None:
        """The contact person takes the case with the button of its notice."""

        def notice() -> Message | None:
            found = (m for m in self.contact.received if m.text.startswith(f"Neuer Fall {code} "))
            return next(found, None)

        while notice() is None:
            if not await self.answered(notice, (self.contact,), f"the notice of {code}"):
                await self.wait_up()
        message = notice()
        assert message is not None
        seen = len(self.contact.received)
        await self.patiently(
            lambda: self.contact.press(message, message.buttons[0].text),
            lambda: said(self.contact, seen, f"Fall {code} übernommen", f"Fall {code} bereits"),
            (self.contact,),
            f"the claim of {code}",
        )
        # the user goes on once told (a lost notice is counted at the end)
        told = f"Ihren Fall {code} übernommen"
        await self.answered(lambda: said(user, 0, told), (user,), f"the user told of {code}")

    async def answer(self, code: str, user: SimUser) -> None:
        """The contact person writes to the user of the case (the code first: she has several)."""
        text = f"Guten Tag, hier ist Ihre Ansprechperson. {self.rng.randrange(10**6)}"
        seen = len(user.received)
        await self.patiently(
            lambda: self.contact.send_text(f"{code}: {text}"),
            lambda: said(user, seen, text),
            (self.contact, user),
            f"the contact's message in {code}",
        )

    async def close(self, code: str, user: SimUser) -> None:
        """The contact person closes the case with /abschliessen."""
        seen = len(self.contact.received)
        await self.patiently(
            lambda: self.contact.send_text(f"/abschliessen {code}"),
            lambda: said(self.contact, seen, f"Fall {code} ist ab", f"offenen Fall {code}"),
            (self.contact,),
            f"closing {code}",
        )
        told = f"Ihr Fall {code} ist ab"
        await self.answered(lambda: said(user, 0, told), (user,), f"the user told of {code}")

    # ------------------------------------------------------------------ the run

    async def run(self) -> RunResult:
        """Run, check, clean up."""
        await asyncio.to_thread(shutil.copytree, self.template_dir, self.data)
        self.deadline = time.monotonic() + RUN_DEADLINE
        try:
            await self.start()
            async with asyncio.TaskGroup() as group:
                group.create_task(self.register())
                group.create_task(self.killer())
                for user in self.users:
                    group.create_task(user.walk())
            await self.finish()
        except* Hang as hung:
            self.result.problems += [f"no progress: {h}" for h in hung.exceptions]
        finally:
            await self.end()
        return self.result

    async def finish(self) -> None:
        """Let the outbox drain, stop the bot with SIGTERM, and account."""
        assert self.process is not None
        for _ in range(300):
            if await asyncio.to_thread(_outbox, self.db) == 0:
                break
            await asyncio.sleep(0.1)
        self.process.terminate()
        try:
            status = await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.result.problems.append("beistand run did not stop on SIGTERM")
            return
        if status != 0:
            self.result.problems.append(f"beistand run exited with {status}")
        result = self.result
        result.integrity.append(await asyncio.to_thread(_integrity, self.db))
        if stray := await asyncio.to_thread(_stray_routes, self.db):
            result.problems.append(f"{stray} sealed routes nobody owns")
        after = await asyncio.to_thread(_conversations, self.db)
        result.continued = all(user.continued(after) for user in self.users)
        cases, claimed, _registered = await asyncio.to_thread(_cases, self.db)
        result.outbox_left = await asyncio.to_thread(_outbox, self.db)
        result.cases = len(cases)
        result.ended = sum(reason in ("user", "erased") for reason in cases.values())
        result.claimed = len(claimed)
        result.closed = sum(reason == "contact" for reason in cases.values())
        result.lost, result.duplicates, unknown = account(
            "\n".join(m.text for m in self.contact.received),
            cases,
            "\n".join(m.text for user in self.users for m in user.sim.received),
            claimed,
        )
        if unknown:
            result.problems.append(f"notices for cases not in the database: {unknown}")
        if len(cases) < len(PLANS):
            result.problems.append(f"only {len(cases)} of {len(PLANS)} cases were opened")

    async def end(self) -> None:
        """No process left, the bot account gone from the emulator, the data deleted; error
        lines of the bot's logs become problems."""
        if self.watcher is not None:
            self.watcher.cancel()
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self.emulator.bots.pop(self.token, None)
        for log in self.logs:
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if " ERROR " in line or " CRITICAL " in line or "Traceback" in line:
                    self.result.problems.append(f"{log.name}: {line}")
        await asyncio.to_thread(shutil.rmtree, self.data, True)


class Walker:
    """One user of a Telegram run, following a :class:`Plan` by tapping and typing."""

    def __init__(self, run: TelegramRun, sim: SimUser, plan: Plan) -> None:
        self.run = run
        self.sim = sim
        self.plan = plan
        self.spent: set[int] = set()  # questions whose buttons the bot called no longer valid
        self.seen_at_kill = 0  # messages received before the last kill

    def question(self) -> Message | None:
        """The newest message with buttons."""
        return next((m for m in reversed(self.sim.received) if m.keyboard), None)

    def asked(self) -> int:
        """How many messages with buttons were received."""
        return sum(1 for m in self.sim.received if m.keyboard)

    def asked_more(self, than: int) -> bool:
        """Whether more than ``than`` messages with buttons were received."""
        return self.asked() > than

    def refused(self, query: str | None) -> bool:
        """Whether the bot answered this tap with "no longer valid"."""
        return query is not None and any(a.query_id == query and a.text for a in self.sim.answers)

    async def tap(self, question: Message, index: int, done: Callable[[], bool]) -> None:
        """Tap a button; wait for ``done()``, a refusal, or silence (then until the bot is up)."""
        query = self.sim.press(question, question.buttons[index].text)
        answer = self.run.answered(lambda: done() or self.refused(query), (self.sim,), "a tap")
        if not await answer:
            await self.run.wait_up()
        if self.refused(query):
            self.spent.add(question.message_id)

    async def reach_case(self, wanted: str | None = None) -> str | None:
        """From wherever the user is, walk to the question of an open case; returns its code.

        The user taps the answer each question on the way needs, and sends /start where there is
        no such question. With ``wanted``: None once a consent is asked instead (that case is no
        longer open).
        """
        while True:
            self.run.check(f"reaching a case {wanted or ''}")
            question = self.question()
            answer: int | None = None
            if (
                question is not None
                and question.message_id not in self.spent
                and self.sim.current(question).keyboard
            ):
                found = CASE.search(question.text)  # also after the text that opened it
                if found and found[1] not in self.run.done:
                    return found[1]
                if CONSENT in question.text:
                    if wanted is not None:
                        return None
                    answer = 0
                elif END_ASKED.search(question.text):
                    answer = 1  # no, stay in the case
                else:
                    # the question's own line (at /start the notice and welcome come first)
                    lines = question.text.splitlines()
                    answer = next(
                        (self.run.questions[x] for x in lines if x in self.run.questions), None
                    )
            more = functools.partial(self.asked_more, self.asked())
            if question is None or answer is None:
                self.sim.send_text("/start")
                if not await self.run.answered(more, (self.sim,), "/start"):
                    await self.run.wait_up()
            else:
                await self.tap(question, answer, more)

    async def write(self, code: str) -> None:
        """The user writes; without a contact on the case the bot says it cannot pass it on."""
        text = f"Hallo, ist da jemand? {self.run.rng.randrange(10**6)}"
        seen, contact = len(self.sim.received), self.run.contact
        seen_contact = len(contact.received)
        if self.plan.claim:
            await self.run.patiently(
                lambda: self.sim.send_text(text),
                lambda: said(contact, seen_contact, text),
                (self.sim, contact),
                f"the user's message in {code}",
            )
        else:
            await self.run.patiently(
                lambda: self.sim.send_text(text),
                lambda: said(self.sim, seen, "nicht weitergegeben und nicht aufbewahrt"),
                (self.sim,),
                f"the user's message in {code}",
            )

    async def end_case(self, code: str) -> None:
        """The user taps "Fall beenden" under the question of the case, then "Ja, Fall beenden"."""
        while True:
            if await self.reach_case(code) != code:
                return  # the tap was taken in by a process that was killed before it answered
            question = self.question()
            assert question is not None
            seen = len(self.sim.received)
            ended = f"Ihr Fall {code} ist beendet"
            await self.tap(question, 0, functools.partial(self.asked_more, self.asked()))
            confirm = self.question()
            if confirm is not None and confirm is not question and END_ASKED.search(confirm.text):
                await self.tap(confirm, 0, functools.partial(said, self.sim, seen, ended))
            if said(self.sim, seen, ended):
                return

    async def erase(self) -> None:
        """The user sends /loeschen."""
        seen = len(self.sim.received)
        await self.run.patiently(
            lambda: self.sim.send_text("/loeschen"),
            lambda: said(self.sim, seen, "ist gelöscht"),
            (self.sim,),
            "the erasure",
        )

    async def walk(self) -> None:
        """The plan, then (after the last kill) one more step of the conversation."""
        run = self.run
        await run.registered.wait()
        code = await self.reach_case()
        assert code is not None
        if self.plan.claim:
            await run.claim(code, self.sim)
        await self.write(code)
        if self.plan.claim:
            await run.answer(code, self.sim)
        if self.plan.end == "erase":
            await self.erase()
        elif self.plan.end == "button":
            await self.end_case(code)
        else:
            await run.close(code, self.sim)
        run.done.add(code)
        await run.all_killed.wait()
        seen = len(self.sim.received)  # the notice at /start comes once the step is stored
        await run.patiently(
            lambda: self.sim.send_text("/start"),
            lambda: said(self.sim, seen, "Hinweis: Telegram speichert"),
            (self.sim,),
            "the last /start",
        )

    def continued(self, after: dict[bytes, int]) -> bool:
        """Whether the conversation stored at the last kill was picked up, not started anew
        (unless the user erased it since)."""
        from bot.runtime import pseudonym

        key = pseudonym(self.run.secret.encode(), "telegram", str(self.sim.id))
        fresh = self.sim.received[self.seen_at_kill :]
        if key not in self.run.before or any("ist gelöscht" in m.text for m in fresh):
            return True
        greeted = any("Willkommen bei Beistand" in m.text for m in fresh)
        return not greeted and after.get(key, -1) > self.run.before[key]


async def run_telegram(runs: int, kills: int, workers: int, base: Path) -> list[RunResult]:
    """All runs over Telegram, ``workers`` at a time, against one emulator (a bot account each)."""
    questions = await _questions()
    template_dir, invitation = await asyncio.to_thread(telegram_template, base)
    slots = asyncio.Semaphore(workers)
    async with TelegramEmulator() as emulator:

        async def one(number: int) -> RunResult:
            async with slots:
                run = TelegramRun(
                    number, emulator, template_dir, invitation, base, questions, kills
                )
                return await run.run()

        return list(await asyncio.gather(*(one(n) for n in range(runs))))


def summary(results: list[RunResult], seconds: float) -> list[str]:
    """Figures of all runs."""
    failed = [r for r in results if not r.ok]
    by_contact = sum(r.claimed + r.closed for r in results)
    moments = Counter(m for r in results for m in r.moments)
    return [
        f"crash runs: {len(results)} runs, {sum(r.kills for r in results)} SIGKILLs, "
        f"{seconds:.0f} s"
        + (
            f" (killed {moments['starting']} times while starting up, {moments['notice']} "
            f"the instant a notice was sent, {moments['talking']} while people talked)"
            if moments
            else ""
        ),
        f"integrity_check: {sum(r.integrity.count('ok') for r in results)} ok of "
        f"{sum(len(r.integrity) for r in results)}",
        f"handoffs: {sum(r.cases for r in results)} cases opened, "
        f"{sum(r.ended for r in results)} ended by the user"
        + (
            f", {sum(r.claimed for r in results)} claimed and "
            f"{sum(r.closed for r in results)} closed by the contact"
            if by_contact
            else ""
        )
        + f"; notices lost: {sum(len(r.lost) for r in results)}, "
        f"repeated: {sum(r.duplicates for r in results)}",
        f"outbox left after restart: {sum(r.outbox_left for r in results)}; conversations "
        f"continued: {sum(r.continued for r in results)} of {len(results)}",
        f"failed runs: {len(failed)}" + "".join(f"\n  run {r.number}: {r}" for r in failed[:10]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", choices=("console", "telegram"), default="console")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs per run")
    parser.add_argument(
        "--workers",
        type=int,
        help="runs at a time (default: 2; 4 over Telegram, whose runs mostly wait: the bot sends "
        "at most one message a second into a chat)",
    )
    parser.add_argument("--json", type=Path, help="also write every run's result there")
    args = parser.parse_args()
    workers = args.workers or (4 if args.channel == "telegram" else 2)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        if args.channel == "telegram":
            results = asyncio.run(run_telegram(args.runs, args.kills, workers, Path(directory)))
        else:
            results = run_all(args.runs, args.kills, workers, Path(directory))
    print(f"channel: {args.channel}")
    for line in summary(results, time.monotonic() - started):
        print(line)
    ok = all(r.ok for r in results)
    if args.json:
        runs = [{**dataclasses.asdict(r), "ok": r.ok} for r in results]
        args.json.write_text(json.dumps({"plans": len(PLANS), "runs": runs}), encoding="utf-8")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
