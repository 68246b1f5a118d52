"""End to end: the bot cross-signs its own device on a real Synapse."""

from __future__ import annotations

import stat
from typing import Any

import pytest

from bot.transports.matrix.crosssign import KEYS_FILE, verify_signature

pytestmark = pytest.mark.channel


def only_key(key_obj: dict[str, Any]) -> str:
    (public,) = key_obj["keys"].values()
    return str(public)


def query(synapse, viewer, user_id: str) -> dict[str, Any]:
    """``/keys/query`` as another user sees it."""
    return synapse.client_post(
        "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}}, viewer.access_token
    )


def assert_cross_signed(
    reply: dict[str, Any], user_id: str, device_id: str, own_view: bool = False
) -> str:
    """The device carries a valid self-signing signature, and the master key signed that key.
    In the account's own view (Synapse shows a master key's signatures only to their maker)
    the device's signature on the master key is there too. Returns the master key."""
    device = reply["device_keys"][user_id][device_id]
    master = reply["master_keys"][user_id]
    self_signing = reply["self_signing_keys"][user_id]
    master_key, ssk = only_key(master), only_key(self_signing)
    assert verify_signature(device, user_id, f"ed25519:{ssk}", ssk)
    assert verify_signature(self_signing, user_id, f"ed25519:{master_key}", master_key)
    if own_view:  # the device vouches for the master key: its own clients check this direction
        device_key = device["keys"][f"ed25519:{device_id}"]
        assert verify_signature(master, user_id, f"ed25519:{device_id}", device_key)
    return master_key


async def test_the_bots_device_is_cross_signed(synapse, register, make_bot, runtime, tmp_path):
    account = register("bot")
    bot = await make_bot(account, runtime)
    viewer = register("viewer")
    assert bot.cross_signing is not None
    assert bot.cross_signing.uploaded_keys
    assert bot.cross_signing.signed_device
    assert bot.cross_signing.signed_master
    reply = query(synapse, viewer, account.user_id)
    assert assert_cross_signed(reply, account.user_id, bot.device_id) == (
        bot.cross_signing.master_key
    )
    own = query(synapse, account, account.user_id)  # the registration's token: another device
    assert_cross_signed(own, account.user_id, bot.device_id, own_view=True)
    # the private keys rest in the store, readable by the bot's user only
    store = tmp_path / "bot-store"
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert stat.S_IMODE((store / KEYS_FILE).stat().st_mode) == 0o600
    for path in store.iterdir():
        assert not stat.S_IMODE(path.stat().st_mode) & 0o077, path.name


async def test_lost_keys_are_replaced_with_the_password(
    synapse, register, make_bot, runtime, tmp_path
):
    account = register("bot")
    bot = await make_bot(account, runtime)
    first = bot.cross_signing
    assert first is not None
    await bot.stop()
    (tmp_path / "bot-store" / KEYS_FILE).unlink()

    bot = await make_bot(account, runtime)  # the server now asks for the password (UIA)
    assert bot.cross_signing is not None
    assert bot.cross_signing.uploaded_keys
    assert bot.cross_signing.master_key != first.master_key
    reply = query(synapse, register("viewer"), account.user_id)
    assert assert_cross_signed(reply, account.user_id, bot.device_id) == (
        bot.cross_signing.master_key
    )


async def test_access_token_login_cross_signs_and_serves(
    synapse, register, make_bot, make_user, runtime
):
    account = register("bot")  # its first device has a token and no keys yet
    bot = await make_bot(account, runtime, password=None, access_token=account.access_token)
    assert bot.device_id == account.device_id
    assert bot.cross_signing is not None  # first upload needs no password (MSC3967)
    assert_cross_signed(
        query(synapse, register("viewer"), account.user_id), account.user_id, bot.device_id
    )

    user = await make_user()
    room = await user.create_room([account.user_id], encrypted=True)
    greeting = await user.turn(room)
    assert greeting[-1].is_prompt
    assert all(message.encrypted for message in greeting)
