"""The bot's nio client: login (password or access token, the same device across restarts), the
first sync that makes everything before it history, cross-signing, the sync loop, and sending."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    LocalProtocolError,
    LoginResponse,
    RoomSendError,
    SendRetryError,
    SyncResponse,
    WhoamiResponse,
)
from nio.exceptions import EncryptionError, OlmUnverifiedDeviceError

from bot.errors import ConfigError, TransportError
from bot.render import Outgoing
from bot.transports.matrix.config import (
    MatrixConfig,
    read_device_file,
    tighten_store_files,
    write_device_file,
)
from bot.transports.matrix.crosssign import (
    CrossSigningResult,
    HttpKeysApi,
    ensure_cross_signed,
    load_or_create_keys,
)
from bot.transports.matrix.mapping import PLATFORM, message_content

logger = logging.getLogger("bot.transports.matrix")
#: Fields on every log line (names from the allow-list in :mod:`bot.logs`).
F = {"platform": PLATFORM}

#: Only what the bot needs: rooms' state and timeline; no presence, typing, receipts, tags.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}
_TOKEN_REJECTED = ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN")


class MatrixClient:
    """One logged-in nio client for the bot's account, with its health."""

    def __init__(self, config: MatrixConfig, store: Path) -> None:
        self.config = config
        self.store = store
        client_config = AsyncClientConfig(
            store_sync_tokens=True,
            encryption_enabled=True,
            request_timeout=60,
            **({"pickle_key": config.pickle_key} if config.pickle_key else {}),
        )
        if config.pickle_key is None:
            logger.warning("matrix.no_pickle_key", extra=F)
        self.nio = AsyncClient(
            config.homeserver, config.user_id, store_path=str(store), config=client_config
        )
        self.cross_signing: CrossSigningResult | None = None
        self.sync_failing = False
        self.last_sync = time.monotonic()  # of the last successful sync

    async def open(self, on_first_sync: Callable[[SyncResponse], Awaitable[None]]) -> None:
        """Log in, sync once without reacting (no history), cross-sign; closes on failure."""
        try:
            await self._login()
            tighten_store_files(self.store)
            await self._first_sync(on_first_sync)
            if self.config.cross_sign:
                await self._cross_sign()
        except BaseException:
            await self.nio.close()
            raise

    async def close(self) -> None:
        """Close the connections (the crypto store stays)."""
        await self.nio.close()

    def healthy(self) -> bool:
        """The last sync succeeded, within the last few sync timeouts."""
        window = 3 * self.config.sync_timeout_ms / 1000 + 30
        return (
            self.nio.logged_in
            and not self.sync_failing
            and time.monotonic() - self.last_sync < window
        )

    async def _login(self) -> None:
        client, config = self.nio, self.config
        if config.access_token:
            client.access_token = config.access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise ConfigError("MATRIX_ACCESS_TOKEN was rejected by the homeserver")
            if who.user_id != config.user_id or not who.device_id:
                raise ConfigError("MATRIX_ACCESS_TOKEN belongs to another account or no device")
            client.restore_login(who.user_id, who.device_id, config.access_token)
        else:
            saved = read_device_file(self.store, config.user_id)
            if saved:
                client.device_id = saved
            response = await client.login(password=config.password, device_name=config.device_name)
            if not isinstance(response, LoginResponse):
                raise ConfigError(
                    f"Matrix login failed ({getattr(response, 'status_code', 'error')})"
                )
        if client.olm is None:
            raise TransportError("the Matrix crypto store did not load")
        write_device_file(self.store, client.user_id, client.device_id)

    async def _first_sync(self, then: Callable[[SyncResponse], Awaitable[None]]) -> None:
        """One full sync with no callbacks registered: everything before now is history."""
        response = await self.nio.sync(timeout=0, sync_filter=SYNC_FILTER, full_state=True)
        if not isinstance(response, SyncResponse):
            raise TransportError(
                f"first Matrix sync failed ({getattr(response, 'status_code', 'error')})"
            )
        self.sync_failing, self.last_sync = False, time.monotonic()
        await self.housekeeping()
        await then(response)

    async def _cross_sign(self) -> None:
        client = self.nio
        assert client.olm is not None
        assert client.device_id is not None
        keys, created = load_or_create_keys(self.store, self.config.user_id)
        if created:
            logger.info("matrix.cross_signing_keys_generated", extra=F)
        try:
            self.cross_signing = await ensure_cross_signed(
                HttpKeysApi(self.config.homeserver, client.access_token),
                keys,
                client.device_id,
                client.olm.account.identity_keys,
                password=self.config.password,
                device_signer=client.olm.account.sign,
            )
        except (TransportError, OSError, TimeoutError, aiohttp.ClientError) as error:
            # The bot still works for clients that accept unverified devices; say so loudly.
            logger.error("matrix.cross_signing_failed", extra={**F, "error": type(error).__name__})
            return
        # the master key is public; operators compare it with what users' clients show
        logger.info("matrix.cross_signed", extra={**F, "key": self.cross_signing.master_key})

    async def sync_forever(self, after: Callable[[SyncResponse], Awaitable[None]]) -> None:
        """Sync until cancelled; back off on errors.

        Raises:
            TransportError: the homeserver rejected the bot's token for good.
        """
        delay = 0.5
        while True:
            try:
                response: Any = await self.nio.sync(
                    timeout=self.config.sync_timeout_ms, sync_filter=SYNC_FILTER
                )
            except (TimeoutError, OSError, LocalProtocolError) as error:
                response = error
            if isinstance(response, SyncResponse):
                delay = 0.5
                self.sync_failing, self.last_sync = False, time.monotonic()
                await self.housekeeping()
                await after(response)
                continue
            code = getattr(response, "status_code", type(response).__name__)
            if code in _TOKEN_REJECTED:
                logger.error("matrix.token_rejected", extra={**F, "error": code})
                raise TransportError("Matrix access token rejected")
            self.sync_failing = True
            logger.warning("matrix.sync_failed", extra={**F, "error": code, "seconds": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def housekeeping(self) -> None:
        """The key work nio's ``sync_forever`` does between syncs."""
        client = self.nio
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())

    async def send(self, room_id: str, message: Outgoing, tag: str, txn_id: str | None) -> bool:
        """One ``m.notice``; False (logged with the room's pseudonym ``tag``) if it failed."""
        try:
            # Unverified devices of the user are accepted: the bot cannot verify strangers
            # (see docs/matrix.md, "Trust").
            response = await self.nio.room_send(
                room_id,
                "m.room.message",
                message_content(message),
                tx_id=txn_id,
                ignore_unverified_devices=True,
            )
        except (SendRetryError, LocalProtocolError, EncryptionError, OlmUnverifiedDeviceError) as e:
            logger.error("matrix.send_failed", extra={**F, "key": tag, "error": type(e).__name__})
            return False
        if isinstance(response, RoomSendError):
            logger.error(
                "matrix.send_failed", extra={**F, "key": tag, "error": response.status_code}
            )
            return False
        return True
