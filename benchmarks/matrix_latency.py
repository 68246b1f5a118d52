"""Reply latency of the Matrix bot against a bare matrix-nio echo client, on one local Synapse.

Starts a throwaway Synapse on 127.0.0.1 and, each in its own process as in production, the bot
(the real transport and runtime over the shipped flows, SQLite in a temporary directory) and a
bare nio client that answers every text with an ``m.notice`` echo. A nio user sends to each, in
a plain and in an encrypted direct chat, alternating between the two, and measures from sending
until its own sync delivers the reply. Prints median and p95 per case and the bot/echo ratios
(goal: under 1.2).

    .venv/bin/python benchmarks/matrix_latency.py [--rounds 60] [--warmup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nio import (  # noqa: E402
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomMessageText,
)

from bot.content import ContentPaths, require_content  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.transports.matrix import MatrixConfig, MatrixTransport  # noqa: E402
from testbed.synapse import Synapse  # noqa: E402
from testbed.userclient import UserClient  # noqa: E402

#: Commands the bot answers with a single prompt (the language menu, then back to the question):
#: a real step of the runtime each time (state loaded and saved), one message like the echo.
BOT_INPUTS = ("/sprache", "/zurueck")
READY = "READY"


def content_paths() -> ContentPaths:
    """The shipped content, or what ``BEISTAND_FLOWS`` etc. name, as for the bot."""
    defaults = ContentPaths()
    return ContentPaths(
        flows=Path(os.environ.get("BEISTAND_FLOWS") or defaults.flows),
        knowledge=Path(os.environ.get("BEISTAND_KNOWLEDGE") or defaults.knowledge),
        locales=Path(os.environ.get("BEISTAND_LOCALES") or defaults.locales),
    )


# --- the two servers under test, each run as a child process ---------------------------------


async def until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(READY, flush=True)
    await stop.wait()


async def serve_bot(homeserver: str, user_id: str, password: str, work: Path) -> None:
    """The bot as ``beistand run`` would run it."""
    async with SqliteStore(work / "beistand.db") as store:
        runtime = Runtime(
            require_content(content_paths()), store, secrets.token_bytes(32), rate_limit=10**6
        )
        config = MatrixConfig(
            homeserver=homeserver,
            user_id=user_id,
            store_dir=work / "bot-store",
            password=password,
            pickle_key=secrets.token_hex(16),
        )
        bot = MatrixTransport(config, runtime)
        await bot.start()
        try:
            await until_terminated()
        finally:
            await bot.stop()


async def serve_echo(homeserver: str, user_id: str, password: str, work: Path) -> None:
    """The baseline: a bare nio client that joins when invited and echoes every text as a
    notice, straight from its sync callback."""
    store = work / "echo-store"
    store.mkdir(parents=True, exist_ok=True)
    client = AsyncClient(
        homeserver,
        user_id,
        store_path=str(store),
        config=AsyncClientConfig(store_sync_tokens=True, encryption_enabled=True),
    )

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != user_id:
            await client.room_send(
                room.room_id,
                "m.room.message",
                {"msgtype": "m.notice", "body": event.body},
                ignore_unverified_devices=True,
            )

    response = await client.login(password, device_name="echo")
    assert isinstance(response, LoginResponse), response
    await client.sync(timeout=0, full_state=True)
    if client.should_upload_keys:
        await client.keys_upload()
    client.add_event_callback(on_invite, InviteMemberEvent)
    client.add_event_callback(on_text, RoomMessageText)
    task = asyncio.create_task(client.sync_forever(timeout=30_000))
    try:
        await until_terminated()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()


async def spawn(
    role: str, homeserver: str, user_id: str, password: str, work: Path
) -> asyncio.subprocess.Process:
    """Start ``role`` in a child process (credentials in its environment, not on its command
    line) and wait until it listens."""
    env = {
        **os.environ,
        "BENCH_HOMESERVER": homeserver,
        "BENCH_USER": user_id,
        "BENCH_PASSWORD": password,
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        role,
        "--work",
        str(work),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    async with asyncio.timeout(60):
        while (line := await child.stdout.readline()) and line.decode().strip() != READY:
            pass
    if child.returncode is not None:
        raise RuntimeError(f"{role} did not start")
    return child


async def terminate(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(15):
                await child.wait()
        except TimeoutError:
            child.kill()
            await child.wait()


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    median_ms: float
    p95_ms: float
    samples: int


def figures(samples: list[float]) -> Figures:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Figures(statistics.median(ordered) * 1000, p95 * 1000, len(ordered))


async def round_trip(user: UserClient, room: str, text: str, turn: bool) -> float:
    """Send ``text``; seconds until the first reply arrives at the user's client.

    With ``turn`` the rest of a bot reply, up to its prompt, is awaited too, so that the next
    round starts from a quiet room.
    """
    started = time.perf_counter()
    await user.send(room, text)
    message = await user.next_message(room, within=30)
    elapsed = message.at - started
    while turn and not message.is_prompt:
        message = await user.next_message(room, within=30)
    return elapsed


async def measure(
    user: UserClient, bot_room: str, echo_room: str, rounds: int, warmup: int
) -> tuple[Figures, Figures]:
    """Alternate bot and echo round trips, so that load changes hit both alike."""
    bot: list[float] = []
    echo: list[float] = []
    for index in range(warmup + rounds):
        text = BOT_INPUTS[index % len(BOT_INPUTS)]
        bot_time = await round_trip(user, bot_room, text, turn=True)
        echo_time = await round_trip(user, echo_room, text, turn=False)
        if index >= warmup:
            bot.append(bot_time)
            echo.append(echo_time)
    return figures(bot), figures(echo)


async def run(rounds: int, warmup: int) -> dict[tuple[str, bool], Figures]:
    results: dict[tuple[str, bool], Figures] = {}
    with tempfile.TemporaryDirectory(prefix="beistand-bench-") as tmp:
        work = Path(tmp)
        synapse = Synapse(work / "synapse").start()
        children: list[asyncio.subprocess.Process] = []
        user: UserClient | None = None
        try:
            tag = secrets.token_hex(3)
            bot_account = synapse.register(f"bot_{tag}")
            echo_account = synapse.register(f"echo_{tag}")
            user_account = synapse.register(f"user_{tag}")
            for role, account in (("bot", bot_account), ("echo", echo_account)):
                children.append(
                    await spawn(role, synapse.url, account.user_id, account.password, work)
                )
            user = UserClient(
                synapse.url, user_account.user_id, user_account.password, work / "user-store"
            )
            await user.start()
            for encrypted in (False, True):
                bot_room = await user.create_room([bot_account.user_id], encrypted)
                await user.turn(bot_room, within=30)  # the greeting
                echo_room = await user.create_room([echo_account.user_id], encrypted)
                await user.wait_membership(echo_room, echo_account.user_id, "join", within=30)
                bot_figures, echo_figures = await measure(user, bot_room, echo_room, rounds, warmup)
                results[("bot", encrypted)] = bot_figures
                results[("echo", encrypted)] = echo_figures
            assert user.undecryptable == 0, "the user could not decrypt some replies"
        finally:
            if user is not None:
                await user.stop()
            for child in children:
                await terminate(child)
            synapse.stop()
    return results


def report(results: dict[tuple[str, bool], Figures]) -> None:
    print(f"{'case':<18}{'median ms':>11}{'p95 ms':>9}{'n':>5}")
    for (who, encrypted), fig in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        case = f"{who} {'encrypted' if encrypted else 'plain'}"
        print(f"{case:<18}{fig.median_ms:>11.1f}{fig.p95_ms:>9.1f}{fig.samples:>5}")
    print()
    for encrypted in (False, True):
        bot, echo = results[("bot", encrypted)], results[("echo", encrypted)]
        label = "encrypted" if encrypted else "plain"
        print(
            f"ratio bot/echo {label:<9}  median {bot.median_ms / echo.median_ms:.2f}"
            f"  p95 {bot.p95_ms / echo.p95_ms:.2f}  (goal < 1.2)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="measured messages per case")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured messages per case")
    parser.add_argument("--serve", choices=("bot", "echo"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)  # it warns about Olm sessions it sets up
    if args.serve:
        serve = serve_bot if args.serve == "bot" else serve_echo
        env = os.environ
        asyncio.run(
            serve(env["BENCH_HOMESERVER"], env["BENCH_USER"], env["BENCH_PASSWORD"], args.work)
        )
        return
    report(asyncio.run(run(args.rounds, args.warmup)))


if __name__ == "__main__":
    main()
