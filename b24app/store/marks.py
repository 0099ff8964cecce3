"""Durable marks of what the exchange has done (table `exchange_marks`), the database half of "exactly once".

Redis keeps only what may be lost (locks, queues, caches, rate buckets). What decides whether something is done
again — the fingerprint of what was last sent to 1C, a timeline comment already posted, a company's figures
already written, a refresh token already spent — is written here, so a Redis restart repeats nothing. A unique
(scope, key) makes `add` a safe "first one wins" across processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from b24app.store.db import Database
from b24app.store.models import MarkRow

MAX_KEY = 255


def _key(key: str) -> str:
    """Keys longer than the column keep a readable head and a digest of the whole."""
    if len(key) <= MAX_KEY:
        return key
    return key[:MAX_KEY - 65] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class Marks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, scope: str, key: str) -> str | None:
        with self._db.transaction() as s:
            return s.scalar(select(MarkRow.value).where(MarkRow.scope == scope, MarkRow.key == _key(key)))

    def get_many(self, scope: str, keys: Iterable[str]) -> dict[str, str]:
        """The marks that exist among `keys` (one query per 500 keys)."""
        wanted = {_key(k): k for k in keys}
        found: dict[str, str] = {}
        names = list(wanted)
        with self._db.transaction() as s:
            for i in range(0, len(names), 500):
                rows = s.execute(select(MarkRow.key, MarkRow.value).where(
                    MarkRow.scope == scope, MarkRow.key.in_(names[i:i + 500]))).all()
                found.update({wanted[k]: v for k, v in rows})
        return found

    def put(self, scope: str, key: str, value: str = "1") -> None:
        self.put_many(scope, {key: value})

    def put_many(self, scope: str, values: Mapping[str, str]) -> None:
        """Set every mark (insert or overwrite) in one transaction."""
        if not values:
            return
        stored = {_key(k): v for k, v in values.items()}
        for attempt in range(3):
            try:
                with self._db.transaction() as s:
                    rows = {r.key: r for r in s.scalars(select(MarkRow).where(
                        MarkRow.scope == scope, MarkRow.key.in_(list(stored))).with_for_update())}
                    for key, value in stored.items():
                        if key in rows:
                            rows[key].value = value
                        else:
                            s.add(MarkRow(scope=scope, key=key, value=value))
                return
            except IntegrityError:
                # Another process inserted one of these keys meanwhile: read again, now it is an update.
                if attempt == 2:
                    raise

    def add(self, scope: str, key: str, value: str = "1") -> bool:
        """Set the mark unless it exists; True when this call set it (the first of racing callers wins)."""
        try:
            with self._db.transaction() as s:
                s.add(MarkRow(scope=scope, key=_key(key), value=value))
            return True
        except IntegrityError:
            return False

    def remove(self, scope: str, key: str) -> None:
        with self._db.transaction() as s:
            s.execute(delete(MarkRow).where(MarkRow.scope == scope, MarkRow.key == _key(key)))
