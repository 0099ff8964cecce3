"""Encryption of secrets at rest (OAuth tokens, application tokens, 1C passwords).

Keys are derived from B24APP_SECRET_KEY with HKDF, so one configured secret serves sessions and storage without
reusing the same key bytes for both. Fernet gives authenticated encryption: a tampered column fails loudly.
"""

from __future__ import annotations

import base64
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretDecryptError(RuntimeError):
    """A stored secret cannot be decrypted: the secret key changed or the column was altered."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"b24app", info=purpose)
    return hkdf.derive(secret_key.encode("utf-8"))


class SecretBox:
    """Encrypts and decrypts short secrets with a key derived from the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to encrypt secrets at rest")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"secrets-at-rest-v1")))

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise SecretDecryptError(
                "a stored secret cannot be decrypted; was B24APP_SECRET_KEY changed?"
            ) from exc


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison that treats a missing value as never equal."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
