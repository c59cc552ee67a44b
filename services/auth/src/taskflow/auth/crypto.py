"""Secrets at rest (AES-256-GCM) and the hashing of high-entropy tokens.

TOTP secrets and signing keys are encrypted with a key encryption key (KEK) from settings, so
a copy of the database alone does not let anyone mint tokens or TOTP codes. The associated
data binds each ciphertext to its row (`totp:<user id>`, `signing-key:<kid>`): a ciphertext
copied into another row does not decrypt.

Refresh tokens, reset links and personal access tokens carry >= 256 random bits, so a plain
SHA-256 is enough to store them (nothing to brute force); recovery codes are shorter, so
they are HMAC'd with a key derived from the KEK instead.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext that does not open with this key and associated data."""


class SecretBox:
    """AES-256-GCM with a random 96-bit nonce per message: `version | nonce | ciphertext`."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("AES-256 needs a 32-byte key")
        self._aead = AESGCM(key)
        # A separate key for HMACs so the encryption key is never used for two purposes.
        self._mac_key = hmac.new(key, b"taskflow-auth/hmac-key/v1", hashlib.sha256).digest()

    def encrypt(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt `plaintext` bound to `context` (the associated data)."""
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> bytes:
        """Decrypt a blob made by `encrypt` with the same `context`."""
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
            raise DecryptionError("unknown ciphertext format")
        nonce = blob[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[1 + _NONCE_BYTES :], context.encode())
        except Exception:
            raise DecryptionError("ciphertext does not open") from None

    def mac(self, value: str) -> bytes:
        """HMAC-SHA256 of `value` under the derived MAC key (for low-entropy codes)."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).digest()


def new_token(prefix: str = "") -> str:
    """A random URL-safe token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """SHA-256 of a high-entropy token, as stored."""
    return hashlib.sha256(token.encode()).digest()
