"""In-memory state of a sandbox base: sorted tables, publication, DataVersion counter, request counters."""

from __future__ import annotations

import base64
import bisect
import random
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from b24sandbox.onec.schema import Configuration, ObjectDef


def format_guid(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Table:
    """Rows of one entity set kept with their keys in sorted order.

    Object tables are keyed by Ref_Key; register tables by (Recorder, LineNumber) or (Period, dimensions…).
    The sorted key list gives a stable default order for `$top`/`$skip` and lets key-range paging start
    with a bisect instead of a scan.
    """

    def __init__(self, deferred: bool = False) -> None:
        self.rows: dict[object, dict] = {}
        self.keys: list = []
        # Value indexes by property, built on first use and dropped on any write (what 1C's indexes on
        # dimensions and reference attributes give a condition naming many keys).
        self._indexes: dict[str, dict[object, list]] = {}
        # While a base is seeded, new keys are only collected and sorted once at the end (`settle`):
        # tens of thousands of insorts into a growing list would dominate start-up time.
        self.deferred = deferred

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, key: object) -> dict | None:
        return self.rows.get(key)

    def put(self, key: object, row: dict) -> None:
        self._indexes.clear()
        if key not in self.rows and not self.deferred:
            bisect.insort(self.keys, key)
        self.rows[key] = row

    def settle(self) -> None:
        """End of a bulk load: sort the keys once and go back to keeping them sorted on every put."""
        if self.deferred:
            self.keys = sorted(self.rows)
            self.deferred = False

    def load_sorted(self, items: list[tuple[object, dict]]) -> None:
        """Bulk load at seed time: one sort instead of n insorts."""
        self._indexes.clear()
        self.rows.update(items)
        if not self.deferred:
            self.keys = sorted(self.rows)

    def delete(self, key: object) -> None:
        self._indexes.clear()
        if self.rows.pop(key, None) is not None:
            del self.keys[bisect.bisect_left(self.keys, key)]

    def delete_range(self, low: object, high: object) -> None:
        """Drop every key with low <= key < high (all movements of one recorder)."""
        self._indexes.clear()
        start, end = bisect.bisect_left(self.keys, low), bisect.bisect_left(self.keys, high)
        for key in self.keys[start:end]:
            del self.rows[key]
        del self.keys[start:end]

    def range(self, low: object, high: object) -> list[dict]:
        start, end = bisect.bisect_left(self.keys, low), bisect.bisect_left(self.keys, high)
        return [self.rows[k] for k in self.keys[start:end]]

    def touch(self) -> None:
        """A row was changed in place (PATCH): forget the value indexes."""
        self._indexes.clear()

    def indexed_as_of(self, version: int) -> Table:
        """The table, its value indexes dropped if the base wrote anything since they were built: every change
        (a PATCH, a posting, a control action editing rows in place) takes a new DataVersion first."""
        if getattr(self, "_indexes_version", None) != version:
            self._indexes.clear()
            self._indexes_version = version
        return self

    def candidates(self, prop: str, values: set) -> list[dict]:
        """Rows whose `prop` is one of `values`, in key order (a superset is fine: the caller's predicate decides)."""
        index = self._indexes.get(prop)
        if index is None:
            index = {}
            for key in (self.keys if not self.deferred else sorted(self.rows)):
                value = self.rows[key].get(prop)
                if isinstance(value, (str, int, float, bool)) or value is None:
                    index.setdefault(value, []).append(key)
            self._indexes[prop] = index
        keys = sorted(k for v in values for k in index.get(v, ()))
        return [self.rows[k] for k in keys]

    def iter_from(self, start: int = 0) -> Iterator[dict]:
        keys, rows = self.keys, self.rows
        for i in range(start, len(keys)):
            yield rows[keys[i]]

    def index_after(self, key: object, inclusive: bool) -> int:
        return bisect.bisect_left(self.keys, key) if inclusive else bisect.bisect_right(self.keys, key)


@dataclass
class Faults:
    """Switches set through the control API (`/_sandbox/<base>/fault`)."""

    down: bool = False
    slow_ms: int = 0
    error500_count: int = 0
    error500_rate: float = 0.0
    unauthorized: bool = False


@dataclass
class Counters:
    requests: int = 0
    created: int = 0
    posted: int = 0
    unposted: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass
class Base:
    """One sandbox infobase: its configuration (a private, renameable copy) and its data."""

    name: str
    config: Configuration
    tables: dict[str, Table] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    counters: Counters = field(default_factory=Counters)
    lock: threading.RLock = field(default_factory=threading.RLock)
    version: int = 0
    # (partner, counterparty, organization) → analytics key; УТ 11 only
    analytics: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # document Ref_Key → its Catalog_ОбъектыРасчетов element; УТ 11 only
    settlement_objects: dict[str, str] = field(default_factory=dict)
    bulk_loading: bool = False
    # БП 3.0: account code → ChartOfAccounts Ref_Key, predefined kind of subconto → its Ref_Key
    accounts: dict[str, str] = field(default_factory=dict)
    subconto_kinds: dict[str, str] = field(default_factory=dict)
    # БП 3.0: (Recorder, LineNumber) of a posting → its subconto per side ("Dr"/"Cr"); see accounting.keep_subconto
    subconto: dict[tuple[str, int], dict[str, tuple]] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def new_guid(self) -> str:
        """A reference in 1C's textual form; deterministic for a given seed."""
        return format_guid(self.rng.getrandbits(128))

    def obj(self, set_name: str) -> ObjectDef | None:
        return self.config.objects.get(set_name)

    def table(self, set_name: str) -> Table:
        if set_name not in self.tables:
            self.tables[set_name] = Table(deferred=self.bulk_loading)
        return self.tables[set_name]

    def begin_bulk(self) -> None:
        self.bulk_loading = True
        for table in self.tables.values():
            table.deferred = True

    def end_bulk(self) -> None:
        self.bulk_loading = False
        for table in self.tables.values():
            table.settle()

    def next_version(self) -> str:
        """A fresh DataVersion in the shape 1C writes ("AAAACgAAAAA=": 8 bytes, base64)."""
        self.version += 1
        return base64.b64encode(struct.pack(">II", self.version, 0)).decode("ascii")

    def lookup(self, set_name: str, key: object) -> dict | None:
        table = self.tables.get(set_name)
        return table.get(key) if table is not None else None

    def next_number(self, set_name: str, prefix: str) -> str:
        self.numbers[set_name] = self.numbers.get(set_name, 0) + 1
        return f"{prefix}-{self.numbers[set_name]:06d}"

    def registers(self) -> list[ObjectDef]:
        return [o for o in self.config.objects.values() if o.has_recorder]
