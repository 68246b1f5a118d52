"""``beistand validate`` warns about saved conversations at nodes the files no longer have,
reading the service's database without changing it."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine.state import State
from bot.storage.positions import saved_positions
from bot.storage.sqlite import SqliteStore
from tests.conftest import BASIC


def _state(flow: str, node: str) -> State:
    return State(flow, node, "de", (), (), 1)


async def _fill(db: Path, positions: list[tuple[str, str]]) -> None:
    async with SqliteStore(db) as store:
        for n, (flow, node) in enumerate(positions):
            await store.save(bytes([n]) * 32, _state(flow, node), 1000.0 + n)


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "beistand.db"
    positions = [("demo", "frage"), ("demo", "frage"), ("demo", "umbenannt"), ("alt", "start")]
    asyncio.run(_fill(path, positions))
    return path


def test_counts_per_position_are_read_only(db: Path) -> None:
    before = _digest(db)
    assert saved_positions(db) == {
        ("alt", "start"): 1,
        ("demo", "frage"): 2,
        ("demo", "umbenannt"): 1,
    }
    assert _digest(db) == before
    assert saved_positions(db.parent / "missing.db") is None
    (db.parent / "junk.db").write_bytes(b"not a database")
    assert saved_positions(db.parent / "junk.db") is None


def test_validate_warns_at_the_flow_file(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(db.parent.parent)
    flows, knowledge, locales = (str(BASIC / part) for part in ("flows", "knowledge", "locales"))
    content = ["--flows", flows, "--knowledge", knowledge, "--locales", locales]
    before = _digest(db)
    assert main(["validate", *content, "--db", str(db)]) == 0  # warnings only
    out = capsys.readouterr().out.splitlines()
    demo = [line for line in out if "node 'umbenannt'" in line]
    assert len(demo) == 1
    assert demo[0].startswith(f"{BASIC / 'flows' / 'demo.yaml'}:1:1: warning: 1 saved conversation")
    assert "they are told the flow changed" in demo[0]
    gone = [line for line in out if "flow 'alt' (node 'start')" in line]
    assert len(gone) == 1 and gone[0].startswith(f"{BASIC / 'flows'}:1:1: warning:")
    assert not [line for line in out if "'frage'" in line]  # a node that exists is no problem
    assert out[-1].startswith("0 error(s), 2 warning(s)")
    assert _digest(db) == before  # the database was not changed


def test_without_a_database_validate_says_nothing_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    flows, knowledge, locales = (str(BASIC / part) for part in ("flows", "knowledge", "locales"))
    args = ["validate", "--flows", flows, "--knowledge", knowledge, "--locales", locales]
    assert main([*args, "--db", str(tmp_path / "none.db")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 error(s), 0 warning(s)")
    assert not (tmp_path / "none.db").exists()


def test_the_default_data_folder_is_not_the_service(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without BEISTAND_DB, BEISTAND_DATA_DIR or --db, ./data (a developer's terminal chat) is
    not read: its conversations may stand anywhere."""
    monkeypatch.chdir(db.parent.parent)  # ./data/beistand.db holds vanished positions
    for name in ("BEISTAND_DB", "BEISTAND_DATA_DIR", "BEISTAND_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    flows, knowledge, locales = (str(BASIC / part) for part in ("flows", "knowledge", "locales"))
    assert main(["validate", "--flows", flows, "--knowledge", knowledge, "--locales", locales]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 error(s), 0 warning(s)")
    monkeypatch.setenv("BEISTAND_DATA_DIR", str(db.parent))
    assert main(["validate", "--flows", flows, "--knowledge", knowledge, "--locales", locales]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 error(s), 2 warning(s)")
