"""Everything the sandbox portal remembers, in process memory, behind one lock."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from b24sandbox.portal import seed
from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.entities import EntityTable, FieldSpec
from b24sandbox.portal.permissions import CrmRoles
from b24sandbox.portal.ratelimit import LeakyBucket, OperatingClock
from b24sandbox.portal.schemas import company_fields, contact_fields, deal_fields, requisite_fields

REFRESH_TTL = 180 * 24 * 3600  # settings/oauth/auto-renewal.md: "The lifespan of the refresh_token is 180 days"


@dataclass
class Options:
    """Start-up options of one sandbox portal (the CLI flags)."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    deals: int = 200
    companies: int = 50
    rate: float = 2.0
    burst: float = 50.0
    access_ttl: int = 3600
    operating_limit: float = 480.0  # limits.md: 480 s of a method's execution time per 10 minutes
    demo: bool = False  # seed the demo's story (b24sandbox/demo_scenario.py) into company 1 and the first deals


@dataclass
class App:
    """A registered application (a local app in the sandbox portal)."""

    app_id: int
    client_id: str
    client_secret: str
    install_url: str
    handler_url: str
    scopes: list[str]
    title: str
    application_token: str = ""
    installed: bool = False  # BX24.installFinish was called (installation-finish.md)
    install_started: bool = False
    lang: str = "ru"
    # Marketplace apps name an "installation event handler URL" in their version card; local apps get
    # ONAPPINSTALL only where their installer bound it (api-reference/common/events/on-app-install.md).
    install_event_url: str = ""
    # The pair issued when the installation started; ONAPPINSTALL carries it once the install is finished.
    install_tokens: tuple[str, str, float] | None = None


@dataclass
class AccessToken:
    value: str
    client_id: str
    user_id: int
    expires_at: float
    scope: str


@dataclass
class RefreshGrant:
    value: str
    client_id: str
    user_id: int
    expires_at: float


@dataclass
class EventBinding:
    binding_id: int
    client_id: str
    event: str
    handler: str
    auth_type: int
    offline: bool
    auth_connector: str
    options: Any = None


@dataclass
class PlacementBinding:
    binding_id: int
    client_id: str
    placement: str
    handler: str
    title: str
    description: str
    group_name: str
    lang_all: dict[str, dict[str, str]]
    options: Any


@dataclass
class OfflineEvent:
    event_id: int
    client_id: str
    auth_connector: str
    event_name: str
    entity_id: str
    message_id: str
    timestamp: float
    user_id: int | None
    process_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more data[FIELDS] keys, e.g. ENTITY_TYPE_ID


@dataclass
class Delivery:
    url: str
    event: str
    status: int | None
    error: str | None
    at: float
    handler_id: int | None
    payload: dict[str, str]


@dataclass
class UserField:
    field_id: int
    entity: str
    field_name: str
    user_type_id: str
    xml_id: str
    sort: int
    multiple: str
    mandatory: str
    label: str
    settings: Any
    # Values of a list field (USER_TYPE_ID enumeration), each {"ID", "SORT", "VALUE", "DEF", "XML_ID"} as
    # crm.deal.userfield.list shows them (api-reference/crm/deals/user-defined-fields/crm-deal-userfield-list.md).
    items: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Counters:
    refresh_ok: int = 0
    refresh_invalid_grant: int = 0
    refresh_invalid_client: int = 0
    requests: int = 0
    query_limit_exceeded: int = 0
    operation_time_limit: int = 0
    # A fault switch (/_sandbox/config): after `batches_before_503` more batch calls go through, the next
    # `batches_503` batch calls are refused with 503 QUERY_LIMIT_EXCEEDED — the portal overloaded mid-way
    # through a client's series of batches (limits.md: the answer a client then gets).
    batches_before_503: int | None = None
    batches_503: int = 0


# The portal's users. ADMIN: a portal administrator (CRM roles do not limit them: permissions.py). DEPARTMENT: the
# one department each belongs to (user.get's UF_DEPARTMENT); the two managers share the sales department, so the
# "own + department" level shows what it adds. Seeded records are assigned to all three in turn (seed.OWNERS).
USERS: dict[int, dict[str, Any]] = {
    1: {"NAME": "Анна", "LAST_NAME": "Администраторова", "EMAIL": "admin@example.ru", "ADMIN": True,
        "DEPARTMENT": 1},
    2: {"NAME": "Пётр", "LAST_NAME": "Менеджеров", "EMAIL": "manager@example.ru", "ADMIN": False,
        "DEPARTMENT": 2},
    3: {"NAME": "Ольга", "LAST_NAME": "Продажина", "EMAIL": "sales@example.ru", "ADMIN": False,
        "DEPARTMENT": 2},
}


