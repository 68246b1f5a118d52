"""The Matrix transport's pure parts and the cross-signing module, without a server."""

from __future__ import annotations

import logging
import stat
from typing import Any

import pytest
from nio import (
    RoomEncryptedImage,
    RoomMessageImage,
    RoomMessageNotice,
    RoomMessageText,
    StickerEvent,
)

from bot.engine.commands import parse_command
from bot.engine.events import Command, Start, Text, Unsupported
from bot.errors import ConfigError, TransportError
from bot.render import Button, Outgoing, numbered
from bot.transports.matrix import (
    MatrixConfig,
    crosssign,
    guard_nio_logging,
    message_content,
    prepare_store_dir,
    redact_ids,
    room_allowed,
    strip_reply_fallback,
    to_engine_event,
    typed_event,
)
from bot.transports.matrix.crosssign import (
    CrossSigningKeys,
    SigningKey,
    canonical_json,
    ensure_cross_signed,
    load_or_create_keys,
    unpadded_b64decode,
    unpadded_b64encode,
    verify_signature,
)


def _event(content: dict[str, Any], event_type: str = "m.room.message") -> dict[str, Any]:
    return {
        "type": event_type,
        "event_id": "$abc",
        "sender": "@user:example.org",
        "origin_server_ts": 1,
        "content": content,
    }


def text_event(body: str, **content: Any) -> RoomMessageText:
    return RoomMessageText.from_dict(_event({"msgtype": "m.text", "body": body, **content}))


# --- nio event -> engine event ----------------------------------------------------------------


def test_text_becomes_text_and_commands_become_commands():
    assert to_engine_event(text_event("2"), encrypted_room=False) == Text("2")
    assert to_engine_event(text_event("Nein"), encrypted_room=False) == Text("Nein")
    assert to_engine_event(text_event("/hilfe"), encrypted_room=False) == Command("help")
    assert to_engine_event(text_event("/start"), encrypted_room=False) == Start()
    assert to_engine_event(text_event("/start demo"), encrypted_room=False) == Start("demo")
    assert typed_event("/start ../x") == Start()
    assert typed_event("/uebernehmen K7F3-Q9") == parse_command("/uebernehmen K7F3-Q9")


def test_only_the_plain_body_is_read_never_the_html():
    event = text_event("<b>x</b>", format="org.matrix.custom.html", formatted_body="<i>y</i>")
    assert to_engine_event(event, encrypted_room=False) == Text("<b>x</b>")


def test_notices_and_edits_are_ignored():
    notice = RoomMessageNotice.from_dict(_event({"msgtype": "m.notice", "body": "1"}))
    assert to_engine_event(notice, encrypted_room=False) is None
    edit = text_event(
        "* 2",
        **{"m.new_content": {"msgtype": "m.text", "body": "2"}},
        **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$old"}},
    )
    assert to_engine_event(edit, encrypted_room=False) is None


def test_a_reply_loses_its_quoted_fallback():
    reply = text_event(
        "> <@bot:example.org> Worum geht es?\n> 1. Ich wurde bedroht\n\n1",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}},
    )
    assert to_engine_event(reply, encrypted_room=False) == Text("1")


def test_strip_reply_fallback_keeps_ordinary_text():
    assert strip_reply_fallback("ja\n> nein") == "ja\n> nein"
    assert strip_reply_fallback("> a\n> b\n\nc\nd") == "c\nd"


def test_plain_events_in_an_encrypted_room_are_ignored():
    event = text_event("1")
    assert not event.decrypted
    assert to_engine_event(event, encrypted_room=True) is None
    event.decrypted = True
    assert to_engine_event(event, encrypted_room=True) == Text("1")


def test_media_and_stickers_are_unsupported_and_never_fetched():
    image = RoomMessageImage.from_dict(
        _event({"msgtype": "m.image", "body": "a.png", "url": "mxc://example.org/a"})
    )
    assert to_engine_event(image, encrypted_room=False) == Unsupported("image")
    encrypted_image = RoomEncryptedImage.from_dict(
        _event(
            {
                "msgtype": "m.image",
                "body": "a.png",
                "file": {
                    "url": "mxc://example.org/a",
                    "key": {"k": "x", "alg": "A256CTR", "ext": True, "kty": "oct"},
                    "iv": "x",
                    "hashes": {"sha256": "x"},
                    "v": "v2",
                },
            }
        )
    )
    encrypted_image.decrypted = True
    assert to_engine_event(encrypted_image, encrypted_room=True) == Unsupported("image")
    sticker = StickerEvent.from_dict(
        _event({"body": "s", "url": "mxc://example.org/s", "info": {}}, "m.sticker")
    )
    assert to_engine_event(sticker, encrypted_room=False) == Unsupported("sticker")


# --- outgoing ---------------------------------------------------------------------------------


