"""A company's debt per 1C base and organization (table `debt_parts`), the durable half of "debt across bases".

Each 1C base reports only its own settlements, and one base may keep the books of several organizations (legal
entities). The company's debt fields in Bitrix24 are the sum of every part, so each base's pull replaces only that
base's parts and the total does not depend on which base ran last. Parts of a disabled base stay stored (its next
pull after it is enabled again replaces them) but are left out of `of_companies`, so they count for nothing while
the base is off; a deleted base takes its parts with it (foreign key, ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from b24app.core.model import ZERO, DebtBalance
from b24app.store.db import Database
from b24app.store.models import DebtPartRow, OneCBaseRow
from b24app.store.tenancy import portal_id

# Companies per IN (...) of one query: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DebtPart:
    """What one base reported for a company under one organization."""

    base_id: int
    base_name: str
    company_id: str
    organization_key: str
    organization: str
    receivable: Decimal
    overdue: Decimal | None
    payable: Decimal


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def _figures(receivable: Decimal, overdue: Decimal | None, payable: Decimal, organization: str) -> tuple:
    return (_cents(receivable), _cents(overdue), _cents(payable), organization)


def worth_keeping(balance: DebtBalance) -> bool:
    """A part with nothing owed either way is no part: the base has no settlements with the company there."""
    return _cents(balance.receivable) != ZERO or _cents(balance.payable) != ZERO


class DebtParts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def replace_base(self, member_id: str, base_id: int, reported: Mapping[str, Sequence[DebtBalance]]) -> set[str]:
        """Make `reported` (company id -> its balances, one per organization) the whole of this base's parts: a
        company or organization the base no longer reports loses its part. Returns the companies whose parts in
        this base changed, appeared or went away."""
        wanted = {(str(company), b.organization_key or ""): b for company, balances in reported.items()
                  for b in balances if worth_keeping(b)}
        changed: set[str] = set()
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            query = select(DebtPartRow).where(DebtPartRow.portal_id == pid, DebtPartRow.base_id == base_id)
            rows = {(r.company_id, r.organization_key): r for r in s.scalars(query).all()}
            for key, row in rows.items():
                if key not in wanted:
                    s.delete(row)
                    changed.add(key[0])
            for (company, org_key), balance in wanted.items():
                row = rows.get((company, org_key))
                new = _figures(balance.receivable, balance.overdue, balance.payable, balance.organization)
                if row is None:
                    row = DebtPartRow(portal_id=pid, base_id=base_id, company_id=company, organization_key=org_key)
                    s.add(row)
                elif _figures(row.receivable, row.overdue, row.payable, row.organization) == new:
                    row.as_of = balance.as_of
                    continue
                row.receivable, row.overdue, row.payable, row.organization = new
                row.as_of = balance.as_of
                changed.add(company)
        return changed

    def companies(self, member_id: str) -> set[str]:
        """Every company with a part in any base of the portal (enabled or not)."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            return set(s.scalars(select(DebtPartRow.company_id).where(DebtPartRow.portal_id == pid).distinct()))

    def of_companies(self, member_id: str, companies: Iterable[str]) -> dict[str, list[DebtPart]]:
        """The parts of these companies in the portal's enabled bases, by base name and organization."""
        wanted = sorted({str(c) for c in companies})
        out: dict[str, list[DebtPart]] = {c: [] for c in wanted}
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            for i in range(0, len(wanted), CHUNK):
                rows = s.execute(
                    select(DebtPartRow, OneCBaseRow.name)
                    .join(OneCBaseRow, OneCBaseRow.id == DebtPartRow.base_id)
                    .where(DebtPartRow.portal_id == pid, OneCBaseRow.enabled.is_(True),
                           DebtPartRow.company_id.in_(wanted[i:i + CHUNK]))).all()
                for row, base_name in rows:
                    out[row.company_id].append(DebtPart(
                        row.base_id, base_name, row.company_id, row.organization_key, row.organization,
                        Decimal(row.receivable), None if row.overdue is None else Decimal(row.overdue),
                        Decimal(row.payable)))
        for parts in out.values():
            parts.sort(key=lambda p: (p.base_name, p.base_id, p.organization, p.organization_key))
        return out
