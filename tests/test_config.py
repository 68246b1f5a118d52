"""Settings: every problem listed at once, .env through python-dotenv, unknown names, and admin
commands that use the service's settings or say what is missing (issue 11, item 5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dotenv import dotenv_values
from pydantic import ValidationError

from bot.cli import main
from bot.config import KNOWN_NAMES, LOG_LEVELS, PREFIXES, Settings
from bot.errors import ConfigError
from bot.transports.matrix import MatrixConfig
from bot.transports.telegram import TelegramSettings
from tests.test_cli import FIXTURE_ENV, ROOT, beistand, create_db

TOKEN = "123456789:" + "A" * 35
SECRET = "s" * 40
MATRIX = {
    "MATRIX_HOMESERVER": "https://matrix.example.org",
    "MATRIX_USER_ID": "@beistand:example.org",
    "MATRIX_PASSWORD": "hunter2-very-secret",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Beistand variable in the environment, the working directory an empty folder."""
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def problems_of(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    return str(caught.value)


# --- each problem ------------------------------------------------------------------------------

LEVELS = ", ".join(LOG_LEVELS)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BEISTAND_LOG_LEVEL": "VERBOSE"}, f"BEISTAND_LOG_LEVEL must be one of {LEVELS}"),
        ({"BEISTAND_LOG_LEVEL": "NOTSET"}, f"BEISTAND_LOG_LEVEL must be one of {LEVELS}"),
        ({"BEISTAND_LOG_LEVEL": "notset"}, f"BEISTAND_LOG_LEVEL must be one of {LEVELS}"),
        ({"BEISTAND_LOG_LEVEL": "10"}, f"BEISTAND_LOG_LEVEL must be one of {LEVELS}"),
        ({"BEISTAND_LOG_LEVEL": "WARN"}, f"BEISTAND_LOG_LEVEL must be one of {LEVELS}"),
        ({"BEISTAND_RETENTION_DAYS": "30 days"}, "BEISTAND_RETENTION_DAYS must be a whole number"),
        ({"BEISTAND_RETENTION_DAYS": "1.5"}, "BEISTAND_RETENTION_DAYS must be a whole number"),
        ({"BEISTAND_RETENTION_DAYS": "-1"}, "BEISTAND_RETENTION_DAYS must be positive"),
        ({"BEISTAND_ESCALATE_LOW": "soon"}, "BEISTAND_ESCALATE_LOW must be a whole number"),
        ({"BEISTAND_HTTP_PORT": "0"}, "BEISTAND_HTTP_PORT must be a port number from 1 to 65535"),
        ({"BEISTAND_HTTP_PORT": "70000"}, "BEISTAND_HTTP_PORT must be a port number from 1"),
        ({"BEISTAND_HTTP_PORT": "http"}, "BEISTAND_HTTP_PORT must be a whole number"),
        ({"TELEGRAM_WEBHOOK_PORT": "65536"}, "TELEGRAM_WEBHOOK_PORT must be a port number"),
        ({"BEISTAND_LOG_FORMAT": "xml"}, "BEISTAND_LOG_FORMAT must be text or json"),
        ({"BEISTAND_ALLOW_DEBUG": "maybe"}, "BEISTAND_ALLOW_DEBUG must be 1 or 0"),
        ({"MATRIX_REQUIRE_ENCRYPTION": "sure"}, "MATRIX_REQUIRE_ENCRYPTION must be 1 or 0"),
        ({"BEISTAND_SECRET": "too-short"}, "BEISTAND_SECRET must be at least 32 bytes long"),
        ({"TELEGRAM_TOKEN": "not-a-token"}, "TELEGRAM_TOKEN does not look like a bot token"),
        (
            {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"},
            "TELEGRAM_WEBHOOK_SECRET is required with a webhook",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg"},
            "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_TOKEN is not",
        ),
        ({"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_URL": "localhost:8081"}, "TELEGRAM_API_URL must"),
        (
            {"MATRIX_HOMESERVER": "https://matrix.example.org"},
            "Matrix is configured only partly; missing MATRIX_USER_ID, "
            "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN",
        ),
        (
            {"MATRIX_PASSWORD": "hunter2-very-secret"},
            "Matrix is configured only partly; missing MATRIX_HOMESERVER, MATRIX_USER_ID",
        ),
        ({**MATRIX, "MATRIX_USER_ID": "beistand"}, "MATRIX_USER_ID must look like @name:server"),
        ({**MATRIX, "MATRIX_HOMESERVER": "http://matrix.example.org"}, "must use https"),
    ],
)
def test_each_problem_is_named(env: dict[str, str], message: str) -> None:
    text = problems_of(env)
    assert message in text
    for name, value in env.items():  # the names are shown, the values never
        if not name.endswith(("_HOMESERVER", "_URL", "_USER_ID")) and value not in message:
            assert value not in text.replace(name, "")


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n in KNOWN_NAMES
        if n.endswith(("_DAYS", "_LIMIT", "_WINDOW", "_HIGH", "_NORMAL", "_LOW", "_PER_DAY"))
    ),
)
def test_zero_is_refused_where_a_positive_number_is_needed(name: str) -> None:
    assert f"{name} must be positive" in problems_of({name: "0"})


