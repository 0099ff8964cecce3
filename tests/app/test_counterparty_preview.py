"""The counterparty preview against the sandbox portal and the sandbox 1C: a CRM seeded through REST to meet the 1C
base in every way the preview tells apart (already linked by ORIGIN_ID, INN + KPP — one INN pasted with a space —,
the same INN with another KPP, a sole proprietor's INN, an individual's phone typed otherwise, a name only), with
its own duplicates by INN and by phone, and a card carrying the same invalid INN as a 1C counterparty. The counts
are checked against the seeded data and the 1C rows as python-stdnum reads them; the invalid INN is reported on
both sides and links nothing; the CRM reader gives every card its first requisite and its phones; decisions taken
move rows from "to decide" to what they decided."""

from __future__ import annotations

import pytest

from b24app.jobs.counterparty_preview import preview_base
from b24app.store.party_decisions import PartyDecisions
from b24app.sync.counterparty_preview import decide
from b24app.sync.to_bitrix.crm_parties import comm_duplicates, read_crm_parties, read_crm_party
from tests.support.party_data import (
    CRM_ONLY_INN,
    onec_duplicate_groups,
    onec_inn_duplicates_joined,
    onec_invalid_inns,
    party_sandbox_fixtures,
    seed_party_stand,
)

pytestmark = pytest.mark.db


portal_sandbox, party_onec, onec = party_sandbox_fixtures()


@pytest.fixture
def seeded(ctx, installed, sandbox_url, onec, settings_env):
    return seed_party_stand(ctx, sandbox_url, onec)


def _keys(preview: dict, name: str) -> set[str]:
    return {row["onec"][0]["key"] for row in preview["lists"][name]}


def test_counts_match_the_seeded_data(ctx, seeded):
    member_id, base_id, rows, crm = seeded
    seen: list[tuple[int, int]] = []
    preview = preview_base(ctx, member_id, base_id, lambda done, total: seen.append((done, total)))
    live = [r for r in rows if not r["DeletionMark"]]
    counts = preview["counts"]
    assert (preview["onec_total"], preview["marked"]) == (len(rows), len(rows) - len(live))
    assert (preview["crm_companies"], preview["crm_contacts"]) == (len(crm.crm_ids) - 1, 1)
    assert {name: counts[name] for name in ("by_origin", "by_inn_kpp", "other_kpp", "by_inn", "by_contact",
                                            "by_name")} == \
        {"by_origin": 1, "by_inn_kpp": 2, "other_kpp": 1, "by_inn": 1, "by_contact": 1, "by_name": 1}
    for key, name in crm.expected_list.items():
        assert key in _keys(preview, name), (key, name)
    # Every live 1C counterparty is in exactly one list; what no card meets is created.
    assert counts["to_create"] == len(live) - len(crm.expected_list)
    assert counts["onec_duplicates"] == onec_duplicate_groups(rows) > 0
    # The CRM's own duplicates: the pair sharing an INN + KPP and the pair sharing a phone typed two ways.
    groups = sorted(sorted(m["key"] for m in row["crm"]) for row in preview["lists"]["crm_duplicates"])
    ids = crm.crm_ids
    assert groups == sorted([sorted([f"company:{ids['dup_inn_a']}", f"company:{ids['dup_inn_b']}"]),
                             sorted([f"company:{ids['dup_phone_a']}", f"company:{ids['dup_phone_b']}"])])
    # The outcome before any decision: the two pairs that need a person wait for one; a 1C duplicate by INN
    # joins the card made for its twin instead of making another.
    joined = onec_inn_duplicates_joined(rows)
    assert (counts["will_link"], counts["to_decide"], counts["will_join"], counts["will_skip"]) == (5, 2, joined, 0)
    assert counts["will_create"] == counts["to_create"] - joined and joined > 0
    assert seen[0] == (0, len(rows)) and seen[-1] == (len(rows), len(rows))


