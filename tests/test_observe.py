"""Health, metrics, JSON logs and systemd notices (``bot.ops``, ``bot.metrics``, ``bot.logs``).

The endpoint is a real aiohttp server on 127.0.0.1 with a port the system picks, asked by a real
HTTP client; the metrics come from real runtime steps over the fixture content.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import signal
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import ClientConnectorError, ClientSession
from prometheus_client.parser import text_string_to_metric_families

from bot import __version__, app, logs
from bot.app import serve
from bot.config import Settings
from bot.content import Content, ContentPaths
from bot.engine.actions import Ask
from bot.engine.events import Choose, Command, Start, Text
from bot.errors import ConfigError, StorageError
from bot.metrics import Metrics, case_event
from bot.ops import sdnotify
from bot.ops.http import OpsServer
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, new_marker, report
from tests.conftest import basic_paths
from tests.helpers import FakeClock, RecordingChannel
from tests.test_handoff import open_case

SECRET = b"o" * 32


@dataclass
class FakeChannel:
    """A channel as the health check sees it."""

    platform: str
    healthy: bool = True

    def health(self) -> bool:
        return self.healthy


@dataclass
class Ops:
    runtime: Runtime
    store: SqliteStore
    metrics: Metrics
    server: OpsServer
    channels: list[FakeChannel]
    clock: FakeClock

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
async def ops(content: Content, tmp_path: Path) -> AsyncIterator[Ops]:
    clock = FakeClock()
    metrics = Metrics()
    async with SqliteStore(tmp_path / "o.db") as store:
        runtime = Runtime(content, store, SECRET, clock=clock, rate_limit=1000, observer=metrics)
        channels = [FakeChannel("telegram"), FakeChannel("matrix")]
        server = OpsServer(store, channels, metrics, "127.0.0.1", 0)
        await server.start()
        try:
            yield Ops(runtime, store, metrics, server, channels, clock)
        finally:
            await server.stop()


async def get(url: str, method: str = "GET") -> tuple[int, str, str]:
    async with ClientSession() as http, http.request(method, url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus exposition: (name, sorted labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


# ------------------------------------------------------------------------------ /healthz


async def test_healthz_is_200_when_the_database_and_every_channel_are_up(ops: Ops) -> None:
    status, kind, body = await get(f"{ops.url}/healthz")
    assert status == 200
    assert kind.startswith("application/json")
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"database": "ok", "telegram": "ok", "matrix": "ok"},
    }


async def test_healthz_is_503_naming_a_channel_that_is_down(ops: Ops) -> None:
    ops.channels[1].healthy = False
    status, _, body = await get(f"{ops.url}/healthz")
    assert status == 503
    assert json.loads(body) == {
        "status": "failing",
        "checks": {"database": "ok", "telegram": "ok", "matrix": "failing"},
    }


async def test_healthz_is_503_when_the_database_does_not_answer(ops: Ops) -> None:
    await ops.store.close()
    status, _, body = await get(f"{ops.url}/healthz")
    assert status == 503
    assert json.loads(body)["checks"] == {"database": "failing", "telegram": "ok", "matrix": "ok"}
    status, _, text = await get(f"{ops.url}/metrics")  # the other metrics still count
    assert status == 200 and "beistand_messages_total" in text


async def test_other_paths_are_404_and_other_methods_405(ops: Ops) -> None:
    assert (await get(f"{ops.url}/"))[0] == 404
    assert (await get(f"{ops.url}/healthz/x"))[0] == 404
    assert (await get(f"{ops.url}/admin"))[0] == 404
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        assert (await get(f"{ops.url}/healthz", method))[0] == 405
        assert (await get(f"{ops.url}/metrics", method))[0] == 405


async def test_a_port_in_use_is_a_config_error(ops: Ops) -> None:
    second = OpsServer(ops.store, [], ops.metrics, "127.0.0.1", ops.server.port)
    with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1"):
        await second.start()


def test_a_matrix_transport_that_never_started_is_not_healthy() -> None:
    from bot.transports.matrix import MatrixConfig, MatrixTransport

    config = MatrixConfig("https://matrix.example.org", "@bot:example.org", Path("unused"))
    assert MatrixTransport(config, None).health() is False  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ /metrics


async def test_metrics_count_what_the_runtime_did(ops: Ops, content: Content) -> None:
    runtime = ops.runtime
    matrix = RecordingChannel()
    runtime.register_channel("telegram", RecordingChannel())
    runtime.register_channel("matrix", matrix)
    status, kind, text = await get(f"{ops.url}/metrics")
    assert status == 200
    assert kind.startswith("text/plain") and "version=" in kind
    assert value(text, "beistand_messages_total", channel="telegram") == 0
    assert value(text, "beistand_cases_total", event="opened") == 0

    # a conversation: three events, each answered
    user = Sender("telegram", "1001", "de")
    actions = await runtime.handle(Incoming(user, Start()))
    prompt = next(a for a in actions if isinstance(a, Ask))
    await runtime.handle(Incoming(user, Choose(prompt.turn, 0)))
    await runtime.handle(Incoming(user, Text("hallo")))
    # a handoff: two contacts (Bayern, nationwide), a case that escalates, is claimed and closed
    contacts = []
    for account, land in (("@by:x", "BY"), ("@de:x", "DE")):
        code = await runtime.handoff.invite("Person", [land], ["threat"])
        contact = Sender("matrix", account, "de", route=f"room-{account}")
        await runtime.handle(Incoming(contact, Command("register", code)))
        contacts.append(contact)
    case = await open_case(runtime)
    _, _, text = await get(f"{ops.url}/metrics")
    assert value(text, "beistand_outbox_backlog") == 1  # the notice to Bayern waits
    await runtime.handoff.deliver_due()
    ops.clock.now += 11 * 60
    assert await runtime.handoff.escalate_due() == 1
    await runtime.handoff.deliver_due()
    await runtime.handle(Incoming(contacts[1], Command("claim", case)))
    await runtime.handle(Incoming(contacts[1], Command("close", case)))
    assert runtime.reload(basic_paths()) == []
    runtime.reload(ContentPaths(Path("missing"), Path("missing"), Path("missing")))
    await ops.store.close()
    with pytest.raises(StorageError):
        await runtime.handle(Incoming(user, Text("noch da?")))

    _, _, text = await get(f"{ops.url}/metrics")
    telegram_events = 3 + 5 + 1  # the conversation, the way to the case (5 taps), the error
    assert value(text, "beistand_messages_total", channel="telegram") == telegram_events
    assert value(text, "beistand_replies_total", channel="telegram") == telegram_events - 1
    assert value(text, "beistand_reply_seconds_count", channel="telegram") == telegram_events - 1
    assert (
        value(text, "beistand_reply_seconds_bucket", channel="telegram", le="+Inf")
        == telegram_events - 1
    )
    # two registrations, the claim, the close
    assert value(text, "beistand_messages_total", channel="matrix") == 4
    assert value(text, "beistand_replies_total", channel="matrix") == 4
    assert value(text, "beistand_cases_total", event="opened") == 1
    assert value(text, "beistand_cases_total", event="escalated") == 1
    assert value(text, "beistand_cases_total", event="claimed") == 1
    assert value(text, "beistand_cases_total", event="closed") == 1
    assert value(text, "beistand_cases_total", event="nobody_free") == 0
    assert value(text, "beistand_errors_total", type="StorageError") == 1
    assert value(text, "beistand_content_reloads_total", result="ok") == 1
    assert value(text, "beistand_content_reloads_total", result="failed") == 1
    assert value(text, "beistand_build_info", version=__version__) == 1
    assert value(text, "beistand_start_time_seconds") > 1.7e9
    assert ("process_resident_memory_bytes", ()) in samples(text)


async def test_two_runtimes_count_apart(content: Content, tmp_path: Path) -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    async with SqliteStore(tmp_path / "a.db") as store:
        runtime = Runtime(content, store, SECRET, observer=first)
        await runtime.handle(Incoming(Sender("matrix", "@a:x"), Start()))
    text = first.render().decode()
    assert value(text, "beistand_messages_total", channel="matrix") == 1
    assert value(second.render().decode(), "beistand_messages_total", channel="matrix") == 0


def test_label_values_come_from_fixed_lists_only() -> None:
    metrics = Metrics(process=False)
    marker = new_marker()
    metrics.message(marker)
    metrics.replied(f"telegram {marker}", 0.01)
    metrics.case(f"case.{marker}")
    metrics.case(f"contact.{marker}")
    metrics.error(f"ValueError: {marker}")
    text = metrics.render().decode()
    assert marker not in text
    assert value(text, "beistand_messages_total", channel="other") == 1
    assert value(text, "beistand_errors_total", type="other") == 1
    assert case_event("case.closed.contact") == "closed"
    assert case_event("case.opened") == "opened"
    assert case_event("contact.registered") is None


# ------------------------------------------------------------------------------ privacy


async def test_health_and_metrics_carry_no_canary(ops: Ops) -> None:
    """A conversation and a handoff with markers in every id, name, text and argument; then the
    scanner finds none of them (nor the case code, nor a pseudonymous key) in either answer."""
    scanner = Scanner()

    def canary() -> str:
        return scanner.add_marker(new_marker())

    runtime = ops.runtime
    channels = {"telegram": RecordingChannel(), "matrix": RecordingChannel()}
    for platform, channel in channels.items():
        runtime.register_channel(platform, channel)
    user = Sender("telegram", canary(), "de", route=canary())
    await runtime.handle(Incoming(user, Start(canary())))
    await runtime.handle(Incoming(user, Text(f"Ich heiße {canary()}")))
    await runtime.handle(Incoming(user, Command("help", canary())))
    invite = await runtime.handoff.invite(f"Erika {canary()}", ["BY"], ["threat"])
    contact = Sender("matrix", f"@{canary()}:x", "de", route=f"!{canary()}:x")
    await runtime.handle(Incoming(contact, Command("register", invite)))
    code = await open_case(runtime, user)
    scanner.add_needle(code)
    scanner.add_needle(runtime.key(user).hex())
    scanner.add_needle(invite)
    await runtime.handoff.deliver_due()
    await runtime.handle(Incoming(contact, Command("claim", code)))
    await runtime.handle(Incoming(user, Text(f"Er steht vor der Tür {canary()}")))
    await runtime.handle(Incoming(contact, Text(f"Ich rufe an {canary()}")))
    channels["matrix"].failing = True  # a failed delivery with a marker-free error
    await runtime.handle(Incoming(user, Text(f"Hallo? {canary()}")))
    await runtime.handle(Incoming(contact, Command("close", code)))
    assert any(code in t for t in channels["matrix"].texts())  # the case really ran

    status, _, health = await get(f"{ops.url}/healthz")
    _, _, metrics = await get(f"{ops.url}/metrics")
    assert status == 200
    assert value(metrics, "beistand_cases_total", event="claimed") == 1
    hits = scanner.scan_bytes(health.encode(), Path("/healthz")) + scanner.scan_bytes(
        metrics.encode(), Path("/metrics")
    )
    assert hits == [], report(hits)
    # positive control: the scanner reads what it was given
    assert scanner.scan_bytes(f"x{code}y".encode())


# ------------------------------------------------------------------------------ logs


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """``bot.logs.configure`` with the JSON format at DEBUG into a string, restored afterwards."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    stream = io.StringIO()
    logs.configure("DEBUG", secrets=["geheimes-passwort-123"], stream=stream, fmt="json")
    yield logging.getLogger("bot.test"), stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


