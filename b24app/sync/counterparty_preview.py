"""What the first counterparty load of a base would do, before anything is written: which 1C counterparties match a
CRM card (already linked by ORIGIN_ID, by INN + KPP, by INN of a sole proprietor, by phone or e-mail of an
individual), which need a person (the same INN with another KPP: a branch or the head office; a name candidate),
what would be created, the duplicates inside 1C and inside the CRM, and the invalid INNs. Reads only.

The result is plain JSON (it travels as an RQ job result to the page, the CSV and the XLSX). The administrator's
decisions (`store/party_decisions.py`) are applied by `decide`, at the end of the job and again on every render,
so a decision taken on the page shows at once without reading 1C and the CRM again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from b24app.bitrix.client import BitrixClient
from b24app.core.counterparty_keys import valid_inn
from b24app.core.counterparty_match import Party, match
from b24app.core.counterparty_model import CrmParty, OneCParty
from b24app.store.party_decisions import CREATE, SKIP, linked_card
from b24app.sync.to_bitrix.crm_parties import comm_duplicates, read_crm_parties

MAX_LISTED = 1000  # rows kept per list for the page and the downloads; the counts cover all
# The lists in which every live 1C counterparty appears exactly once, with what the load does by itself.
ACTION_LISTS: dict[str, str] = {
    "by_origin": "link", "by_inn_kpp": "link", "by_inn": "link", "by_contact": "link",
    "other_kpp": "decide", "by_name": "decide", "to_create": "create",
}
INFO_LISTS = ("onec_duplicates", "crm_duplicates", "invalid_inn")
LISTS = (*ACTION_LISTS, *INFO_LISTS)
OUTCOMES = ("link", "create", "join", "skip", "decide")

Progress = Callable[[int, int], None]


class PartySource(Protocol):
    """The 1C side as `onec/counterparty_reads.OneCParties` offers it."""

    def count(self) -> int: ...

    def pages(self, page_size: int = 500) -> Iterator[list[OneCParty]]: ...


def onec_side(party: OneCParty) -> dict[str, Any]:
    return {"key": party.key, "name": party.name, "full_name": party.full_name, "inn": party.inn,
            "kpp": party.kpp, "kind": party.kind, "phones": list(party.phones), "emails": list(party.emails)}


def crm_side(party: CrmParty) -> dict[str, Any]:
    req = party.requisite
    return {"key": party.crm_key, "entity": party.entity, "id": party.id, "name": party.title,
            "legal_name": req.company_name if req else "", "inn": req.inn if req else "",
            "kpp": req.kpp if req else "", "phones": list(party.phones), "emails": list(party.emails)}


def preview_counterparties(bitrix: BitrixClient, onec: PartySource, *, base_id: int, base_name: str,
                           decisions: Mapping[str, str] | None = None,
                           progress: Progress | None = None) -> dict[str, Any]:
    """Read both sides, match them, and describe the first load (`decide` applied with `decisions`)."""
    report = progress or (lambda done, total: None)
    total = onec.count()
    report(0, total)
    crm = read_crm_parties(bitrix)
    parties: list[OneCParty] = []
    for page in onec.pages():
        parties.extend(page)
        report(len(parties), max(total, len(parties)))
    preview = build_preview(parties, crm, comm_duplicates(bitrix, crm), base_id=base_id, base_name=base_name)
    return decide(preview, decisions or {})


def build_preview(onec: list[OneCParty], crm: list[CrmParty], comm_groups: list[list[str]], *, base_id: int,
                  base_name: str) -> dict[str, Any]:
    """The matcher's report over both sides as lists of rows, each row the two sides side by side."""
    live = [p for p in onec if not p.deleted]
    onec_by_key = {p.key: p for p in live}
    crm_by_key = {p.crm_key: p for p in crm}
    lists: dict[str, list[dict]] = {name: [] for name in LISTS}
    totals: dict[str, int] = dict.fromkeys(LISTS, 0)

    def add(name: str, row: dict) -> None:
        totals[name] += 1
        if len(lists[name]) < MAX_LISTED:
            lists[name].append(row)

    def pair(name: str, onec_key: str, crm_keys: list[str], score: float | None = None) -> None:
        row = {"onec": [onec_side(onec_by_key[onec_key])], "crm": [crm_side(crm_by_key[k]) for k in crm_keys]}
        if score is not None:
            row["score"] = score
        add(name, row)

    # A card that already carries a 1C key (a load linked or created it) is that counterparty's card: no guessing.
    by_origin = {p.origin_id: p for p in crm if p.origin_id}
    linked = [p for p in live if p.key in by_origin]
    for party in linked:
        pair("by_origin", party.key, [by_origin[party.key].crm_key])
    taken = {by_origin[p.key].crm_key for p in linked}
    linked_keys = {p.key for p in linked}
    result = match([p.party() for p in live if p.key not in linked_keys],
                   [p.party() for p in crm if p.crm_key not in taken])
    for name in ("by_inn_kpp", "by_inn", "by_contact"):
        for one, other in getattr(result, name):
            pair(name, one.key, [other.key])
    for one, others in result.other_kpp:
        pair("other_kpp", one.key, [o.key for o in others])
    for one, other, score in result.by_name:
        pair("by_name", one.key, [other.key], score)
    for one in result.to_create:
        pair("to_create", one.key, [])
    for group in result.onec_duplicates:
        # The load makes one card for 1C records sharing a valid INN (+ KPP); people sharing a phone stay apart.
        by = "inn" if valid_inn(group[0].inn) else "comm"
        add("onec_duplicates", {"onec": [onec_side(onec_by_key[p.key]) for p in group], "crm": [], "by": by})
    for group, by in crm_duplicate_groups(result.crm_duplicates, comm_groups):
        add("crm_duplicates", {"onec": [], "crm": [crm_side(crm_by_key[k]) for k in group if k in crm_by_key],
                               "by": by})
    for side, party in result.invalid_inn:
        if side == "1c":
            add("invalid_inn", {"onec": [onec_side(onec_by_key[party.key])], "crm": []})
        else:
            add("invalid_inn", {"onec": [], "crm": [crm_side(crm_by_key[party.key])]})
    return {"base_id": base_id, "base_name": base_name, "onec_total": len(onec), "marked": len(onec) - len(live),
            "crm_companies": sum(p.entity == "company" for p in crm),
            "crm_contacts": sum(p.entity == "contact" for p in crm),
            "totals": totals, "lists": lists}


