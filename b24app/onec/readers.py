"""Reads what the app shows and syncs from one 1C base: an order and its documents, counterparties, debt.

Every entity-set and property name comes from the base's profile (`b24app/onec/profiles/*.toml`) by logical
name, so the same code reads УТ 11 and БП 3.0. OData notation used below is from the 1C:Enterprise 8.3.27
docs, chapter 17.4 (repo hacker-cb/1c-odata, docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md):
  * a composite attribute equals a reference only through `cast(guid'…', 'Document_X')` (17.4.5.2);
  * rows with a matching tabular-section line: `Table/any(d: d/Field eq …)` (17.4.5.2);
  * register balances: `<Register>/Balance(Period=…, Condition='…', Dimensions='…')`, resources come back as
    `<Resource>Balance`; for an accounting register `…BalanceDr` / `…BalanceCr` and the subconto as
    `ExtDimension1..3`, the docs' example filtering `ExtDimension1 eq cast(guid'…', 'Catalog_Контрагенты')`
    (17.4.9, 17.4.13.1.1). Condition is a filter and names properties (`Валюта_Key eq guid'…'`, 17.4.9);
    Dimensions is the virtual table's own parameter and names dimensions as the configuration does
    (`ОбъектРасчетов`, `FieldSpec.attribute`; 17.4.4: the function's parameters are the virtual table's).
Plain and composite references are read, filtered and written through `refs.py`.

Navigation links (`e1cib/data/Документ.ЗаказКлиента?ref=<32 hex>`) are the form 1C's own test data uses
(e.g. Vanessa-Automation scenarios: `e1cib/data/Справочник.Валюты?ref=a9b000055d49b45e11db8c4421dda1c5`); the
hex is the reference's 16 bytes as 1C stores them, i.e. the GUID's groups reordered 4-5-3-2-1
(public code converting Ref_Key to 1C's binary _IDRRef: sas1510/ordersportal.vstg.com.ua,
backend/utils/GuidToBin1C.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, urlsplit

from b24app.core.model import (
    ZERO,
    Act,
    Counterparty,
    DebtBalance,
    Invoice,
    Order,
    OrderDocuments,
    Payment,
    PaymentKind,
    Return,
    Shipment,
    VatInvoice,
    money,
)
from b24app.onec import query as q
from b24app.onec import refs
from b24app.onec import standard as std
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import FieldSpec, ObjectSpec, Profile, ProfileError, load_profile

EMPTY_REF = std.EMPTY_REF
# Conditions joined with `or` in one request: keeps the URL well under common 8 KB limits of web servers.
MAX_OR_TERMS = 40

# A company's settlements with one organization: (receivable, payable, overdue — None when due dates are not known).
Owed = tuple[Decimal, Decimal, Decimal | None]


def navigation_ref(key: str) -> str:
    """The `ref=` value of a 1C navigation link for a Ref_Key (groups 4, 5, 3, 2, 1 of the GUID)."""
    q.guid(key)  # validates
    a, b, c, d, e = key.lower().split("-")
    return f"{d}{e}{c}{b}{a}"


def navigation_path(entity_set: str, key: str) -> str | None:
    """`e1cib/data/Документ.<Name>?ref=…` for a document or catalog element, None for other sets."""
    prefix, _, name = entity_set.partition("_")
    klass = std.NAVIGATION_CLASS.get(prefix)
    if not klass or not name or not key or key == EMPTY_REF:
        return None
    return f"e1cib/data/{klass}.{name}?ref={navigation_ref(key)}"


def web_client_link(base_url: str, entity_set: str, key: str) -> str | None:
    """A URL opening the object in the base's web client, when the base is published over http(s).

    The web client lives at the publication root (the same one as `/odata/standard.odata/`) and takes a
    navigation link after `#`. None when the address is not http(s) or the object has no navigation link.
    """
    path = navigation_path(entity_set, key)
    if path is None or urlsplit(base_url).scheme not in ("http", "https"):
        return None
    return f"{base_url.rstrip('/')}/#{quote(path, safe='/?=.#')}"


def parse_date(value: object) -> datetime | None:
    """A 1C Edm.DateTime; the empty date 0001-01-01 means "not set"."""
    if not value or not isinstance(value, str) or value.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def _chunks(items: Sequence[str], size: int = MAX_OR_TERMS) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class OneCDocuments:
    """Reads domain objects from one base. Every method makes a bounded number of OData requests.

    `link_base_url` is the publication root used for e1cib web-client links (by default the base's own URL);
    pass None to make no links (e.g. a base reachable only from the app's network).
    """

    def __init__(
        self,
        client: ODataClient,
        profile: Profile | None = None,
        *,
        link_base_url: str | None = "",
        recent: int = 5,
    ) -> None:
        self.client = client
        self.base = client.base
        self.profile = profile or load_profile(self.base.profile)
        self.link_base_url = self.base.url if link_base_url == "" else link_base_url
        self.recent = recent

    @classmethod
    def for_base(
        cls, base: OneCBase, *, timeout: float = 5.0, egress: EgressPolicy | None = None, **kwargs
    ) -> OneCDocuments:
        """A reader with one overall-ish budget: connect and read timeouts of `timeout`, no retries.

        Card tabs must answer within their own timeout, so a failing base is reported at once instead of
        being retried with backoff. Pass the deployment's `egress` (`Runtime.egress`); without it the reader
        fails closed: public addresses only.
        """
        from b24app.onec.odata import RetryPolicy

        client = ODataClient(base, egress=egress or EgressPolicy(), timeout=(timeout, timeout),
                             retry=RetryPolicy(attempts=1))
        return cls(client, **kwargs)

    # ------------------------------------------------------------------ profile access

    def spec(self, logical: str) -> ObjectSpec | None:
        """The enabled object, or None when the profile does not map it (the tab then omits it)."""
        try:
            return self.profile.object(logical)
        except ProfileError:
            return None

    @staticmethod
    def has(spec: ObjectSpec, logical: str) -> bool:
        return spec.has(logical)

    def link(self, entity_set: str, key: str) -> str | None:
        if not self.link_base_url:
            return None
        return web_client_link(self.link_base_url, entity_set, key)

    def _value(self, spec: ObjectSpec, row: dict, logical: str, default: object = None) -> object:
        if not self.has(spec, logical):
            return default
        return row.get(spec.field(logical), default)

    def _ref(self, spec: ObjectSpec, row: dict, logical: str, target: str | None = None) -> str | None:
        """The reference a row's field holds (None when empty, absent from the profile or, for a composite field,
        pointing to another object than the profile object `target`)."""
        if not self.has(spec, logical):
            return None
        target_spec = self.spec(target) if target else None
        return refs.read(spec.spec_of(logical), row, target_spec.entity_set if target_spec else None)

    def _ref_filter(self, spec: ObjectSpec, logical: str, target_set: str, keys: Sequence[str]) -> str | None:
        """`field eq …` for any of `keys` in `target_set`; a composite field compares through cast() (refs.py)."""
        if not keys or not self.has(spec, logical):
            return None
        return refs.any_equals(spec.spec_of(logical), keys, target_set)

    @staticmethod
    def _by_date(spec: ObjectSpec) -> str | None:
        """Oldest first by the document's date, when the profile names it."""
        return spec.field("date") if spec.has("date") else None

    # ------------------------------------------------------------------ orders

    def _order(self, spec: ObjectSpec, row: dict) -> Order:
        key = row[spec.field("key")]
        status = str(self._value(spec, row, "status", "") or "")
        return Order(
            key=key,
            number=str(self._value(spec, row, "number", "")).strip(),
            date=parse_date(self._value(spec, row, "date")),
            amount=money(self._value(spec, row, "amount")),
            posted=bool(self._value(spec, row, "posted", False)),
            deleted=bool(self._value(spec, row, "deleted", False)),
            status=status,
            counterparty_key=self._ref(spec, row, "counterparty", "counterparty"),
            customer_number=str(self._value(spec, row, "customer_number", "") or ""),
            kind=spec.logical,
            link=self.link(spec.entity_set, key),
            closed=bool(status) and status == spec.values.get("status_closed"),
            cancelled=_all_rows_cancelled(spec, row),
        )

    def order_by_key(self, key: str, logical: str = "customer_order") -> Order | None:
        spec = self.spec(logical)
        if spec is None:
            return None
        page = self.client.query(spec.entity_set, filter=q.eq(spec.field("key"), key), top=1)
        return self._order(spec, page.rows[0]) if page.rows else None

    def order_by_number(self, number: str) -> Order | None:
        """The customer order (else customer invoice) with this 1C number; the newest if numbers repeat.

        1C numbers restart each year and carry a prefix ("ТД00-000012"): an exact match wins; a bare number
        ("12") matches a document whose number ends in it after the prefix and leading zeros.
        """
        wanted = number.strip()
        if not wanted:
            return None
        seen: set[str] = set()
        for logical in ("customer_order", "customer_invoice"):
            spec = self.spec(logical)
            if spec is None or spec.entity_set in seen:
                continue
            seen.add(spec.entity_set)
            prop = spec.field("number")
            rows = self.client.query(spec.entity_set, filter=q.eq(prop, wanted), top=20).rows
            if not rows and wanted.isdigit():
                rows = self.client.query(spec.entity_set, filter=q.contains(prop, wanted.lstrip("0") or "0"),
                                         top=50).rows
                rows = [r for r in rows if _same_number(str(r.get(prop, "")), wanted)]
            orders = [self._order(spec, r) for r in rows]
            live = [o for o in orders if not o.deleted] or orders
            if live:
                return max(live, key=lambda o: o.date or datetime.min)
        return None

    def orders_named(self, numbers: Sequence[str], keys: Sequence[str] = ()) -> dict[str, list[Order]]:
        """Each 1C number or Ref_Key given -> every live customer order it names (БП 3.0: the customer invoice,
        the order document there; УТ 11: also the order an invoice of that number was made from), for many deals
        in few requests: keys and exact numbers `or`-joined,
        MAX_OR_TERMS a request. A bare number found nowhere exactly matches a prefixed one by its tail, as in
        `order_by_number`. Several orders for one number (numbers restart each year) are all returned: the
        caller decides, nothing is guessed here."""
        spec = self.profile.object("customer_order")
        key_p, number_p = spec.field("key"), spec.field("number")
        found: dict[str, list[Order]] = {name: [] for name in [*numbers, *keys]}
        by_key = {k.lower(): k for k in keys}
        for chunk in _chunks(sorted(by_key)):
            for row in self.client.query(spec.entity_set, filter=q.any_of(*(q.eq(key_p, k) for k in chunk))).rows:
                found[by_key[str(row[key_p]).lower()]].append(self._order(spec, row))
        by_number: dict[str, list[str]] = {}
        for name in dict.fromkeys(numbers):
            if name.strip():
                by_number.setdefault(name.strip(), []).append(name)
        for chunk in _chunks(sorted(by_number)):
            for row in self.client.query(spec.entity_set, filter=q.any_of(*(q.eq(number_p, n) for n in chunk))).rows:
                for name in by_number.get(str(row.get(number_p, "")).strip(), []):
                    found[name].append(self._order(spec, row))
        bare = sorted(n for n, names in by_number.items() if n.isdigit() and not any(found[x] for x in names))
        for chunk in _chunks(bare):
            terms = [q.contains(number_p, n.lstrip("0") or "0") for n in chunk]
            for row in self.client.iter_rows(spec.entity_set, filter=q.any_of(*terms)):
                for number in (n for n in chunk if _same_number(str(row.get(number_p, "")), n)):
                    for name in by_number[number]:
                        found[name].append(self._order(spec, row))
        unmatched = sorted(n for n, names in by_number.items() if not any(found[x] for x in names))
        for number, orders in self._orders_of_invoices(unmatched).items():
            for name in by_number[number]:
                found[name].extend(orders)
        return {name: [o for o in orders if not o.deleted] for name, orders in found.items()}

    def _orders_of_invoices(self, numbers: Sequence[str]) -> dict[str, list[Order]]:
        """Invoice number -> the customer orders its invoices were made from, where the invoice is a document of
        its own (УТ 11 СчетНаОплатуКлиенту, whose ДокументОснование names the order; in БП 3.0 the invoice is the
        order document and was looked up as such)."""
        order_spec, invoice = self.profile.object("customer_order"), self.spec("customer_invoice")
        if not numbers or invoice is None or invoice.entity_set == order_spec.entity_set \
                or not self.has(invoice, "basis"):
            return {}
        number_p = invoice.field("number")
        keys_of: dict[str, set[str]] = {}
        for chunk in _chunks(numbers):
            for row in self.client.query(invoice.entity_set, filter=q.any_of(*(q.eq(number_p, n) for n in chunk))
                                         ).rows:
                key = self._ref(invoice, row, "basis", "customer_order")
                if key:
                    keys_of.setdefault(str(row.get(number_p, "")).strip(), set()).add(key)
        key_p = order_spec.field("key")
        orders: dict[str, Order] = {}
        for chunk in _chunks(sorted({k for keys in keys_of.values() for k in keys})):
            for row in self.client.query(order_spec.entity_set, filter=q.any_of(*(q.eq(key_p, k) for k in chunk))
                                         ).rows:
                orders[str(row[key_p])] = self._order(order_spec, row)
        return {number: [orders[k] for k in sorted(keys) if k in orders] for number, keys in keys_of.items()}

    def order_documents(self, order: Order) -> OrderDocuments:
        """The order with its invoices, payments (the parts allocated to it), shipments, acts, VAT invoices.

        Documents marked for deletion are left out; unposted ones are listed (a manager wants to see a
        payment 1C has not posted yet) but do not count as money received.
        """
        order_spec = self.profile.object(order.kind)
        # Independent reads go side by side: a tab waits for about three 1C round trips instead of eight.
        with ThreadPoolExecutor(max_workers=6, thread_name_prefix="onec-read") as pool:
            invoices_f = pool.submit(self._invoices_of, order, order_spec)
            settlement_f = pool.submit(self._settlement_keys, order, order_spec)
            shipments_f = pool.submit(self._shipments_of, order, order_spec)
            acts_f = pool.submit(self._acts_of, order, order_spec)
            invoices, settlement_keys = invoices_f.result(), settlement_f.result()
            payments_f = pool.submit(self._payments_of, order, order_spec, invoices, settlement_keys, pool)
            shipments, acts = shipments_f.result(), acts_f.result()
            returns_f = pool.submit(self._returns_of, order, order_spec, shipments)
            vat = self._vat_invoices_of(shipments, acts)
            payments, returns = payments_f.result(), returns_f.result()
        return OrderDocuments(order=order, invoices=invoices, payments=payments, shipments=shipments, acts=acts,
                              vat_invoices=vat, returns=returns)

    def _invoices_of(self, order: Order, order_spec: ObjectSpec) -> list[Invoice]:
        spec = self.spec("customer_invoice")
        if spec is None or spec.entity_set == order_spec.entity_set:
            return []  # БП 3.0: the customer invoice IS the order document
        condition = self._ref_filter(spec, "basis", order_spec.entity_set, [order.key])
        if condition is None:
            return []
        out = []
        for row in self.client.query(spec.entity_set, filter=condition, orderby=self._by_date(spec)).rows:
            if self._value(spec, row, "deleted", False) or self._value(spec, row, "cancelled", False):
                continue
            key = row[spec.field("key")]
            out.append(Invoice(
                key=key, number=str(self._value(spec, row, "number", "")).strip(),
                date=parse_date(self._value(spec, row, "date")), amount=money(self._value(spec, row, "amount")),
                posted=bool(self._value(spec, row, "posted", False)), basis_key=order.key,
                counterparty_key=self._ref(spec, row, "counterparty", "counterparty"),
                link=self.link(spec.entity_set, key)))
        return out

    def settlement_objects_of(self, entity_set: str, keys: Sequence[str]) -> list[str]:
        """Keys of the settlement objects (УТ 11.5 Catalog ОбъектыРасчетов) standing for these documents."""
        spec = self.spec("settlement_object")
        if spec is None or not keys:
            return []
        out = []
        for chunk in _chunks(list(keys)):
            condition = self._ref_filter(spec, "object", entity_set, chunk)
            rows = self.client.query(spec.entity_set, filter=condition, select=[spec.field("key")]).rows
            out += [r[spec.field("key")] for r in rows]
        return out

    def _settlement_keys(self, order: Order, order_spec: ObjectSpec) -> set[str]:
        if self.spec("settlement_object") is None:
            return set()
        return set(self.settlement_objects_of(order_spec.entity_set, [order.key]))

    def _payments_of(self, order: Order, order_spec: ObjectSpec, invoices: list[Invoice],
                     settlement_keys: set[str] | None = None, pool: Executor | None = None) -> list[Payment]:
        """Receipts whose allocation lines name the order: by settlement object, order, invoice or basis.

        Bank and cash receipts are read side by side when a `pool` is given.
        """
        invoice_set = self.spec("customer_invoice")
        invoice_target = invoice_set.entity_set if invoice_set is not None else None
        invoice_keys = {i.key for i in invoices}
        if invoice_target == order_spec.entity_set:
            invoice_keys.add(order.key)
        if settlement_keys is None:
            settlement_keys = self._settlement_keys(order, order_spec)
        settlement_spec = self.spec("settlement_object")
        settlement_set = settlement_spec.entity_set if settlement_spec is not None else None

        def receipts(logical: str, kind: PaymentKind) -> list[Payment]:
            out: list[Payment] = []
            spec = self.spec(logical)
            if spec is None or "allocation" not in spec.tables:
                return []
            table = spec.table("allocation")
            # An allocation line names what it pays: field -> (the keys that mean this order, their entity set).
            targets = {
                "settlement_object": (settlement_keys, settlement_set),
                "order": ({order.key}, order_spec.entity_set),
                "invoice": (invoice_keys, invoice_target),
                "basis": ({i.key for i in invoices}, invoice_target),
            }
            wanted = {name: (table.fields[name], keys, target) for name, (keys, target) in targets.items()
                      if name in table.fields and keys and target}
            terms = [refs.any_equals(field, sorted(keys), target, within="d") for field, keys, target in
                     wanted.values()]
            if not terms:
                return []
            condition = f"{q.prop(table.name)}/any(d: {q.any_of(*terms)})"
            rows = self.client.query(spec.entity_set, filter=condition, orderby=self._by_date(spec)).rows
            for row in rows:
                if self._value(spec, row, "deleted", False):
                    continue
                allocated, paid_invoice = ZERO, None
                for line in row.get(table.name) or []:
                    if _line_matches(line, wanted):
                        allocated += money(line.get(table.fields["amount"].name)) if "amount" in table.fields \
                            else ZERO
                        if "invoice" in table.fields:
                            paid_invoice = refs.read(table.fields["invoice"], line, invoice_target) or paid_invoice
                total = money(self._value(spec, row, "amount"))
                key = row[spec.field("key")]
                out.append(Payment(
                    kind=kind, key=key, number=str(self._value(spec, row, "number", "")).strip(),
                    date=parse_date(self._value(spec, row, "date")), amount=allocated or total, total=total,
                    posted=bool(self._value(spec, row, "posted", False)), order_key=order.key,
                    invoice_key=paid_invoice, counterparty_key=self._ref(spec, row, "counterparty", "counterparty"),
                    link=self.link(spec.entity_set, key)))
            return out

        kinds = [("bank_receipt", PaymentKind.BANK), ("cash_receipt", PaymentKind.CASH)]
        found = pool.map(lambda k: receipts(*k), kinds) if pool is not None else (receipts(*k) for k in kinds)
        out = [p for group in found for p in group]
        out.sort(key=lambda p: p.date or datetime.min)
        return out

    def _shipment_filter(self, spec: ObjectSpec, order: Order, order_spec: ObjectSpec) -> str | None:
        if self.has(spec, "order"):
            return self._ref_filter(spec, "order", order_spec.entity_set, [order.key])
        if self.has(spec, "invoice"):
            return self._ref_filter(spec, "invoice", order_spec.entity_set, [order.key])
        return None

    def _shipments_of(self, order: Order, order_spec: ObjectSpec) -> list[Shipment]:
        spec = self.spec("shipment")
        condition = self._shipment_filter(spec, order, order_spec) if spec else None
        if spec is None or condition is None:
            return []
        return [s for s in (self._shipment(spec, r) for r in self.client.query(
            spec.entity_set, filter=condition, orderby=self._by_date(spec)).rows) if not s.deleted]

    def _shipment(self, spec: ObjectSpec, row: dict) -> Shipment:
        key = row[spec.field("key")]
        order_key = self._ref(spec, row, "order", "customer_order") or self._ref(spec, row, "invoice",
                                                                                 "customer_invoice")
        return Shipment(
            key=key, number=str(self._value(spec, row, "number", "")).strip(),
            date=parse_date(self._value(spec, row, "date")), amount=money(self._value(spec, row, "amount")),
            posted=bool(self._value(spec, row, "posted", False)),
            deleted=bool(self._value(spec, row, "deleted", False)),
            status=str(self._value(spec, row, "status", "") or ""), order_key=order_key,
            link=self.link(spec.entity_set, key))

    def _return_targets(self, order: Order, order_spec: ObjectSpec,
                        shipments: list[Shipment]) -> dict[str, tuple[set[str], str]]:
        """What a return (or one of its goods rows) names when it concerns the order: field -> (keys, entity set).
        УТ 11 and БП 3.0 name the sale (`sale`), УНФ the order itself (`order`)."""
        ship = self.spec("shipment")
        targets: dict[str, tuple[set[str], str]] = {"order": ({order.key}, order_spec.entity_set)}
        if ship is not None and shipments:
            targets["sale"] = ({s.key for s in shipments}, ship.entity_set)
        return targets

    def _returns_of(self, order: Order, order_spec: ObjectSpec, shipments: list[Shipment]) -> list[Return]:
        """Returns from the customer naming the order or one of its sales, in the header or in a goods row.

        A return's amount for the order is the sum of its goods rows naming the order or its sales (with VAT when
        the profile maps that column), else the whole document: a header naming one of them takes back from it.
        Only receipts of the profile's return operation count where one document serves several (УНФ).
        """
        spec = self.spec("customer_return")
        if spec is None:
            return []
        targets = self._return_targets(order, order_spec, shipments)
        header = {name: (spec.spec_of(name), keys, target) for name, (keys, target) in targets.items()
                  if self.has(spec, name)}
        goods = spec.tables.get("goods")
        rows = {name: (goods.fields[name], keys, target) for name, (keys, target) in targets.items()
                if goods is not None and name in goods.fields}
        # An order with more than MAX_OR_TERMS sales is not met in practice; the URL stays short (MAX_OR_TERMS).
        terms = [refs.any_equals(field, sorted(keys)[:MAX_OR_TERMS], target) for field, keys, target in
                 header.values()]
        if rows and goods is not None:
            inner = q.any_of(*(refs.any_equals(field, sorted(keys)[:MAX_OR_TERMS], target, within="d")
                               for field, keys, target in rows.values()))
            terms.append(f"{q.prop(goods.name)}/any(d: {inner})")
        if not terms:
            return []
        operation = (q.eq(spec.field("operation"), spec.value("operation_return"))
                     if "operation_return" in spec.values else None)
        condition = q.all_of(q.any_of(*terms), operation)
        out = []
        for row in self.client.query(spec.entity_set, filter=condition, orderby=self._by_date(spec)).rows:
            if self._value(spec, row, "deleted", False):
                continue
            key = row[spec.field("key")]
            total = money(self._value(spec, row, "amount"))
            amount = ZERO
            if goods is not None and rows:
                column = goods.fields.get("amount_with_vat") or goods.fields.get("amount")
                amount = sum((money(line.get(column.name)) for line in row.get(goods.name) or []
                              if column is not None and _line_matches(line, rows)), ZERO)
            sale = header.get("sale")
            sale_key = refs.read(sale[0], row, sale[2]) if sale is not None else None
            out.append(Return(
                key=key, number=str(self._value(spec, row, "number", "")).strip(),
                date=parse_date(self._value(spec, row, "date")), amount=amount or total, total=total,
                posted=bool(self._value(spec, row, "posted", False)), sale_key=sale_key, order_key=order.key,
                link=self.link(spec.entity_set, key)))
        return out

    def _acts_of(self, order: Order, order_spec: ObjectSpec) -> list[Act]:
        spec = self.spec("act")
        shipment = self.spec("shipment")
        if spec is None or (shipment is not None and spec.entity_set == shipment.entity_set):
            return []  # БП 3.0: an act is a sale of services, already listed with the shipments
        condition = self._shipment_filter(spec, order, order_spec)
        if condition is None:
            return []
        out = []
        for row in self.client.query(spec.entity_set, filter=condition, orderby=self._by_date(spec)).rows:
            if self._value(spec, row, "deleted", False):
                continue
            key = row[spec.field("key")]
            out.append(Act(
                key=key, number=str(self._value(spec, row, "number", "")).strip(),
                date=parse_date(self._value(spec, row, "date")), amount=money(self._value(spec, row, "amount")),
                posted=bool(self._value(spec, row, "posted", False)), order_key=order.key,
                link=self.link(spec.entity_set, key)))
        return out

    def _vat_invoices_of(self, shipments: list[Shipment], acts: list[Act]) -> list[VatInvoice]:
        spec = self.spec("vat_invoice")
        if spec is None or not self.has(spec, "basis"):
            return []
        bases: list[tuple[str, str]] = []
        if (ship := self.spec("shipment")) is not None:
            bases += [(ship.entity_set, s.key) for s in shipments]
        if (act := self.spec("act")) is not None:
            bases += [(act.entity_set, a.key) for a in acts]
        out = []
        for chunk in _chunks(bases):
            terms = [self._ref_filter(spec, "basis", set_name, [key]) for set_name, key in chunk]
            for row in self.client.query(spec.entity_set, filter=q.any_of(*terms), orderby=self._by_date(spec)).rows:
                if self._value(spec, row, "deleted", False):
                    continue
                key = row[spec.field("key")]
                amount = self._value(spec, row, "amount")
                out.append(VatInvoice(
                    key=key, number=str(self._value(spec, row, "number", "")).strip(),
                    date=parse_date(self._value(spec, row, "date")),
                    amount=money(amount) if amount is not None else None,
                    posted=bool(self._value(spec, row, "posted", False)),
                    basis_key=self._ref(spec, row, "basis"), link=self.link(spec.entity_set, key)))
        return out

    # ------------------------------------------------------------------ counterparties

    def _counterparty(self, spec: ObjectSpec, row: dict) -> Counterparty:
        key = row[spec.field("key")]
        return Counterparty(
            key=key, name=str(self._value(spec, row, "name", "") or ""),
            inn=str(self._value(spec, row, "inn", "") or "").strip(),
            kpp=str(self._value(spec, row, "kpp", "") or "").strip(),
            full_name=str(self._value(spec, row, "full_name", "") or ""),
            partner_key=self._ref(spec, row, "partner", "partner"),
            deleted=bool(self._value(spec, row, "deleted", False)),
            link=self.link(spec.entity_set, key))

    def counterparty(self, key: str) -> Counterparty | None:
        spec = self.profile.object("counterparty")
        rows = self.client.query(spec.entity_set, filter=q.eq(spec.field("key"), key), top=1).rows
        return self._counterparty(spec, rows[0]) if rows else None

    def counterparties_by_inn(self, inn: str, kpp: str | None = None) -> list[Counterparty]:
        """Live counterparties with this ИНН (and КПП when given and some match it), best match first.

        A base often holds one company twice under the same ИНН; the caller shows them together. With a КПП
        that no element has, every element with the ИНН is returned (a branch may be filed under the head).
        """
        inn = inn.strip()
        if not inn:
            return []
        spec = self.profile.object("counterparty")
        rows = self.client.query(spec.entity_set, filter=q.eq(spec.field("inn"), inn), top=50).rows
        found = [c for c in (self._counterparty(spec, r) for r in rows) if not c.deleted]
        if kpp and kpp.strip():
            exact = [c for c in found if c.kpp == kpp.strip()]
            if exact:
                return exact
        return found

    def counterparty_by_inn(self, inn: str, kpp: str | None = None) -> Counterparty | None:
        found = self.counterparties_by_inn(inn, kpp)
        return found[0] if found else None

    # ------------------------------------------------------------------ debt

    def debt(self, counterparty_keys: Sequence[str], *, as_of: datetime | None = None) -> DebtBalance:
        """Receivable, payable and overdue of these counterparties (one company) in this base, over all its
        organizations: the sum of `debt_by_organization`."""
        moment = (as_of or datetime.now()).replace(microsecond=0)
        return self.debt_total(counterparty_keys, self.debt_by_organization(counterparty_keys, as_of=moment), moment)

    def debt_total(self, counterparty_keys: Sequence[str], parts: Sequence[DebtBalance],
                   moment: datetime) -> DebtBalance:
        """One balance over the organizations' `parts` (from `debt_by_organization` of the same keys and moment):
        overdue is known only when every part knows it."""
        keys = list(counterparty_keys)
        first = keys[0] if keys else EMPTY_REF
        if not keys:
            return DebtBalance(self.base.label, first, ZERO, ZERO, ZERO, moment)
        if not parts:
            return DebtBalance(self.base.label, first, ZERO, ZERO, ZERO if self._tells_due_dates() else None, moment)
        overdue = None if any(p.overdue is None for p in parts) else sum((p.overdue or ZERO for p in parts), ZERO)
        return DebtBalance(self.base.label, first, sum((p.receivable for p in parts), ZERO),
                           sum((p.payable for p in parts), ZERO), overdue, moment)

    def debt_by_organization(self, counterparty_keys: Sequence[str], *,
                             as_of: datetime | None = None) -> list[DebtBalance]:
        """The settlements of these counterparties (one company) per organization of the base: one base may keep
        the books of several legal entities, each with its own settlements. Organizations with no balance are
        left out; a balance whose organization the base does not record has organization_key "".

        УТ 11 (accumulation register by partner-analytics key and settlement object): the analytics key names the
        organization (Catalog_КлючиАналитикиУчетаПоПартнерам.Организация); a positive balance of a settlement
        object is owed to us, a negative one is an advance; a receivable is overdue when the object's due date has
        passed: the order's shipment date when the profile maps it, else the object's own date. УНФ: the register
        has the organization as its own dimension. БП 3.0 (accounting register, subconto 1 = counterparty): the
        organization is a dimension of the register, debit balances are receivable, credit balances payable; the
        profile maps no due dates there, so `overdue` is None.
        """
        moment = (as_of or datetime.now()).replace(microsecond=0)
        keys = list(counterparty_keys)
        if not keys:
            return []
        spec = self.profile.object("settlements")
        if spec.kind == "accounting_register":
            owed = self._accounting_debt(spec, keys, moment)
        else:
            owed = self._accumulation_debt(spec, keys, moment)
        names = self._organization_names(sorted(org for org in owed if org))
        return [DebtBalance(self.base.label, keys[0], receivable, payable, overdue, moment, org or "",
                            names.get(org or "", ""))
                for org, (receivable, payable, overdue) in sorted(owed.items(), key=lambda kv: kv[0] or "")]

    def _organization_names(self, keys: list[str]) -> dict[str, str]:
        """Organization key -> its name (one query per MAX_OR_TERMS keys); {} when the profile maps none."""
        spec = self.spec("organization")
        if spec is None or not keys:
            return {}
        key_f, name_f = spec.field("key"), spec.field("name")
        out: dict[str, str] = {}
        for chunk in _chunks(keys):
            condition = q.any_of(*(q.eq(key_f, k) for k in chunk))
            for row in self.client.query(spec.entity_set, filter=condition, select=[key_f, name_f]).rows:
                out[row[key_f]] = str(row.get(name_f) or "").strip()
        return out

    def _register_organization(self, spec: ObjectSpec) -> FieldSpec | None:
        """The settlement register's own organization dimension, when the profile maps one (БП, УНФ)."""
        return spec.spec_of("organization") if self.has(spec, "organization") else None

    def _accounting_debt(self, spec: ObjectSpec, keys: list[str], moment: datetime) -> dict[str | None, Owed]:
        counterparty_set = self.profile.object("counterparty").entity_set
        subconto = spec.spec_of("counterparty")
        organization = self._register_organization(spec)
        resource = spec.field("amount")
        sums: dict[str | None, tuple[Decimal, Decimal]] = {}
        for chunk in _chunks(keys):
            # The docs' own example: Condition='ExtDimension1 eq cast(guid'…', 'Catalog_Контрагенты')' (17.4.13.1.1).
            # The table's rows carry the register's dimensions (17.4.13.1.1), so the organization comes with them.
            condition = refs.any_equals(subconto, chunk, counterparty_set)
            rows = self.client.virtual_table(spec.entity_set, std.BALANCE,
                                             {std.ARG_PERIOD: moment, std.ARG_CONDITION: condition})
            for row in rows:
                org = refs.read(organization, row) if organization is not None else None
                receivable, payable = sums.get(org, (ZERO, ZERO))
                sums[org] = (receivable + money(row.get(resource + std.BALANCE_DEBIT_SUFFIX)),
                             payable + money(row.get(resource + std.BALANCE_CREDIT_SUFFIX)))
        return {org: (receivable, payable, None) for org, (receivable, payable) in sums.items()}

    def _accumulation_debt(self, spec: ObjectSpec, keys: list[str], moment: datetime) -> dict[str | None, Owed]:
        """Balances of the settlement register by organization and what a debt is for: the settlement object
        (УТ 11.5), the order (УТ 11.4 `ЗаказКлиента`), else one sum per organization; positive = owed to us."""
        analytics = self.spec("partner_analytics")
        counterparty_set = self.profile.object("counterparty").entity_set
        resource = spec.field("amount")
        organization = self._register_organization(spec)
        org_of: dict[str, str | None] = {}  # analytics key -> its organization
        if self.has(spec, "partner_analytics") and analytics is not None:
            with_org = self.has(analytics, "organization")
            select = [analytics.field("key")] + ([analytics.field("organization")] if with_org else [])
            for chunk in _chunks(keys):
                condition = self._ref_filter(analytics, "counterparty", counterparty_set, chunk)
                for r in self.client.query(analytics.entity_set, filter=condition, select=select).rows:
                    org_of[r[analytics.field("key")]] = self._ref(analytics, r, "organization") if with_org else None
            who, who_keys, who_set = spec.spec_of("partner_analytics"), list(org_of), analytics.entity_set
        else:
            who, who_keys, who_set = spec.spec_of("counterparty"), keys, counterparty_set
        per = next((spec.spec_of(d) for d in ("settlement_object", "order") if self.has(spec, d)), None)
        # Group by what tells the organization too: the register's own dimension, else the analytics key.
        grouping = [per or who, organization or who]
        dimensions = list(dict.fromkeys(d.attribute for d in grouping))
        balances: dict[tuple[str | None, str | None], Decimal] = {}
        orders: set[str] = set()  # balance keys that are orders (the `order` dimension holds other documents too)
        order_spec = self.spec("customer_order")
        for chunk in _chunks(who_keys):
            # Condition follows the $filter rules and names properties (17.4.9); Dimensions names the dimensions
            # by their configuration names (FieldSpec.attribute, see ODataClient.balance).
            condition = refs.any_equals(who, chunk, who_set)
            rows = self.client.balance(spec.entity_set, period=moment, condition=condition, dimensions=dimensions)
            for row in rows:
                obj = refs.read(per, row) if per is not None else None
                org = refs.read(organization, row) if organization is not None else org_of.get(
                    refs.read(who, row) or "")
                balances[(org, obj)] = balances.get((org, obj), ZERO) + money(row.get(resource + std.BALANCE_SUFFIX))
                if per is not None and per.logical == "order" and order_spec is not None and \
                        refs.read(per, row, order_spec.entity_set):
                    orders.add(str(obj))
        owed = sorted({obj for (_, obj), v in balances.items() if v > 0 and obj})
        due: dict[str, datetime | None] | None = None
        if per is not None and per.logical == "settlement_object":
            due = self._settlement_due(owed)
        elif per is not None:
            due = self._order_due([k for k in owed if k in orders])
        out: dict[str | None, Owed] = {}
        for org in dict.fromkeys(org for org, _ in balances):
            mine = {obj: v for (o, obj), v in balances.items() if o == org}
            late = None if due is None else sum(
                (v for obj, v in mine.items() if v > 0 and obj and (d := due.get(obj)) is not None and d < moment),
                ZERO)
            out[org] = (sum((v for v in mine.values() if v > 0), ZERO), -sum((v for v in mine.values() if v < 0), ZERO),
                        late)
        return out

    def _tells_due_dates(self) -> bool:
        """Whether this base's settlements say when a debt falls due (see `debt_by_organization`)."""
        spec = self.profile.object("settlements")
        if spec.kind == "accounting_register":
            return False
        if self.has(spec, "settlement_object"):
            return self.spec("settlement_object") is not None
        order_spec = self.spec("customer_order")
        return self.has(spec, "order") and order_spec is not None and self.has(order_spec, "shipment_date")

    def _settlement_due(self, object_keys: list[str]) -> dict[str, datetime | None] | None:
        """Settlement object -> its due date: the order's shipment date when the profile maps it, else the object's
        own date; None when the profile maps no settlement objects."""
        spec = self.spec("settlement_object")
        if spec is None:
            return None
        order_spec = self.spec("customer_order")
        due: dict[str, datetime | None] = {}
        order_of: dict[str, str] = {}
        for chunk in _chunks(object_keys):
            condition = q.any_of(*(q.eq(spec.field("key"), k) for k in chunk))
            for row in self.client.query(spec.entity_set, filter=condition).rows:
                key = row[spec.field("key")]
                due[key] = parse_date(self._value(spec, row, "date"))
                target = self._ref(spec, row, "object", "customer_order")
                if order_spec is not None and target:
                    order_of[key] = target
        shipment_dates = self._shipment_dates(sorted(set(order_of.values())))
        for obj, order_key in order_of.items():
            due[obj] = shipment_dates.get(order_key) or due.get(obj)
        return due

    def _order_due(self, order_keys: list[str]) -> dict[str, datetime | None] | None:
        """Order -> its shipment date, when a debt of a register by order falls due; None when the profile maps no
        shipment date (due dates are then not known)."""
        order_spec = self.spec("customer_order")
        if order_spec is None or not self.has(order_spec, "shipment_date"):
            return None
        return self._shipment_dates(order_keys)

    def _shipment_dates(self, order_keys: list[str]) -> dict[str, datetime | None]:
        """Order key -> its shipment date (the profile's customer_order.shipment_date), for the orders given."""
        order_spec = self.spec("customer_order")
        if order_spec is None or not self.has(order_spec, "shipment_date") or not order_keys:
            return {}
        key_prop, date_prop = order_spec.field("key"), order_spec.field("shipment_date")
        out: dict[str, datetime | None] = {}
        for chunk in _chunks(order_keys):
            condition = q.any_of(*(q.eq(key_prop, k) for k in chunk))
            for row in self.client.query(order_spec.entity_set, filter=condition, select=[key_prop, date_prop]).rows:
                out[row[key_prop]] = parse_date(row.get(date_prop))
        return out

    # ------------------------------------------------------------------ company overview

    def recent_payments(self, counterparty_keys: Sequence[str], limit: int | None = None) -> list[Payment]:
        """The newest posted receipts (bank and cash) from these counterparties."""
        limit = limit or self.recent
        out: list[Payment] = []
        for logical, kind in (("bank_receipt", PaymentKind.BANK), ("cash_receipt", PaymentKind.CASH)):
            spec = self.spec(logical)
            if spec is None:
                continue
            for row in self._newest_of_counterparties(spec, counterparty_keys, limit):
                key = row[spec.field("key")]
                total = money(self._value(spec, row, "amount"))
                out.append(Payment(
                    kind=kind, key=key, number=str(self._value(spec, row, "number", "")).strip(),
                    date=parse_date(self._value(spec, row, "date")), amount=total, total=total, posted=True,
                    counterparty_key=self._ref(spec, row, "counterparty", "counterparty"),
                    link=self.link(spec.entity_set, key)))
        out.sort(key=lambda p: p.date or datetime.min, reverse=True)
        return out[:limit]

    def open_orders(self, counterparty_keys: Sequence[str], limit: int | None = None) -> list[Order]:
        """The newest posted, not closed orders of these counterparties."""
        limit = limit or self.recent
        spec = self.spec("customer_order")
        if spec is None:
            return []
        # УНФ's status is a catalog element (no value to compare with): its open orders are all posted ones.
        not_closed = (f"{q.prop(spec.field('status'))} ne {q.string(spec.value('status_closed'))}"
                      if self.has(spec, "status") and "status_closed" in spec.values else None)
        return [self._order(spec, r) for r in self._newest_of_counterparties(spec, counterparty_keys, limit,
                                                                             not_closed)]

    def recent_shipments(self, counterparty_keys: Sequence[str], limit: int | None = None) -> list[Shipment]:
        limit = limit or self.recent
        spec = self.spec("shipment")
        if spec is None:
            return []
        return [self._shipment(spec, r) for r in self._newest_of_counterparties(spec, counterparty_keys, limit)]

    def _newest_of_counterparties(self, spec: ObjectSpec, counterparty_keys: Sequence[str], limit: int,
                                  extra: str | None = None) -> list[dict]:
        """Posted, not deletion-marked documents of these counterparties, newest first (one query)."""
        counterparty_set = self.profile.object("counterparty").entity_set
        condition = q.all_of(
            self._ref_filter(spec, "counterparty", counterparty_set, list(counterparty_keys)[:MAX_OR_TERMS]),
            q.eq(spec.field("posted"), True) if self.has(spec, "posted") else None,
            q.eq(spec.field("deleted"), False) if self.has(spec, "deleted") else None,
            extra)
        return self.client.query(spec.entity_set, filter=condition, orderby=f"{spec.field('date')} desc",
                                 top=limit).rows


def _same_number(candidate: str, wanted: str) -> bool:
    """"ТД00-000012" matches "12": the digits after the last non-digit, without leading zeros."""
    tail = ""
    for ch in reversed(candidate.strip()):
        if not ch.isdigit():
            break
        tail = ch + tail
    return bool(tail) and tail.lstrip("0") == wanted.lstrip("0")


def _all_rows_cancelled(spec: ObjectSpec, row: dict) -> bool:
    """Every goods row of the order is cancelled (УТ 11 Товары.Отменено): the order was cancelled in 1C. False
    when the profile maps no such column or the row came without its goods (a `$select`)."""
    goods = spec.tables.get("goods")
    column = goods.fields.get("cancelled") if goods is not None else None
    lines = row.get(goods.name) if goods is not None else None
    return bool(column is not None and lines and all(line.get(column.name) for line in lines))


def _line_matches(line: dict, wanted: dict[str, tuple[FieldSpec, set[str], str]]) -> bool:
    """Whether a tabular-section line refers to one of the keys of any wanted field (composites by type too)."""
    return any(refs.read(field, line, target) in keys for field, keys, target in wanted.values())