TOKEN = "123456789:" + "A" * 35
UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_json_lines_parse_are_utc_and_carry_only_allowed_fields(json_log) -> None:
    log, out = json_log
    marker = new_marker()
    log.info(
        "event.handled",
        extra={"text": marker, "user": marker, "key": "ab12cd34", "count": 3, "seconds": 0.5},
    )
    log.warning("user %s said %d things", marker, 2, extra={"kind": f"two words {marker}"})
    log.error("login failed with geheimes-passwort-123 and %s", TOKEN, extra={"where": TOKEN})
    try:
        int(marker)
    except ValueError:
        log.exception("step.failed", extra={"error": "ValueError"})
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    parsed = [json.loads(line) for line in lines]
    allowed = {"time", "level", "logger", "event", *logs.ALLOWED_FIELDS}
    for entry in parsed:
        assert set(entry) <= allowed
        assert UTC_TEXT.fullmatch(entry["time"])
        moment = datetime.fromisoformat(entry["time"])
        assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - moment).total_seconds()) < 60
        assert entry["logger"] == "bot.test"
    first, second, third, fourth = parsed
    assert first == {**first, "level": "INFO", "event": "event.handled", "key": "ab12cd34"}
    assert (first["count"], first["seconds"]) == (3, 0.5)
    assert second["event"] == "user <str> said 2 things"
    assert second["kind"] == "<hidden>"
    assert "geheimes-passwort-123" not in lines[2] and TOKEN not in lines[2]
    assert "[redacted]" in third["event"] and third["where"] == "[redacted]"
    assert fourth["event"].startswith("step.failed [ValueError at ")
    assert marker not in out.getvalue()