def crm_duplicate_groups(by_inn: list[list[Party]], by_comm: list[list[str]]) -> list[tuple[list[str], str]]:
    """The matcher's INN duplicates and the phone / e-mail ones merged: overlapping groups become one, labelled
    by what joined them ("inn", "comm" or "inn+comm")."""
    groups = [({p.key for p in g}, "inn") for g in by_inn] + [(set(g), "comm") for g in by_comm]
    merged: list[tuple[set[str], set[str]]] = []
    for keys, by in groups:
        joined, labels = set(keys), {by}
        for other in [m for m in merged if m[0] & keys]:
            merged.remove(other)
            joined |= other[0]
            labels |= other[1]
        merged.append((joined, labels))
    out = [(sorted(keys, key=_crm_order), "+".join(sorted(labels))) for keys, labels in merged]
    return sorted(out, key=lambda g: _crm_order(g[0][0]))


def _crm_order(key: str) -> tuple[str, int]:
    entity, _, crm_id = key.partition(":")
    return entity, int(crm_id) if crm_id.isdigit() else 0


def decide(preview: Mapping[str, Any], decisions: Mapping[str, str]) -> dict[str, Any]:
    """The preview with the administrator's decisions applied: each row of an action list gets `decision` (as
    stored, or None) and `outcome` ("link" to `target`, "create", "join": one card with its 1C duplicate `target`,
    "skip", or "decide": still a person's call), and `counts` holds every list's total plus how many
    counterparties the load would link, create, join to a duplicate's card, skip, and how many wait for a
    decision. Rows beyond the listed ones (a very large base) count with their list's own outcome: a decision can
    only be taken on a row the page showed."""
    out = dict(preview)
    lists: dict[str, list[dict]] = {}
    outcome_counts = dict.fromkeys(OUTCOMES, 0)
    rows_by_key: dict[str, dict] = {}
    for name, rows in (preview.get("lists") or {}).items():
        if name not in ACTION_LISTS:
            lists[name] = list(rows)
            continue
        decided_rows = []
        for row in rows:
            key = row["onec"][0]["key"]
            decision = decisions.get(key)
            outcome, target = row_outcome(name, row, decision)
            decided = {**row, "decision": decision, "outcome": outcome, "target": target}
            decided_rows.append(decided)
            rows_by_key[key] = decided
        lists[name] = decided_rows
        unlisted = int((preview.get("totals") or {}).get(name, 0)) - len(rows)
        outcome_counts[ACTION_LISTS[name]] += max(0, unlisted)
    _join_duplicates(lists.get("onec_duplicates") or [], rows_by_key)
    for row in rows_by_key.values():
        outcome_counts[row["outcome"]] += 1
    out["lists"] = lists
    names = {"decide": "to_decide"}
    out["counts"] = {**(preview.get("totals") or {}),
                     **{names.get(k, f"will_{k}"): v for k, v in outcome_counts.items()}}
    return out


def _join_duplicates(groups: list[dict], rows_by_key: dict[str, dict]) -> None:
    """1C records sharing a valid INN (+ KPP) that would each be created become one card (the load's rule): the
    first keeps "create", the others "join" it."""
    for group in groups:
        if group.get("by") != "inn":
            continue
        created = [rows_by_key[m["key"]] for m in group["onec"]
                   if m["key"] in rows_by_key and rows_by_key[m["key"]]["outcome"] == "create"]
        for row in created[1:]:
            first = created[0]["onec"][0]
            row.update(outcome="join", target=first["key"], target_name=first["full_name"] or first["name"])


def row_outcome(name: str, row: Mapping[str, Any], decision: str | None) -> tuple[str, str | None]:
    """(outcome, the crm key linked to) of one row of action list `name` under `decision`."""
    if decision == CREATE:
        return "create", None
    if decision == SKIP:
        return "skip", None
    card = linked_card(decision or "")
    if card is not None:
        return "link", f"{card[0]}:{card[1]}"
    automatic = ACTION_LISTS[name]
    if automatic == "link":
        return "link", row["crm"][0]["key"]
    return automatic, None


def undecided_keys(preview: Mapping[str, Any]) -> list[str]:
    """1C keys of the listed rows still waiting for a person (of a `decide`d preview)."""
    return [row["onec"][0]["key"] for name in ACTION_LISTS for row in (preview.get("lists") or {}).get(name, ())
            if row.get("outcome") == "decide"]
