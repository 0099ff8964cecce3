"""Sending field updates, stage moves and timeline comments to many deals: batches of 50 under the portal's rate
limit (settings/how-to-call-rest-api/batch.md: one batch = one request for the limiter), and an answer that says
which deals Bitrix24 confirmed, so a stream's watermark moves only over what arrived."""

from __future__ import annotations

from dataclasses import dataclass, field

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import NotFound
from b24app.core.portal_settings import PortalSettings


@dataclass
class DealUpdate:
    deal_id: str
    fields: dict = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PushOutcome:
    confirmed: set[str]
    gone: set[str]  # deals deleted in Bitrix24 meanwhile: nothing to confirm, nothing to retry
    failed: dict[str, str]

    @property
    def complete(self) -> bool:
        return not self.failed


def current_deals(client: BitrixClient, deal_ids: list[str]) -> dict[str, dict]:
    """Stage, category and the app's fields of these deals, 50 ids per list call, all calls in batches."""
    ids = sorted(set(deal_ids), key=int)
    chunks = [ids[i:i + 50] for i in range(0, len(ids), 50)]
    answer = client.batch({n: ("crm.deal.list", {"filter": {"@ID": chunk}, "select": ["*", "UF_*"], "start": -1})
                           for n, chunk in enumerate(chunks)})
    answer.raise_first_error()
    return {str(d["ID"]): d for result in answer.results.values() for d in (result or [])}


def stage_for(settings: PortalSettings, deal: dict, target: str | None, *, forward_only: list[str]) -> str | None:
    """The stage to move the deal to, or None. Only deals still in progress move (a won or lost deal is the
    manager's decision), never to the stage they are in, and never back from a later stage of `forward_only`."""
    if not target or deal.get("STAGE_SEMANTIC_ID", "P") != "P" or deal.get("STAGE_ID") == target:
        return None
    current = deal.get("STAGE_ID")
    if current in forward_only and target in forward_only and forward_only.index(current) > forward_only.index(target):
        return None
    return target


def push(client: BitrixClient, updates: list[DealUpdate]) -> PushOutcome:
    """Send every update: crm.deal.update and crm.timeline.comment.add, batched (api-reference/crm/deals/
    crm-deal-update.md, crm/timeline/comments/crm-timeline-comment-add.md)."""
    commands: dict[str, tuple[str, dict]] = {}
    for up in updates:
        if up.fields:
            commands[f"u:{up.deal_id}"] = ("crm.deal.update", {"id": up.deal_id, "fields": up.fields})
        for n, text in enumerate(up.comments):
            commands[f"c:{up.deal_id}:{n}"] = ("crm.timeline.comment.add", {"fields": {
                "ENTITY_TYPE": "deal", "ENTITY_ID": up.deal_id, "COMMENT": text}})
    answer = client.batch(commands) if commands else None
    failed: dict[str, str] = {}
    gone: set[str] = set()
    if answer is not None:
        for key, error in answer.errors.items():
            deal_id = key.split(":")[1]
            if isinstance(error, NotFound):
                gone.add(deal_id)
            else:
                failed[deal_id] = str(error)
    confirmed = {up.deal_id for up in updates} - set(failed) - gone
    return PushOutcome(confirmed, gone, failed)
