"""The administrator's decisions on the counterparty preview (table `counterparty_decisions`): for one 1C
counterparty of a base, link it to a CRM card, create a new card, or leave it out. The preview shows them, the
first load obeys them. A decision is a short string so it travels unchanged through forms, JSON and the load:
"link:company:12", "link:contact:7", "create", "skip".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import delete, select

from b24app.store.db import Database
from b24app.store.models import PartyDecisionRow
from b24app.store.tenancy import portal_id

CREATE, SKIP = "create", "skip"
_DECISION = re.compile(r"link:(company|contact):[1-9]\d{0,17}|create|skip")
CHUNK = 500


def valid_decision(value: str) -> bool:
    return bool(_DECISION.fullmatch(value or ""))


def link_to(entity: str, crm_id: int) -> str:
    """The decision that links a 1C counterparty to CRM card `entity` ("company" | "contact") `crm_id`."""
    decision = f"link:{entity}:{int(crm_id)}"
    if not valid_decision(decision):
        raise ValueError(f"not a CRM card: {entity} {crm_id}")
    return decision


def linked_card(decision: str) -> tuple[str, int] | None:
    """(entity, id) of a link decision; None for create, skip or anything else."""
    if not decision.startswith("link:") or not valid_decision(decision):
        return None
    _, entity, crm_id = decision.split(":")
    return entity, int(crm_id)


class PartyDecisions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get_all(self, member_id: str, base_id: int) -> dict[str, str]:
        """1C key -> decision, for every decided counterparty of the base."""
        with self._db.transaction() as s:
            rows = s.execute(select(PartyDecisionRow.onec_key, PartyDecisionRow.decision).where(
                PartyDecisionRow.portal_id == portal_id(s, member_id), PartyDecisionRow.base_id == base_id)).all()
            return {key: decision for key, decision in rows}

    def set(self, member_id: str, base_id: int, onec_key: str, decision: str | None) -> None:
        """Record (or replace) one decision; None withdraws it (the party is back to undecided)."""
        self.set_many(member_id, base_id, {onec_key: decision})

    def set_many(self, member_id: str, base_id: int, decisions: Mapping[str, str | None]) -> None:
        """Several decisions in one transaction (the load button stores what is still undecided as skipped)."""
        bad = [d for d in decisions.values() if d is not None and not valid_decision(d)]
        if bad:
            raise ValueError(f"not a decision: {bad[0]!r}")
        keys = list(decisions)
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start:start + CHUNK]
                rows = {r.onec_key: r for r in s.scalars(select(PartyDecisionRow).where(
                    PartyDecisionRow.portal_id == pid, PartyDecisionRow.base_id == base_id,
                    PartyDecisionRow.onec_key.in_(chunk))).all()}
                for key in chunk:
                    decision, row = decisions[key], rows.get(key)
                    if decision is None:
                        if row is not None:
                            s.delete(row)
                    elif row is None:
                        s.add(PartyDecisionRow(portal_id=pid, base_id=base_id, onec_key=key, decision=decision))
                    else:
                        row.decision = decision

    def clear(self, member_id: str, base_id: int) -> None:
        with self._db.transaction() as s:
            s.execute(delete(PartyDecisionRow).where(PartyDecisionRow.portal_id == portal_id(s, member_id),
                                                     PartyDecisionRow.base_id == base_id))
