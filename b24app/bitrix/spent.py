"""Refresh tokens this app has already exchanged, and which of them proved an installation.

A refresh token works once (settings/oauth/index.md). The same pair can reach us twice — in the install POST and
in ONAPPINSTALL — and whichever we verify first spends its refresh token; the other can no longer be proven at the
OAuth server. So when a pair passes the full install proof (our client credentials, the claimed member_id and
domain, an administrator), the spent token's fingerprint is recorded with the member it proved; the second request
carrying the same refresh token is then proven by that record, and its (dead) pair is never stored. A token spent
for any other reason (a routine refresh, a refused install) is recorded as spent but proves nothing.

The marks are durable (`store/marks.py`): a Redis restart between the two requests must not forget them. Only
fingerprints are stored, never a token.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

SCOPE = "spent-refresh"
_NO_PROOF = "1"
_PROOF_PREFIX = "installed-by:"


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
        """`token` was spent; it proves nothing."""
        self._marks.put(SCOPE, self._key(token), _NO_PROOF)

    def mark_proven(self, token: str, member_id: str) -> None:
        """`token` was spent by an install proof that named `member_id` and an administrator."""
        self._marks.put(SCOPE, self._key(token), _PROOF_PREFIX + member_id)

    def was_spent(self, token: str) -> bool:
        return self._marks.get(SCOPE, self._key(token)) is not None

    def proved_member(self, token: str) -> str | None:
        """The member_id an install proof spending `token` established, or None."""
        value = self._marks.get(SCOPE, self._key(token)) or ""
        return value[len(_PROOF_PREFIX):] if value.startswith(_PROOF_PREFIX) else None
