"""In-memory stand-ins for what the 1C → Bitrix24 domain (`b24app/sync/to_bitrix/`) is handed: the portal client,
the stores (links, marks, watermarks, journal), the 1C client and reader. No Redis, no database, no HTTP.

Each fake keeps our own interface's shape, not the wire's: `FakeBitrix.batch` answers a `BatchResult` keyed as the
caller keyed its commands, 50 commands per call, and a call cut by the portal raises a `BitrixError` carrying what
the earlier calls did as `batch_partial`, as `BitrixClient.batch` does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from b24app.bitrix import batch as batching
from b24app.bitrix.batch import BatchResult
from b24app.bitrix.client import BitrixResponse
from b24app.bitrix.errors import AccessDenied, BitrixError, NotFound, PortalUnavailable
from b24app.core.model import ZERO, DebtBalance, Order, OrderDocuments, Payment, PaymentKind, Shipment
from b24app.core.portal_settings import PortalSettings
from b24app.onec.profiles import Profile
from b24app.store.debt_parts import DebtPart, worth_keeping
from b24app.store.journal import JournalEntry
from b24app.store.links import Link
from b24app.sync.to_bitrix.pull_deps import PullDeps
from tests.support.clock import FakeClock

# -- the portal --------------------------------------------------------------------------------------------------


class FakeBitrix:
    """A portal holding deals, companies, requisites, timeline comments and user fields.

    `refuse(method, entity_id)` makes that command fail (AccessDenied) until `allow`; `cut_batches(after, failing)`
    lets `after` batch calls through, then answers 503 to the next `failing` ones, like the sandbox portal's
    `fail_batches_after`. `sent` lists every method run, batched commands included, in order.
    """

    def __init__(self) -> None:
        self.deals: dict[str, dict] = {}
        self.companies: dict[str, dict] = {}
        self.requisites: list[dict] = []
        self.comments: list[dict] = []
        self.userfields: dict[str, list[dict]] = {"deal": [], "company": []}
        self.sent: list[tuple[str, Mapping[str, Any]]] = []
        self.batch_calls = 0
        self._refused: dict[tuple[str, str], BitrixError] = {}
        self._cut_after: int | None = None
        self._cut_left = 0

    # ------------------------------------------------------------------ test controls

    def add_deal(self, deal_id: str | int, **fields: Any) -> dict:
        deal = {"ID": str(deal_id), "CATEGORY_ID": "0", "STAGE_ID": "NEW", "STAGE_SEMANTIC_ID": "P", **fields}
        self.deals[str(deal_id)] = deal
        return deal

    def add_company(self, company_id: str | int, inn: str, kpp: str = "", **fields: Any) -> dict:
        company = {"ID": str(company_id), **fields}
        self.companies[str(company_id)] = company
        self.requisites.append({"ID": str(len(self.requisites) + 1), "ENTITY_TYPE_ID": 4,
                                "ENTITY_ID": str(company_id), "RQ_INN": inn, "RQ_KPP": kpp})
        return company

    def refuse(self, method: str, entity_id: str | int, error: BitrixError | None = None) -> None:
        self._refused[(method, str(entity_id))] = error or AccessDenied("ACCESS_DENIED", "Access denied", method)

    def allow(self, method: str, entity_id: str | int) -> None:
        self._refused.pop((method, str(entity_id)), None)

    def cut_batches(self, after: int, failing: int = 1) -> None:
        """The next `after` batch calls go through, the `failing` ones after them get 503."""
        self._cut_after, self._cut_left = self.batch_calls + after, failing

    def comments_of(self, deal_id: str | int) -> list[str]:
        return [c["COMMENT"] for c in self.comments if c["ENTITY_TYPE"] == "deal" and c["ENTITY_ID"] == str(deal_id)]

    def methods(self, method: str) -> list[Mapping[str, Any]]:
        """The params of every `method` run, in order."""
        return [params for m, params in self.sent if m == method]

    # ------------------------------------------------------------------ BitrixClient's interface

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> BitrixResponse:
        return BitrixResponse(method=method, result=self._run(method, params or {}))

    def batch(self, commands: Any, *, halt: bool = False) -> BatchResult:
        outcome = BatchResult()
        groups = batching.chunks(batching.commands_of(commands))
        for number, group in enumerate(groups):
            if self._cut_after is not None and self.batch_calls >= self._cut_after and self._cut_left > 0:
                self._cut_left -= 1
                error = PortalUnavailable("", "HTTP 503 Service Unavailable", "batch", 503)
                error.batch_partial = outcome
                raise error
            self.batch_calls += 1
            outcome.calls += 1
            for command in group:
                try:
                    outcome.results[command.key] = self._run(command.method, command.params or {})
                except BitrixError as error:
                    outcome.errors[command.key] = error
                    if halt:
                        outcome.not_run.extend(c.key for later in groups[number + 1:] for c in later)
                        return outcome
        return outcome

    def list_all(self, method: str, params: Mapping[str, Any] | None = None, *,
                 page_key: str | None = None) -> Iterator[dict]:
        return iter(self._run(method, params or {}))

    def iterate_by_id(self, method: str, params: Mapping[str, Any] | None = None, *, id_field: str = "ID",
                      page_key: str | None = None) -> Iterator[dict]:
        return iter(self._run(method, params or {}))

    def iterate_by_id_batched(self, method: str, params: Mapping[str, Any] | None = None, *, id_field: str = "ID",
                              page_key: str | None = None, pages_per_call: int = 50) -> Iterator[dict]:
        return iter(self._run(method, params or {}))

    # ------------------------------------------------------------------ the methods the domain uses

    def _run(self, method: str, params: Mapping[str, Any]) -> Any:
        self.sent.append((method, copy.deepcopy(dict(params))))
        fields = params.get("fields") or {}
        entity_id = str(params.get("id") or fields.get("ENTITY_ID") or "")
        if (method, entity_id) in self._refused:
            raise self._refused[(method, entity_id)]
        if method == "crm.deal.list":
            ids = [str(i) for i in (params.get("filter") or {}).get("@ID", [])]
            return [copy.deepcopy(self.deals[i]) for i in ids if i in self.deals]
        if method in ("crm.deal.update", "crm.company.update"):
            table = self.deals if method == "crm.deal.update" else self.companies
            if entity_id not in table:
                raise NotFound("NOT_FOUND", f"{method}: {entity_id} not found", method)
            table[entity_id].update(fields)
            return True
        if method == "crm.timeline.comment.add":
            self.comments.append({"ID": str(len(self.comments) + 1), **fields})
            return len(self.comments)
        if method == "crm.requisite.list":
            wanted = (params.get("filter") or {}).get("ENTITY_TYPE_ID")
            return [dict(r) for r in self.requisites if wanted is None or r["ENTITY_TYPE_ID"] == wanted]
        for entity in ("deal", "company"):
            if method == f"crm.{entity}.userfield.list":
                return [dict(f) for f in self.userfields[entity]]
            if method == f"crm.{entity}.userfield.add":
                self.userfields[entity].append({**fields, "FIELD_NAME": "UF_CRM_" + fields["FIELD_NAME"]})
                return len(self.userfields[entity])
        raise BitrixError("ERROR_METHOD_NOT_FOUND", f"the fake portal has no {method}", method)


# -- the stores --------------------------------------------------------------------------------------------------


class FakeLinks:
    """`LinkStore` in memory: one 1C object per entity, base and 1C object kind."""

    def __init__(self, links: list[tuple[str, Link]] | None = None) -> None:
        self.rows: list[tuple[str, Link]] = list(links or [])

    def put(self, member_id: str, base_id: int, b24_type: str, b24_id: str, onec_set: str, onec_ref: str,
            onec_number: str | None = None) -> Link:
        link = Link(base_id, b24_type, str(b24_id), onec_set, onec_ref, onec_number)
        self.rows = [(m, lk) for m, lk in self.rows if not (
            m == member_id and (lk.base_id, lk.b24_type, lk.b24_id, lk.onec_set)
            == (base_id, b24_type, str(b24_id), onec_set))]
        self.rows.append((member_id, link))
        return link

    def for_entity(self, member_id: str, b24_type: str, b24_id: str) -> list[Link]:
        return [lk for m, lk in self.rows if m == member_id and lk.b24_type == b24_type and lk.b24_id == str(b24_id)]

    def for_onec(self, member_id: str, base_id: int, onec_set: str, onec_ref: str) -> list[Link]:
        return [lk for m, lk in self.rows if m == member_id and lk.base_id == base_id and lk.onec_set == onec_set
                and lk.onec_ref == onec_ref]


class FakeMarks:
    """`Marks` in memory: durable "done" marks by scope and key."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, scope: str, key: str) -> str | None:
        return self.values.get((scope, key))

    def get_many(self, scope: str, keys: Any) -> dict[str, str]:
        return {k: self.values[(scope, k)] for k in keys if (scope, k) in self.values}

    def put(self, scope: str, key: str, value: str = "1") -> None:
        self.values[(scope, key)] = value

    def put_many(self, scope: str, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self.values[(scope, key)] = value

    def add(self, scope: str, key: str, value: str = "1") -> bool:
        if (scope, key) in self.values:
            return False
        self.values[(scope, key)] = value
        return True

    def remove(self, scope: str, key: str) -> None:
        self.values.pop((scope, key), None)

    def scope(self, scope: str) -> dict[str, str]:
        return {k: v for (s, k), v in self.values.items() if s == scope}


class FakeWatermarks:
    """`Watermarks` in memory; `puts` counts the writes."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, int, str], dict] = {}
        self.puts = 0

    def get(self, member_id: str, base_id: int, stream: str) -> dict:
        return copy.deepcopy(self.values.get((member_id, base_id, stream), {}))

    def put(self, member_id: str, base_id: int, stream: str, value: dict) -> None:
        self.values[(member_id, base_id, stream)] = copy.deepcopy(value)
        self.puts += 1


class FakeDebtParts:
    """`store.debt_parts.DebtParts` in memory: parts by (base, company, organization); every base is enabled and
    named by `base_names` (default "База <id>")."""

    def __init__(self) -> None:
        self.parts: dict[tuple[int, str, str], DebtBalance] = {}
        self.base_names: dict[int, str] = {}

    def replace_base(self, member_id: str, base_id: int, reported: Mapping[str, Any]) -> set[str]:
        wanted = {(base_id, str(c), b.organization_key): b for c, balances in reported.items() for b in balances
                  if worth_keeping(b)}
        mine = {k: v for k, v in self.parts.items() if k[0] == base_id}
        changed = {k[1] for k in mine if k not in wanted}
        changed |= {k[1] for k, b in wanted.items()
                    if k not in mine or (mine[k].receivable, mine[k].overdue) != (b.receivable, b.overdue)}
        self.parts = {k: v for k, v in self.parts.items() if k[0] != base_id} | wanted
        return changed

    def companies(self, member_id: str) -> set[str]:
        return {company for _, company, _ in self.parts}

    def of_companies(self, member_id: str, companies: Any) -> dict[str, list[DebtPart]]:
        out: dict[str, list[DebtPart]] = {str(c): [] for c in companies}
        for (base_id, company, org), b in sorted(self.parts.items()):
            if company in out:
                out[company].append(DebtPart(base_id, self.base_names.get(base_id, f"База {base_id}"), company, org,
                                             b.organization, b.receivable, b.overdue, b.payable))
        return out


class FakeJournal:
    """`Journal` in memory, with the same `exchange` block: `ok` when it returns, `error` (re-raised) when not."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, JournalEntry]] = []

    def record(self, member_id: str, entry: JournalEntry) -> None:
        self.entries.append((member_id, entry))

    @contextmanager
    def exchange(self, member_id: str, kind: str, direction: str, **fields: Any) -> Iterator[JournalEntry]:
        entry = JournalEntry(kind=kind, direction=direction, **fields)
        try:
            yield entry
        except Exception as exc:
            entry.status, entry.error = "error", f"{type(exc).__name__}: {exc}"
            exc.journaled = True  # type: ignore[attr-defined]
            raise
        finally:
            self.record(member_id, entry)


class FakeFieldsChecked:
    """`user_fields.FieldsChecked` in memory."""

    def __init__(self) -> None:
        self.done: set[tuple[str, str]] = set()

    def seen(self, member_id: str, mapping: str) -> bool:
        return (member_id, mapping) in self.done

    def remember(self, member_id: str, mapping: str) -> None:
        self.done.add((member_id, mapping))


# -- 1C ------------------------------------------------------------------------------------------------------------


class FakeOData:
    """The part of `ODataClient` the streams read directly: pages of an entity set (every row, in the order given:
    filters are the real client's business, not the domain's), a row by key, a catalog walk."""

    def __init__(self) -> None:
        self.sets: dict[str, list[dict]] = {}
        self.by_key: dict[tuple[str, str], dict] = {}

    def add(self, entity_set: str, row: dict) -> dict:
        self.sets.setdefault(entity_set, []).append(row)
        if "Ref_Key" in row:
            self.by_key[(entity_set, row["Ref_Key"])] = row
        return row

    def iter_pages(self, entity_set: str, **_: Any) -> Iterator[list[dict]]:
        rows = [copy.deepcopy(r) for r in self.sets.get(entity_set, [])]
        if rows:
            yield rows

    def iter_rows(self, entity_set: str, **_: Any) -> Iterator[dict]:
        for page in self.iter_pages(entity_set):
            yield from page

    def get(self, entity_set: str, key: str, *, select: Any = None) -> dict:
        return copy.deepcopy(self.by_key[(entity_set, key)])


@dataclass
class FakeDocuments:
    """The part of `OneCDocuments` the domain reads: an order by key with its payments and shipments, and the
    settlement balance of counterparties (`receivable` / `overdue` per counterparty key, summed)."""

    profile: Profile
    orders: dict[str, Order] = field(default_factory=dict)
    payments: dict[str, list[Payment]] = field(default_factory=dict)
    shipments: dict[str, list[Shipment]] = field(default_factory=dict)
    receivable: dict[str, Decimal] = field(default_factory=dict)
    overdue: dict[str, Decimal] = field(default_factory=dict)
    asked_as_of: list[datetime | None] = field(default_factory=list)

    def add_order(self, key: str, number: str, amount: str) -> Order:
        order = Order(key=key, number=number, date=datetime(2026, 11, 20), amount=Decimal(amount), posted=True)
        self.orders[key] = order
        return order

    def pay(self, order_key: str, key: str, amount: str, *, number: str = "", kind: PaymentKind = PaymentKind.BANK,
            posted: bool = True, deleted: bool = False, date: datetime | None = None) -> Payment:
        payment = Payment(kind=kind, key=key, number=number or key, date=date or datetime(2026, 11, 25, 10, 0),
                          amount=Decimal(amount), total=Decimal(amount), posted=posted, deleted=deleted,
                          order_key=order_key)
        self.payments[order_key] = [p for p in self.payments.get(order_key, []) if p.key != key] + [payment]
        return payment

    def ship(self, order_key: str, key: str, amount: str, *, number: str = "", posted: bool = True,
             deleted: bool = False) -> Shipment:
        shipment = Shipment(key=key, number=number or key, date=datetime(2026, 11, 26, 12, 0), amount=Decimal(amount),
                            posted=posted, deleted=deleted, order_key=order_key)
        self.shipments[order_key] = [s for s in self.shipments.get(order_key, []) if s.key != key] + [shipment]
        return shipment

    def order_by_key(self, key: str, logical: str = "customer_order") -> Order | None:
        return self.orders.get(key)

    def order_documents(self, order: Order) -> OrderDocuments:
        return OrderDocuments(order=order, payments=list(self.payments.get(order.key, [])),
                              shipments=list(self.shipments.get(order.key, [])))

    def debt(self, counterparty_keys: Any, *, as_of: datetime | None = None) -> DebtBalance:
        keys = list(counterparty_keys)
        self.asked_as_of.append(as_of)
        overdue = [self.overdue[k] for k in keys if k in self.overdue]
        return DebtBalance("fake", keys[0] if keys else "", sum((self.receivable.get(k, ZERO) for k in keys), ZERO),
                           ZERO, sum(overdue, ZERO) if overdue else None, as_of or datetime.min)

    def debt_by_organization(self, counterparty_keys: Any, *, as_of: datetime | None = None) -> list[DebtBalance]:
        """The same balance as one organization's ("org-1", "ООО «Фейк»")."""
        total = self.debt(counterparty_keys, as_of=as_of)
        return [DebtBalance(total.base, total.counterparty_key, total.receivable, total.payable, total.overdue,
                            total.as_of, "org-1", "ООО «Фейк»")]


# -- one pull, all in memory ---------------------------------------------------------------------------------------


@dataclass
class FakePull:
    """One portal and one of its bases with every collaborator a fake; `deps` is what the job layer would hand a
    pull (`b24app.jobs.pull.pull_deps`). Replace `settings` or `lang` before taking `deps`."""

    profile: Profile
    member_id: str = "member-1"
    base_id: int = 1
    settings: PortalSettings = field(default_factory=PortalSettings)
    lang: str = "ru"
    bitrix: FakeBitrix = field(default_factory=FakeBitrix)
    odata: FakeOData = field(default_factory=FakeOData)
    links: FakeLinks = field(default_factory=FakeLinks)
    marks: FakeMarks = field(default_factory=FakeMarks)
    watermarks: FakeWatermarks = field(default_factory=FakeWatermarks)
    journal: FakeJournal = field(default_factory=FakeJournal)
    clock: FakeClock = field(default_factory=FakeClock)
    documents: FakeDocuments | None = None
    debt_parts: FakeDebtParts = field(default_factory=FakeDebtParts)

    def __post_init__(self) -> None:
        if self.documents is None:
            self.documents = FakeDocuments(self.profile)

    @property
    def deps(self) -> PullDeps:
        return PullDeps(bitrix=self.bitrix, odata=self.odata, profile=self.profile,  # type: ignore[arg-type]
                        documents=self.documents, links=self.links, marks=self.marks,  # type: ignore[arg-type]
                        watermarks=self.watermarks, journal=self.journal,  # type: ignore[arg-type]
                        debt_parts=self.debt_parts,  # type: ignore[arg-type]
                        settings=self.settings, lang=self.lang, clock=self.clock, member_id=self.member_id,
                        base_id=self.base_id)

    def link_deal(self, deal_id: str | int, order_key: str, *, base_id: int | None = None) -> Link:
        """The deal made into (or linked to) the 1C order `order_key`."""
        order_set = self.profile.object("customer_order").entity_set
        return self.links.put(self.member_id, self.base_id if base_id is None else base_id, "deal", str(deal_id),
                              order_set, order_key)
