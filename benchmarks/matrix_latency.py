"""Reply latency of the Matrix bot against a bare matrix-nio echo client, on one local Synapse.

Starts a throwaway Synapse on 127.0.0.1, the bot (the real transport and runtime over the shipped
flows, SQLite in a temporary directory) and a bare nio client that answers every text with an
``m.notice`` echo. A nio user sends to each in a plain and in an encrypted direct chat and
measures the time from sending until its own sync delivers the first reply. Prints median and
p95 per case and the bot/echo ratios (goal: under 1.2).

    .venv/bin/python benchmarks/matrix_latency.py [--rounds 60] [--warmup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nio import (  # noqa: E402
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MatrixRoom,
    RoomMessageText,
)

from bot.content import ContentPaths, require_content  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.transports.matrix import MatrixConfig, MatrixTransport  # noqa: E402
from tests.channels.matrix.userclient import UserClient  # noqa: E402
from tests.servers.synapse import RegisteredUser, Synapse  # noqa: E402


def content_paths() -> ContentPaths:
    """The shipped content, or what ``BEISTAND_FLOWS`` etc. name, as for the bot."""
    defaults = ContentPaths()
    return ContentPaths(
        flows=Path(os.environ.get("BEISTAND_FLOWS") or defaults.flows),
        knowledge=Path(os.environ.get("BEISTAND_KNOWLEDGE") or defaults.knowledge),
        locales=Path(os.environ.get("BEISTAND_LOCALES") or defaults.locales),
    )


class EchoClient:
    """The baseline: a bare nio client that echoes every text as a notice, nothing else."""

    def __init__(self, homeserver: str, account: RegisteredUser, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.user_id = account.user_id
        self.password = account.password
        self.client = AsyncClient(
            homeserver,
            account.user_id,
            store_path=str(store),
            config=AsyncClientConfig(store_sync_tokens=True, encryption_enabled=True),
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        response = await self.client.login(self.password, device_name="echo")
        assert isinstance(response, LoginResponse), response
        await self.client.sync(timeout=0, full_state=True)
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self.client.add_event_callback(self.on_text, RoomMessageText)
        self.task = asyncio.create_task(self.client.sync_forever(timeout=30_000))

    async def accept(self, room_id: str) -> None:
        """Join the room once the invitation has arrived, and wait until the join is synced."""
        async with asyncio.timeout(20):
            await self._synced_until(lambda: room_id in self.client.invited_rooms)
            await self.client.join(room_id)
            await self._synced_until(lambda: room_id in self.client.rooms)

    async def _synced_until(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            await self.client.synced.wait()

    async def on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == self.user_id:
            return
        await self.client.room_send(
            room.room_id,
            "m.room.message",
            {"msgtype": "m.notice", "body": event.body},
            ignore_unverified_devices=True,
        )

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.close()


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

    With ``turn`` the rest of the bot's reply (the prompt after the help text) is awaited too,
    so that the next round starts from a quiet room.
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
        bot_time = await round_trip(user, bot_room, "/hilfe", turn=True)
        echo_time = await round_trip(user, echo_room, "/hilfe", turn=False)
        if index >= warmup:
            bot.append(bot_time)
            echo.append(echo_time)
    return figures(bot), figures(echo)


async def run(rounds: int, warmup: int) -> dict[tuple[str, bool], Figures]:
    results: dict[tuple[str, bool], Figures] = {}
    with tempfile.TemporaryDirectory(prefix="beistand-bench-") as tmp:
        base = Path(tmp)
        synapse = Synapse(base / "synapse").start()
        try:
            tag = secrets.token_hex(3)
            bot_account = synapse.register(f"bot_{tag}")
            echo_account = synapse.register(f"echo_{tag}")
            user_account = synapse.register(f"user_{tag}")
            content = require_content(content_paths())
            async with SqliteStore(base / "beistand.db") as store:
                runtime = Runtime(content, store, secrets.token_bytes(32), rate_limit=1_000_000)
                bot = MatrixTransport(
                    MatrixConfig(
                        homeserver=synapse.url,
                        user_id=bot_account.user_id,
                        store_dir=base / "bot-store",
                        password=bot_account.password,
                        pickle_key=secrets.token_hex(16),
                    ),
                    runtime,
                )
                echo = EchoClient(synapse.url, echo_account, base / "echo-store")
                user = UserClient(
                    synapse.url, user_account.user_id, user_account.password, base / "user-store"
                )
                await bot.start()
                await echo.start()
                await user.start()
                try:
                    for encrypted in (False, True):
                        bot_room = await user.create_room([bot_account.user_id], encrypted)
                        await user.turn(bot_room, within=30)  # the greeting
                        echo_room = await user.create_room([echo_account.user_id], encrypted)
                        await echo.accept(echo_room)
                        bot_figures, echo_figures = await measure(
                            user, bot_room, echo_room, rounds, warmup
                        )
                        results[("bot", encrypted)] = bot_figures
                        results[("echo", encrypted)] = echo_figures
                    assert user.undecryptable == 0, "the user could not decrypt some replies"
                finally:
                    await user.stop()
                    await echo.stop()
                    await bot.stop()
        finally:
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="measured messages per case")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured messages per case")
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)  # it warns about Olm sessions it sets up
    report(asyncio.run(run(args.rounds, args.warmup)))


if __name__ == "__main__":
    main()
