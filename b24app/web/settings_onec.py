"""What the settings page offers from each 1C base: its organizations (a seller legal-entity value sells as one of
them) and its warehouses (an order ships from the one set per base or pipeline).

Read through the app's 1C client like "test connection" does (the base's stored connection, the outbound address
policy), with a short timeout and no in-call retries, one query per catalog, and cached in Redis for five minutes,
so re-rendering the page after a form post does not ask 1C again; saving a base drops its cache. A base that cannot
be read now has `None` for a list: the page then takes an INN typed by hand (checked by its checksum) and shows the
stored warehouse as it is, and saving keeps what it could not show.

Names come from the base's profile (`organization`, `warehouse`: key, name, ИНН, deletion mark, folders, the
values `pick_where` names, e.g. a УНФ structural unit of the warehouse kind), never from code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from b24app.onec.egress import EgressRefused
from b24app.onec.errors import OneCError
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import ObjectSpec, Profile, ProfileError
from b24app.runtime import Runtime
from b24app.store.bases import BaseRecord
from b24app.sync.to_onec.order_refs import usable_filter

log = logging.getLogger(__name__)

CACHE_SECONDS = 300
FAILED_CACHE_SECONDS = 30  # a base that did not answer is asked again soon, not on every render
TIMEOUT = (3.0, 5.0)
MAX_ROWS = 200


@dataclass(frozen=True)
class Organization:
    ref_key: str
    name: str
    inn: str


@dataclass(frozen=True)
class Warehouse:
    ref_key: str
    name: str


@dataclass(frozen=True)
class BaseChoices:
    """One base's organizations and warehouses; None: not readable now (`error` says why). Warehouses are [] for
    a profile whose orders name none."""

    organizations: list[Organization] | None
    warehouses: list[Warehouse] | None
    error: str = ""

    def org_inns(self) -> set[str] | None:
        return None if self.organizations is None else {o.inn for o in self.organizations}

    def warehouse_keys(self) -> set[str] | None:
        return None if self.warehouses is None else {w.ref_key for w in self.warehouses}

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> BaseChoices:
        orgs, stores = data.get("organizations"), data.get("warehouses")
        return cls(None if orgs is None else [Organization(**o) for o in orgs],
                   None if stores is None else [Warehouse(**w) for w in stores], str(data.get("error") or ""))


def read_organizations(client: ODataClient, spec: ObjectSpec) -> list[Organization]:
    """The live organizations of the base that have an INN, by name."""
    key_f, name_f, inn_f = spec.field("key"), spec.field("name"), spec.field("inn")
    deleted_f = spec.field("deleted") if spec.has("deleted") else None
    select = [key_f, name_f, inn_f] + ([deleted_f] if deleted_f else [])
    rows = client.query(spec.entity_set, select=select, top=MAX_ROWS).rows
    found = [Organization(str(r[key_f]), str(r.get(name_f) or ""), str(r.get(inn_f) or "").strip())
             for r in rows if not (deleted_f and r.get(deleted_f))]
    return sorted((o for o in found if o.inn), key=lambda o: o.name)


def read_warehouses(client: ODataClient, spec: ObjectSpec) -> list[Warehouse]:
    """The warehouses an order may name: live, not folders, of the kind `pick_where` names, in the profile's
    order (the same rule that picks the first one when none is set: sync/to_onec/order_refs.pick_first)."""
    key_f, name_f = spec.field("key"), spec.field("name")
    rows = client.query(spec.entity_set, filter=usable_filter(spec), select=[key_f, name_f],
                        orderby=spec.orderby(), top=MAX_ROWS).rows
    return [Warehouse(str(r[key_f]), str(r.get(name_f) or "")) for r in rows]


def _orders_name_warehouses(profile: Profile) -> bool:
    order = profile.objects.get("customer_order")
    store = profile.objects.get("warehouse")
    return bool(order and store and store.enabled and "warehouse" in order.fields)


def read_choices(ctx: Runtime, member_id: str, record: BaseRecord) -> BaseChoices:
    """Ask the base now (short timeout, one attempt per query)."""
    try:
        profile = ctx.profiles.load(record.profile)
        client = ODataClient(ctx.bases.connection(member_id, record.id), egress=ctx.egress, timeout=TIMEOUT,
                             retry=RetryPolicy(attempts=1))
        orgs = read_organizations(client, profile.object("organization"))
        stores = read_warehouses(client, profile.object("warehouse")) if _orders_name_warehouses(profile) else []
    except (OneCError, EgressRefused, ProfileError, KeyError) as exc:
        log.info("settings page: 1C base %s of %s not read: %s", record.id, member_id, exc)
        return BaseChoices(None, None, str(getattr(exc, "message", None) or exc)[:300])
    return BaseChoices(orgs, stores)


def base_choices(ctx: Runtime, member_id: str, bases: list[BaseRecord]) -> dict[int, BaseChoices]:
    """Every enabled base's choices, from the cache or fresh from 1C."""
    out: dict[int, BaseChoices] = {}
    for record in bases:
        if not record.enabled or not record.is_odata:
            continue
        key = ctx.keys.base_choices(member_id, record.id)
        cached = ctx.redis.get(key)
        if cached is not None:
            out[record.id] = BaseChoices.from_json(json.loads(cached))
            continue
        choices = read_choices(ctx, member_id, record)
        ttl = CACHE_SECONDS if choices.organizations is not None else FAILED_CACHE_SECONDS
        ctx.redis.set(key, json.dumps(choices.to_json(), ensure_ascii=False), ex=ttl)
        out[record.id] = choices
    return out


def forget_choices(ctx: Runtime, member_id: str, base_id: int) -> None:
    ctx.redis.delete(ctx.keys.base_choices(member_id, base_id))
