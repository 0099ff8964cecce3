"""Reading deals for their 1C orders: many deals' deal, rows, buyer and requisites in shared batch calls.

At the portal's ordinary limit (2 requests/s: limits.md) every request counts, and a batch of up to 50 commands
counts as one (settings/how-to-call-rest-api/batch.md). One deal needs six commands — the deal, its product rows,
its company and the company's requisites, its contact and the contact's requisites — chained inside one call by
`$result[<deal key>][COMPANY_ID]` references, so eight deals share a call; the products of every row of every
deal then share the next. 40 deals cost 5 + 1 requests instead of 80.

When a job reads a few deals only (events arriving one by one), the rows' products are read in the same call too,
by `$result[<rows key>][<n>][PRODUCT_ID]` for the first rows (batch.md "Using Results" documents such nested
paths): a deal then costs one request to read and one to write back. A row beyond those, or a path that does not
resolve, is read in a second call.

A deal without a company (COMPANY_ID 0) or contact makes the chained `get` fail inside the batch; that error is
the answer "none", not a failure of the deal.
"""

from __future__ import annotations

from collections.abc import Iterable

from b24app.bitrix.batch import BATCH_LIMIT
from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import BitrixError, NotFound
from b24app.sync.to_onec.order_model import DealBundle

REQUISITE_COMPANY, REQUISITE_CONTACT = 4, 3  # ENTITY_TYPE_ID (crm-requisite-add.md)
REQUISITE_SELECT = ["ID", "ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "RQ_INN", "RQ_KPP", "RQ_OGRN", "RQ_OGRNIP",
                    "RQ_COMPANY_NAME", "RQ_COMPANY_FULL_NAME", "RQ_NAME", "RQ_FIRST_NAME", "RQ_LAST_NAME",
                    "RQ_SECOND_NAME"]
_PARTS = ("deal", "rows", "company", "company_rq", "contact", "contact_rq")
DEALS_PER_CALL = BATCH_LIMIT // len(_PARTS)
INLINE_PRODUCTS = 3  # rows whose product is read with the deal when few deals are read
INLINE_DEALS = BATCH_LIMIT // (len(_PARTS) + INLINE_PRODUCTS)


def _commands(deal_id: str, inline_products: int) -> dict[str, tuple[str, dict]]:
    d = f"d{deal_id}"
    # After the rows: a reference resolves only to a command run earlier in the same call.
    products = {f"{d}_p{n}": ("crm.product.get", {"id": f"$result[{d}_rows][{n}][PRODUCT_ID]"})
                for n in range(inline_products)}
    return {
        d: ("crm.deal.get", {"id": deal_id}),
        f"{d}_rows": ("crm.deal.productrows.get", {"id": deal_id}),
        f"{d}_company": ("crm.company.get", {"id": f"$result[{d}][COMPANY_ID]"}),
        f"{d}_company_rq": ("crm.requisite.list", {
            "filter": {"ENTITY_TYPE_ID": REQUISITE_COMPANY, "ENTITY_ID": f"$result[{d}][COMPANY_ID]"},
            "select": REQUISITE_SELECT}),
        f"{d}_contact": ("crm.contact.get", {"id": f"$result[{d}][CONTACT_ID]"}),
        f"{d}_contact_rq": ("crm.requisite.list", {
            "filter": {"ENTITY_TYPE_ID": REQUISITE_CONTACT, "ENTITY_ID": f"$result[{d}][CONTACT_ID]"},
            "select": REQUISITE_SELECT}),
    } | products


def _inline_products(answer_results: dict, d: str, rows: list[dict], count: int) -> dict[str, dict]:
    """The products read with the deal, each kept only when it is the product its row names."""
    found = {}
    for n, row in enumerate(rows[:count]):
        product = answer_results.get(f"{d}_p{n}")
        if isinstance(product, dict) and str(product.get("ID")) == str(row.get("PRODUCT_ID")):
            found[str(product["ID"])] = product
    return found


def _linked(deal: dict, field: str) -> bool:
    return str(deal.get(field) or "0") not in ("", "0")