def test_every_problem_is_listed_at_once() -> None:
    text = problems_of(
        {
            "BEISTAND_LOG_LEVEL": "VERBOSE",
            "BEISTAND_RETENTION_DAYS": "30 days",
            "BEISTAND_RATE_LIMIT": "0",
            "BEISTAND_SECRET": "short-secret",
            "BEISTAND_LOG_FORMAT": "xml",
            "BEISTAND_HTTP_PORT": "99999",
            "MATRIX_HOMESERVER": "https://matrix.example.org",
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "TELEGRAM_TOKN": "typo-value",
        }
    )
    assert text.startswith("8 problems in the settings:")
    for name in (
        "BEISTAND_LOG_LEVEL",
        "BEISTAND_RETENTION_DAYS",
        "BEISTAND_RATE_LIMIT",
        "BEISTAND_SECRET",
        "BEISTAND_LOG_FORMAT",
        "BEISTAND_HTTP_PORT",
        "TELEGRAM_WEBHOOK_SECRET",
        "Matrix is configured only partly",
    ):
        assert name in text
    # the unknown name is named too: it is often why something is "missing"
    assert "did you mean TELEGRAM_TOKEN?" in text
    for value in ("VERBOSE", "30 days", "short-secret", "xml", "99999", TOKEN, "typo-value"):
        assert value not in text
    assert "default factory" not in text  # derived defaults are no problem of their own


def test_good_settings_are_read_and_normalised(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "BEISTAND_DATA_DIR": str(tmp_path),
            "BEISTAND_LOG_LEVEL": " warning ",
            "BEISTAND_LOG_FORMAT": "JSON",
            "BEISTAND_ALLOW_DEBUG": "yes",
            "BEISTAND_HTTP_PORT": "9100",
            "BEISTAND_RETENTION_DAYS": " 14 ",
            "BEISTAND_CONTENT_DIR": str(tmp_path / "content"),
            "BEISTAND_LOCALES": str(tmp_path / "own-locales"),
            "BEISTAND_TELEGRAM": "",  # empty values count as unset, also for unknown names
            "TELEGRAM_TOKEN": "",
        }
    )
    assert (settings.log_level, settings.log_format, settings.allow_debug) == (
        "WARNING",
        "json",
        True,
    )
    assert (settings.http_host, settings.http_port, settings.retention_days) == (
        "127.0.0.1",
        9100,
        14,
    )
    assert settings.db == tmp_path / "beistand.db"
    assert settings.matrix_store_dir == tmp_path / "matrix"
    assert settings.content.flows == tmp_path / "content" / "flows"
    assert settings.content.locales == tmp_path / "own-locales"
    assert settings.telegram_token is None
    assert not settings.telegram_configured and not settings.matrix_configured
    assert Settings.from_env({"BEISTAND_LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_settings_are_immutable_and_hide_secrets() -> None:
    settings = Settings.from_env(
        {
            "BEISTAND_SECRET": SECRET,
            "TELEGRAM_TOKEN": TOKEN,
            **MATRIX,
            "MATRIX_PICKLE_KEY": "pk" * 9,
        }
    )
    with pytest.raises(ValidationError):
        settings.retention_days = 1  # type: ignore[misc]
    shown = repr(settings) + str(settings)
    for secret in (SECRET, TOKEN, "hunter2", "pk" * 9):
        assert secret not in shown
    assert set(settings.secret_values) == {SECRET, TOKEN, MATRIX["MATRIX_PASSWORD"], "pk" * 9}


def test_settings_built_directly_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="configured only partly"):
        Settings(matrix_homeserver="https://matrix.example.org")


# --- channels get their settings from the one model --------------------------------------------


def test_matrix_settings_come_from_the_model(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            **MATRIX,
            "MATRIX_HOMESERVER": "https://matrix.example.org/",
            "BEISTAND_DATA_DIR": str(tmp_path),
            "MATRIX_PICKLE_KEY": "pickle-secret",
            "MATRIX_DEVICE_NAME": "Beistand Landkreis",
            "MATRIX_REQUIRE_ENCRYPTION": "1",
            "MATRIX_NO_CROSS_SIGNING": "true",
        }
    )
    config = MatrixConfig.from_settings(settings)
    assert config is not None
    assert config.homeserver == "https://matrix.example.org"
    assert config.store_dir == tmp_path / "matrix"
    assert (config.pickle_key, config.device_name) == ("pickle-secret", "Beistand Landkreis")
    assert config.require_encryption and not config.cross_sign
    assert MatrixConfig.from_settings(Settings.from_env({})) is None
    telegram = TelegramSettings.from_settings(Settings.from_env({"TELEGRAM_TOKEN": TOKEN}))
    assert telegram is not None and not telegram.webhook


