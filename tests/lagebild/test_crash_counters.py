"""The statistics survive a crash consistently: a process that steps many conversations through
the runtime is killed with SIGKILL at random moments and restarted; after every kill the
counts agree exactly with what was committed with them:

- every ``/notfall`` step counts one ``emergency_shown`` and moves the conversation's turn on by
  one, in the same (group) commit: the count equals the turns taken since the start;
- every case opened without a contact person counts one ``handoff_nobody_free`` in the case's
  own unit: the count equals the cases in the database.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys
from bot.content import load_content
from bot.engine.events import Command, Start
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.conftest import basic_paths
from tests.test_handoff import open_case

async def user(runtime, n):
    sender = Sender("telegram", f"u{n}", "de")
    if await runtime.store.load(runtime.key(sender)) is None:
        await runtime.handle(Incoming(sender, Start()))
    while True:
        await runtime.handle(Incoming(sender, Command("emergency")))

async def cases(runtime):
    n = 0
    while True:
        n += 1
        sender = Sender("matrix", f"c{sys.argv[2]}-{n}", "de", route="!r")
        await open_case(runtime, sender)

async def main():
    content, _ = load_content(basic_paths())
    async with SqliteStore(sys.argv[1]) as store:
        runtime = Runtime(content, store, b"k" * 32, rate_limit=10**9, purge_every=None)
        print("ready", flush=True)
        await asyncio.gather(*(user(runtime, n) for n in range(12)), cases(runtime))

asyncio.run(main())
"""


def _start_turn() -> int:
    import asyncio

    from bot.content import load_content
    from bot.engine.events import Start
    from bot.runtime import Runtime
    from bot.runtime_api import Incoming, Sender
    from bot.storage.memory import MemoryStore
    from tests.conftest import basic_paths

    async def run() -> int:
        content, _ = load_content(basic_paths())
        assert content is not None
        runtime = Runtime(content, MemoryStore(), b"k" * 32, purge_every=None)
        sender = Sender("telegram", "x", "de")
        await runtime.handle(Incoming(sender, Start()))
        state = await runtime.store.load(runtime.key(sender))
        assert state is not None
        return state.turn

    return asyncio.run(run())


def _check(db: Path, start_turn: int) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        turns = [t for (t,) in con.execute("SELECT turn FROM conversations WHERE flow='menu'")]
        stats = dict(
            con.execute("SELECT outcome, sum(count) FROM statistics GROUP BY outcome").fetchall()
        )
        cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        con.close()
    emergencies = stats.get("emergency_shown", 0)
    assert emergencies == sum(t - start_turn for t in turns), (stats, turns)
    assert stats.get("handoff_nobody_free", 0) == cases, (stats, cases)
    return emergencies, cases


@pytest.mark.slow
def test_counts_agree_with_the_committed_steps_after_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    start_turn = _start_turn()
    rng = random.Random(15)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seen: list[tuple[int, int]] = []
    for run in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(run)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.4, 1.5))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        seen.append(_check(db, start_turn))
    emergencies, cases = seen[-1]
    assert emergencies > 50 and cases > 3, seen  # the runs did real work
    assert [e for e, _ in seen] == sorted(e for e, _ in seen)  # nothing committed was lost