def read_deals(client: BitrixClient, deal_ids: Iterable[str]) -> dict[str, DealBundle | BitrixError]:
    """Every deal's bundle, or the error that kept it from being read (NotFound for a deal deleted since).
    An error of a batch call itself (the portal unreachable, the token refused) raises."""
    ids = list(dict.fromkeys(str(i) for i in deal_ids))
    out: dict[str, DealBundle | BitrixError] = {}
    partial: dict[str, tuple[dict, list[dict], dict | None, list[dict], dict | None, list[dict]]] = {}
    products: dict[str, dict] = {}
    inline = INLINE_PRODUCTS if len(ids) <= INLINE_DEALS else 0
    per_call = INLINE_DEALS if inline else DEALS_PER_CALL
    for start in range(0, len(ids), per_call):
        commands: dict[str, tuple[str, dict]] = {}
        for deal_id in ids[start:start + per_call]:
            commands.update(_commands(deal_id, inline))
        answer = client.batch(commands)
        for deal_id in ids[start:start + per_call]:
            d = f"d{deal_id}"
            if d in answer.errors or not isinstance(answer.results.get(d), dict):
                out[deal_id] = answer.errors.get(d) or NotFound("NOT_FOUND", f"deal {deal_id} not found")
                continue
            deal = answer.results[d]
            with_company, with_contact = _linked(deal, "COMPANY_ID"), _linked(deal, "CONTACT_ID")
            company = answer.results.get(f"{d}_company") if with_company else None
            contact = answer.results.get(f"{d}_contact") if with_contact else None
            partial[deal_id] = (
                deal, list(answer.results.get(f"{d}_rows") or []),
                company if isinstance(company, dict) else None,
                list(answer.results.get(f"{d}_company_rq") or []) if with_company else [],
                contact if isinstance(contact, dict) else None,
                list(answer.results.get(f"{d}_contact_rq") or []) if with_contact else [])
            products.update(_inline_products(answer.results, d, partial[deal_id][1], inline))
    named = {str(r.get("PRODUCT_ID")) for parts in partial.values() for r in parts[1]}
    products.update(read_products(client, named - set(products)))
    for deal_id, (deal, rows, company, company_rq, contact, contact_rq) in partial.items():
        mine = {str(r.get("PRODUCT_ID")) for r in rows}
        out[deal_id] = DealBundle(deal, rows, company, company_rq, {p: products[p] for p in mine if p in products},
                                  contact=contact, contact_requisites=contact_rq)
    return out


def read_products(client: BitrixClient, product_ids: Iterable[str]) -> dict[str, dict]:
    """crm.product.get of every catalog product named (PRODUCT_ID 0 is a free-text row), 50 per call."""
    ids = sorted(p for p in set(product_ids) if p not in ("", "0", "None"))
    if not ids:
        return {}
    got = client.batch({pid: ("crm.product.get", {"id": pid}) for pid in ids})
    found = {pid: got.results[pid] for pid in ids if isinstance(got.results.get(pid), dict)}
    return found | read_variations(client, [pid for pid in ids if pid not in found])


def read_variations(client: BitrixClient, product_ids: list[str]) -> dict[str, dict]:
    """Rows that name a product variation (an offer of the variations catalog, which crm.product.* does not
    serve): read with catalog.product.offer.get and shaped as crm.product.get shapes a product (ID, NAME, XML_ID).
    Costs nothing when every row names a product."""
    if not product_ids:
        return {}
    got = client.batch({pid: ("catalog.product.offer.get", {"id": pid}) for pid in product_ids})
    out = {}
    for pid in product_ids:
        offer = got.results.get(pid)
        offer = offer.get("offer") if isinstance(offer, dict) else None
        if isinstance(offer, dict):
            out[pid] = {"ID": str(offer.get("id")), "NAME": offer.get("name"), "XML_ID": offer.get("xmlId")}
    return out


def read_deal(client: BitrixClient, deal_id: str) -> DealBundle:
    """One deal's bundle (one request for a deal of up to three rows); NotFound when the portal has no such deal."""
    got = read_deals(client, [deal_id])[str(deal_id)]
    if isinstance(got, BitrixError):
        raise got
    return got
