"""Secrets at rest after a change of B24APP_SECRET_KEY: re-encrypt them all with the current key
(`b24app secrets rotate`), read them all (`b24app secrets check`), or prove cheaply that they can be read
(`/healthz`).

Rotation works row by row in batches of rows, with a commit per batch, so a large deployment is never locked for
long and an interrupted run keeps what it did. A row is rewritten with one compare-and-set UPDATE: the new
ciphertexts of all its secret columns go in together, and only if none of them changed since the row was read —
a token refreshed meanwhile by a worker (already with the current key) is never overwritten with the older token.
A row with a value no configured key can decrypt is left exactly as it is and reported by id. Running it again
finds everything current and writes nothing. Counts and ids are reported, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import ColumnElement, Row, Table, and_, func, or_, select, update

from b24app.store.crypto import SecretBox, SecretDecryptError
from b24app.store.db import Database
from b24app.store.models import OneCBaseRow, Portal

BATCH_SIZE = 200
# A row whose secrets keep changing under the rotation (token refreshes) is re-read and tried this many times.
ROW_ATTEMPTS = 3
# Ids listed per table in a failure message; the rest is a count.
IDS_SHOWN = 50

# Every column that holds a SecretBox ciphertext — the one list rotation, check and /healthz read. The models name
# such columns `*_enc`; they are written by store/portals.py (OAuth access and refresh tokens, the
# application_token) and by store/bases.py and store/config_transfer.py (1C base passwords).
# tests/unit/test_crypto_rotation.py fails when a model gains an `*_enc` column, or code stores `….encrypt(…)` in
# a column, that is not listed here: a column missing from this list would keep its old-key ciphertexts forever
# and break on the day the old key is dropped.
ENCRYPTED_COLUMNS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (Portal.__table__, ("access_token_enc", "refresh_token_enc", "application_token_enc")),
    (OneCBaseRow.__table__, ("password_enc",)),
)

Outcome = Literal["current", "old", "failed"]


@dataclass
class ColumnCount:
    table: str
    column: str
    current: int = 0  # already encrypted with the current key
    old: int = 0  # written with an old key (check), re-encrypted with the current one (rotate)
    failed: int = 0  # no configured key decrypts it
    kept_old: int = 0  # rotate: readable, but left as it was because another value of its row is not

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class Report:
    columns: list[ColumnCount] = field(default_factory=list)
    # table -> ids of rows holding a value no configured key decrypts (left untouched)
    undecryptable: dict[str, list[int]] = field(default_factory=dict)
    # table -> ids of rows that changed under every attempt to rewrite them (rotate only; run it again)
    changed: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.undecryptable and not self.changed

    def count(self, table: str, column: str) -> ColumnCount:
        for item in self.columns:
            if (item.table, item.column) == (table, column):
                return item
        item = ColumnCount(table, column)
        self.columns.append(item)
        return item


@dataclass(frozen=True)
class _RowPlan:
    """What one row's secrets need: per column its outcome, and the new ciphertexts of those an old key wrote."""

    outcomes: dict[str, Outcome]
    updates: dict[str, str]

    @property
    def readable(self) -> bool:
        return "failed" not in self.outcomes.values()


def _key(table: Table):  # noqa: ANN202 - a Column
    (pk,) = table.primary_key.columns  # every listed table has a single integer key
    return pk


def _any_secret(table: Table, columns: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(table.c[name].is_not(None) for name in columns))


def _read_batch(db: Database, table: Table, columns: Sequence[str], after: int, limit: int) -> list[Row]:
    """The next rows (by primary key) that hold at least one secret."""
    pk = _key(table)
    query = (select(pk.label("id"), *(table.c[name] for name in columns))
             .where(pk > after, _any_secret(table, columns)).order_by(pk).limit(limit))
    with db.transaction() as s:
        return list(s.execute(query))


def _read_rows(db: Database, table: Table, columns: Sequence[str], ids: Iterable[int]) -> list[Row]:
    pk = _key(table)
    query = select(pk.label("id"), *(table.c[name] for name in columns)).where(pk.in_(list(ids))).order_by(pk)
    with db.transaction() as s:
        return list(s.execute(query))


def _batches(db: Database, table: Table, columns: Sequence[str], size: int) -> Iterable[list[Row]]:
    after = 0
    while rows := _read_batch(db, table, columns, after, size):
        yield rows
        after = rows[-1].id


def _plan(box: SecretBox, row: Row, columns: Sequence[str], *, rewrite: bool) -> _RowPlan:
    outcomes: dict[str, Outcome] = {}
    updates: dict[str, str] = {}
    for name in columns:
        value = getattr(row, name)
        if value is None:
            continue
        if box.is_current(value):
            outcomes[name] = "current"
            continue
        try:
            if rewrite:
                updates[name] = box.rotate(value)
            else:
                box.decrypt(value)
        except SecretDecryptError:
            outcomes[name] = "failed"
            continue
        outcomes[name] = "old"
    return _RowPlan(outcomes, updates)


def _record(report: Report, table: Table, row_id: int, plan: _RowPlan, *, rotating: bool = False) -> None:
    for name, outcome in plan.outcomes.items():
        count = report.count(table.name, name)
        if outcome == "old" and rotating and not plan.readable:
            count.kept_old += 1  # the row was not written: nothing half-rotated
        else:
            setattr(count, outcome, getattr(count, outcome) + 1)
    if not plan.readable:
        report.undecryptable.setdefault(table.name, []).append(row_id)


