"""Refresh tokens this app has already exchanged.

A refresh token works once (settings/oauth/index.md). The same pair can reach us twice — in the install POST and
in ONAPPINSTALL — and whichever we verify first spends its refresh token; storing the pair again from the other
would leave us holding a dead refresh token. Remembering what we spent (by fingerprint, never the token) prevents
that.
"""

from __future__ import annotations

import hashlib

from redis import Redis

REMEMBER_SECONDS = 7 * 24 * 3600


class SpentRefreshTokens:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self._prefix}:spent-refresh:{hashlib.sha256(token.encode('utf-8')).hexdigest()}"

    def mark(self, token: str) -> None:
        self._redis.set(self._key(token), 1, ex=REMEMBER_SECONDS)

    def was_spent(self, token: str) -> bool:
        return bool(self._redis.exists(self._key(token)))