def test_replies_are_notices_with_html_and_plain_body():
    message = numbered(
        Outgoing("Frage\nzweite Zeile", "Frage\nzweite Zeile", (Button("A", "1.0"),))
    )
    content = message_content(message)
    assert content == {
        "msgtype": "m.notice",
        "body": "Frage\nzweite Zeile\n\n1. A",
        "format": "org.matrix.custom.html",
        "formatted_body": "Frage<br>zweite Zeile<ol><li>A</li></ol>",
    }


def test_room_policy_allows_direct_chats_only():
    assert room_allowed(2, encrypted=False, require_encryption=False)
    assert room_allowed(1, encrypted=True, require_encryption=True)
    assert not room_allowed(3, encrypted=True, require_encryption=False)
    assert not room_allowed(2, encrypted=False, require_encryption=True)


# --- configuration ----------------------------------------------------------------------------

BASE = {
    "MATRIX_HOMESERVER": "https://matrix.example.org/",
    "MATRIX_USER_ID": "@beistand:example.org",
    "MATRIX_PASSWORD": "hunter2-very-secret",
}


def test_config_is_none_when_matrix_is_not_configured():
    assert MatrixConfig.from_env({}) is None


def test_config_from_env_hides_secrets(tmp_path):
    config = MatrixConfig.from_env(
        {
            **BASE,
            "MATRIX_STORE_DIR": str(tmp_path),
            "MATRIX_PICKLE_KEY": "pickle-secret",
            "MATRIX_REQUIRE_ENCRYPTION": "1",
        }
    )
    assert config is not None
    assert config.homeserver == "https://matrix.example.org"
    assert config.store_dir == tmp_path
    assert config.require_encryption
    assert config.cross_sign
    assert "hunter2" not in repr(config)
    assert "pickle-secret" not in repr(config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MATRIX_PASSWORD": ""}, "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN"),
        ({"MATRIX_USER_ID": ""}, "MATRIX_USER_ID"),
        ({"MATRIX_USER_ID": "beistand"}, "@name:server"),
        ({"MATRIX_HOMESERVER": "http://matrix.example.org"}, "https"),
        ({"MATRIX_HOMESERVER": "ftp://x"}, "http(s)"),
    ],
)
def test_config_errors(change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        MatrixConfig.from_env({**BASE, **change})


def test_store_dir_defaults_to_the_data_dir():
    config = MatrixConfig.from_env({**BASE, "BEISTAND_DATA_DIR": "/srv/beistand"})
    assert config is not None
    assert str(config.store_dir) == "/srv/beistand/matrix"


def test_access_token_alone_is_enough():
    env = {**BASE, "MATRIX_PASSWORD": "", "MATRIX_ACCESS_TOKEN": "syt_secret_token"}
    config = MatrixConfig.from_env(env)
    assert config is not None
    assert config.password is None
    assert "syt_secret" not in repr(config)


def test_plain_http_is_allowed_on_loopback_only():
    for url in ("http://127.0.0.1:8008", "http://localhost:8008", "http://[::1]:8008"):
        config = MatrixConfig.from_env({**BASE, "MATRIX_HOMESERVER": url})
        assert config is not None


def test_store_dir_is_private(tmp_path):
    target = tmp_path / "a" / "store"
    prepare_store_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    target.chmod(0o755)
    prepare_store_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


# --- logging ----------------------------------------------------------------------------------


def test_matrix_ids_are_redacted():
    line = (
        "Sharing for @alice:example.org in !AbCdEf:example.org:8448 via #alias:example.org, "
        "event $Yz0123456789abcdefghij and !abcdefghijklmnopqrstuvwx"
    )
    redacted = redact_ids(line)
    for secret in ("alice", "AbCdEf", "alias", "Yz0123", "abcdefghijklmnop"):
        assert secret not in redacted
    assert redacted.count("<id>") == 5


def test_nio_log_records_lose_ids(caplog):
    guard_nio_logging()
    caplog.set_level(logging.DEBUG)
    nio_logger = logging.getLogger("nio.crypto.log")
    nio_logger.warning("Missing Olm session for user %s and device %s", "@bob:example.org", "D")
    nio_logger.info("Sharing group session for room !r:example.org")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("nio")] == [
        "Missing Olm session for user <id> and device D"
    ]
    assert logging.getLogger("peewee").getEffectiveLevel() >= logging.WARNING


# --- cross-signing ----------------------------------------------------------------------------


def test_canonical_json_and_unpadded_base64():
    assert canonical_json({"b": 1, "a": "ä", "c": [True, None]}) == (
        '{"a":"ä","b":1,"c":[true,null]}'.encode()
    )
    for data in (b"", b"a", b"ab", b"abc", bytes(range(32))):
        encoded = unpadded_b64encode(data)
        assert "=" not in encoded
        assert unpadded_b64decode(encoded) == data
    with pytest.raises(ValueError, match="base64"):
        unpadded_b64decode("!!")