def test_text_and_json_show_the_same_fields(json_log) -> None:
    log, _ = json_log
    record = log.makeRecord(
        "bot.test", logging.INFO, __file__, 1, "case.opened", None, None,
        extra={"kind": "user", "count": 2, "where": "a:1", "text": "x"},
    )  # fmt: skip
    redactor = logs.RedactFilter()
    text = logs.FieldFormatter(redactor).format(record)
    entry = json.loads(logs.JsonFormatter(redactor).format(record))
    assert UTC_TEXT.fullmatch(text.split(" ")[0])
    assert text.split(" ", 1)[1] == "INFO bot.test case.opened kind=user count=2 where=a:1"
    assert {k: v for k, v in entry.items() if k != "time"} == {
        "level": "INFO",
        "logger": "bot.test",
        "event": "case.opened",
        "kind": "user",
        "count": 2,
        "where": "a:1",
    }
    assert entry["time"] == text.split(" ")[0]


def test_control_characters_cannot_forge_a_json_line(json_log) -> None:
    log, out = json_log
    log.info("x", extra={"where": 'a\n{"level": "CRITICAL"}\u202e'})
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["where"] == 'a\\u000a{"level": "CRITICAL"}\\u202e'


def test_an_unknown_log_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BEISTAND_LOG_FORMAT"):
        logs.configure(fmt="xml")


