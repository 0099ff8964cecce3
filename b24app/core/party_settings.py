"""A portal's counterparty settings: whether 1C's counterparties are loaded into the CRM (after the administrator
confirmed the preview), how individuals appear, whether CRM changes go back to 1C, and which side wins each field.
One section (`counterparties`) of the portal settings document (`core/portal_settings.py`); the counterparties page
edits it, the load and the two sync directions read it. Bases are keyed by their id as a string, as elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ONEC, CRM = "1c", "crm"
AS_CONTACT, AS_COMPANY = "contact", "company"
# The fields whose winner is a setting, and the default winner of each (issue 14: 1C for the legal details, the CRM
# for the ways to reach the client).
FIELD_WINNERS: dict[str, str] = {
    "name": ONEC, "full_name": ONEC, "inn": ONEC, "kpp": ONEC, "ogrn": ONEC,
    "addresses": ONEC, "bank_accounts": ONEC, "phones": CRM, "emails": CRM,
}


@dataclass(frozen=True)
class PartySettings:
    # Base ids whose counterparties are kept in step (set when the administrator confirms the first load).
    enabled_bases: tuple[str, ...] = ()
    individuals_as: str = AS_CONTACT  # a 1C individual without a company becomes a CRM contact, or a company
    crm_to_onec: bool = False  # CRM company / requisite / contact changes update the 1C counterparty
    winners: dict[str, str] = field(default_factory=dict)  # field -> ONEC | CRM; missing fields take the default

    def enabled_for(self, base_id: int) -> bool:
        return str(base_id) in self.enabled_bases

    def winner(self, name: str) -> str:
        return self.winners.get(name) or FIELD_WINNERS[name]

    def to_json(self) -> dict[str, Any]:
        return {"enabled_bases": list(self.enabled_bases), "individuals_as": self.individuals_as,
                "crm_to_onec": self.crm_to_onec, "winners": dict(self.winners)}

    @classmethod
    def from_json(cls, data: Any) -> PartySettings:
        """Tolerant: unknown keys dropped, bad entries skipped (check_parties refuses them on import)."""
        data = data if isinstance(data, dict) else {}
        bases = data.get("enabled_bases") if isinstance(data.get("enabled_bases"), (list, tuple)) else []
        winners = data.get("winners") if isinstance(data.get("winners"), dict) else {}
        return cls(enabled_bases=tuple(str(b) for b in bases if str(b).isdigit()),
                   individuals_as=AS_COMPANY if data.get("individuals_as") == AS_COMPANY else AS_CONTACT,
                   crm_to_onec=data.get("crm_to_onec") is True,
                   winners={k: v for k, v in winners.items() if k in FIELD_WINNERS and v in (ONEC, CRM)})


def check_parties(data: Any) -> None:
    """ValueError naming the first bad entry of a `counterparties` section (settings import)."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise ValueError("counterparties: not an object")
    bases = data.get("enabled_bases", [])
    if not isinstance(bases, (list, tuple)) or \
            not all(isinstance(b, str) and b.isdigit() and len(b) < 10 for b in bases):
        raise ValueError("counterparties.enabled_bases: a list of base ids")
    if data.get("individuals_as", AS_CONTACT) not in (AS_CONTACT, AS_COMPANY):
        raise ValueError("counterparties.individuals_as: contact or company")
    if not isinstance(data.get("crm_to_onec", False), bool):
        raise ValueError("counterparties.crm_to_onec: true or false")
    winners = data.get("winners", {})
    if not isinstance(winners, dict) or not all(k in FIELD_WINNERS and v in (ONEC, CRM) for k, v in winners.items()):
        raise ValueError("counterparties.winners: field names with 1c or crm")
