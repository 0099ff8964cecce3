"""In-memory stand-ins for what the Bitrix24 → 1C domain (`b24app/sync/to_onec/`) is handed in its `OrderDeps`:
the portal client, one 1C base per base id, the stores (links, marks, journal), the circuit breakers and the locks.
No Redis, no database, no HTTP.

Each fake keeps our own interface's shape, not the wire's: `FakeOneC` answers `query` / `get` / `create` / `update`
/ `post_document` as `ODataClient` does (rows in 1C property names, `Page` answers, `OneCNotFound` for a missing
key) and understands the `$filter` forms `b24app.onec.query` builds (`eq`, `substringof`, `and`); `FakePortal.batch`
answers a `BatchResult` keyed as the caller keyed its commands and resolves `$result[deal][COMPANY_ID]` the way the
portal does. Both record what was written, so a test can say "nothing reached 1C".
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from b24app.bitrix.batch import BatchResult
from b24app.bitrix.client import BitrixResponse
from b24app.bitrix.errors import NotFound
from b24app.core.errors import BaseUnavailable, Busy
from b24app.core.portal_settings import PortalSettings
from b24app.onec.base import OneCBase
from b24app.onec.errors import OneCNotFound, OneCQueryError
from b24app.onec.odata import Page
from b24app.onec.profiles import Profile, load_profile
from b24app.store.journal import JournalEntry
from b24app.store.links import Link
from b24app.sync.to_onec.deps import OneCConnection, OrderDeps

MEMBER = "m" * 32

# -- 1C ----------------------------------------------------------------------------------------------------------

_EQ = re.compile(r"^(?P<prop>[\w/]+) eq (?P<value>.+)$")
_CONTAINS = re.compile(r"^substringof\('(?P<text>(?:[^']|'')*)', (?P<prop>[\w/]+)\) eq true$")


def _literal(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("guid'"):
        return text[5:-1]
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return float(text) if "." in text else int(text)


def _matches(row: Mapping[str, Any], condition: str | None) -> bool:
    if not condition:
        return True
    if condition.startswith("(") and ") and (" in condition:
        return all(_matches(row, part) for part in condition[1:-1].split(") and ("))
    if found := _CONTAINS.match(condition):
        return found["text"].replace("''", "'") in str(row.get(found["prop"]) or "")
    if found := _EQ.match(condition):
        value, wanted = row.get(found["prop"]), _literal(found["value"])
        return str(value).lower() == str(wanted).lower() if isinstance(wanted, str) else value == wanted
    raise AssertionError(f"FakeOneC does not understand the filter {condition!r}")


class FakeOneC:
    """One 1C base holding catalogs and documents by entity set. `writes` lists every create / update / post as
    (operation, entity set, Ref_Key); `reads` counts queries and gets."""

    def __init__(self, name: str = "УТ", url: str = "http://1c.test/ut/") -> None:
        self.base = OneCBase(url=url, login="exchange", password="secret", profile="ut11", name=name)
        self.sets: dict[str, dict[str, dict]] = {}
        self.writes: list[tuple[str, str, str]] = []
        self.reads = 0
        self.refuse_writes: str | None = None  # a 1C error text: every create/update raises OneCQueryError
        self._numbers = 0

    # ------------------------------------------------------------------ test controls

    def add(self, entity_set: str, **row: Any) -> dict:
        row = {"Ref_Key": str(uuid.uuid4()), "DeletionMark": False, **row}
        self.sets.setdefault(entity_set, {})[row["Ref_Key"]] = row
        return row

    def rows(self, entity_set: str) -> list[dict]:
        return list(self.sets.get(entity_set, {}).values())

    # ------------------------------------------------------------------ ODataClient's interface

    def query(self, entity_set: str, *, filter: str | None = None, select: Sequence[str] | None = None,
              orderby: str | None = None, top: int | None = None, **_: Any) -> Page:
        self.reads += 1
        rows = [copy.deepcopy(r) for r in self.rows(entity_set) if _matches(r, filter)]
        if orderby:
            rows.sort(key=lambda r: str(r.get(orderby.split()[0]) or ""))
        return Page(rows=rows[:top] if top else rows)

    def get(self, entity_set: str, key: str, *, select: Sequence[str] | None = None) -> dict:
        self.reads += 1
        row = self.sets.get(entity_set, {}).get(key)
        if row is None:
            raise OneCNotFound("", f"{entity_set}({key}) not found", 404, self.base.label)
        return copy.deepcopy(row)

    def create(self, entity_set: str, body: Mapping) -> dict:
        self._refuse_if_asked()
        self._numbers += 1
        row = self.add(entity_set, **copy.deepcopy(dict(body)), Number=f"ТД00-{self._numbers:06d}", Posted=False)
        self.writes.append(("create", entity_set, row["Ref_Key"]))
        return copy.deepcopy(row)

    def update(self, entity_set: str, key: str, body: Mapping) -> dict:
        self._refuse_if_asked()
        self.sets[entity_set][key].update(copy.deepcopy(dict(body)))
        self.writes.append(("update", entity_set, key))
        return {}

    def post_document(self, entity_set: str, key: str, *, operational: bool = False) -> None:
        self.sets[entity_set][key]["Posted"] = True
        self.writes.append(("post", entity_set, key))

    def _refuse_if_asked(self) -> None:
        if self.refuse_writes:
            raise OneCQueryError("", self.refuse_writes, 400, self.base.label)


def seeded_onec(name: str = "УТ", *, org_inn: str = "7707083893") -> FakeOneC:
    """A base with one organization, the rouble, one warehouse and the 20 % VAT rate: enough for an order."""
    onec = FakeOneC(name)
    onec.add("Catalog_Организации", Description="ООО Продавец", ИНН=org_inn)
    onec.add("Catalog_Валюты", Code="643")
    onec.add("Catalog_Склады", Description="Основной", IsFolder=False, Code="000000001")
    onec.add("Catalog_СтавкиНДС", Description="20%", Ставка=20, ПеречислениеСтавкаНДС="НДС20")
    return onec


# -- the portal --------------------------------------------------------------------------------------------------


class FakePortal:
    """A portal holding deals, their product rows, companies with requisites and catalog products.
    `sent` lists every method run (batched commands included), `comments` the timeline comments added."""

    def __init__(self) -> None:
        self.deals: dict[str, dict] = {}
        self.rows: dict[str, list[dict]] = {}
        self.companies: dict[str, dict] = {}
        self.requisites: list[dict] = []
        self.products: dict[str, dict] = {}
        self.comments: list[dict] = []
        self.sent: list[tuple[str, Mapping[str, Any]]] = []

    def add_company(self, company_id: str, title: str, inn: str, kpp: str = "") -> dict:
        self.companies[company_id] = {"ID": company_id, "TITLE": title}
        self.requisites.append({"ID": str(len(self.requisites) + 1), "ENTITY_TYPE_ID": 4, "ENTITY_ID": company_id,
                                "RQ_INN": inn, "RQ_KPP": kpp, "RQ_COMPANY_NAME": title})
        return self.companies[company_id]

    def add_product(self, product_id: str, xml_id: str, name: str) -> None:
        self.products[product_id] = {"ID": product_id, "NAME": name, "XML_ID": xml_id}

    def add_deal(self, deal_id: str, company_id: str, rows: list[dict], **fields: Any) -> dict:
        self.deals[deal_id] = {"ID": deal_id, "TITLE": f"Сделка {deal_id}", "COMPANY_ID": company_id,
                               "CATEGORY_ID": "0", "STAGE_ID": "NEW", "STAGE_SEMANTIC_ID": "P", **fields}
        self.rows[deal_id] = rows
        return self.deals[deal_id]

    def writes(self) -> list[str]:
        return [method for method, _ in self.sent if not method.endswith((".get", ".list"))]

    # ------------------------------------------------------------------ BitrixClient's interface

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> BitrixResponse:
        return BitrixResponse(method=method, result=self._run(method, dict(params or {}), {}))

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any] | None]], **_: Any) -> BatchResult:
        outcome = BatchResult(calls=1)
        for key, (method, params) in commands.items():
            try:
                outcome.results[key] = self._run(method, dict(params or {}), outcome.results)
            except NotFound as exc:
                outcome.errors[key] = exc
        return outcome

    def _run(self, method: str, params: dict, earlier: Mapping[str, Any]) -> Any:
        self.sent.append((method, params))

        def resolved(value: Any) -> str:
            # $result[key][field] and nested paths such as $result[rows][0][PRODUCT_ID] (batch.md).
            text = str(value)
            if re.fullmatch(r"\$result(\[\w+\])+", text):
                node: Any = earlier
                for part in re.findall(r"\[(\w+)\]", text):
                    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                        node = node[int(part)]
                    elif isinstance(node, Mapping):
                        node = node.get(part)
                    else:
                        node = None
                return str(node or "")
            return text

        if method == "crm.deal.get":
            deal = self.deals.get(str(params["id"]))
            if deal is None:
                raise NotFound("NOT_FOUND", "Not found", method)
            return copy.deepcopy(deal)
        if method == "crm.deal.productrows.get":
            return copy.deepcopy(self.rows.get(str(params["id"]), []))
        if method == "crm.company.get":
            company = self.companies.get(resolved(params["id"]))
            if company is None:
                raise NotFound("NOT_FOUND", "Not found", method)
            return copy.deepcopy(company)
        if method == "crm.contact.get":
            raise NotFound("NOT_FOUND", "Not found", method)  # the fake's deals have companies only
        if method == "crm.requisite.list":
            owner = resolved(params["filter"]["ENTITY_ID"])
            kind = int(params["filter"].get("ENTITY_TYPE_ID", 4))
            return [copy.deepcopy(r) for r in self.requisites
                    if r["ENTITY_ID"] == owner and r["ENTITY_TYPE_ID"] == kind]
        if method == "crm.product.get":
            product = self.products.get(resolved(params["id"]))
            if product is None:
                raise NotFound("NOT_FOUND", "Not found", method)
            return copy.deepcopy(product)
        if method == "crm.deal.update":
            self.deals[str(params["id"])].update(params["fields"])
            return True
        if method == "crm.timeline.comment.add":
            self.comments.append(dict(params["fields"]))
            return len(self.comments)
        raise AssertionError(f"FakePortal does not answer {method}")


# -- the stores, circuits, locks ---------------------------------------------------------------------------------


class FakeLinks:
    def __init__(self) -> None:
        self.links: list[Link] = []

    def for_entity(self, member_id: str, b24_type: str, b24_id: str) -> list[Link]:
        return [lk for lk in self.links if (lk.b24_type, lk.b24_id) == (b24_type, str(b24_id))]

    def put(self, member_id: str, base_id: int, b24_type: str, b24_id: str, onec_set: str, onec_ref: str,
            onec_number: str | None = None) -> Link:
        link = Link(base_id, b24_type, str(b24_id), onec_set, onec_ref, onec_number)
        same = (base_id, b24_type, str(b24_id), onec_set)
        self.links = [lk for lk in self.links if (lk.base_id, lk.b24_type, lk.b24_id, lk.onec_set) != same]
        self.links.append(link)
        return link

    def remove(self, member_id: str, link: Link) -> bool:
        before = len(self.links)
        self.links = [lk for lk in self.links if lk != link]
        return len(self.links) < before


class FakeMarks:
    def __init__(self) -> None:
        self.marks: dict[tuple[str, str], str] = {}

    def get(self, scope: str, key: str) -> str | None:
        return self.marks.get((scope, key))

    def put(self, scope: str, key: str, value: str = "1") -> None:
        self.marks[(scope, key)] = value


class FakeJournal:
    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

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
            self.entries.append(entry)


@dataclass
class FakeCircuit:
    """Open (`down_until` set): `check` raises BaseUnavailable as the real breaker does."""

    base_id: int
    down_until: float | None = None
    checks: int = 0

    def check(self, label: str) -> None:
        self.checks += 1
        if self.down_until is not None:
            raise BaseUnavailable(f"1C base {label} is unavailable (test)", self.base_id, self.down_until)

    @contextmanager
    def watch(self) -> Iterator[None]:
        yield


@dataclass
class FakeLocks:
    """`held` entities ("deal:7") are locked by another job: `entity_lock` raises Busy."""

    held: set[str] = field(default_factory=set)
    taken: list[str] = field(default_factory=list)

    @contextmanager
    def entity_lock(self, entity: str) -> Iterator[None]:
        if entity in self.held:
            kind, _, ident = entity.partition(":")
            raise Busy(f"{kind} {ident} is being sent to 1C by another job")
        self.taken.append(entity)
        yield

    @contextmanager
    def counterparty_lock(self, inn: str, kpp: str) -> Iterator[None]:
        self.taken.append(f"counterparty:{inn}:{kpp}")
        yield


@dataclass
class FakeBases:
    """The portal's bases: id -> (FakeOneC, seller INN, enabled)."""

    onec: dict[int, FakeOneC] = field(default_factory=dict)
    inn: dict[int, str | None] = field(default_factory=dict)
    disabled: set[int] = field(default_factory=set)
    profile_name: str = "ut11"

    def enabled(self) -> list[int]:
        return [b for b in self.onec if b not in self.disabled]

    def legal_entity_inn(self, base_id: int) -> str | None:
        return self.inn.get(base_id)

    def profile(self, base_id: int) -> Profile:
        return load_profile(self.profile_name)

    def onec_for(self, base_id: int) -> OneCConnection:
        fake = self.onec[base_id]
        return OneCConnection(fake, self.profile(base_id), fake.base)  # type: ignore[arg-type]


