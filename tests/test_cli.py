"""The ``beistand`` command, run as a user runs it (subprocesses where it matters)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bot.cli import main
from bot.flow.yamlsafe import YMap, YNode, YSeq, parse_file
from bot.schemas import SCHEMAS, render_schema
from tests.conftest import BASIC

ROOT = Path(__file__).resolve().parent.parent


def beistand(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )


def create_db(path: Path) -> None:
    """An empty database with the current schema, as `beistand run` leaves it."""
    import asyncio

    from bot.storage.sqlite import SqliteStore

    async def create() -> None:
        async with SqliteStore(path):
            pass

    asyncio.run(create())


FIXTURE_ENV = {
    "BEISTAND_FLOWS": str(BASIC / "flows"),
    "BEISTAND_KNOWLEDGE": str(BASIC / "knowledge"),
    "BEISTAND_LOCALES": str(BASIC / "locales"),
}


def fixture_args() -> list[str]:
    return [
        "--flows",
        str(BASIC / "flows"),
        "--knowledge",
        str(BASIC / "knowledge"),
        "--locales",
        str(BASIC / "locales"),
    ]


def test_validate_clean_fixture(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *fixture_args()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 error(s), 0 warning(s); 2 flows, 4 services; missing translations: de")


def test_validate_reports_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for part in ("flows", "knowledge", "locales"):
        shutil.copytree(BASIC / part, tmp_path / part)
    (tmp_path / "flows" / "kaputt.yaml").write_text("id: kaputt\ntitle: [\n", encoding="utf-8")
    result = beistand(
        "validate",
        "--flows",
        "flows",
        "--knowledge",
        "knowledge",
        "--locales",
        "locales",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "flows/kaputt.yaml:3:1: error: YAML syntax" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_missing_directory_has_no_traceback(tmp_path: Path) -> None:
    result = beistand("validate", "--flows", str(tmp_path / "nope"), cwd=tmp_path)
    assert result.returncode == 1
    assert "flows directory not found" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["graph", "demo", "--format", fmt, *fixture_args()]) == 0
    out = capsys.readouterr().out
    if fmt == "mermaid":
        assert out.splitlines()[3] == "flowchart TD"
        assert 'n_frage{"frage: Wie kam die Drohung?"}' in out
        assert 'n_frage -->|"Online"| n_land' in out
        assert "n_sprung>" in out and "n_abgabe[/" in out and "n_karten[[" in out
    else:
        assert out.startswith('digraph "Drohung erhalten" {')
        assert '"frage" -> "land" [label="Online"];' in out
        assert "shape=diamond" in out and "shape=oval" in out


def test_graph_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "nix", *fixture_args()]) == 1
    assert "unknown flow 'nix'" in capsys.readouterr().err


def test_scripted_chat_through_a_shipped_flow(tmp_path: Path) -> None:
    """A whole conversation piped into ``beistand chat`` on the shipped content."""
    script = "1\n2\n/hilfe\n/notfall\n/zurueck\n/loeschen\n"
    result = beistand(
        "chat",
        "--db",
        str(tmp_path / "chat.db"),
        stdin=script,
        env={"BEISTAND_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Willkommen bei Beistand" in out
    assert "1. " in out and "> 1" in out
    assert "/notfall" in out and "110" in out
    assert "gelöscht" in out
    secret = tmp_path / "data" / "secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert "secret.generated" in result.stderr
    assert b"\n1\n" not in (tmp_path / "chat.db").read_bytes()


def test_chat_english_and_end_of_input(tmp_path: Path) -> None:
    env = {"BEISTAND_DATA_DIR": str(tmp_path), **FIXTURE_ENV}
    result = beistand("chat", "--lang", "en", "--db", str(tmp_path / "c.db"), env=env)
    assert result.returncode == 0, result.stderr
    assert "What is it about?" in result.stdout


def test_run_without_channels_says_why(tmp_path: Path) -> None:
    result = beistand(
        "run",
        env={"BEISTAND_DATA_DIR": str(tmp_path), "TELEGRAM_TOKEN": "", "MATRIX_HOMESERVER": ""},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "no channel configured" in result.stderr


def test_run_refuses_debug_logs_unless_allowed(tmp_path: Path) -> None:
    token = "123456789:" + "A" * 35
    env = {
        "BEISTAND_DATA_DIR": str(tmp_path),
        "BEISTAND_SECRET": "s" * 40,
        "BEISTAND_LOG_LEVEL": "debug",
        "TELEGRAM_TOKEN": token,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",  # nothing listens: a start would fail later
        "MATRIX_HOMESERVER": "",
    }
    refused = beistand("run", env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert "BEISTAND_LOG_LEVEL=DEBUG is refused" in refused.stderr
    assert token not in refused.stderr + refused.stdout
    allowed = beistand("run", env={**env, "BEISTAND_ALLOW_DEBUG": "1"}, cwd=tmp_path)
    assert "is refused" not in allowed.stderr
    assert "Telegram could not be started" in allowed.stderr  # it got past the check
    assert token not in allowed.stderr + allowed.stdout


def test_short_secret_is_refused(tmp_path: Path) -> None:
    env = {"BEISTAND_SECRET": "short", "BEISTAND_DATA_DIR": str(tmp_path), **FIXTURE_ENV}
    result = beistand("chat", env=env)
    assert result.returncode == 2
    assert "at least 32 bytes" in result.stderr
    assert "short" not in result.stderr.replace("at least", "")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_published_schema_is_current(name: str) -> None:
    assert (ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8") == render_schema(name)


def _plain(path: Path) -> object:
    """The file as plain data, read the way editors read YAML 1.2 (dates stay text)."""
    tree, problems = parse_file(path)
    assert tree is not None and not problems

    def convert(node: YNode) -> object:
        if isinstance(node, YMap):
            return {str(k.value): convert(v) for k, v in node.items}
        if isinstance(node, YSeq):
            return [convert(n) for n in node.items]
        return node.value

    return convert(tree)


def test_json_schema_accepts_valid_and_rejects_invalid_files() -> None:
    flow_schema = json.loads(render_schema("flow"))
    jsonschema.Draft202012Validator.check_schema(flow_schema)
    for path in sorted((BASIC / "flows").glob("*.yaml")):
        jsonschema.validate(_plain(path), flow_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"id": "x", "title": "t", "start": "a", "nodes": {"a": {"nxt": 1}}}, flow_schema
        )
    knowledge = json.loads(render_schema("knowledge"))
    jsonschema.validate(_plain(BASIC / "knowledge" / "services.yaml"), knowledge)
    tree, problems = parse_file(BASIC / "knowledge" / "services.yaml")
    assert tree is not None and not problems


def test_pybabel_extract_uses_flow_contexts(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    shutil.copy(BASIC / "flows" / "demo.yaml", tmp_path / "flows" / "demo.yaml")
    shutil.copytree(BASIC / "knowledge", tmp_path / "knowledge")
    shutil.copytree(ROOT / "bot", tmp_path / "bot")
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    pybabel = str(Path(sys.executable).parent / "pybabel")
    command = [pybabel, "extract", "-F", "babel.cfg", "-o", "t.pot", "."]
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    pot = (tmp_path / "t.pot").read_text("utf-8")
    assert 'msgctxt "demo/frage"\nmsgid "Wie kam die Drohung?"' in pot
    assert 'msgctxt "demo/frage"\nmsgid "Online"' in pot
    assert 'msgctxt "demo"\nmsgid "Drohung erhalten"' in pot
    assert 'msgctxt "service/buero"\nmsgid "Beratungsbüro"' in pot
    assert 'msgctxt "region"\nmsgid "Bayern"' in pot
    assert 'msgid "Diese Schaltfläche ist nicht mehr gültig."' in pot


def test_contacts_invite_list_remove(tmp_path: Path) -> None:
    env = {"BEISTAND_DATA_DIR": str(tmp_path), "BEISTAND_SECRET": "s" * 40, **FIXTURE_ENV}
    create_db(tmp_path / "beistand.db")  # contacts use the service's database, never make one
    invited = beistand(
        "contacts",
        "invite",
        "--name",
        "Erika Beispiel",
        "--land",
        "BY,DE",
        "--topics",
        "threat",
        env=env,
    )
    assert invited.returncode == 0, invited.stderr
    code = invited.stdout.split(": ", 1)[1].splitlines()[0]
    assert len(code) == 14 and code.count("-") == 2
    listed = beistand("contacts", "list", env=env)
    assert "Erika Beispiel  [BY, DE]  [threat]  invited, not registered" in listed.stdout
    assert code not in listed.stdout  # the code is shown once, stored only as a hash
    assert code.encode() not in (tmp_path / "beistand.db").read_bytes()
    wrong = beistand(
        "contacts", "invite", "--name", "X", "--land", "XX", "--topics", "threat", env=env
    )
    assert wrong.returncode == 1 and "unknown Land XX" in wrong.stderr
    assert beistand("contacts", "remove", "1", env=env).returncode == 0
    assert beistand("contacts", "remove", "1", env=env).returncode == 1


def test_contacts_invite_a_local_contact_and_a_meldestelle(tmp_path: Path) -> None:
    env = {
        "BEISTAND_DATA_DIR": str(tmp_path),
        "BEISTAND_SECRET": "s" * 40,
        "BEISTAND_LOCAL_DIR": str(ROOT / "examples" / "musterland"),
    }
    create_db(tmp_path / "beistand.db")
    local = beistand(
        "contacts", "invite", "--name", "Landratsamt", "--region", "14999", "--topics", "all",
        env=env,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    office = beistand(
        "contacts", "invite", "--name", "Meldestelle", "--region", "14999,14998",
        "--topics", "assault", "--role", "meldestelle", env=env,
    )  # fmt: skip
    assert office.returncode == 0, office.stderr
    listed = beistand("contacts", "list", env=env).stdout
    # --region implies the Land of the key
    assert "Landratsamt  [SN]  [all]  regions [14999]  invited, not registered" in listed
    assert "Meldestelle  [SN]  [assault]  regions [14999, 14998]  meldestelle  invited" in listed
    unknown = beistand(
        "contacts", "invite", "--name", "X", "--region", "14997", "--topics", "all", env=env
    )
    assert unknown.returncode == 1
    assert "unknown region 14997 (the local layer has: 14999 Landkreis Musterland" in (
        unknown.stderr
    )
    without = beistand(
        "contacts", "invite", "--name", "X", "--region", "14999", "--topics", "all",
        env={**env, "BEISTAND_LOCAL_DIR": ""},
    )  # fmt: skip
    assert without.returncode == 1 and "no regions" in without.stderr