def _compare_and_set(s, table: Table, row: Row, columns: Sequence[str], updates: dict[str, str]) -> bool:  # noqa: ANN001 - Session
    """Write the row's new ciphertexts if none of its secret columns changed since `row` was read."""
    unchanged = [table.c[name].is_(None) if getattr(row, name) is None else table.c[name] == getattr(row, name)
                 for name in columns]
    # Re-encrypting changes no data: columns that stamp the time of a change (updated_at) keep their value.
    stamps = {c.name: c for c in table.columns if c.onupdate is not None}
    result = s.execute(update(table).where(_key(table) == row.id, and_(*unchanged)).values(**updates, **stamps))
    return result.rowcount == 1


def _rotate_rows(db: Database, box: SecretBox, table: Table, columns: Sequence[str], rows: list[Row],
                 report: Report) -> None:
    """Rotate one batch: one transaction per attempt; rows that changed meanwhile are re-read and tried again."""
    for _ in range(ROW_ATTEMPTS):
        missed: list[int] = []
        with db.transaction() as s:
            for row in rows:
                plan = _plan(box, row, columns, rewrite=True)
                if plan.readable and plan.updates and not _compare_and_set(s, table, row, columns, plan.updates):
                    missed.append(row.id)
                    continue
                _record(report, table, row.id, plan, rotating=True)
        if not missed:
            return
        rows = _read_rows(db, table, columns, missed)  # a row deleted meanwhile needs nothing
    if rows:
        report.changed.setdefault(table.name, []).extend(row.id for row in rows)


def rotate(db: Database, box: SecretBox, *, batch_size: int = BATCH_SIZE) -> Report:
    """Re-encrypt every stored secret an old key wrote with the current key. Idempotent."""
    report = Report()
    for table, columns in ENCRYPTED_COLUMNS:
        for name in columns:
            report.count(table.name, name)  # every column is reported, even an empty one
        for rows in _batches(db, table, columns, batch_size):
            _rotate_rows(db, box, table, columns, rows, report)
    return report


def check(db: Database, box: SecretBox, *, batch_size: int = BATCH_SIZE) -> Report:
    """Try to decrypt every stored secret; writes nothing."""
    report = Report()
    for table, columns in ENCRYPTED_COLUMNS:
        for name in columns:
            report.count(table.name, name)
        for rows in _batches(db, table, columns, batch_size):
            for row in rows:
                _record(report, table, row.id, _plan(box, row, columns, rewrite=False))
    return report


def probe(db: Database, box: SecretBox) -> int:
    """Decrypt a sample of the stored secrets with the configured keys (for /healthz): the newest and the oldest
    row of the first listed table that holds any. Newest alone is not enough: with a wrong key, tokens are no
    longer refreshed, but a portal installed after the change is written with that key and reads fine while every
    older row fails. Returns how many values were read (0: nothing stored); SecretDecryptError when one fails."""
    for table, columns in ENCRYPTED_COLUMNS:
        rows = _sample(db, table, columns)
        values = [getattr(row, name) for row in rows for name in columns if getattr(row, name) is not None]
        for value in values:
            box.decrypt(value)
        if values:
            return len(values)
    return 0


def _sample(db: Database, table: Table, columns: Sequence[str]) -> list[Row]:
    """One statement: the rows with the lowest and the highest key among those holding a secret (index lookups
    on the primary key)."""
    pk = _key(table)
    has = _any_secret(table, columns)
    first = select(func.min(pk)).where(has).scalar_subquery()
    last = select(func.max(pk)).where(has).scalar_subquery()
    query = select(*(table.c[name] for name in columns)).where(or_(pk == first, pk == last))
    with db.engine.connect() as conn:
        return list(conn.execute(query))


# -- what the command prints ------------------------------------------------------------------------------------

def rotate_lines(report: Report) -> list[str]:
    lines = []
    for c in report.columns:
        line = f"{c.name}: {c.old} re-encrypted, {c.current} already current"
        if c.failed:
            line += f", {c.failed} cannot be decrypted"
        if c.kept_old:
            line += f", {c.kept_old} left on an old key (another value of the row cannot be decrypted)"
        lines.append(line)
    return lines


def check_lines(report: Report) -> list[str]:
    return [f"{c.name}: {c.current} with the current key, {c.old} with an old key, {c.failed} cannot be decrypted"
            for c in report.columns]


def problem_lines(report: Report, *, rotating: bool) -> list[str]:
    """Why the run did not end well, by table and row id; never a value."""
    lines = []
    if report.undecryptable:
        what = "left unchanged" if rotating else "unreadable"
        lines.append(f"values no configured key can decrypt ({what}) — rows by id:")
        lines += [f"  {table}: {_ids(ids)}" for table, ids in report.undecryptable.items()]
        lines.append("Set B24APP_SECRET_KEY to the key they were written with, or list that key in "
                     "B24APP_OLD_SECRET_KEYS, and run again. Do not drop an old key until this passes; a value "
                     "no key can read must be entered again (reinstall the portal, retype the 1C password).")
    if report.changed:
        lines.append("rows that changed during every attempt to re-encrypt them — run `b24app secrets rotate` "
                     "again:")
        lines += [f"  {table}: {_ids(ids)}" for table, ids in report.changed.items()]
    return lines


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:IDS_SHOWN])
    return shown + (f" … and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else "")
