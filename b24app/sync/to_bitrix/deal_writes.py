"""Sending field updates, stage moves and timeline comments to many deals: batches of 50 under the portal's rate
limit (settings/how-to-call-rest-api/batch.md: one batch = one request for the limiter), and an answer that says
which deals Bitrix24 confirmed, so a stream's watermark moves only over what arrived."""

from __future__ import annotations

from dataclasses import dataclass, field

from b24app.bitrix.batch import BatchResult
from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import BitrixError, NotFound
from b24app.core.portal_settings import PortalSettings
from b24app.sync.to_onec.write_back import OwnWriteLog


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
    # deal id -> positions in its `comments` that Bitrix24 added, also for deals whose update failed otherwise:
    # a comment that arrived must never be sent again.
    comments_added: dict[str, set[int]] = field(default_factory=dict)

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


def push(client: BitrixClient, updates: list[DealUpdate], *, own_writes: OwnWriteLog | None = None,
         member_id: str = "") -> PushOutcome:
    """Send every update: crm.deal.update and crm.timeline.comment.add, batched (api-reference/crm/deals/
    crm-deal-update.md, crm/timeline/comments/crm-timeline-comment-add.md).

    When a later batch call fails (the portal answers 503 after the earlier calls went through), what the earlier
    calls did is real: it is reported as done (`BitrixError.batch_partial`), and only the rest as failed.
    `own_writes` counts the update event each field write causes (store/own_writes.py), before sending, and takes
    back the counts of writes that did not happen; the event handler then stores nothing for those events."""
    commands: dict[str, tuple[str, dict]] = {}
    for up in updates:
        if up.fields:
            commands[f"u:{up.deal_id}"] = ("crm.deal.update", {"id": up.deal_id, "fields": up.fields})
        for n, text in enumerate(up.comments):
            commands[f"c:{up.deal_id}:{n}"] = ("crm.timeline.comment.add", {"fields": {
                "ENTITY_TYPE": "deal", "ENTITY_ID": up.deal_id, "COMMENT": text}})
    if not commands:
        return PushOutcome({up.deal_id for up in updates}, set(), {})
    updating = [up.deal_id for up in updates if up.fields]
    if own_writes is not None:
        own_writes.expect(member_id, "deal", updating)
    unsent: BitrixError | None = None
    try:
        answer = client.batch(commands)
    except BitrixError as error:
        answer = getattr(error, "batch_partial", None) or BatchResult()
        unsent = error
    except Exception:
        if own_writes is not None:
            own_writes.forget(member_id, "deal", updating)
        raise
    if own_writes is not None:
        own_writes.forget(member_id, "deal", [d for d in updating if f"u:{d}" not in answer.results])
    failed: dict[str, str] = {}
    gone: set[str] = set()
    for key, error in answer.errors.items():
        deal_id = key.split(":")[1]
        if isinstance(error, NotFound):
            gone.add(deal_id)
        else:
            failed[deal_id] = str(error)
    if unsent is not None:
        for key in commands:
            if key not in answer.results and key not in answer.errors:
                failed.setdefault(key.split(":")[1], f"not sent: {unsent}")
    added: dict[str, set[int]] = {}
    for key in answer.results:
        kind, deal_id, *rest = key.split(":")
        if kind == "c":
            added.setdefault(deal_id, set()).add(int(rest[0]))
    confirmed = {up.deal_id for up in updates} - set(failed) - gone
    return PushOutcome(confirmed, gone, failed, added)
