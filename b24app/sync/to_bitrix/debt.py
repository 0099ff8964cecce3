"""1C → Bitrix24: debt (issue 5 "Debt").

Companies are linked to 1C counterparties by INN (+KPP when both sides have one) from their requisites
(api-reference/crm/requisites/universal/crm-requisite-list.md, ENTITY_TYPE_ID 4 = company); the settlement
balance of those counterparties (`OneCDocuments.debt`: receivable and overdue) goes into the company's debt and
overdue fields. Balances are absolute, so there is no watermark: a company is written when its figures differ
from what was last confirmed (a durable mark per company and base), in batches of 50 under the rate limit.
"""

from __future__ import annotations

from datetime import datetime

from b24app.bitrix.errors import NotFound
from b24app.core.clock import Clock
from b24app.core.errors import SyncError
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_bitrix.pull_deps import PullDeps

# Durable marks (store/marks.py): the figures last confirmed for a company from a base.
WRITTEN = "debt-written"


def counterparties_by_inn(odata: ODataClient, profile: Profile) -> dict[str, list[tuple[str, str]]]:
    """INN -> [(Ref_Key, KPP)] of every live counterparty (one key-range walk of the catalog)."""
    spec = profile.object("counterparty")
    key_f, deleted_f, inn_f, kpp_f = spec.field("key"), spec.field("deleted"), spec.field("inn"), spec.field("kpp")
    out: dict[str, list[tuple[str, str]]] = {}
    for row in odata.iter_rows(spec.entity_set, select=[key_f, deleted_f, inn_f, kpp_f], key=key_f):
        inn = str(row.get(inn_f) or "").strip()
        if inn and not row.get(deleted_f):
            out.setdefault(inn, []).append((row[key_f], str(row.get(kpp_f) or "").strip()))
    return out


def company_counterparties(requisites: list[dict], by_inn: dict[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    """company id -> counterparty keys: the exact INN+KPP pair when there is one, else every one with the INN."""
    out: dict[str, list[str]] = {}
    for req in requisites:
        inn, kpp = str(req.get("RQ_INN") or "").strip(), str(req.get("RQ_KPP") or "").strip()
        candidates = by_inn.get(inn, [])
        exact = [k for k, their_kpp in candidates if kpp and their_kpp == kpp]
        keys = exact or [k for k, _ in candidates]
        if keys:
            company = str(req["ENTITY_ID"])
            out[company] = sorted(set(out.get(company, []) + keys))
    return out


def balance_moment(clock: Clock) -> datetime:
    """The "as of" of a balance: the clock's now in the server's local time, naive, as `datetime.now()` gives it
    (what the 1C reader used before the clock was handed in)."""
    return clock.now().astimezone().replace(tzinfo=None)


def pull_debt(deps: PullDeps) -> int:
    """Write the debt and overdue of every company linked by INN; returns how many companies were updated."""
    odata, profile, client, member_id, base_id = deps.odata, deps.profile, deps.bitrix, deps.member_id, deps.base_id
    debt_f, overdue_f = deps.settings.company_fields["debt"], deps.settings.company_fields["overdue"]
    counterparty_set = profile.object("counterparty").entity_set
    with deps.journal.exchange(member_id, "debt", "1c_to_b24", base_id=base_id) as entry:
        requisites = list(client.list_all("crm.requisite.list", {
            "filter": {"ENTITY_TYPE_ID": 4}, "select": ["ID", "ENTITY_ID", "RQ_INN", "RQ_KPP"]}))
        linked = company_counterparties(requisites, counterparties_by_inn(odata, profile))
        docs = deps.documents
        figures_of: dict[str, dict[str, str]] = {}
        for company, keys in linked.items():
            deps.links.put(member_id, base_id, "company", company, counterparty_set, keys[0])
            balance = docs.debt(keys, as_of=balance_moment(deps.clock))
            figures_of[company] = {debt_f: f"{balance.receivable:.2f}",
                                   overdue_f: f"{balance.overdue:.2f}" if balance.overdue is not None else ""}
        mark_of = {f"{member_id}:{base_id}:{company}": (company, f"{f[debt_f]}|{f[overdue_f]}")
                   for company, f in figures_of.items()}
        written = deps.marks.get_many(WRITTEN, mark_of)
        marks = {key: mark for key, (_, mark) in mark_of.items() if written.get(key) != mark}
        commands = {mark_of[key][0]: ("crm.company.update", {"id": mark_of[key][0], "fields": figures_of[
            mark_of[key][0]]}) for key in marks}
        answer = client.batch(commands) if commands else None
        failed = {k: e for k, e in (answer.errors.items() if answer else []) if not isinstance(e, NotFound)}
        deps.marks.put_many(WRITTEN, {key: mark for key, mark in marks.items() if mark_of[key][0] not in failed})
        entry.items = len(commands) - len(failed)
        if failed:
            raise SyncError(f"Bitrix24 refused {len(failed)} company update(s): "
                            + "; ".join(f"company {k}: {e}" for k, e in sorted(failed.items())))
    return len(commands) - len(failed)
