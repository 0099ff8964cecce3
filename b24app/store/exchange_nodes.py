"""CommerceML exchange nodes (issue 16): a 1C base on the CommerceML route, its endpoint token and credentials, and
the record of each exchange 1C runs against it.

A node is an `onec_bases` row with the profile "commerceml", no URL, the generated exchange login and the generated
password encrypted like every 1C password (`store/crypto.py`), plus a `commerceml_nodes` row holding the random
token of its URL. The password is handed out once, when it is made; afterwards only `check_credentials` sees it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from b24app.store.bases import COMMERCEML_PROFILE, BaseNotFound
from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.models import ExchangeNodeRow, ExchangeRunRow, OneCBaseRow, Portal, PortalStatus, utcnow
from b24app.store.tenancy import portal_id

TOKEN_BYTES = 24  # 192 random bits in the URL: the token is the first secret, the credentials the second
PASSWORD_BYTES = 18  # 24 URL-safe characters: typed (pasted) into 1C once, never remembered by a person


@dataclass(frozen=True)
class NodeCredentials:
    """What the administrator pastes into 1C's exchange node settings, shown once."""

    base_id: int
    token: str
    login: str
    password: str


@dataclass(frozen=True)
class Node:
    """A node as the endpoint sees it: who it belongs to and whether it may exchange now."""

    id: int
    base_id: int
    member_id: str
    token: str
    generation: int
    enabled: bool  # the base's "exchange on" switch
    portal_active: bool
    lang: str  # the portal's interface language: the answers 1C logs are in it


@dataclass
class ExchangeRun:
    id: str
    node_id: int
    base_id: int
    type: str
    version: str | None
    status: str
    files: dict = field(default_factory=dict)
    bytes: int = 0
    jobs: list = field(default_factory=list)
    error: str | None = None
    started_at: datetime | None = None


def generate_login() -> str:
    # ASCII only: 1C sends Basic credentials in its own encoding, and a Latin login survives every one of them.
    return "cml-" + secrets.token_hex(4)


def generate_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