def test_signatures_verify_and_cover_everything_but_signatures_and_unsigned():
    key = SigningKey.generate()
    obj: dict[str, Any] = {"user_id": "@b:x", "keys": {"a": "b"}, "unsigned": {"n": 1}}
    obj["signatures"] = {"@b:x": {key.key_id: key.sign(obj)}}
    assert verify_signature(obj, "@b:x", key.key_id, key.public)
    obj["unsigned"] = {"n": 2}
    assert verify_signature(obj, "@b:x", key.key_id, key.public)
    obj["keys"] = {"a": "c"}
    assert not verify_signature(obj, "@b:x", key.key_id, key.public)
    assert not verify_signature(obj, "@other:x", key.key_id, key.public)
    assert "seed" not in repr(key) or repr(key.seed) not in repr(key)


def test_sub_keys_are_signed_by_the_master_key():
    keys = CrossSigningKeys.generate("@b:x")
    body = keys.upload_body()
    assert body["master_key"]["usage"] == ["master"]
    assert body["master_key"]["keys"] == {keys.master.key_id: keys.master.public}
    for name in ("self_signing_key", "user_signing_key"):
        assert verify_signature(body[name], "@b:x", keys.master.key_id, keys.master.public)
    assert body["self_signing_key"]["keys"] == {keys.self_signing.key_id: keys.self_signing.public}


def test_key_file_is_private_and_stable(tmp_path, caplog):
    keys, created = load_or_create_keys(tmp_path, "@b:x")
    assert created
    path = tmp_path / crosssign.KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created = load_or_create_keys(tmp_path, "@b:x")
    assert not created
    assert again == keys
    path.chmod(0o644)
    load_or_create_keys(tmp_path, "@b:x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="another Matrix account"):
        load_or_create_keys(tmp_path, "@other:x")
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        load_or_create_keys(tmp_path, "@b:x")


class FakeKeysApi:
    """A homeserver's keys API in memory, answering like Synapse."""

    def __init__(self, device: dict[str, Any], uia: bool = False) -> None:
        self.device = device
        self.uia = uia
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.published: dict[str, Any] = {}

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append((path, body))
        user = self.device["user_id"]
        if path.endswith("/keys/query"):
            reply: dict[str, Any] = {"device_keys": {user: {self.device["device_id"]: self.device}}}
            for name in ("master", "self_signing", "user_signing"):
                if name in self.published:
                    reply[f"{name}_keys"] = {user: self.published[name]}
            return 200, reply
        if path.endswith("/device_signing/upload"):
            if self.uia and "auth" not in body:
                return 401, {"flows": [{"stages": ["m.login.password"]}], "session": "s"}
            self.published = {
                "master": body["master_key"],
                "self_signing": body["self_signing_key"],
                "user_signing": body["user_signing_key"],
            }
            return 200, {}
        if path.endswith("/signatures/upload"):
            signed = body[user].get(self.device["device_id"])
            if signed:
                self.device = {**self.device, "signatures": signed["signatures"]}
            return 200, {"failures": {}}
        raise AssertionError(path)


def _device(device_id: str = "DEV") -> tuple[dict[str, Any], dict[str, str]]:
    local = {"ed25519": "E" * 43, "curve25519": "C" * 43}
    device = {
        "user_id": "@b:x",
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {
            f"ed25519:{device_id}": local["ed25519"],
            f"curve25519:{device_id}": local["curve25519"],
        },
        "unsigned": {"device_display_name": "Beistand"},
    }
    return device, local


async def test_ensure_cross_signed_publishes_then_does_nothing():
    device, local = _device()
    api = FakeKeysApi(device)
    keys = CrossSigningKeys.generate("@b:x")
    result = await ensure_cross_signed(api, keys, "DEV", local)
    assert result.uploaded_keys
    assert result.signed_device
    assert not result.signed_master  # no device signer given
    assert verify_signature(api.device, "@b:x", keys.self_signing.key_id, keys.self_signing.public)

    api.calls.clear()
    result = await ensure_cross_signed(api, keys, "DEV", local)
    assert not result.uploaded_keys
    assert not result.signed_device
    assert [path for path, _ in api.calls] == ["/_matrix/client/v3/keys/query"]


async def test_foreign_device_keys_are_never_signed():
    device, local = _device()
    api = FakeKeysApi({**device, "keys": {"ed25519:DEV": "X" * 43, "curve25519:DEV": "C" * 43}})
    with pytest.raises(TransportError, match="differ"):
        await ensure_cross_signed(api, CrossSigningKeys.generate("@b:x"), "DEV", local)
    assert len(api.calls) == 1


async def test_replacing_keys_needs_the_password():
    device, local = _device()
    api = FakeKeysApi(device, uia=True)
    keys = CrossSigningKeys.generate("@b:x")
    with pytest.raises(TransportError, match="MATRIX_PASSWORD"):
        await ensure_cross_signed(api, keys, "DEV", local)
    result = await ensure_cross_signed(api, keys, "DEV", local, password="pw")
    assert result.uploaded_keys
    auth = api.calls[-2][1]["auth"]
    assert auth == {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": "@b:x"},
        "password": "pw",
        "session": "s",
    }