def batch_refused(counters: Counters) -> bool:
    """Whether the fault switch refuses this batch call (call with the state's lock held)."""
    if counters.batches_before_503 is None:
        return False
    if counters.batches_before_503 > 0:
        counters.batches_before_503 -= 1
        return False
    if counters.batches_503 > 0:
        counters.batches_503 -= 1
        return True
    counters.batches_before_503 = None
    return False


class PortalState:
    """The portal's data: CRM tables, apps, tokens, bindings, queues and counters.

    Callers hold ``lock`` while they read or change anything here; delivery of events happens outside it.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.lock = threading.RLock()
        self.member_id = seed.member_id_for(options.seed)
        self.host = options.host
        self.port = options.port
        self.limiter = LeakyBucket(options.rate, options.burst)
        self.operating = OperatingClock(options.operating_limit)
        self.apps: dict[str, App] = {}
        self.reset()

    # -- identity ------------------------------------------------------------------------------------------
    def bind_address(self, host: str, port: int) -> None:
        """Record the address the server really listens on (known only after binding port 0)."""
        self.host, self.port = host, port

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def client_endpoint(self) -> str:
        return f"{self.base_url}/rest/"

    @property
    def server_endpoint(self) -> str:
        # The real server_endpoint is the OAuth server's https://oauth.bitrix.info/rest/
        # (settings/oauth/index.md); the sandbox plays that server on its own port under /oauth/.
        return f"{self.base_url}/oauth/rest/"

    # -- lifecycle -----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seeded state: data, tokens, bindings, queues and counters (registered apps stay)."""
        with self.lock:
            records = seed.build(self.options.seed, self.options.companies, self.options.deals, self.options.demo)
            self.tables: dict[str, EntityTable] = {
                "deal": EntityTable("deal", deal_fields()),
                "company": EntityTable("company", company_fields()),
                "contact": EntityTable("contact", contact_fields()),
                "requisite": EntityTable("requisite", requisite_fields()),
            }
            for name, rows in (
                ("company", records.companies),
                ("contact", records.contacts),
                ("deal", records.deals),
                ("requisite", records.requisites),
            ):
                for row in rows:
                    self.tables[name].insert(dict(row))
            # PHONE / EMAIL values carry portal-wide IDs (crm/data-types.md, crm_multifield): new ones follow the seed.
            self.next_multifield_id = 1 + max(
                (int(item["ID"]) for name in ("company", "contact") for record in self.tables[name].records.values()
                 for field_name in ("PHONE", "EMAIL") for item in record.get(field_name) or []), default=0)
            self.roles = CrmRoles(USERS)  # every user back to the default role (permissions.MANAGER_DEFAULTS)
            self.userfields: dict[int, UserField] = {}
            self.next_userfield_id = 100
            self.next_enum_id = 40
            self.timeline: list[dict[str, Any]] = []
            self.notifications: list[dict[str, Any]] = []  # im.notify.system.add (methods_im.py)
            self.product_rows: dict[int, list[dict[str, Any]]] = {k: list(v) for k, v in records.product_rows.items()}
            self.next_product_row_id = 1 + sum(len(rows) for rows in records.product_rows.values())
            # The seeded CRM products go into the one product catalog that crm.product.* and catalog.* share;
            # it is built on first use (methods_catalog_common.catalog_of).
            self.seed_products: list[dict[str, Any]] = [dict(row) for row in records.products]
            self.catalog: Any = None
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_grants: dict[str, RefreshGrant] = {}
            self.spent_refresh: set[str] = set()
            self.webhooks: dict[str, int] = {}
            self.event_bindings: list[EventBinding] = []
            self.placements: list[PlacementBinding] = []
            self.next_binding_id = 1
            self.offline_events: list[OfflineEvent] = []
            # Entries not yet handed out, by (client_id, auth_connector, message_id): collapsing a repeated change
            # must stay O(1) while a benchmark updates 10,000 deals.
            self.offline_open: dict[tuple[str, str, str], OfflineEvent] = {}
            self.next_offline_id = 1
            self.offline_signals: dict[int, float] = {}  # ONOFFLINEEVENT binding id -> last sent
            self.deliveries: list[Delivery] = []
            self.counters = Counters()
            self.limiter.reset()
            self.operating.reset()
            for app in self.apps.values():
                app.installed = False
                app.install_started = False
                app.application_token = ""

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply run-time settings (rate, burst, operating_limit, access_ttl); return the current ones."""
        with self.lock:
            if "rate" in changes:
                self.options.rate = float(changes["rate"])
                self.limiter.rate = self.options.rate
            if "burst" in changes:
                self.options.burst = float(changes["burst"])
                self.limiter.burst = self.options.burst
            if "operating_limit" in changes:
                self.options.operating_limit = float(changes["operating_limit"])
                self.operating.limit = self.options.operating_limit
            if "access_ttl" in changes:
                self.options.access_ttl = int(changes["access_ttl"])
            if "fail_batches_after" in changes:
                self.counters.batches_before_503 = int(changes["fail_batches_after"])
                self.counters.batches_503 = int(changes.get("fail_batches", 1))
            if changes.get("reset_limits"):
                self.limiter.reset()
                self.operating.reset()
            return {
                "rate": self.options.rate,
                "burst": self.options.burst,
                "operating_limit": self.options.operating_limit,
                "access_ttl": self.options.access_ttl,
                "fail_batches_after": self.counters.batches_before_503,
                "fail_batches": self.counters.batches_503,
            }

    # -- apps and tokens -----------------------------------------------------------------------------------
    def register_app(self, data: dict[str, Any]) -> App:
        with self.lock:
            client_id = str(data["client_id"])
            app = App(
                app_id=len(self.apps) + 1 if client_id not in self.apps else self.apps[client_id].app_id,
                client_id=client_id,
                client_secret=str(data["client_secret"]),
                install_url=str(data.get("install_url", "")),
                handler_url=str(data.get("handler_url", "")),
                install_event_url=str(data.get("install_event_url", "")),
                scopes=[str(s) for s in data.get("scopes", ["crm", "placement", "user"])],
                title=str(data.get("title", client_id)),
            )
            self.apps[client_id] = app
            return app

    def issue_tokens(self, client_id: str, user_id: int) -> tuple[AccessToken, RefreshGrant]:
        """A fresh access/refresh pair for ``user_id`` in ``client_id``."""
        with self.lock:
            app = self.apps[client_id]
            at = now()
            access = AccessToken(
                secrets.token_hex(35), client_id, user_id, at + self.options.access_ttl, ",".join(app.scopes)
            )
            refresh = RefreshGrant(secrets.token_hex(35), client_id, user_id, at + REFRESH_TTL)
            self.access_tokens[access.value] = access
            self.refresh_grants[refresh.value] = refresh
            return access, refresh

    def expire_access_tokens(self) -> int:
        """Make every current access token expired now; refresh tokens stay valid."""
        with self.lock:
            past = now() - 1
            for token in self.access_tokens.values():
                token.expires_at = min(token.expires_at, past)
            return len(self.access_tokens)

    def drop_app_tokens(self, client_id: str) -> None:
        with self.lock:
            self.access_tokens = {k: v for k, v in self.access_tokens.items() if v.client_id != client_id}
            self.refresh_grants = {k: v for k, v in self.refresh_grants.items() if v.client_id != client_id}

    def take_multifield_id(self) -> int:
        """The ID of a new PHONE / EMAIL value (call with the lock held)."""
        value = self.next_multifield_id
        self.next_multifield_id += 1
        return value

    def create_webhook(self, user_id: int) -> str:
        with self.lock:
            code = secrets.token_hex(8)
            self.webhooks[code] = user_id
            return code

    def next_id(self) -> int:
        with self.lock:
            value = self.next_binding_id
            self.next_binding_id += 1
            return value

    # -- offline queue -------------------------------------------------------------------------------------
    def drop_offline(self, doomed: Callable[[OfflineEvent], bool]) -> None:
        """Remove queued offline entries matching ``doomed``."""
        with self.lock:
            self.offline_events = [e for e in self.offline_events if not doomed(e)]
            self.offline_open = {k: e for k, e in self.offline_open.items() if not doomed(e)}

    def hold_offline(self, entries: list[OfflineEvent], process_id: str) -> None:
        """Hide ``entries`` under ``process_id`` until event.offline.clear (offline-events.md)."""
        with self.lock:
            for entry in entries:
                entry.process_id = process_id
                self.offline_open.pop((entry.client_id, entry.auth_connector, entry.message_id), None)

    # -- user fields ---------------------------------------------------------------------------------------
    def add_userfield(self, entity: str, field_name: str, data: dict[str, Any]) -> UserField:
        with self.lock:
            field_id = self.next_userfield_id
            self.next_userfield_id += 1
            label = data.get("EDIT_FORM_LABEL") or data.get("LIST_COLUMN_LABEL") or data.get("LABEL") or field_name
            if isinstance(label, dict):
                label = label.get("ru") or next(iter(label.values()), field_name)
            uf = UserField(
                field_id=field_id,
                entity=entity,
                field_name=field_name,
                user_type_id=str(data.get("USER_TYPE_ID", "string")),
                xml_id=str(data.get("XML_ID") or ""),
                sort=int(data.get("SORT") or 100),
                multiple=str(data.get("MULTIPLE") or "N"),
                mandatory=str(data.get("MANDATORY") or "N"),
                label=str(label),
                settings=data.get("SETTINGS") or {},
            )
            if uf.user_type_id == "enumeration":
                self.change_enum_items(uf, data.get("LIST"))
            self.userfields[field_id] = uf
            self.tables[entity].fields[field_name] = FieldSpec(
                name=field_name,
                type=uf.user_type_id,
                title=field_name,
                multiple=uf.multiple == "Y",
                dynamic=True,
                in_star=False,
                items=uf.items if uf.user_type_id == "enumeration" else None,
            )
            return uf

    def change_enum_items(self, uf: UserField, raw: Any) -> None:
        """Apply a LIST parameter to a list field's values (crm-deal-userfield-add.md / -update.md, "Parameter
        LIST"): an element without ID is a new value (ignored when its VALUE is empty), one with ID changes that
        value, and with DEL=Y removes it. New values get an ID from the portal-wide counter; an XML_ID not
        given becomes a 32-hex code, as the userfield.list example shows."""
        elements = list(raw.values()) if isinstance(raw, dict) else list(raw or [])
        with self.lock:
            for element in elements:
                if not isinstance(element, dict):
                    continue
                element = {str(k).upper(): v for k, v in element.items()}
                known = next((i for i in uf.items if i["ID"] == str(element.get("ID") or "")), None)
                if known is not None:
                    if str(element.get("DEL") or "N").upper() == "Y":
                        uf.items.remove(known)
                        continue
                    for key in ("VALUE", "SORT", "XML_ID"):
                        if element.get(key) not in (None, ""):
                            known[key] = str(element[key])
                    if element.get("DEF") is not None:
                        known["DEF"] = "Y" if str(element["DEF"]).upper() == "Y" else "N"
                    continue
                value = str(element.get("VALUE") or "").strip()
                if not value:
                    continue
                uf.items.append({
                    "ID": str(self.next_enum_id),
                    "SORT": str(int(element.get("SORT") or 0)),
                    "VALUE": value,
                    "DEF": "Y" if str(element.get("DEF") or "N").upper() == "Y" else "N",
                    "XML_ID": str(element.get("XML_ID") or secrets.token_hex(16)),
                })
                self.next_enum_id += 1
            uf.items.sort(key=lambda i: (int(i["SORT"]), int(i["ID"])))

    def remove_userfield(self, uf: UserField) -> None:
        with self.lock:
            self.userfields.pop(uf.field_id, None)
            table = self.tables[uf.entity]
            table.fields.pop(uf.field_name, None)
            for record in table.records.values():
                record.pop(uf.field_name, None)

    def snapshot(self) -> dict[str, Any]:
        """Counts and lists for the control API's ``GET /_sandbox/state``."""
        with self.lock:
            return {
                "member_id": self.member_id,
                "domain": self.domain,
                "refreshes": {
                    "ok": self.counters.refresh_ok,
                    "invalid_grant": self.counters.refresh_invalid_grant,
                    "invalid_client": self.counters.refresh_invalid_client,
                },
                "requests": self.counters.requests,
                "query_limit_exceeded": self.counters.query_limit_exceeded,
                "operation_time_limit": self.counters.operation_time_limit,
                "apps": {
                    app.client_id: {
                        "installed": app.installed,
                        "install_started": app.install_started,
                        "application_token": app.application_token,
                    }
                    for app in self.apps.values()
                },
                "install_finished": any(app.installed for app in self.apps.values()),
                "placements": [
                    {
                        "client_id": p.client_id,
                        "placement": p.placement,
                        "handler": p.handler,
                        "title": p.title,
                        "lang_all": p.lang_all,
                    }
                    for p in self.placements
                ],
                "events": [
                    {
                        "client_id": b.client_id,
                        "event": b.event,
                        "handler": b.handler,
                        "auth_type": b.auth_type,
                        "offline": b.offline,
                        "auth_connector": b.auth_connector,
                    }
                    for b in self.event_bindings
                ],
                "offline_queue": len(self.offline_events),
                "deliveries": [
                    {
                        "url": d.url,
                        "event": d.event,
                        "status": d.status,
                        "error": d.error,
                        "at": iso(d.at),
                        "payload": d.payload,
                    }
                    for d in self.deliveries
                ],
                "deals": len(self.tables["deal"]),
                "companies": len(self.tables["company"]),
                "contacts": len(self.tables["contact"]),
                "crm_roles": self.roles.snapshot(),
                "config": {
                    "rate": self.options.rate,
                    "burst": self.options.burst,
                    "operating_limit": self.options.operating_limit,
                    "access_ttl": self.options.access_ttl,
                },
            }
