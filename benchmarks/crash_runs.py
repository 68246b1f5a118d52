"""Crash consistency: ``beistand chat`` killed with SIGKILL at random moments (security.md, test 7).

Each run gets its own database and data directory, with one contact person registered (every
handoff notice to them is printed by the terminal chat, so the process's output is what was
"sent"). The scripted user walks to a handoff, consents, types, ends the case, and does it again;
the process is killed with SIGKILL at a random moment, ``PRAGMA integrity_check`` must report
``ok`` and the conversation must still be there, and the next process continues. After the last
kill a clean process delivers what is still due. Then:

- every case that was opened was announced to the contact exactly once (none lost; a repeat is
  only possible for a notice that was being sent in the instant of a kill, so at most one per kill);
- every case the user ended or withdrew was reported to the contact exactly once (same rule);
- the outbox is empty, and the conversation continued (same pseudonymous row, a later turn).

    .venv/bin/python benchmarks/crash_runs.py                # 200 runs, two kills each
    .venv/bin/python benchmarks/crash_runs.py --runs 20 --kills 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.content import ContentPaths, require_content  # noqa: E402

BEISTAND = Path(sys.executable).with_name("beistand")
NEW = re.compile(r"Neuer Fall (\S+) ·")
ENDED = re.compile(r"Fall (\S+) wurde von der Person zurückgezogen|Fall (\S+): Die Person hat")


async def _consent_answers() -> list[str]:
    """The numbers a terminal user types from the main menu to a handoff consent."""
    from tests.privacy.scripts import find_consent

    _root, path = await find_consent(require_content(ContentPaths()), None)
    return [str(index + 1) for index in path]


def script(answers: list[str], rng: random.Random) -> list[str]:
    """What the user types: three handoffs, the first two withdrawn with ``/loeschen`` (typing
    the number of "Fall beenden" would be passed on as a message), the last left open."""
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
    lost: list[str] = field(default_factory=list)
    duplicates: int = 0
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


def template(directory: Path) -> Path:
    """A data directory with a database that has one registered contact person ("kontakt")."""
    data = directory / "template"
    data.mkdir()
    subprocess.run(
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
        env=_env(data),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
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
    connection = sqlite3.connect(db)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def _conversation(db: Path) -> tuple[bytes, int] | None:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT key, turn FROM conversations").fetchall()
    finally:
        connection.close()
    return (bytes(rows[0][0]), int(rows[0][1])) if len(rows) == 1 else None


def account(text: str, cases: dict[str, str]) -> tuple[list[str], int, list[str]]:
    """Notices lost, notices repeated, and notices for unknown cases, from everything printed.

    ``cases`` maps each case code in the database to its close reason ("" while open): every case
    must have been announced, and every case the user ended or withdrew reported, exactly once.
    """
    announced = Counter(NEW.findall(text))
    reported = Counter(a or b for a, b in ENDED.findall(text))
    lost: list[str] = []
    repeated = 0
    for code, reason in cases.items():
        if announced[code] == 0:
            lost.append(f"new {code}")
        repeated += max(0, announced[code] - 1)
        if reason in ("user", "erased"):
            if reported[code] == 0:
                lost.append(f"ended {code}")
            repeated += max(0, reported[code] - 1)
    unknown = sorted((set(announced) | set(reported)) - set(cases))
    return lost, repeated, unknown


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
    shutil.rmtree(data)
    return result


def run_all(runs: int, kills: int, workers: int, base: Path) -> list[RunResult]:
    """All runs, ``workers`` at a time."""
    answers = asyncio.run(_consent_answers())
    template_dir = template(base)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one_run, n, template_dir, base, answers, kills) for n in range(runs)]
        return [f.result() for f in futures]


def summary(results: list[RunResult], seconds: float) -> list[str]:
    """Figures of all runs."""
    failed = [r for r in results if not r.ok]
    return [
        f"crash runs: {len(results)} runs, {sum(r.kills for r in results)} SIGKILLs, "
        f"{seconds:.0f} s",
        f"integrity_check: {sum(r.integrity.count('ok') for r in results)} ok of "
        f"{sum(len(r.integrity) for r in results)}",
        f"handoffs: {sum(r.cases for r in results)} cases opened, "
        f"{sum(r.ended for r in results)} ended by the user; notices lost: "
        f"{sum(len(r.lost) for r in results)}, repeated: {sum(r.duplicates for r in results)}",
        f"outbox left after restart: {sum(r.outbox_left for r in results)}; conversations "
        f"continued: {sum(r.continued for r in results)} of {len(results)}",
        f"failed runs: {len(failed)}" + "".join(f"\n  run {r.number}: {r}" for r in failed[:10]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs per run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        results = run_all(args.runs, args.kills, args.workers, Path(directory))
    for line in summary(results, time.monotonic() - started):
        print(line)
    ok = all(r.ok for r in results)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