def test_no_transport_reads_or_writes_the_environment() -> None:
    for path in sorted((ROOT / "bot" / "transports").glob("*.py")):
        text = path.read_text("utf-8")
        assert "os.environ" not in text and "getenv" not in text, path.name


# --- the settings file -------------------------------------------------------------------------


def test_env_file_inline_comments_quotes_and_multiline(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        "# a comment\n"
        "BEISTAND_RETENTION_DAYS=30  # days\n"
        "export BEISTAND_RATE_LIMIT=12\n"
        "MATRIX_DEVICE_NAME='Beistand # Landkreis'\n"
        'BEISTAND_SECRET="first line\n'
        'second line of the secret, long enough"\n'
        "BEISTAND_DATA_DIR=${HOME}/data\n",
        encoding="utf-8",
    )
    settings = Settings.load()
    assert settings.retention_days == 30
    assert settings.rate_limit == 12
    assert settings.matrix_device_name == "Beistand # Landkreis"
    assert settings.secret == "first line\nsecond line of the secret, long enough"
    assert settings.data_dir == Path("${HOME}/data")  # no expansion: values stay literal


def test_the_environment_wins_over_the_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        "BEISTAND_RETENTION_DAYS=5\nBEISTAND_RATE_LIMIT=7\n", encoding="utf-8"
    )
    monkeypatch.setenv("BEISTAND_RETENTION_DAYS", "9")
    settings = Settings.load()
    assert (settings.retention_days, settings.rate_limit) == (9, 7)


def test_env_file_option_and_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("BEISTAND_RETENTION_DAYS=1\n", encoding="utf-8")
    named = clean_env / "service.env"
    named.write_text("BEISTAND_RETENTION_DAYS=2\n", encoding="utf-8")
    other = clean_env / "other.env"
    other.write_text("BEISTAND_RETENTION_DAYS=3\n", encoding="utf-8")
    assert Settings.load().retention_days == 1
    monkeypatch.setenv("BEISTAND_ENV_FILE", str(named))
    assert Settings.load().retention_days == 2
    assert Settings.load(env_file=other).retention_days == 3  # --env-file beats the variable


def test_a_named_file_that_does_not_exist_is_an_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--env-file", "missing.env", "validate", "--flows", "x"]) == 2
    err = capsys.readouterr().err
    assert err == "beistand: settings file missing.env not found (--env-file)\n"
    monkeypatch.setenv("BEISTAND_ENV_FILE", "/nowhere/beistand.env")
    assert main(["schema"]) == 2
    assert "not found (BEISTAND_ENV_FILE)" in capsys.readouterr().err
    assert not any(clean_env.iterdir())


def test_example_file_documents_every_variable_and_is_valid() -> None:
    example = ROOT / ".env.example"
    values = dotenv_values(example, interpolate=False)
    assert set(values) == KNOWN_NAMES - {"BEISTAND_ENV_FILE"}
    assert "BEISTAND_ENV_FILE" in example.read_text("utf-8")
    Settings.from_env({k: v for k, v in values.items() if v})


# --- through the command line: one message, no traceback ---------------------------------------


