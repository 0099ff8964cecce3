"""Moving a portal's whole configuration between portals as a JSON file, and the writes that touch the 1C
bases and the settings together (import, removing a base) — each one database transaction or nothing.

Secrets never leave: the export has no passwords (nor tokens). Importing matches a base by its OData address
and login: a match keeps its stored password, a new base needs a password typed by the administrator. The
legal-entity and pipeline maps and the warehouse map (keyed "<base>" or "<base>:<pipeline>") refer to bases by
their position in the file, so ids of the source portal never leak into the target one; the organizations of the
legal-entity values are INNs and travel as they are. Bases of the target portal that the file does not mention are
kept. The catalog's per-base choices (price types, base price, warehouses) travel by position too.

Two things never travel: CommerceML exchange nodes (their address and credentials are made for one portal; the
administrator adds a node on the target and points 1C's exchange at it) and which bases have their counterparties
loaded (that follows the administrator's look at the preview against this portal's CRM, so an import keeps the
target's own choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from b24app.core.portal_settings import PortalSettings, check_document
from b24app.store.bases import BaseNotFound, OneCBaseStore
from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.models import OneCBaseRow, PortalSettingsRow
from b24app.store.portal_settings import PortalSettingsStore, write_versioned
from b24app.store.tenancy import portal_id

FORMAT = "b24-1c-settings"
FORMAT_VERSION = 1
BASE_KEYS = ("name", "url", "login", "profile", "legal_entity", "legal_entity_inn", "enabled")
# Settings that map something (a legal-entity list value, a pipeline) to a base id.
BASE_MAPS = ("legal_entity_bases", "category_bases")
# The warehouse map is keyed by a base id ("<base>" or "<base>:<category>") and holds the warehouse's Ref_Key.
WAREHOUSES = "warehouses"
# The catalog section's maps keyed by a base id (core/catalog_settings.py).
CATALOG_MAPS = ("price_types", "base_price_type", "warehouses")


def rekey_catalog(catalog: dict[str, Any], base_of: dict[int, int]) -> dict[str, Any]:
    """The catalog section with the keys of its per-base maps replaced through `base_of`; unknown bases dropped."""
    out = dict(catalog)
    for name in CATALOG_MAPS:
        out[name] = {str(base_of[int(k)]): v for k, v in (catalog.get(name) or {}).items()
                     if str(k).isdigit() and int(k) in base_of}
    return out


def rekey_warehouses(warehouses: dict[str, str], base_of: dict[int, int]) -> dict[str, str]:
    """The warehouse map with each key's base replaced through `base_of` (id -> position or back); entries of a
    base `base_of` does not know are dropped."""
    out = {}
    for key, ref in warehouses.items():
        base, sep, category = key.partition(":")
        if base.isascii() and base.isdigit() and int(base) in base_of:
            out[f"{base_of[int(base)]}{sep}{category}"] = ref
    return out


class SettingsFileError(ValueError):
    """The file is not a configuration this app exported, or it is damaged; the message says what is wrong."""


@dataclass(frozen=True)
class ImportedBase:
    position: int
    values: dict[str, Any]
    existing_id: int | None  # the target portal's base with the same address and login

    @property
    def needs_password(self) -> bool:
        return self.existing_id is None


@dataclass
class ImportPlan:
    bases: list[ImportedBase] = field(default_factory=list)
    settings: PortalSettings = field(default_factory=PortalSettings)
    # Per map of BASE_MAPS: key -> the base's position in the file.
    positions: dict[str, dict[str, int]] = field(default_factory=dict)
    # The warehouse map keyed by the base's position in the file ("<position>[:<category>]").
    warehouses: dict[str, str] = field(default_factory=dict)


class ConfigTransfer:
    """Export, import and base removal for one deployment: the stores it reads and the one database
    transaction each write takes."""

    def __init__(self, db: Database, box: SecretBox, settings: PortalSettingsStore, bases: OneCBaseStore) -> None:
        self._db = db
        self._box = box
        self._settings = settings
        self._bases = bases

    def export_config(self, member_id: str) -> dict[str, Any]:
        """The portal's configuration without secrets, ready to be written as JSON."""
        settings = self._settings.get(member_id)
        bases = [b for b in self._bases.list(member_id) if b.is_odata]
        position = {b.id: n for n, b in enumerate(bases)}
        data = settings.to_json()
        for name in BASE_MAPS:
            data[name] = {key: position[base_id] for key, base_id in getattr(settings, name).items()
                          if base_id in position}
        data[WAREHOUSES] = rekey_warehouses(settings.warehouses, position)
        data["catalog"] = rekey_catalog(settings.catalog.to_json(), position)
        data["counterparties"] = {**settings.counterparties.to_json(), "enabled_bases": []}
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "bases": [{key: getattr(b, key) for key in BASE_KEYS} for b in bases],
            "settings": data,
        }

    def plan_import(self, member_id: str, data: Any) -> ImportPlan:
        """Check the file and match its bases with the portal's; raises SettingsFileError saying what is wrong."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SettingsFileError("not a b24-1c settings file")
        if data.get("format_version") != FORMAT_VERSION:
            raise SettingsFileError(f"settings file version {data.get('format_version')!r} is not supported")
        raw_bases, raw_settings = data.get("bases"), data.get("settings")
        if not isinstance(raw_bases, list) or not isinstance(raw_settings, dict):
            raise SettingsFileError("the file lacks its 'bases' list or 'settings' object")
        existing = {(b.url, b.login): b.id for b in self._bases.list(member_id)}
        plan = ImportPlan()
        for n, raw in enumerate(raw_bases):
            if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw.get(k)
                                                    for k in ("name", "url", "login", "profile")):
                raise SettingsFileError(f"base #{n + 1} lacks its name, url, login or profile")
            values = {key: raw.get(key) for key in BASE_KEYS}
            if any(values[k] is not None and not isinstance(values[k], str) for k in ("legal_entity",
                                                                                      "legal_entity_inn")):
                raise SettingsFileError(f"base #{n + 1}: legal_entity and legal_entity_inn must be text")
            if values["enabled"] is not None and not isinstance(values["enabled"], bool):
                raise SettingsFileError(f"base #{n + 1}: enabled must be true or false")
            values["enabled"] = values["enabled"] if values["enabled"] is not None else True
            plan.bases.append(ImportedBase(n, values, existing.get((values["url"], values["login"]))))
        try:
            check_document(raw_settings)
            positions = {name: {str(k): int(v) for k, v in (raw_settings.get(name) or {}).items()}
                         for name in BASE_MAPS}
            settings = PortalSettings.from_json({**raw_settings, **{name: {} for name in BASE_MAPS},
                                                 WAREHOUSES: {}})
            warehouses = {str(k): str(v) for k, v in (raw_settings.get(WAREHOUSES) or {}).items()}
        except (TypeError, ValueError, AttributeError) as exc:
            raise SettingsFileError(f"the settings in the file are damaged: {exc}") from None
        for name, mapped in positions.items():
            if any(not 0 <= p < len(plan.bases) for p in mapped.values()):
                what = "legal-entity" if name == "legal_entity_bases" else "pipeline"
                raise SettingsFileError(f"the {what} map refers to a base the file does not contain")
        if len(rekey_warehouses(warehouses, {n: n for n in range(len(plan.bases))})) != len(warehouses):
            raise SettingsFileError("the warehouse map refers to a base the file does not contain")
        plan.settings, plan.positions, plan.warehouses = settings, positions, warehouses
        return plan

    def apply_import(self, member_id: str, plan: ImportPlan, passwords: dict[int, str],
                         expected_version: int) -> int:
        """Write the plan in one transaction: bases created/updated, settings replaced. `passwords` by position
        (required for every new base). Returns the new settings version; StaleSettings if someone saved meanwhile."""
        missing = [b.position for b in plan.bases if b.needs_password and not passwords.get(b.position)]
        if missing:
            raise SettingsFileError("a password is required for every new base: "
                                    + ", ".join(str(p + 1) for p in missing))
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            ids: dict[int, int] = {}
            for base in plan.bases:
                if base.existing_id is not None:
                    row = s.get(OneCBaseRow, base.existing_id)
                    if row is None or row.portal_id != pid:
                        raise SettingsFileError(f"base {base.values['name']} changed while importing; start again")
                else:
                    row = OneCBaseRow(portal_id=pid)
                    s.add(row)
                for key, value in base.values.items():
                    setattr(row, key, (value or None) if key in ("legal_entity", "legal_entity_inn") else value)
                if passwords.get(base.position):
                    row.password_enc = self._box.encrypt(passwords[base.position])
                s.flush()
                ids[base.position] = row.id
            current_row = s.scalar(select(PortalSettingsRow).where(PortalSettingsRow.portal_id == pid))
            current = PortalSettings.from_json(current_row.data if current_row else None)
            imported = plan.settings.to_json()
            settings = PortalSettings.from_json({**imported, **{
                name: {key: ids[position] for key, position in plan.positions.get(name, {}).items()}
                for name in BASE_MAPS}, WAREHOUSES: rekey_warehouses(plan.warehouses, ids),
                "catalog": rekey_catalog(imported["catalog"], ids),
                "counterparties": {**imported["counterparties"],
                                   "enabled_bases": list(current.counterparties.enabled_bases)}})
            return write_versioned(s, pid, member_id, settings, expected_version)

    def remove_base(self, member_id: str, base_id: int, expected_version: int) -> int:
        """Delete a base and drop it from the legal-entity and pipeline maps in one transaction; returns the settings
        version."""
        with self._db.transaction() as s:
            pid = portal_id(s, member_id)
            row = s.get(OneCBaseRow, base_id)
            if row is None or row.portal_id != pid:
                raise BaseNotFound(f"no 1C base {base_id} for portal {member_id}")
            settings_row = s.scalar(select(PortalSettingsRow).where(PortalSettingsRow.portal_id == pid))
            settings = PortalSettings.from_json(settings_row.data if settings_row else None)
            kept = {name: {key: bid for key, bid in getattr(settings, name).items() if bid != base_id}
                    for name in BASE_MAPS}
            kept[WAREHOUSES] = {key: ref for key, ref in settings.warehouses.items()
                                if key.partition(":")[0] != str(base_id)}
            others = {b: b for b in self._base_ids(s, pid) if b != base_id}
            kept["catalog"] = rekey_catalog(settings.catalog.to_json(), others)
            kept["counterparties"] = {**settings.counterparties.to_json(), "enabled_bases": [
                b for b in settings.counterparties.enabled_bases if b != str(base_id)]}
            s.delete(row)
            return write_versioned(s, pid, member_id, PortalSettings.from_json({**settings.to_json(), **kept}),
                                  expected_version)

    @staticmethod
    def _base_ids(s, pid: int) -> list[int]:  # noqa: ANN001 - Session
        return list(s.scalars(select(OneCBaseRow.id).where(OneCBaseRow.portal_id == pid)))
