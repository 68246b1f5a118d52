"""Start-up time of ``beistand run`` against a bare python-telegram-bot echo bot.

Both are started as a fresh process, the way systemd starts a ``Type=notify`` service: the
benchmark listens on a unix datagram socket named by ``$NOTIFY_SOCKET`` and takes the time from
the exec to the ``READY=1`` datagram. ``beistand run`` sends it once every channel has started
(Telegram: ``getMe``, the command menu, polling begun); the echo bot sends it once its polling has
begun. Both poll the Bot API emulator (``testbed/telegram_emulator.py``) on 127.0.0.1 in this
process. Beistand runs with the shipped content, a fresh data directory, long polling and no
health endpoint (add ``--http`` to start the ``/healthz`` endpoint too). Runs alternate between
the two, ``--runs`` each, after one start of each that is not counted; min / median / max are
printed.

Bytecode: an installed package comes with its modules compiled (pip and Debian's packaging write
the ``.pyc`` files at install time), so by default both processes run with bytecode caches, kept
in a directory of this benchmark's own (``PYTHONPYCACHEPREFIX``; the shared environment is not
touched) and filled by the uncounted first start. ``--cold`` measures without any bytecode cache
(every module compiled at every start, as with ``PYTHONDONTWRITEBYTECODE`` and no caches).

Also: ``--imports`` prints the twenty costliest imports of ``beistand run`` (``-X importtime``).

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/startup.py [--runs 3] [--http] [--imports]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testbed.telegram_emulator import TelegramEmulator, fake_token  # noqa: E402

TARGET = 1.5  # seconds, `beistand run` start to ready

ECHO_BOT = """
import asyncio, os, signal, socket
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.message.reply_text(update.message.text)

async def main():
    api = os.environ["TELEGRAM_API_URL"]
    app = (ApplicationBuilder().token(os.environ["TELEGRAM_TOKEN"]).base_url(f"{api}/bot")
           .base_file_url(f"{api}/file/bot").build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
        await stop.wait()
        await app.updater.stop()
        await app.stop()

asyncio.run(main())
"""


def environment(
    api: str, token: str, work: Path, notify: Path, http: bool, cache: Path | None
) -> dict[str, str]:
    """What the process gets: the emulator as API server, a fresh data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEISTAND_", "TELEGRAM_"))}
    env.pop("MATRIX_HOMESERVER", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="no-bytecode-", dir=work)
    else:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    env.update(
        PYTHONPATH=str(ROOT),
        NOTIFY_SOCKET=str(notify),
        TELEGRAM_TOKEN=token,
        TELEGRAM_API_URL=api,
        BEISTAND_DATA_DIR=str(work / "data"),
        BEISTAND_SECRET="startup-benchmark-secret-0123456789abcdef",
        BEISTAND_LOG_LEVEL="WARNING",
    )
    if http:
        env["BEISTAND_HTTP_PORT"] = "0"
    return env


async def time_to_ready(command: list[str], env: dict[str, str], notify: Path) -> float:
    """Seconds from the exec to READY=1 on the notify socket; the process is stopped after."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        began = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=env.get("BEISTAND_DATA_DIR", str(ROOT)),
            stdout=subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(60):
                while True:
                    data = await loop.sock_recv(sock, 4096)
                    if b"READY=1" in data.split(b"\n"):
                        ready = time.monotonic() - began
                        break
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    async with asyncio.timeout(15):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
    return ready


async def main(runs: int, http: bool, cold: bool) -> int:
    """Alternate runs of both (after one uncounted start each); print min / median / max."""
    python = sys.executable
    beistand = [python, "-c", "import sys; from bot.cli import main; sys.exit(main(['run']))"]
    echo = [python, "-c", ECHO_BOT]
    times: dict[str, list[float]] = {"beistand run": [], "PTB echo bot": []}
    with tempfile.TemporaryDirectory() as caches:
        async with TelegramEmulator() as emulator:
            cache = None if cold else Path(caches)
            for number in range(-1, runs):
                for name, command in (("beistand run", beistand), ("PTB echo bot", echo)):
                    token = fake_token()
                    emulator.add_bot(token)
                    with tempfile.TemporaryDirectory() as work:
                        (Path(work) / "data").mkdir()
                        notify = Path(work) / "notify"
                        env = environment(emulator.base_url, token, Path(work), notify, http, cache)
                        took = await time_to_ready(command, env, notify)
                        if number >= 0:
                            times[name].append(took)
                if number < 0:
                    continue
                print(
                    f"run {number + 1}: "
                    + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items())
                )
    kind = "no bytecode cache" if cold else "with bytecode caches"
    print(f"start to ready over {runs} runs, {kind} (min / median / max):")
    for name, values in times.items():
        ordered = sorted(values)
        low, mid, high = ordered[0], statistics.median(ordered), ordered[-1]
        print(f"  {name:<14} {low:.2f} / {mid:.2f} / {high:.2f} s")
    median = statistics.median(times["beistand run"])
    ratio = median / statistics.median(times["PTB echo bot"])
    verdict = "met" if median < TARGET else "NOT met"
    print(f"beistand run / echo bot: {ratio:.2f}; target < {TARGET} s: {verdict}")
    return 0 if median < TARGET else 1


def imports() -> None:
    """The costliest imports of ``beistand run`` (cumulative, microseconds)."""
    code = "import bot.cli, bot.app, bot.runtime, bot.storage.sqlite, bot.transports.telegram"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip().removeprefix(" ")))
    total = sum(us for us, name in rows if not name.startswith(" "))  # top-level imports
    print(f"imports of beistand run: {total / 1000:.0f} ms in all; the costliest (cumulative ms):")
    for us, name in sorted(rows, reverse=True)[:20]:
        print(f"  {us / 1000:7.1f}  {name.strip()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="starts of each")
    parser.add_argument("--http", action="store_true", help="with the /healthz endpoint")
    parser.add_argument("--imports", action="store_true", help="list the costliest imports")
    parser.add_argument("--cold", action="store_true", help="without bytecode caches")
    args = parser.parse_args()
    if args.imports:
        imports()
    else:
        raise SystemExit(asyncio.run(main(args.runs, args.http, args.cold)))