# -- one portal's world ------------------------------------------------------------------------------------------


@dataclass
class World:
    """A portal and its bases with every fake the domain is handed; `deps()` is what the job layer would build."""

    portal: FakePortal = field(default_factory=FakePortal)
    bases: FakeBases = field(default_factory=FakeBases)
    links: FakeLinks = field(default_factory=FakeLinks)
    marks: FakeMarks = field(default_factory=FakeMarks)
    journal: FakeJournal = field(default_factory=FakeJournal)
    locks: FakeLocks = field(default_factory=FakeLocks)
    circuits: dict[int, FakeCircuit] = field(default_factory=dict)
    settings: PortalSettings = field(default_factory=PortalSettings)
    fields_ensured: int = 0

    def add_base(self, base_id: int, onec: FakeOneC | None = None, *, inn: str | None = "7707083893") -> FakeOneC:
        self.bases.onec[base_id] = onec or seeded_onec(f"База {base_id}")
        self.bases.inn[base_id] = inn
        return self.bases.onec[base_id]

    def circuit(self, base_id: int) -> FakeCircuit:
        return self.circuits.setdefault(base_id, FakeCircuit(base_id))

    def _ensure_fields(self) -> None:
        self.fields_ensured += 1

    def deps(self, lang: str = "ru") -> OrderDeps:
        return OrderDeps(member_id=MEMBER, bitrix=self.portal, bases=self.bases,  # type: ignore[arg-type]
                         circuit_for=self.circuit, links=self.links, marks=self.marks, journal=self.journal,
                         settings=self.settings, lang=lang, locks=self.locks, ensure_fields=self._ensure_fields)
