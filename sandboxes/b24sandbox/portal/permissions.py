"""Per-user CRM read access: the sandbox's stand-in for Bitrix24's CRM roles.

What the real portal does (sources):
- CRM rights are set per role, per entity type, with a level for each permission; the service
  ``\\Bitrix\\Crm\\Service\\UserPermissions`` answers for one user (dev.1c-bitrix.ru,
  api_d7/bitrix/crm/service/user_permissions.php). The levels a role offers, narrowest first, are the core's
  constants BX_CRM_PERM_NONE, _SELF (own), _DEPARTMENT, _SUBDEPARTMENT, _OPEN (all open), _ALL (module crm,
  the role editor's permission variants, read in a public mirror of the core).
- Every REST call made with a user's token or webhook runs with that user's rights: crm.deal.get,
  crm.company.get, crm.contact.get answer HTTP 400 with an empty ``error`` and ``error_description``
  "Access denied" for a record the user may not read (api-reference/crm/deals/crm-deal-get.md,
  crm/companies/crm-company-get.md, crm/contacts/crm-contact-get.md, "Possible Error Codes"); so do
  crm.deal.update ("modify" permission, crm/deals/crm-deal-update.md), crm.deal.productrows.get ("read" for the
  deal) and crm.deal.productrows.set ("modify" for the deal). List methods return only what the user may read.
- OPENED = "Y" marks a record "available to everyone" (crm-deal-get.md, field OPENED); ASSIGNED_BY_ID is the
  responsible user.
- Portal administrators are not limited by CRM roles: ``CCrmPerms::GetPermType`` answers "all" for them
  (module crm, classes/general/crm_perms.php, read in a public mirror of the core), as the brief of this sandbox
  also states.

The sandbox keeps one level per user and entity (deal, company, contact) for reading; requisites follow the
entity that owns them (ENTITY_TYPE_ID 4 company, 3 contact: crm/requisites/universal/crm-requisite-add.md).
Sandbox simplifications, on purpose:
- one read level stands for the whole role: a user who may not read a record may not change or delete it either
  (the real portal checks "modify" and "delete" separately; a narrower read level than write level is not a
  setting anyone makes);
- no sub-departments: each user is in one department (state.USERS "DEPARTMENT");
- "open" grants own + own department + every OPENED = "Y" record. The core's ``CheckEnityAccess`` grants the
  department's records to an "all open" level in its default cumulative mode (option
  ``enable_permission_cumulative_mode`` = "Y"), so the levels form a ladder: each includes the ones before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from b24sandbox.portal.entities import EntityTable

NONE, OWN, DEPARTMENT, OPEN, ALL = "none", "own", "department", "open", "all"
LEVELS = (NONE, OWN, DEPARTMENT, OPEN, ALL)  # narrowest first; each grants what the ones before it grant
ENTITIES = ("deal", "company", "contact")
# The sandbox's "manager" role: their own deals; every open company and contact (plus their department's).
MANAGER_DEFAULTS = {"deal": OWN, "company": OPEN, "contact": OPEN}
# crm-requisite-add.md: ENTITY_TYPE_ID of the requisite's owner (4 company, 3 contact).
REQUISITE_OWNERS = {"4": "company", "3": "contact"}

RecordFilter = Callable[[dict[str, Any]], bool]


class RoleChangeRefused(ValueError):
    """A role change the sandbox refuses (unknown user, entity or level; an administrator)."""


class CrmRoles:
    """Each non-administrator user's read level per CRM entity; administrators read everything."""

    def __init__(self, users: Mapping[int, Mapping[str, Any]]) -> None:
        self._users = users
        self._levels: dict[int, dict[str, str]] = {
            user_id: dict(MANAGER_DEFAULTS) for user_id, user in users.items() if not user.get("ADMIN")
        }

    def is_admin(self, user_id: int) -> bool:
        return bool(self._users.get(user_id, {}).get("ADMIN"))

    def department(self, user_id: int) -> int | None:
        value = self._users.get(user_id, {}).get("DEPARTMENT")
        return int(value) if value is not None else None

    def level(self, user_id: int, entity: str) -> str:
        """The user's read level for ``entity``; an unknown user reads nothing."""
        if self.is_admin(user_id):
            return ALL
        return self._levels.get(user_id, {}).get(entity, NONE)

    def set_level(self, user_id: int, entity: str, level: str) -> None:
        if user_id not in self._users:
            raise RoleChangeRefused(f"unknown user {user_id}; the sandbox has users {sorted(self._users)}")
        if self.is_admin(user_id):
            raise RoleChangeRefused(f"user {user_id} is a portal administrator: CRM roles do not limit them")
        if entity not in ENTITIES:
            raise RoleChangeRefused(f"unknown entity {entity!r}; one of {', '.join(ENTITIES)}")
        if level not in LEVELS:
            raise RoleChangeRefused(f"unknown level {level!r}; one of {', '.join(LEVELS)}")
        self._levels[user_id][entity] = level

    def snapshot(self) -> dict[str, dict[str, str]]:
        """Every user's effective level per entity, for ``GET /_sandbox/state``."""
        return {str(user_id): {e: self.level(user_id, e) for e in ENTITIES} for user_id in sorted(self._users)}

    def grants(self, level: str, user_id: int, record: Mapping[str, Any]) -> bool:
        """Whether ``level`` lets ``user_id`` read ``record`` (its ASSIGNED_BY_ID and OPENED decide)."""
        if level == ALL:
            return True
        if level == NONE:
            return False
        owner = _as_user_id(record.get("ASSIGNED_BY_ID"))
        if owner == user_id:
            return True
        if level in (DEPARTMENT, OPEN) and owner is not None:
            mine = self.department(user_id)
            if mine is not None and self.department(owner) == mine:
                return True
        return level == OPEN and str(record.get("OPENED") or "N").upper() == "Y"


def _as_user_id(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def record_filter(
    roles: CrmRoles, tables: Mapping[str, EntityTable], user_id: int, entity: str
) -> RecordFilter | None:
    """What ``user_id`` may read of ``entity``'s records, or None when nothing is hidden (lists skip the check)."""
    if entity == "requisite":
        return _requisite_filter(roles, tables, user_id)
    if entity not in ENTITIES:
        return None  # not governed by the sandbox's roles (smart invoices, products, ...)
    level = roles.level(user_id, entity)
    if level == ALL:
        return None
    return lambda record: roles.grants(level, user_id, record)


def _requisite_filter(roles: CrmRoles, tables: Mapping[str, EntityTable], user_id: int) -> RecordFilter | None:
    """A requisite is readable when its owner company/contact is; one whose owner is gone only at level "all"."""
    owners = {type_id: record_filter(roles, tables, user_id, entity) for type_id, entity in REQUISITE_OWNERS.items()}
    if all(check is None for check in owners.values()):
        return None

    def readable(requisite: dict[str, Any]) -> bool:
        type_id = str(requisite.get("ENTITY_TYPE_ID") or "")
        if type_id not in owners:
            return True  # an owner type outside the role model (none is seeded)
        check = owners[type_id]
        if check is None:
            return True
        owner_id = _as_user_id(requisite.get("ENTITY_ID"))
        owner = tables[REQUISITE_OWNERS[type_id]].get(owner_id) if owner_id is not None else None
        return owner is not None and check(owner)

    return readable


def may_read(roles: CrmRoles, tables: Mapping[str, EntityTable], user_id: int, entity: str,
             record: dict[str, Any]) -> bool:
    check = record_filter(roles, tables, user_id, entity)
    return check is None or check(record)
