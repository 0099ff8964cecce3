"""What became of a deal tab's button press: "Send to 1C" (an outbox item) or "Refresh from 1C" (an RQ job).

The tab shows the real outcome instead of a promise: queued, then done (with the 1C order's number) or failed with
the reason the exchange recorded — a dead letter such as "no product rows" is set aside within a second of the
worker taking it, and the manager sees that sentence on the tab. Every lookup is bound to the portal and the deal
the signed frame token was issued for, so a token of one deal cannot read another deal's outcome.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rq.exceptions import NoSuchJobError
from rq.job import Job

from b24app.jobs.dead_letters import one_line
from b24app.runtime import Runtime
from b24app.store.outbox import DEAD, DISCARDED, DONE, PENDING
from b24app.web.frame import FrameUser
from b24app.web.i18n import t

REFRESH_FUNC = "b24app.jobs.sync.refresh_deal"
# Reasons the order job gives most often, in the manager's words (the job records them in English for the log and
# the dead letters page); anything else is shown as recorded.
_KNOWN_REASONS = (
    (re.compile(r"has no product rows"), "tab_reason_no_rows"),
    (re.compile(r"refused the login or password"), "tab_reason_onec_auth"),
    (re.compile(r"(has|have) no INN|INN is missing|no INN"), "tab_reason_no_inn"),
)


@dataclass(frozen=True)
class ActionOutcome:
    ref: str  # the outbox item id ("order") or the RQ job id ("refresh")
    state: str  # queued, retrying, done, failed
    sentence: str
    final: bool

    def to_json(self) -> dict:
        return asdict(self)


def reason_words(error: str | None, lang: str) -> str:
    text = one_line(error or "")
    for pattern, key in _KNOWN_REASONS:
        if pattern.search(text):
            return t(key, lang)
    return text or t("tab_reason_unknown", lang)


def order_outcome(ctx: Runtime, user: FrameUser, item_id: int) -> ActionOutcome | None:
    """Where the "send to 1C" request `item_id` stands; None when it is not this deal's of this portal."""
    item = ctx.outbox.get(item_id)
    if item is None or item.member_id != user.member_id or item.kind != "deal" or item.entity_id != user.entity_id:
        return None
    lang, ref = user.lang, str(item_id)
    if item.status == PENDING and not item.last_error:
        return ActionOutcome(ref, "queued", t("tab_action_order_queued", lang), False)
    if item.status == PENDING:
        return ActionOutcome(ref, "retrying", t("tab_action_order_retrying", lang).format(
            why=reason_words(item.last_error, lang)), False)
    if item.status in (DEAD, DISCARDED):
        return ActionOutcome(ref, "failed", t("tab_action_order_failed", lang).format(
            why=reason_words(item.last_error, lang)), True)
    if item.status == DONE:
        numbered = [link for link in ctx.links.for_entity(user.member_id, "deal", item.entity_id) if link.onec_number]
        if not numbered:
            return ActionOutcome(ref, "done", t("tab_action_order_nothing", lang), True)
        names = {b.id: b.name for b in ctx.bases.list(user.member_id)}
        orders = ", ".join(t("tab_action_order_number", lang).format(number=link.onec_number,
                                                                      base=names.get(link.base_id, "1C"))
                           for link in numbered)
        return ActionOutcome(ref, "done", t("tab_action_order_done", lang).format(orders=orders), True)
    return ActionOutcome(ref, "failed", t("tab_action_order_failed", lang).format(why=item.status), True)


def refresh_outcome(ctx: Runtime, user: FrameUser, job_id: str) -> ActionOutcome | None:
    """Where the "refresh from 1C" job `job_id` stands; None when it is not this deal's of this portal."""
    try:
        job = Job.fetch(job_id, connection=ctx.redis)
    except (NoSuchJobError, ValueError):
        return None
    if job.func_name != REFRESH_FUNC or tuple(job.args or ()) != (user.member_id, user.entity_id):
        return None
    lang = user.lang
    status = job.get_status(refresh=True)
    state = str(getattr(status, "value", status) or "")
    if state == "finished":
        return ActionOutcome(job.id, "done", t("tab_action_refresh_done", lang), True)
    if state in ("failed", "stopped", "canceled"):
        latest = job.latest_result()
        why = reason_words(latest.exc_string if latest is not None else state, lang)
        return ActionOutcome(job.id, "failed", t("tab_action_refresh_failed", lang).format(why=why), True)
    return ActionOutcome(job.id, "queued", t("tab_action_refresh_queued", lang), False)
