"""Fixtures for the Matrix channel: one throwaway Synapse per test session, fresh accounts per
test, the real runtime over the shipped flows, the bot transport and real nio user clients."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.content import ContentPaths, require_content
from bot.engine.actions import Action
from bot.engine.events import Event, Start
from bot.render import numbered, render_all
from bot.runtime import Runtime
from bot.runtime_api import Deliver, Erase, Incoming, Partners, Sender
from bot.storage.sqlite import SqliteStore
from bot.transports.matrix import MatrixConfig, MatrixTransport, typed_event
from testbed.synapse import RegisteredUser, Synapse
from testbed.userclient import UserClient

_names = itertools.count(1)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One Synapse on 127.0.0.1 for the whole session (the machine has two cores)."""
    server = Synapse(tmp_path_factory.mktemp("synapse")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def register(synapse: Synapse) -> Callable[[str], RegisteredUser]:
    """Create a fresh account; names are unique across the session."""

    def make(prefix: str) -> RegisteredUser:
        return synapse.register(f"{prefix}{next(_names)}_{secrets.token_hex(3)}")

    return make


class RecordingHandler:
    """Wraps a real handler and records what the transport asked (event kinds only)."""

    def __init__(self, inner: Runtime) -> None:
        self.inner = inner
        self.handled: list[tuple[str, Event]] = []
        self.seen: list[str] = []
        self.routes: list[str | None] = []
        self.channels: dict[str, Deliver] = {}

    async def handle(self, incoming: Incoming) -> tuple[Action, ...]:
        self.handled.append((incoming.sender.user_id, incoming.event))
        self.routes.append(incoming.sender.route)
        if incoming.event_id is not None:
            self.seen.append(incoming.event_id)
        return await self.inner.handle(incoming)

    def register_channel(self, platform: str, deliver: Deliver) -> None:
        self.channels[platform] = deliver
        self.inner.register_channel(platform, deliver)

    def register_erasure(self, platform: str, partners: Partners, erase: Erase) -> None:
        self.inner.register_erasure(platform, partners, erase)


RuntimeFactory = Callable[..., AbstractAsyncContextManager[RecordingHandler]]


@pytest.fixture(scope="session")
def content() -> Any:
    """The shipped flows and knowledge (``BEISTAND_FLOWS`` etc. point elsewhere, as for the bot)."""
    defaults = ContentPaths()
    return require_content(
        ContentPaths(
            flows=Path(os.environ.get("BEISTAND_FLOWS") or defaults.flows),
            knowledge=Path(os.environ.get("BEISTAND_KNOWLEDGE") or defaults.knowledge),
            locales=Path(os.environ.get("BEISTAND_LOCALES") or defaults.locales),
        )
    )


@pytest.fixture
def open_runtime(content: Any, tmp_path: Path) -> RuntimeFactory:
    """``async with open_runtime() as handler``: the real runtime over the shipped flows and an
    SQLite file in tmp_path; opening it again models a process restart."""
    secret = secrets.token_bytes(32)

    @asynccontextmanager
    async def opened(**options: Any) -> AsyncIterator[RecordingHandler]:
        async with SqliteStore(tmp_path / "beistand.db") as store:
            yield RecordingHandler(Runtime(content, store, secret, **options))

    return opened


@pytest.fixture
async def runtime(open_runtime: RuntimeFactory) -> AsyncIterator[RecordingHandler]:
    async with open_runtime() as handler:
        yield handler


class Oracle:
    """The same runtime and content in-process, without Matrix: what the bot must send.

    Each event goes through a second runtime with its own database; the expected messages are
    the rendered actions with their options numbered, exactly as the transport must send them.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def expect(self, user_id: str, typed: str | None) -> list[str]:
        """Plain bodies the bot must answer to ``typed`` (None: the bot was invited)."""
        event: Event = Start() if typed is None else typed_event(typed)
        actions = await self.runtime.handle(Incoming(Sender("matrix", user_id), event))
        return [numbered(message).plain for message in render_all(actions)]


@pytest.fixture
async def oracle(content: Any, tmp_path: Path) -> AsyncIterator[Oracle]:
    async with SqliteStore(tmp_path / "oracle.db") as store:
        yield Oracle(Runtime(content, store, secrets.token_bytes(32)))


BotFactory = Callable[..., Awaitable[MatrixTransport]]


@pytest.fixture
async def make_bot(synapse: Synapse, tmp_path: Path) -> AsyncIterator[BotFactory]:
    """Start the bot transport for an account; every bot started is stopped at the end."""
    started: list[MatrixTransport] = []

    async def make(
        account: RegisteredUser, handler: Any, store: str = "bot-store", **options: Any
    ) -> MatrixTransport:
        settings: dict[str, Any] = {
            "homeserver": synapse.url,
            "user_id": account.user_id,
            "store_dir": tmp_path / store,
            "password": account.password,
            "pickle_key": "test-pickle-key",
        }
        settings.update(options)
        transport = MatrixTransport(MatrixConfig(**settings), handler)
        await transport.start()
        started.append(transport)
        return transport

    yield make
    for transport in started:
        await transport.stop()


UserFactory = Callable[..., Awaitable[UserClient]]


@pytest.fixture
async def make_user(
    synapse: Synapse, register: Callable[[str], RegisteredUser], tmp_path: Path
) -> AsyncIterator[UserFactory]:
    """A logged-in, syncing nio user with its own store; stopped at the end."""
    clients: list[UserClient] = []

    async def make(prefix: str = "user") -> UserClient:
        account = register(prefix)
        store = tmp_path / f"user-store-{len(clients)}"
        client = await UserClient(synapse.url, account.user_id, account.password, store).start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.stop()