# ------------------------------------------------------------------------------ systemd


@contextlib.contextmanager
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A unix datagram socket as systemd's, bound under a short temporary path."""
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        path = os.path.join(folder, "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(5)
            yield sock, path


def test_sd_notify_sends_one_datagram_to_the_socket() -> None:
    with notify_socket() as (sock, path):
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": path})
        assert sock.recv(4096) == b"READY=1"
        assert sdnotify.reloading({"NOTIFY_SOCKET": path})
        assert re.fullmatch(rb"RELOADING=1\nMONOTONIC_USEC=\d+", sock.recv(4096))


def test_sd_notify_reaches_an_abstract_socket() -> None:
    name = f"beistand-test-{os.getpid()}-{new_marker()[-8:]}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert sdnotify.notify("STOPPING=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"STOPPING=1"


def test_sd_notify_without_systemd_does_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert not sdnotify.notify("READY=1", {})
    assert not sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "relative"})
    with caplog.at_level(logging.WARNING):
        assert not sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/notify"})
    assert "systemd.notify_failed" in caplog.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_reports_ready_serves_health_and_reports_stopping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``beistand run`` end to end (channels faked): READY=1 once the channels are up, /healthz
    answers on the configured port, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 at the end."""
    port = _free_port()
    env = {
        "BEISTAND_DATA_DIR": str(tmp_path),
        "BEISTAND_SECRET": "s" * 32,
        "TELEGRAM_TOKEN": TOKEN,
        "BEISTAND_HTTP_PORT": str(port),
    }
    settings = Settings.from_env(env)

    class Up(FakeChannel):
        async def start(self) -> None: ...

        async def stop(self) -> None:
            self.healthy = False

    runtimes: list[Runtime] = []

    def channels(_settings: Settings, runtime: Runtime) -> list[FakeChannel]:
        runtimes.append(runtime)
        return [Up("telegram")]

    monkeypatch.setattr(app, "build_channels", channels)
    loop = asyncio.get_running_loop()
    with notify_socket() as (sock, path):
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        sock.setblocking(False)
        serving = asyncio.create_task(serve(settings))
        try:
            ready = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
            assert ready == b"READY=1"
            status, _, body = await get(f"http://127.0.0.1:{port}/healthz")
            assert status == 200, body
            assert json.loads(body)["checks"] == {"database": "ok", "telegram": "ok"}
            # the runtime the channels talk to is the one /metrics counts
            (runtime,) = runtimes
            assert await runtime.handle(Incoming(Sender("telegram", "7"), Start()))
            status, _, body = await get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            assert 'beistand_messages_total{channel="telegram"} 1.0' in body
            os.kill(os.getpid(), signal.SIGHUP)
            reloading = await asyncio.wait_for(loop.sock_recv(sock, 4096), 10)
            assert reloading.startswith(b"RELOADING=1\nMONOTONIC_USEC=")
            assert await asyncio.wait_for(loop.sock_recv(sock, 4096), 10) == b"READY=1"
            os.kill(os.getpid(), signal.SIGTERM)
            assert await asyncio.wait_for(loop.sock_recv(sock, 4096), 10) == b"STOPPING=1"
            assert await asyncio.wait_for(serving, 10) == 0
            with pytest.raises(ClientConnectorError):  # the endpoint is gone with the bot
                await get(f"http://127.0.0.1:{port}/healthz")
        finally:
            serving.cancel()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
