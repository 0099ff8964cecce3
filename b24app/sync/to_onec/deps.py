"""What the Bitrix24 → 1C domain works with, handed to it whole by the job layer (`b24app/jobs/outbox.py`).

`DealOrders`, `InvoiceDocuments` and `LegalEntitySwitch` get one `OrderDeps` for one portal and reach nothing
else: no runtime, no Redis client, no environment. Each collaborator is described here by the few methods the
domain calls (the stores in `b24app/store/`, the circuit breaker and the Redis locks satisfy them as they are),
so a unit test passes in-memory fakes (`tests/support/fakes_onec.py`) and the domain never notices.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from b24app.bitrix.client import BitrixClient
from b24app.core.portal_settings import PortalSettings
from b24app.onec.base import OneCBase
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.store.journal import JournalEntry
from b24app.store.links import Link
from b24app.sync.to_onec.order_model import DealBundle, PushResult
from b24app.sync.to_onec.write_back import OwnWriteLog


class OneCConnection(NamedTuple):
    """One 1C base opened for a job: its client (short in-call retries: the outbox retries whole items with long
    backoff), the profile that names its objects, and its connection description (url, name, label)."""

    odata: ODataClient
    profile: Profile
    base: OneCBase


class OneCBases(Protocol):
    """The portal's 1C bases, as far as the Bitrix24 → 1C exchange needs them."""

    def enabled(self) -> list[int]:
        """Ids of the bases that are switched on."""

    def legal_entity_inn(self, base_id: int) -> str | None:
        """The INN of the seller organization the base's orders are made for (the settings page's field)."""

    def profile(self, base_id: int) -> Profile:
        """The profile of the base, without opening a connection."""

    def onec_for(self, base_id: int) -> OneCConnection:
        """A client of the base, its profile and connection description."""


class Circuit(Protocol):
    """A base's circuit breaker (`jobs/circuit.py`): `check` raises BaseUnavailable while the base is known to
    be down; `watch` counts what a block of 1C calls meets."""

    def check(self, label: str) -> None: ...

    def watch(self) -> AbstractContextManager[None]: ...


class OrderLocks(Protocol):
    """Locks shared by every worker of the portal."""

    def entity_lock(self, entity: str) -> AbstractContextManager[None]:
        """Held while one job sends `entity` ("deal:<id>", "invoice:<id>") to 1C; raises Busy when another job
        holds it, so the item is retried shortly without spending an attempt."""

    def counterparty_lock(self, inn: str, kpp: str) -> AbstractContextManager[None]:
        """Held while a job looks again for, and creates, the counterparty with this INN/KPP in 1C."""


class Links(Protocol):
    """Deal/invoice/company ↔ 1C object links (`store/links.py`)."""

    def for_entity(self, member_id: str, b24_type: str, b24_id: str) -> list[Link]: ...

    def put(self, member_id: str, base_id: int, b24_type: str, b24_id: str, onec_set: str, onec_ref: str,
            onec_number: str | None = None) -> Link: ...

    def remove(self, member_id: str, link: Link) -> bool: ...


class DoneMarks(Protocol):
    """Durable marks of what was sent and told (`store/marks.py`)."""

    def get(self, scope: str, key: str) -> str | None: ...

    def put(self, scope: str, key: str, value: str = "1") -> None: ...


class CommerceMLRoute(Protocol):
    """Deals of bases that 1C reaches over CommerceML are offered, not written (`sync/commerceml_orders.py`)."""

    def bases(self) -> list[int]:
        """Ids of the enabled bases on this route."""

    def serves(self, base_id: int) -> bool: ...

    def offer(self, bundle: DealBundle, base_id: int, *, force: bool = False) -> PushResult: ...


class ExchangeJournal(Protocol):
    """The exchange journal (`store/journal.py`): `exchange` times a block and records it, `error` when it
    raises."""

    def exchange(self, member_id: str, kind: str, direction: str, **fields) -> AbstractContextManager[JournalEntry]:
        ...


@dataclass(frozen=True)
class OrderDeps:
    """Everything the Bitrix24 → 1C domain of one portal uses, built by the job layer for one job."""

    member_id: str
    bitrix: BitrixClient
    bases: OneCBases
    circuit_for: Callable[[int], Circuit]
    links: Links
    marks: DoneMarks
    journal: ExchangeJournal
    settings: PortalSettings
    # The language of the deal's timeline comments: the portal's (its install LANG), Russian when unknown.
    lang: str
    locks: OrderLocks
    # Creates the app's deal and company fields the write-back needs, when missing (cheap when done lately).
    ensure_fields: Callable[[], None]
    # Counts the update events our write-backs cause (store/own_writes.py); None: not counted.
    own_writes: OwnWriteLog | None = None
    # The portal's CommerceML bases (issue 16): their deals become orders 1C fetches; None: every base is OData.
    commerceml: CommerceMLRoute | None = None
