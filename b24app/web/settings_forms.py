"""Reading and validating the settings page's forms. Validation never writes: a form either passes whole (and
the caller saves it in one transaction) or comes back with a message per field and nothing is saved.

Errors are `{field: (text key, params)}`; the template turns them into words next to the field.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import urlsplit

from stdnum.ru import inn as ru_inn

from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS, PortalSettings, StageMap
from b24app.onec.profiles import SHIPPED_DIR, ProfileError, load_profile
from b24app.store.bases import BaseRecord
from b24app.web.limits import ascii_id
from b24app.web.settings_onec import BaseChoices
from b24app.web.settings_portal import PortalSchema

_CATEGORY = re.compile(r"[0-9]{1,10}")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

Message = tuple[str, dict]
Errors = dict[str, Message]

STAGE_ROLES = ("make_order", "partly_paid", "paid", "shipped", "returned", "cancelled_in_1c")
SCHEDULED_STREAMS = ("payments", "debt", "shipments")
MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES = 1, 7 * 24 * 60
REACH_TIMEOUT = 3.0


def msg(key: str, **params) -> Message:
    return (key, params)


@lru_cache(maxsize=1)
def profiles() -> dict[str, str]:
    """Shipped configuration profiles: name -> title (УТ 11, БП 3.0, …)."""
    out = {}
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        try:
            out[path.stem] = load_profile(path.stem).title
        except ProfileError:
            continue
    return out


# -- 1C bases ---------------------------------------------------------------------------------------------------

@dataclass
class BaseInput:
    base_id: int | None = None
    name: str = ""
    url: str = ""
    login: str = ""
    password: str = ""
    profile: str = "ut11"
    legal_entity: str = ""
    legal_entity_inn: str = ""
    enabled: bool = True

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> BaseInput:
        raw_id = (form.get("base_id") or "").strip()
        url = (form.get("url") or "").strip()
        if url and not url.endswith("/"):
            url += "/"
        return cls(base_id=int(raw_id) if ascii_id(raw_id) else None, name=(form.get("name") or "").strip(),
                   url=url, login=(form.get("login") or "").strip(), password=form.get("password") or "",
                   profile=(form.get("profile") or "").strip(), legal_entity=(form.get("legal_entity") or "").strip(),
                   legal_entity_inn=(form.get("legal_entity_inn") or "").strip(),
                   enabled=form.get("enabled") in ("1", "on", "true"))

    @classmethod
    def from_record(cls, record: BaseRecord) -> BaseInput:
        return cls(base_id=record.id, name=record.name, url=record.url, login=record.login, profile=record.profile,
                   legal_entity=record.legal_entity or "", legal_entity_inn=record.legal_entity_inn or "",
                   enabled=record.enabled)


def reach(host: str, port: int, timeout: float = REACH_TIMEOUT) -> Message | None:
    """None when a TCP connection to host:port opens; else why not (unknown host / unreachable)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return msg("err_host_unknown", host=host)
    for family, kind, proto, _, address in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
                return None
        except OSError:
            continue
    return msg("err_host_unreachable", host=host, port=port)


def same_server(a: str, b: str) -> bool:
    """Whether two base URLs name the same server (scheme, host and port): what a stored password is bound to."""
    pa, pb = urlsplit(a), urlsplit(b)
    try:
        return (pa.scheme, (pa.hostname or "").lower(), pa.port) == (pb.scheme, (pb.hostname or "").lower(), pb.port)
    except ValueError:
        return False


