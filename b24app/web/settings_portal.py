"""What the settings page needs to know about the portal: its deal and company fields, pipelines and stages.

Read with the app's own token (client_for_portal: shared rate limit, refreshed token) in two batch calls and
cached in Redis for a minute, so re-rendering the page after a form post costs nothing; anything that changes the
portal's fields (creating the app's fields) drops the cache.

Facts: crm.deal.fields / crm.company.fields (api-reference/crm/deals/crm-deal-fields.md) describe every field,
user fields included, with `title`/`formLabel`, `type` and, for lists (type `enumeration`), `items` of
`{"ID", "VALUE"}`; pipelines come from crm.category.list with entityTypeId 2 (api-reference/crm/universal/
category/crm-category-list.md; the default pipeline has id 0); stages from crm.status.list filtered by ENTITY_ID
`DEAL_STAGE` (default pipeline) or `DEAL_STAGE_<id>` (api-reference/crm/status/crm-status-list.md).
A user field's label in each of the page's languages comes from crm.deal.userfield.list /
crm.company.userfield.list filtered by LANG, which alone makes them answer EDIT_FORM_LABEL and LIST_COLUMN_LABEL,
as texts in that language (api-reference/crm/deals/user-defined-fields/crm-deal-userfield-list.md), read in the
same first batch; so the page names a field as the admin's portal does in the admin's language. `formLabel` of
*.fields (one language) is the fallback.
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
    labels: dict[str, str] = field(default_factory=dict)  # interface language -> the portal's label

    def label(self, lang: str) -> str:
        """The field's name as the portal shows it in `lang` (its code only when it has no label at all)."""
        return self.labels.get(lang) or self.title or self.name


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

    def field_choices(self, kind: str, lang: str) -> list[tuple[str, str]]:
        """(code, text) of the portal's user fields of `kind` (deal / company) for a select: the label in `lang`,
        with the code added only where two fields share a label (else the admin could not tell them apart)."""
        fields = [f for f in (self.deal_fields if kind == "deal" else self.company_fields).values()
                  if f.name.startswith("UF_")]
        counts: dict[str, int] = {}
        for f in fields:
            counts[f.label(lang)] = counts.get(f.label(lang), 0) + 1
        return [(f.name, f.label(lang) if counts[f.label(lang)] == 1 or f.label(lang) == f.name
                 else f"{f.label(lang)} ({f.name})") for f in fields]

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


LABEL_LANGS = ("ru", "en")  # the languages the app's pages speak (web/params.py lang_of)


def _labels(answers: dict[str, object]) -> dict[str, dict[str, str]]:
    """FIELD_NAME -> {lang: label} from userfield.list answers keyed by the LANG they were asked in: EDIT_FORM_LABEL,
    else LIST_COLUMN_LABEL. A label given per language ({"ru": …}) is taken as such, whatever LANG was asked."""
    out: dict[str, dict[str, str]] = {}
    for asked, rows in answers.items():
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or not row.get("FIELD_NAME"):
                continue
            labels = out.setdefault(str(row["FIELD_NAME"]), {})
            for key in ("LIST_COLUMN_LABEL", "EDIT_FORM_LABEL"):  # the form label wins where both are set
                value = row.get(key)
                if isinstance(value, dict):
                    labels.update({str(lang): str(text) for lang, text in value.items() if text})
                elif value:
                    labels[asked] = str(value)
    return out


def _fields(described: dict, labels: dict[str, dict[str, str]] | None = None) -> dict[str, PortalField]:
    out = {}
    labels = labels or {}
    for name, info in (described or {}).items():
        info = info or {}
        title = info.get("formLabel") or info.get("listLabel") or info.get("title") or name
        out[name] = PortalField(name=name, title=str(title), type=str(info.get("type") or ""),
                                items=[{"ID": str(i.get("ID")), "VALUE": str(i.get("VALUE"))}
                                       for i in info.get("items") or [] if isinstance(i, dict)],
                                labels=labels.get(name, {}))
    return out


def read_schema(client: BitrixClient) -> PortalSchema:
    """Ask the portal for its deal/company fields, pipelines and stages (two batch calls)."""
    first = client.batch({
        "deal": ("crm.deal.fields", {}),
        "company": ("crm.company.fields", {}),
        "categories": ("crm.category.list", {"entityTypeId": 2}),
        **{f"{kind}_labels_{lang}": (f"crm.{kind}.userfield.list", {"filter": {"LANG": lang}})
           for kind in ("deal", "company") for lang in LABEL_LANGS},
    })
    # The labels only name fields better (and need a CRM administrator's token): a portal that refuses them still
    # gets its page, the fields named by formLabel.
    for key, error in first.errors.items():
        if not str(key).endswith(tuple(f"_labels_{lang}" for lang in LABEL_LANGS)):
            raise error
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
    labels = {kind: _labels({lang: first.results.get(f"{kind}_labels_{lang}") for lang in LABEL_LANGS})
              for kind in ("deal", "company")}
    return PortalSchema(_fields(first.results.get("deal"), labels["deal"]),
                        _fields(first.results.get("company"), labels["company"]), pipelines)


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