def test_an_invalid_inn_is_reported_and_links_nothing(ctx, seeded):
    member_id, base_id, rows, crm = seeded
    preview = preview_base(ctx, member_id, base_id)
    invalid = preview["lists"]["invalid_inn"]
    assert preview["counts"]["invalid_inn"] == onec_invalid_inns(rows) + 1
    assert crm.invalid_key in {row["onec"][0]["key"] for row in invalid if row["onec"]}
    assert [row["crm"][0]["key"] for row in invalid if row["crm"]] == [f"company:{crm.crm_ids['broken']}"]
    # The 1C counterparty and the CRM card share that INN, yet the 1C one is created, never linked to it.
    assert crm.invalid_key in _keys(preview, "to_create")
    linked = {m["key"] for name in ("by_origin", "by_inn_kpp", "other_kpp", "by_inn", "by_contact", "by_name")
              for row in preview["lists"][name] for m in row["crm"]}
    assert f"company:{crm.crm_ids['broken']}" not in linked


def test_decisions_move_rows_out_of_to_decide(ctx, seeded):
    member_id, base_id, _, crm = seeded
    decisions = PartyDecisions(ctx.db)
    decisions.set(member_id, base_id, crm.name_candidate, f"link:company:{crm.crm_ids['by_name']}")
    decisions.set(member_id, base_id, crm.other_kpp, "create")
    preview = preview_base(ctx, member_id, base_id)
    counts = preview["counts"]
    assert counts["to_decide"] == 0 and counts["will_link"] == 6
    assert counts["will_create"] == counts["to_create"] - counts["will_join"] + 1
    decisions.set(member_id, base_id, crm.other_kpp, None)  # withdrawn: back to a person's call
    assert decide(preview, decisions.get_all(member_id, base_id))["counts"]["to_decide"] == 1


def test_the_crm_reader_gives_requisites_phones_and_origin(ctx, seeded):
    member_id, _, rows, crm = seeded
    bitrix = ctx.bitrix(member_id)
    parties = {p.crm_key: p for p in read_crm_parties(bitrix)}
    assert len(parties) == len(crm.crm_ids)
    sole = parties[f"company:{crm.crm_ids['sole']}"]
    assert sole.requisite is not None and len(sole.requisite.inn) == 12 and sole.requisite.preset_id == 2
    origin = parties[f"company:{crm.crm_ids['origin']}"]
    assert origin.origin_id in {r["Ref_Key"] for r in rows} and origin.requisite is None
    person = parties[f"contact:{crm.crm_ids['person']}"]
    assert person.title == "Частный Клиент" and person.phones[0].startswith("8 (")
    dup = parties[f"company:{crm.crm_ids['dup_inn_a']}"]
    assert (dup.requisite.inn, dup.entity) == (CRM_ONLY_INN, "company")
    one = read_crm_party(bitrix, "company", crm.crm_ids["sole"])
    assert one == sole
    assert read_crm_party(bitrix, "contact", crm.crm_ids["person"]) == person
    assert read_crm_party(bitrix, "company", 999_999) is None


def test_the_portals_duplicate_index_is_asked_twenty_values_a_call(ctx, seeded):
    """crm.duplicate.findbycomm takes at most 20 values a call; a phone our reading cannot parse (a note around it)
    but the portal's index compares by its digits still joins its twin, through the value-by-value question the
    reader asks only for such a call."""
    member_id, _, _, _ = seeded
    bitrix = ctx.bitrix(member_id)
    added = bitrix.batch([("crm.company.add", {"fields": {
        "TITLE": f"Телефон {n}", "PHONE": [{"VALUE": f"+7 495 777{n:04d}", "VALUE_TYPE": "WORK"}]}})
        for n in range(44)] + [("crm.company.add", {"fields": {
            "TITLE": "Тот же телефон с припиской",
            "PHONE": [{"VALUE": "тел 7 495 777 00 07 звонить утром", "VALUE_TYPE": "WORK"}]}})])
    added.raise_first_error()
    calls: list[tuple[str, int]] = []
    real_batch = bitrix.batch

    def counting(commands, **kw):  # noqa: ANN001, ANN202 - BitrixClient.batch's own shapes
        calls.extend((method, len(params.get("values", ()))) for method, params in dict(commands).values()
                     if method == "crm.duplicate.findbycomm")
        return real_batch(commands, **kw)

    bitrix.batch = counting
    groups = comm_duplicates(bitrix, read_crm_parties(bitrix))
    assert max(n for _, n in calls) == 20 and any(n == 1 for _, n in calls)  # chunks, then value by value
    ids = {added.results[7], added.results[44]}
    assert sorted(f"company:{i}" for i in ids) in groups
