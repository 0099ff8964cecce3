"""The 1C bases of each portal (one per legal entity). Passwords are encrypted and never handed out except as
a ready connection description for the 1C client."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from b24app.onec.base import OneCBase
from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.models import OneCBaseRow
from b24app.store.tenancy import portal_id

# The profile of a base that 1C reaches through its built-in "exchange with a website" (CommerceML, issue 16):
# 1C calls us, so such a base has no URL and is never asked over OData.
COMMERCEML_PROFILE = "commerceml"


class BaseNotFound(LookupError):
    """No such 1C base for this portal."""


@dataclass(frozen=True)
class BaseRecord:
    """A configured 1C base as the settings page shows it: everything but the password."""

    id: int
    name: str
    url: str
    login: str
    profile: str
    legal_entity: str | None
    legal_entity_inn: str | None
    enabled: bool
    has_password: bool

    @property
    def route(self) -> str:
        """How the app and the base talk: "odata" (we call its standard interface) or "commerceml" (1C calls our
        exchange endpoint)."""
        return "commerceml" if self.profile == COMMERCEML_PROFILE else "odata"

    @property
    def is_odata(self) -> bool:
        """True for a base the app may ask over OData: every sync, probe, check and card read uses this."""
        return self.route == "odata"


class OneCBaseStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    def list(self, member_id: str) -> list[BaseRecord]:
        with self._db.transaction() as s:
            rows = s.scalars(select(OneCBaseRow).where(OneCBaseRow.portal_id == portal_id(s, member_id))
                             .order_by(OneCBaseRow.name)).all()
            return [self._record(r) for r in rows]

    def get(self, member_id: str, base_id: int) -> BaseRecord:
        with self._db.transaction() as s:
            return self._record(self._row(s, member_id, base_id))

    def save(
        self,
        member_id: str,
        *,
        name: str,
        url: str,
        login: str,
        password: str | None,
        profile: str,
        legal_entity: str | None = None,
        legal_entity_inn: str | None = None,
        enabled: bool = True,
        base_id: int | None = None,
    ) -> BaseRecord:
        """Create (base_id None) or update a base. A None password keeps the stored one."""
        with self._db.transaction() as s:
            if base_id is None:
                row = OneCBaseRow(portal_id=portal_id(s, member_id))
                s.add(row)
            else:
                row = self._row(s, member_id, base_id)
            row.name, row.url, row.login, row.profile = name, url, login, profile
            row.legal_entity, row.legal_entity_inn, row.enabled = legal_entity, legal_entity_inn, enabled
            if password is not None:
                row.password_enc = self._box.encrypt(password)
            s.flush()
            return self._record(row)

    def delete(self, member_id: str, base_id: int) -> None:
        with self._db.transaction() as s:
            s.delete(self._row(s, member_id, base_id))

    def connection(self, member_id: str, base_id: int) -> OneCBase:
        """What the 1C client needs to talk to the base, password decrypted."""
        with self._db.transaction() as s:
            row = self._row(s, member_id, base_id)
            return OneCBase(url=row.url, login=row.login, password=self._box.decrypt(row.password_enc) or "",
                            profile=row.profile, name=row.name)

    @staticmethod
    def _row(s, member_id: str, base_id: int) -> OneCBaseRow:  # noqa: ANN001 - Session
        row = s.get(OneCBaseRow, base_id)
        if row is None or row.portal_id != portal_id(s, member_id):
            raise BaseNotFound(f"no 1C base {base_id} for portal {member_id}")
        return row

    @staticmethod
    def _record(row: OneCBaseRow) -> BaseRecord:
        return BaseRecord(id=row.id, name=row.name, url=row.url, login=row.login, profile=row.profile,
                          legal_entity=row.legal_entity, legal_entity_inn=row.legal_entity_inn,
                          enabled=row.enabled, has_password=bool(row.password_enc))
