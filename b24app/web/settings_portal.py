"""What the settings page needs to know about the portal: its deal and company fields, pipelines and stages.

Read with the app's own token (client_for_portal: shared rate limit, refreshed token) in two batch calls and
cached in Redis for a minute, so re-rendering the page after a form post costs nothing; anything that changes the
portal's fields (creating the app's fields) drops the cache.

Facts: crm.deal.fields / crm.company.fields (api-reference/crm/deals/crm-deal-fields.md) describe every field,
user fields included, with `title`/`formLabel`, `type` and, for lists (type `enumeration`), `items` of
`{"ID", "VALUE"}`; pipelines come from crm.category.list with entityTypeId 2 (api-reference/crm/universal/
category/crm-category-list.md; the default pipeline has id 0); stages from crm.status.list filtered by ENTITY_ID
`DEAL_STAGE` (default pipeline) or `DEAL_STAGE_<id>` (api-reference/crm/status/crm-status-list.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from b24app.bitrix.client import BitrixClient
from b24app.runtime import Runtime

CACHE_SECONDS = 60


@dataclass(frozen=True)
class PortalField:
    name: str
    title: str
    type: str
    items: list[dict] = field(default_factory=list)  # list values of an enumeration: {"ID", "VALUE"}


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str
    stages: list[tuple[str, str]]  # (STATUS_ID, NAME) in the portal's order


@dataclass(frozen=True)
class PortalSchema:
    deal_fields: dict[str, PortalField]
    company_fields: dict[str, PortalField]
    pipelines: list[Pipeline]

    def pipeline(self, category_id: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.id == str(category_id)), None)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> PortalSchema:
        return cls(
            deal_fields={k: PortalField(**v) for k, v in data["deal_fields"].items()},
            company_fields={k: PortalField(**v) for k, v in data["company_fields"].items()},
            pipelines=[Pipeline(p["id"], p["name"], [tuple(s) for s in p["stages"]]) for p in data["pipelines"]],
        )


def _fields(described: dict) -> dict[str, PortalField]:
    out = {}
    for name, info in (described or {}).items():
        info = info or {}
        title = info.get("formLabel") or info.get("listLabel") or info.get("title") or name
        out[name] = PortalField(name=name, title=str(title), type=str(info.get("type") or ""),
                                items=[{"ID": str(i.get("ID")), "VALUE": str(i.get("VALUE"))}
                                       for i in info.get("items") or [] if isinstance(i, dict)])
    return out


def read_schema(client: BitrixClient) -> PortalSchema:
    """Ask the portal for its deal/company fields, pipelines and stages (two batch calls)."""
    first = client.batch({
        "deal": ("crm.deal.fields", {}),
        "company": ("crm.company.fields", {}),
        "categories": ("crm.category.list", {"entityTypeId": 2}),
    })
    first.raise_first_error()
    categories = (first.results.get("categories") or {}).get("categories") or []
    if not any(str(c.get("id")) == "0" for c in categories):
        categories = [{"id": 0, "name": ""}, *categories]
    entity_ids = {str(c["id"]): "DEAL_STAGE" if str(c["id"]) == "0" else f"DEAL_STAGE_{c['id']}" for c in categories}
    stages = client.batch({cid: ("crm.status.list", {"filter": {"ENTITY_ID": entity}, "order": {"SORT": "ASC"}})
                           for cid, entity in entity_ids.items()})
    stages.raise_first_error()
    pipelines = [Pipeline(id=str(c["id"]), name=str(c.get("name") or ""),
                          stages=[(str(s["STATUS_ID"]), str(s.get("NAME") or s["STATUS_ID"]))
                                  for s in stages.results.get(str(c["id"])) or []])
                 for c in sorted(categories, key=lambda c: (int(c.get("sort") or 0), int(c["id"])))]
    return PortalSchema(_fields(first.results.get("deal")), _fields(first.results.get("company")), pipelines)


def _key(ctx: Runtime, member_id: str) -> str:
    return ctx.keys.portal_schema(member_id)


def portal_schema(ctx: Runtime, member_id: str, *, timeout: float = 10.0) -> PortalSchema:
    """The portal's schema, from the one-minute cache or fresh from the portal (raises BitrixError)."""
    cached = ctx.redis.get(_key(ctx, member_id))
    if cached is not None:
        return PortalSchema.from_json(json.loads(cached))

    schema = read_schema(ctx.bitrix(member_id, timeout=timeout))
    ctx.redis.set(_key(ctx, member_id), json.dumps(schema.to_json(), ensure_ascii=False), ex=CACHE_SECONDS)
    return schema


def forget_schema(ctx: Runtime, member_id: str) -> None:
    ctx.redis.delete(_key(ctx, member_id))