def validate_base(inp: BaseInput, *, has_stored_password: bool, address: Callable[[str], Message | None],
                  probe: Callable[[str, int], Message | None] | None = reach, stored_url: str | None = None) -> Errors:
    """Every problem of a base form, by field. `address` checks the URL against the outbound address policy
    before anything connects; `probe` (None: skip) then checks the host answers (a socket connect, no 1C call).
    `stored_url` is the edited base's saved address: a stored password is never reused for another server."""
    errors: Errors = {}
    if not inp.name:
        errors["name"] = msg("err_required")
    elif len(inp.name) > 128:
        errors["name"] = msg("err_too_long", limit=128)
    parts = urlsplit(inp.url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    if not inp.url:
        errors["url"] = msg("err_required")
    elif parts.scheme not in ("http", "https") or not parts.hostname or port is None or parts.query or \
            parts.fragment or len(inp.url) > 512:
        errors["url"] = msg("err_bad_url")
    else:
        problem = address(inp.url)
        if problem is None and probe is not None:
            problem = probe(parts.hostname, port)
        if problem is not None:
            errors["url"] = problem
    if not inp.login:
        errors["login"] = msg("err_required")
    if not inp.password and (inp.base_id is None or not has_stored_password):
        errors["password"] = msg("err_password_new")
    elif not inp.password and stored_url is not None and not same_server(inp.url, stored_url):
        errors["password"] = msg("err_password_host")
    if inp.profile not in profiles():
        errors["profile"] = msg("err_unknown_profile", profile=inp.profile or "—")
    if inp.legal_entity_inn and not ru_inn.is_valid(inp.legal_entity_inn):
        errors["legal_entity_inn"] = msg("err_bad_inn")
    return errors


# -- mapping, stages, legal entities, schedules ------------------------------------------------------------------

@dataclass
class SettingsInput:
    """What the main settings form posted, still as text (so a failed form redisplays what was typed)."""

    version: int = 0
    deal_fields: dict[str, str] = field(default_factory=dict)
    company_fields: dict[str, str] = field(default_factory=dict)
    legal_entity_field: str = ""
    legal_entity_bases: dict[str, str] = field(default_factory=dict)  # enum id -> base id (text)
    legal_entity_orgs: dict[str, str] = field(default_factory=dict)  # enum id -> organization INN, "" = base's own
    warehouses: dict[str, str] = field(default_factory=dict)  # "<base id>[:<category>]" -> Ref_Key, "" = first
    stages: dict[str, dict[str, str]] = field(default_factory=dict)  # category -> role -> status id
    category_bases: dict[str, str] = field(default_factory=dict)  # category -> base id (text), "" = any
    minutes: dict[str, str] = field(default_factory=dict)  # stream -> minutes (text)
    pull_from_1c: bool = True
    push_to_1c: bool = True

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> SettingsInput:
        raw_version = str(form.get("version") or "0")
        inp = cls(version=int(raw_version) if raw_version == "0" or ascii_id(raw_version) else -1)
        for key, value in form.items():
            value = (value or "").strip()
            if key.startswith("deal_field__"):
                inp.deal_fields[key.removeprefix("deal_field__")] = value
            elif key.startswith("company_field__"):
                inp.company_fields[key.removeprefix("company_field__")] = value
            elif key.startswith("legal_value__"):
                inp.legal_entity_bases[key.removeprefix("legal_value__")] = value
            elif key.startswith("legal_org__"):
                inp.legal_entity_orgs[key.removeprefix("legal_org__")] = value
            elif key.startswith("warehouse__"):
                inp.warehouses[key.removeprefix("warehouse__")] = value
            elif key.startswith("category_base__"):
                inp.category_bases[key.removeprefix("category_base__")] = value
            elif key.startswith("stage__"):
                _, category, role = key.split("__", 2)
                inp.stages.setdefault(category, {})[role] = value
            elif key.startswith("minutes__"):
                inp.minutes[key.removeprefix("minutes__")] = value
        inp.legal_entity_field = (form.get("legal_entity_field") or "").strip()
        inp.pull_from_1c = form.get("pull_from_1c") in ("1", "on")
        inp.push_to_1c = form.get("push_to_1c") in ("1", "on")
        return inp

    @classmethod
    def from_settings(cls, settings: PortalSettings, version: int) -> SettingsInput:
        s = settings.schedules
        return cls(
            version=version, deal_fields=dict(settings.deal_fields), company_fields=dict(settings.company_fields),
            legal_entity_field=settings.legal_entity_field or "",
            legal_entity_bases={k: str(v) for k, v in settings.legal_entity_bases.items()},
            legal_entity_orgs=dict(settings.legal_entity_orgs), warehouses=dict(settings.warehouses),
            stages={c: {r: getattr(m, r) or "" for r in STAGE_ROLES} for c, m in settings.stages.items()},
            category_bases={c: str(b) for c, b in settings.category_bases.items()},
            minutes={stream: shown_minutes(getattr(s, f"{stream}_seconds")) for stream in SCHEDULED_STREAMS},
            pull_from_1c=s.pull_from_1c, push_to_1c=s.push_to_1c,
        )


def shown_minutes(seconds: int) -> str:
    """An interval as the page's minutes field shows it."""
    return str(max(1, seconds // 60))


def _check_fields(kind: str, posted: dict[str, str], defaults: dict[str, str], known: Mapping,
                  errors: Errors, stored: Mapping[str, str]) -> dict[str, str]:
    chosen = {}
    for logical, default in defaults.items():
        name = posted.get(logical) or default
        # The app's own default field may not exist yet: the sync creates it. Any other must exist now — unless it
        # is the stored choice posted back unchanged (flagged as broken on the page): an unchanged save keeps it.
        if name != default and name not in known and name != stored.get(logical):
            errors[f"{kind}_field__{logical}"] = msg("err_field_missing", field=name)
        chosen[logical] = name
    return chosen


def validate_settings(inp: SettingsInput, current: PortalSettings, schema: PortalSchema,
                      bases: list[BaseRecord], choices: Mapping[int, BaseChoices] | None = None,
                      ) -> tuple[PortalSettings | None, Errors]:
    """The new PortalSettings, or None with the errors. Everything is checked against the portal's real fields,
    pipelines and stages, the portal's real bases and — where a base could be read (`choices`) — its real
    organizations and warehouses. A map entry the form did not post (a list value, pipeline or base the page did
    not show) keeps its stored value: saving never drops what the page could not display."""
    errors: Errors = {}
    choices = choices or {}
    deal = _check_fields("deal", inp.deal_fields, DEFAULT_DEAL_FIELDS, schema.deal_fields, errors,
                         current.deal_fields)
    company = _check_fields("company", inp.company_fields, DEFAULT_COMPANY_FIELDS, schema.company_fields, errors,
                            current.company_fields)

    base_ids = {b.id for b in bases}
    legal_field = inp.legal_entity_field or None
    legal_bases: dict[str, int] = {}
    if legal_field:
        described = schema.deal_fields.get(legal_field)
        if described is None and legal_field == current.legal_entity_field:
            pass  # gone from the portal (flagged on the page); kept, with its values' bases, until changed
        elif described is None:
            errors["legal_entity_field"] = msg("err_field_missing", field=legal_field)
        elif described.type != "enumeration" and legal_field != current.legal_entity_field:
            errors["legal_entity_field"] = msg("err_field_not_list", field=legal_field)
        elif described.type != "enumeration":
            # A text field chosen before (the demo's): its values are matched as text and the page cannot edit
            # them, so they stay as stored.
            legal_bases = dict(current.legal_entity_bases)
        else:
            values = {item["ID"] for item in described.items}
            for value_id, raw in inp.legal_entity_bases.items():
                if not raw:
                    continue
                if value_id not in values:
                    errors[f"legal_value__{value_id}"] = msg("err_value_missing")
                elif raw == str(current.legal_entity_bases.get(value_id)) and legal_field == current.legal_entity_field:
                    legal_bases[value_id] = int(raw)  # unchanged: kept even if its base went meanwhile
                elif not ascii_id(raw) or int(raw) not in base_ids:
                    errors[f"legal_value__{value_id}"] = msg("err_base_missing")
                else:
                    legal_bases[value_id] = int(raw)
        if legal_field == current.legal_entity_field:
            legal_bases = {**_unposted(current.legal_entity_bases, inp.legal_entity_bases), **legal_bases}
    legal_orgs = _check_orgs(inp, current, legal_bases, choices, errors)
    warehouses = _check_warehouses(inp, current, {b.id for b in bases}, choices, errors)

    stages: dict[str, StageMap] = {}
    category_bases: dict[str, int] = {}
    for pipeline in schema.pipelines:
        raw = inp.category_bases.get(pipeline.id, "")
        if raw and raw == str(current.category_bases.get(pipeline.id)):
            category_bases[pipeline.id] = int(raw)  # unchanged: kept as stored
        elif raw and (not ascii_id(raw) or int(raw) not in base_ids):
            errors[f"category_base__{pipeline.id}"] = msg("err_base_missing")
        elif raw:
            category_bases[pipeline.id] = int(raw)
        posted = inp.stages.get(pipeline.id, {})
        known = {status for status, _ in pipeline.stages}
        stored_map = current.stages.get(pipeline.id)
        chosen = {}
        for role in STAGE_ROLES:
            value = posted.get(role) or None
            unchanged = stored_map is not None and value == getattr(stored_map, role)
            if value is not None and value not in known and not unchanged:
                errors[f"stage__{pipeline.id}__{role}"] = msg("err_stage_missing", stage=value)
            chosen[role] = value
        if any(chosen.values()):
            stages[pipeline.id] = StageMap(**chosen)
    shown = {pipeline.id for pipeline in schema.pipelines}
    stages = {**{c: m for c, m in current.stages.items() if c not in shown}, **stages}
    category_bases = {**{c: b for c, b in current.category_bases.items() if c not in shown}, **category_bases}

    seconds = {}
    for stream in SCHEDULED_STREAMS:
        raw = inp.minutes.get(stream, "")
        stored_seconds = getattr(current.schedules, f"{stream}_seconds")
        if raw == shown_minutes(stored_seconds):
            # The page shows whole minutes; an interval of 90 s (from a settings file) posted back unchanged
            # stays 90 s rather than becoming the 60 s it was shown as.
            seconds[f"{stream}_seconds"] = stored_seconds
        elif not ascii_id(raw) or not MIN_INTERVAL_MINUTES <= int(raw) <= MAX_INTERVAL_MINUTES:
            errors[f"minutes__{stream}"] = msg("err_minutes", low=MIN_INTERVAL_MINUTES, high=MAX_INTERVAL_MINUTES)
        else:
            seconds[f"{stream}_seconds"] = int(raw) * 60
    if errors:
        return None, errors
    # From the current schedules: intervals this form does not show (the catalog page's) stay as they are.
    schedules = replace(current.schedules, **seconds, pull_from_1c=inp.pull_from_1c, push_to_1c=inp.push_to_1c)
    return replace(current, deal_fields=deal, company_fields=company, legal_entity_field=legal_field,
                   legal_entity_bases=legal_bases, legal_entity_orgs=legal_orgs, warehouses=warehouses,
                   category_bases=category_bases, stages=stages, schedules=schedules), errors


def _unposted(stored: Mapping[str, object], posted: Mapping[str, str]) -> dict:
    """The stored entries of a map whose keys the form did not post (not shown on the page)."""
    return {k: v for k, v in stored.items() if k not in posted}


def _check_orgs(inp: SettingsInput, current: PortalSettings, legal_bases: Mapping[str, int],
                choices: Mapping[int, BaseChoices], errors: Errors) -> dict[str, str]:
    """Per legal-entity value, the organization (INN) it sells as: "" = the base's own legal entity; a typed INN
    must pass its checksum (stdnum.ru.inn), and one chosen for a base that could be read must be among the base's
    organizations."""
    orgs = _unposted(current.legal_entity_orgs, inp.legal_entity_orgs)
    for value_id, inn in inp.legal_entity_orgs.items():
        if not inn:
            continue
        base_id = legal_bases.get(value_id)
        offered = choices[base_id].org_inns() if base_id in choices else None
        if inn == current.legal_entity_orgs.get(value_id):
            orgs[value_id] = inn  # unchanged: kept even when the base no longer lists that organization
        elif not ru_inn.is_valid(inn):
            errors[f"legal_org__{value_id}"] = msg("err_bad_inn")
        elif offered is not None and inn not in offered:
            errors[f"legal_org__{value_id}"] = msg("err_org_missing", inn=inn)
        else:
            orgs[value_id] = inn
    return orgs


def _check_warehouses(inp: SettingsInput, current: PortalSettings, base_ids: set[int],
                      choices: Mapping[int, BaseChoices], errors: Errors) -> dict[str, str]:
    """Per base ("<base id>") and per pipeline of a base ("<base id>:<category>"), the warehouse's Ref_Key: ""
    = the first one by the profile's order; one chosen must be among the base's warehouses when it could be read."""
    stores = _unposted(current.warehouses, inp.warehouses)
    for key, ref in inp.warehouses.items():
        if not ref:
            continue
        base_raw, _, category = key.partition(":")
        if ref == current.warehouses.get(key):
            stores[key] = ref  # unchanged: kept even when 1C no longer lists it (the page flags it)
            continue
        if not ascii_id(base_raw) or int(base_raw) not in base_ids or (category and not _CATEGORY.fullmatch(category)):
            errors[f"warehouse__{key}"] = msg("err_base_missing")
            continue
        offered = choices[int(base_raw)].warehouse_keys() if int(base_raw) in choices else None
        if not _GUID.fullmatch(ref) or (offered is not None and ref not in offered):
            errors[f"warehouse__{key}"] = msg("err_warehouse_missing")
        else:
            stores[key] = ref
    return stores


@dataclass(frozen=True)
class BrokenField:
    entity: str  # deal / company
    logical: str
    field: str
    default: bool  # the app's own field, not created yet (or deleted): the sync re-creates it


def broken_mapping(settings: PortalSettings, schema: PortalSchema) -> list[BrokenField]:
    """Mapped fields the portal does not have (any more): a form change deleted or renamed them."""
    out = []
    for entity, mapping, defaults, known in (
        ("deal", settings.deal_fields, DEFAULT_DEAL_FIELDS, schema.deal_fields),
        ("company", settings.company_fields, DEFAULT_COMPANY_FIELDS, schema.company_fields),
    ):
        for logical, name in mapping.items():
            if name and name not in known:
                out.append(BrokenField(entity, logical, name, name == defaults.get(logical)))
    if settings.legal_entity_field and settings.legal_entity_field not in schema.deal_fields:
        out.append(BrokenField("deal", "legal_entity", settings.legal_entity_field, False))
    return out