class ExchangeNodes:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    # -- nodes ------------------------------------------------------------------------------------------------

    def create(self, member_id: str, *, name: str, legal_entity: str | None = None,
               legal_entity_inn: str | None = None) -> NodeCredentials:
        """A new base on the CommerceML route with fresh credentials and token."""
        login, password, token = generate_login(), generate_password(), secrets.token_urlsafe(TOKEN_BYTES)
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            base = OneCBaseRow(portal_id=pid, name=name, url="", login=login, password_enc=self._box.encrypt(password),
                               profile=COMMERCEML_PROFILE, legal_entity=legal_entity,
                               legal_entity_inn=legal_entity_inn, enabled=True)
            s.add(base)
            s.flush()
            s.add(ExchangeNodeRow(portal_id=pid, base_id=base.id, token=token, generation=1))
            return NodeCredentials(base.id, token, login, password)

    def regenerate(self, member_id: str, base_id: int) -> NodeCredentials:
        """A new login and password for the node (its URL stays); the sessions of the old pair end."""
        login, password = generate_login(), generate_password()
        with self._db.transaction() as s:
            base, node = self._pair(s, member_id, base_id)
            base.login, base.password_enc = login, self._box.encrypt(password)
            node.generation += 1
            node.credentials_at = utcnow()
            return NodeCredentials(base.id, node.token, login, password)

    def tokens(self, member_id: str) -> dict[int, str]:
        """The token of each node of the portal, by base id (the settings page shows each node's URL)."""
        with self._db.transaction() as s:
            rows = s.execute(select(ExchangeNodeRow.base_id, ExchangeNodeRow.token)
                             .where(ExchangeNodeRow.portal_id == portal_id(s, member_id))).all()
            return {base_id: token for base_id, token in rows}

    def by_token(self, token: str) -> Node | None:
        """The node a URL names, or None. The lookup is by the token's exact value (a unique index)."""
        if not token or len(token) > 64:
            return None
        with self._db.transaction() as s:
            found = s.execute(select(ExchangeNodeRow, OneCBaseRow.enabled, Portal.member_id, Portal.status,
                                     Portal.lang)
                              .join(OneCBaseRow, OneCBaseRow.id == ExchangeNodeRow.base_id)
                              .join(Portal, Portal.id == ExchangeNodeRow.portal_id)
                              .where(ExchangeNodeRow.token == token)).first()
            if found is None:
                return None
            node, enabled, member_id, status, lang = found
            # The index matched; the constant-time compare keeps the answer's timing from telling more than that.
            if not hmac.compare_digest(node.token.encode(), token.encode()):
                return None
            return Node(node.id, node.base_id, member_id, node.token, node.generation, bool(enabled),
                        status == PortalStatus.ACTIVE, lang or "ru")

    def check_credentials(self, node: Node, login: str, password: str) -> bool:
        """True when `login` and `password` are the node's, compared in constant time (both always compared)."""
        with self._db.transaction() as s:
            row = s.get(OneCBaseRow, node.base_id)
            if row is None:
                return False
            stored_login, stored_password = row.login, self._box.decrypt(row.password_enc) or ""
        login_ok = hmac.compare_digest(stored_login.encode("utf-8"), (login or "").encode("utf-8"))
        password_ok = hmac.compare_digest(stored_password.encode("utf-8"), (password or "").encode("utf-8"))
        return bool(stored_password) and login_ok and password_ok

    @staticmethod
    def _pair(s, member_id: str, base_id: int) -> tuple[OneCBaseRow, ExchangeNodeRow]:  # noqa: ANN001 - Session
        base = s.get(OneCBaseRow, base_id)
        pid = portal_id(s, member_id)
        node = s.scalars(select(ExchangeNodeRow).where(ExchangeNodeRow.base_id == base_id)).first()
        if base is None or base.portal_id != pid or node is None:
            raise BaseNotFound(f"no CommerceML node for base {base_id} of portal {member_id}")
        return base, node

    # -- exchanges --------------------------------------------------------------------------------------------

    def start_run(self, node: Node, run_id: str, kind: str, version: str | None) -> ExchangeRun:
        with self._db.transaction() as s:
            row = ExchangeRunRow(id=run_id, portal_id=portal_id(s, node.member_id), base_id=node.base_id,
                                 node_id=node.id, type=kind, version=version, status="uploading", files={},
                                 bytes=0, jobs=[])
            s.add(row)
            s.flush()
            return _run(row)

    def run(self, run_id: str) -> ExchangeRun | None:
        with self._db.transaction() as s:
            row = s.get(ExchangeRunRow, run_id)
            return _run(row) if row is not None else None

    def save_run(self, run: ExchangeRun) -> None:
        """Write back what the endpoint changed: files, bytes, jobs, status, error."""
        with self._db.transaction() as s:
            row = s.get(ExchangeRunRow, run.id)
            if row is None:
                return
            # New containers: the JSON columns are compared by identity when the session decides what changed.
            row.files, row.jobs = dict(run.files), list(run.jobs)
            row.bytes, row.status, row.error = run.bytes, run.status, run.error

    def recent_runs(self, node_id: int, limit: int = 20) -> list[ExchangeRun]:
        """The node's latest exchanges, newest first."""
        with self._db.transaction() as s:
            rows = s.scalars(select(ExchangeRunRow).where(ExchangeRunRow.node_id == node_id)
                             .order_by(ExchangeRunRow.started_at.desc()).limit(limit)).all()
            return [_run(r) for r in rows]

    def forget_runs_before(self, node_id: int, before: datetime) -> int:
        """Drop the records of the node's exchanges started before `before` (their files are long gone)."""
        with self._db.transaction() as s:
            result = s.execute(delete(ExchangeRunRow).where(ExchangeRunRow.node_id == node_id,
                                                            ExchangeRunRow.started_at < before))
            return int(result.rowcount or 0)


def _run(row: ExchangeRunRow) -> ExchangeRun:
    return ExchangeRun(row.id, row.node_id, row.base_id, row.type, row.version, row.status, dict(row.files or {}),
                       int(row.bytes or 0), list(row.jobs or []), row.error, row.started_at)
