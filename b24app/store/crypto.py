"""Encryption of secrets at rest (OAuth tokens, application tokens, 1C passwords).

Keys are derived from B24APP_SECRET_KEY with HKDF, so one configured secret serves sessions and storage without
reusing the same key bytes for both. Fernet gives authenticated encryption: a tampered column fails loudly.

Rotation: the box also holds the earlier values of the secret key (B24APP_OLD_SECRET_KEYS). New writes use the
current key only; reads try the current key, then the old ones (cryptography's MultiFernet), so changing the key
loses nothing, and `b24app secrets rotate` (store/rekey.py) re-encrypts what the old keys wrote until they can be
dropped.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# What an operator reads when a secret cannot be decrypted. It names the remedy and nothing else: never a key,
# never the ciphertext (both would end up in logs and error pages).
DECRYPT_REMEDY = (
    "a stored secret cannot be decrypted with B24APP_SECRET_KEY or any key in B24APP_OLD_SECRET_KEYS: set "
    "B24APP_SECRET_KEY to the key the data was written with, or list that key in B24APP_OLD_SECRET_KEYS "
    "(comma-separated) and run `b24app secrets rotate`"
)


class SecretDecryptError(RuntimeError):
    """A stored secret cannot be decrypted by any configured key: the key changed or the column was altered."""

    def __init__(self, message: str = DECRYPT_REMEDY) -> None:
        super().__init__(message)


def _derive(secret_key: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"b24app", info=purpose)
    return hkdf.derive(secret_key.encode("utf-8"))


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"secrets-at-rest-v1")))


def _token(ciphertext: str) -> bytes:
    # A column altered by hand may hold anything; non-ASCII text is as undecryptable as a bad signature.
    try:
        return ciphertext.encode("ascii")
    except UnicodeEncodeError:
        raise SecretDecryptError() from None


class SecretBox:
    """Encrypts with the current secret key; decrypts with the current key or any old one."""

    def __init__(self, secret_key: str, old_keys: Iterable[str] = ()) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to encrypt secrets at rest")
        self._current = _fernet(secret_key)
        olds = [_fernet(key) for key in dict.fromkeys(old_keys) if key and key != secret_key]
        self._any = MultiFernet([self._current, *olds])  # the first key encrypts, all decrypt

    def encrypt(self, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        token = _token(ciphertext)
        try:
            return self._any.decrypt(token).decode("utf-8")
        except InvalidToken:
            # `from None`: the chained exception adds nothing an operator can use.
            raise SecretDecryptError() from None

    def is_current(self, ciphertext: str) -> bool:
        """True when the current key wrote `ciphertext` (rotating it would change nothing)."""
        try:
            self._current.decrypt(_token(ciphertext))
        except (InvalidToken, SecretDecryptError):
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """The same secret encrypted with the current key (its Fernet timestamp kept); SecretDecryptError when no
        configured key can read it."""
        try:
            return self._any.rotate(_token(ciphertext)).decode("ascii")
        except InvalidToken:
            raise SecretDecryptError() from None


def same_secret(a: str | None, b: str | None) -> bool:
    """Constant-time comparison that treats a missing value as never equal."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
