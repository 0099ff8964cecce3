"""1C → Bitrix24: debt (issue 5 "Debt"; issue 12 "Debt from several bases").

Companies are linked to 1C counterparties by INN (+KPP when both sides have one) from their requisites
(api-reference/crm/requisites/universal/crm-requisite-list.md, ENTITY_TYPE_ID 4 = company). Each base reports the
settlement balance of those counterparties per organization (`OneCDocuments.debt_by_organization`), and a pull of
a base replaces that base's parts of each company's debt (`store/debt_parts.py`). The company's fields are then
written from all its parts in the portal's enabled bases: the total receivable, the total overdue, and a line per
base and organization — so bases may be pulled in any order and a base that stops reporting a company takes its
part away. Balances are absolute, so there is no watermark: a company is written when its figures differ from
what was last confirmed (a durable mark per company), in batches of 50 under the rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from b24app.bitrix.errors import NotFound
from b24app.core import formatting
from b24app.core.clock import Clock
from b24app.core.errors import SyncError
from b24app.core.model import ZERO
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.store.debt_parts import DebtPart
from b24app.sync.to_bitrix.pull_deps import PullDeps

# Durable marks (store/marks.py): the figures last confirmed for a company, all bases together. (Issue 5 kept one
# mark per company and base under "debt-written"; those marks describe per-base writes and are not read.)
WRITTEN = "debt-total"
# Between parts of the per-base line: what Russian documents use to separate items of a list that hold commas.
PART_SEPARATOR = "; "


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


def part_label(part: DebtPart) -> str:
    """"УТ Москва, ООО «Ромашка»": the base as the portal named it and the organization the debt is owed to; the
    organization is left out when the base's name already says it (a base named after its only legal entity)."""
    organization = part.organization.strip()
    if not organization or organization.casefold() in part.base_name.casefold():
        return part.base_name
    return f"{part.base_name}, {organization}"


def by_base_text(parts: Sequence[DebtPart], lang: str) -> str:
    """The receivable per base and organization as one line: "УТ Москва, ООО «Ромашка»: 26 366,51 ₽; БП, …"."""
    return PART_SEPARATOR.join(f"{part_label(p)}: {formatting.money(p.receivable, 'RUB', lang)}"
                               for p in parts if p.receivable > 0)


def total_overdue(parts: Sequence[DebtPart]) -> Decimal | None:
    """The overdue of all parts; None ("not known") only when money is owed and no part owing it can tell due
    dates (a БП base alone). Where some bases tell and others do not, the known overdue is what is shown."""
    known = [p.overdue for p in parts if p.overdue is not None]
    if not known and any(p.receivable > 0 for p in parts):
        return None
    return sum(known, ZERO)


def company_figures(parts: Sequence[DebtPart], fields: Mapping[str, str], lang: str) -> dict[str, str]:
    """The company's debt fields from all its parts: total receivable, total overdue, the per-base line."""
    overdue = total_overdue(parts)
    return {fields["debt"]: f"{sum((p.receivable for p in parts), ZERO):.2f}",
            fields["overdue"]: "" if overdue is None else f"{overdue:.2f}",
            fields["debt_by_base"]: by_base_text(parts, lang)}


def pull_debt(deps: PullDeps) -> int:
    """Replace this base's parts of every linked company's debt, then write the figures of each company whose
    total changed; returns how many companies were updated."""
    odata, profile, client, member_id, base_id = deps.odata, deps.profile, deps.bitrix, deps.member_id, deps.base_id
    counterparty_set = profile.object("counterparty").entity_set
    with deps.journal.exchange(member_id, "debt", "1c_to_b24", base_id=base_id) as entry:
        requisites = list(client.list_all("crm.requisite.list", {
            "filter": {"ENTITY_TYPE_ID": 4}, "select": ["ID", "ENTITY_ID", "RQ_INN", "RQ_KPP"]}))
        linked = company_counterparties(requisites, counterparties_by_inn(odata, profile))
        moment = balance_moment(deps.clock)
        reported = {}
        for company, keys in linked.items():
            deps.links.put(member_id, base_id, "company", company, counterparty_set, keys[0])
            reported[company] = deps.documents.debt_by_organization(keys, as_of=moment)
        changed = deps.debt_parts.replace_base(member_id, base_id, reported)
        # Every company with a part anywhere is looked at, not only this base's: a part of a base disabled since
        # the last pull stops counting now, whichever base runs next.
        companies = set(linked) | changed | deps.debt_parts.companies(member_id)
        parts = deps.debt_parts.of_companies(member_id, companies)
        figures_of = {c: company_figures(parts[c], deps.settings.company_fields, deps.lang) for c in companies}
        sent, failed = write_changed(deps, figures_of)
        entry.items = sent
        if failed:
            raise SyncError(f"Bitrix24 refused {len(failed)} company update(s): "
                            + "; ".join(f"company {k}: {e}" for k, e in sorted(failed.items())))
    return sent


def write_changed(deps: PullDeps, figures_of: Mapping[str, dict[str, str]]) -> tuple[int, dict[str, Exception]]:
    """Send the companies whose figures differ from their durable mark in one batch call (the client splits it
    into batches of 50) and mark those Bitrix24 took; (companies written, refusals by company)."""
    mark_of = {f"{deps.member_id}:{company}": (company, "|".join(figures[f] for f in sorted(figures)))
               for company, figures in figures_of.items()}
    written = deps.marks.get_many(WRITTEN, mark_of)
    due = {key: mark for key, (_, mark) in mark_of.items() if written.get(key) != mark}
    commands = {mark_of[key][0]: ("crm.company.update", {"id": mark_of[key][0], "fields": figures_of[
        mark_of[key][0]]}) for key in sorted(due)}
    answer = deps.bitrix.batch(commands) if commands else None
    # A company deleted in Bitrix24 meanwhile is no failure: marked, so it is not tried on every run.
    failed = {k: e for k, e in (answer.errors.items() if answer else []) if not isinstance(e, NotFound)}
    deps.marks.put_many(WRITTEN, {key: mark for key, mark in due.items() if mark_of[key][0] not in failed})
    return len(commands) - len(failed), failed