def test_problems_reach_the_operator_without_a_traceback(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEISTAND_LOG_LEVEL", "VERBOSE")
    monkeypatch.setenv("BEISTAND_RATE_WINDOW", "-3")
    assert main(["validate"]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("beistand: 2 problems in the settings:\n")
    assert "BEISTAND_LOG_LEVEL" in out.err and "BEISTAND_RATE_WINDOW must be positive" in out.err
    assert "Traceback" not in out.err + out.out
    monkeypatch.delenv("BEISTAND_LOG_LEVEL")
    monkeypatch.delenv("BEISTAND_RATE_WINDOW")
    result = beistand("validate", env={"BEISTAND_HTTP_PORT": "99999", **FIXTURE_ENV}, cwd=clean_env)
    assert result.returncode == 2
    assert result.stderr.startswith("beistand: BEISTAND_HTTP_PORT must be a port number")
    assert "Traceback" not in result.stderr


def test_unknown_names_are_reported_with_a_suggestion(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_TOKN", "value-of-a-typo")
    monkeypatch.setenv("BEISTAND_ENV_FILE", str(clean_env / "s.env"))
    (clean_env / "s.env").write_text("MATRIX_HOMESERVR=https://x.example\n", encoding="utf-8")
    fixture = [f"--{k.removeprefix('BEISTAND_').lower()}={v}" for k, v in FIXTURE_ENV.items()]
    assert main(["validate", *fixture]) == 0
    err = capsys.readouterr().err
    assert (
        "beistand: warning: unknown setting TELEGRAM_TOKN (in the environment): "
        "did you mean TELEGRAM_TOKEN?" in err
    )
    assert f"unknown setting MATRIX_HOMESERVR (in {clean_env / 's.env'}): " in err
    assert "did you mean MATRIX_HOMESERVER?" in err
    assert "settings.unknown_name kind=TELEGRAM_TOKN" in err  # the log line, names only
    assert "value-of-a-typo" not in err and "x.example" not in err
    assert "BEISTAND_ENV_FILE" not in err  # a known name


def test_debug_guard_holds_for_every_spelling(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEISTAND_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    for spelling in ("Debug", " DEBUG", "debug"):
        monkeypatch.setenv("BEISTAND_LOG_LEVEL", spelling)
        assert main(["run"]) == 2
        assert "BEISTAND_LOG_LEVEL=DEBUG is refused" in capsys.readouterr().err
    for spelling in ("NOTSET", "0", "10", "5"):
        monkeypatch.setenv("BEISTAND_LOG_LEVEL", spelling)
        assert main(["run"]) == 2
        assert "BEISTAND_LOG_LEVEL must be one of" in capsys.readouterr().err
    monkeypatch.setenv("BEISTAND_ALLOW_DEBUG", "0")
    monkeypatch.setenv("BEISTAND_LOG_LEVEL", "debug")
    assert main(["run"]) == 2
    assert TOKEN not in capsys.readouterr().err
    assert not any(clean_env.iterdir())


def test_run_help_says_where_settings_come_from(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for part in ("process environment", "--env-file", "BEISTAND_ENV_FILE", "./.env", "defaults"):
        assert part in out
    for name in ("BEISTAND_SECRET", "TELEGRAM_TOKEN", "MATRIX_HOMESERVER", "BEISTAND_HTTP_PORT"):
        assert name in out


# --- admin commands use the service's settings -------------------------------------------------


def test_contacts_refuse_without_a_secret_and_create_nothing(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contacts", "invite", "--name", "X", "--land", "BY", "--topics", "all"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("beistand: BEISTAND_SECRET is not set: run this with the service's ")
    assert "`beistand --env-file /etc/beistand/beistand.env contacts ...`" in err
    assert main(["contacts", "list"]) == 2
    assert not any(clean_env.iterdir())  # no data/, no secret, no database


def test_contacts_refuse_without_a_database_and_create_nothing(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEISTAND_SECRET", SECRET)
    assert main(["contacts", "list"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "beistand: no database at data/beistand.db: start `beistand run` once, "
        "or set BEISTAND_DATA_DIR/BEISTAND_DB\n"
    )
    assert main(["contacts", "--db", "elsewhere.db", "list"]) == 2
    assert "no database at elsewhere.db" in capsys.readouterr().err
    assert not any(clean_env.iterdir())


def test_contacts_work_with_the_services_settings(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = tmp_path / "service"
    service.mkdir(mode=0o700)
    create_db(service / "beistand.db")
    settings_file = tmp_path / "beistand.env"
    lines = [f"BEISTAND_DATA_DIR={service}", f"BEISTAND_SECRET={SECRET}"]
    lines += [f"{k}={v}" for k, v in FIXTURE_ENV.items()]
    settings_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--env-file", str(settings_file), "contacts", "list"]) == 0
    assert capsys.readouterr().err == ""
    assert not any(clean_env.iterdir())


def test_existing_db_helper(tmp_path: Path) -> None:
    settings = Settings.from_env({"BEISTAND_DATA_DIR": str(tmp_path / "d")})
    with pytest.raises(ConfigError, match="no database at"):
        settings.existing_db()
    with pytest.raises(ConfigError, match="BEISTAND_SECRET is not set: run this"):
        settings.admin("backup")
    assert not (tmp_path / "d").exists()
    create_db(settings.db)
    assert settings.existing_db() == settings.db
