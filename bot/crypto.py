"""Keys derived from ``BEISTAND_SECRET`` and sealing of the few values that must stay reversible.

Only one kind of value is sealed: where to reach a user while their case is open (their chat id
or Matrix room id). It is encrypted with AES-256-GCM under a key derived from the secret with
HKDF, bound to the case code, and deleted when the case closes.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.errors import StorageError


def derive(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the secret (HKDF-SHA256)."""
    return HKDF(hashes.SHA256(), 32, salt=b"beistand", info=purpose.encode()).derive(secret)


class Sealer:
    """Encrypts and decrypts short values bound to a context (the case code)."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive(secret, "route-v1"))

    def seal(self, value: str, context: str) -> bytes:
        """Nonce and ciphertext of ``value``."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        """The value sealed under ``context``; :class:`StorageError` if it was tampered with."""
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], context.encode()).decode()
        except (InvalidTag, ValueError) as err:
            raise StorageError("a sealed value cannot be opened (wrong secret?)") from err
