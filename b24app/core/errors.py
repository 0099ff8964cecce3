"""Errors of the exchange that decide what happens to an item: retried later, or set aside for a person."""

from __future__ import annotations


class SyncError(Exception):
    """Something the exchange could not do now; retried with backoff."""


class PermanentSyncError(SyncError):
    """Retrying cannot help until a person changes the data or the settings (the message says what): the item
    goes straight to the dead letters, where it can be replayed after the fix."""


class Busy(SyncError):
    """Another job is working on the same entity; this one is retried shortly."""


class BaseUnavailable(SyncError):
    """The 1C base is known to be down; nothing was sent to it. `retry_at` (epoch seconds) is when it may be
    tried again."""

    def __init__(self, message: str, base_id: int, retry_at: float) -> None:
        super().__init__(message)
        self.base_id = base_id
        self.retry_at = retry_at
