"""Refresh tokens this app has already exchanged.

A refresh token works once (settings/oauth/index.md). The same pair can reach us twice — in the install POST and
in ONAPPINSTALL — and whichever we verify first spends its refresh token; storing the pair again from the other
would leave us holding a dead refresh token. Remembering what we spent (by fingerprint, never the token) prevents
that. The marks are durable (`store/marks.py`): a Redis restart between the two must not forget them.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

SCOPE = "spent-refresh"


class MarkStore(Protocol):
    def get(self, scope: str, key: str) -> str | None: ...

    def put(self, scope: str, key: str, value: str = "1") -> None: ...


class SpentRefreshTokens:
    def __init__(self, marks: MarkStore) -> None:
        self._marks = marks

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def mark(self, token: str) -> None:
        self._marks.put(SCOPE, self._key(token))

    def was_spent(self, token: str) -> bool:
        return self._marks.get(SCOPE, self._key(token)) is not None
