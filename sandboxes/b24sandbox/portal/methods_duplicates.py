"""Duplicate search by phone and e-mail: crm.duplicate.findbycomm.

Facts:
- api-reference/crm/duplicates/crm-duplicate-find-by-comm.md (bitrix24/b24restdocs): parameters `type` (EMAIL or
  PHONE), `values` (an array, at most 20), `entity_type` (LEAD, CONTACT, COMPANY; all three when absent); the answer
  maps each type to the IDs found, e.g. {"CONTACT": [275, 2297]}; "the search does not consider the phone
  extension"; when 20 or more cards of one type match, the types after it (lead, contact, company in that order)
  are not returned. Errors: "Communication type is not defined", "Communication type '{type}' is not supported in
  current context", "Communication values is not defined", and "Access denied" for a user who may read no CRM cards.
- The CRM core's REST proxy behind the method (CCrmDuplicateRestProxy, module crm, classes/general/restservice.php,
  read in a public mirror of the core) settles what the page leaves open: the texts end with a dot and come with an
  empty error code; `values` that is not an array counts as missing; an empty or non-string value is skipped, a
  repeated one searched once, and values past the 20th distinct one are not searched at all (the loop stops; no
  error); each value finds at most 20 cards (`criterion->find($entityTypeID, 20)`); an entity type of DEAL is
  "Deal is not supported in current context."; an unknown one searches all types; nothing found is PHP's empty
  array, a JSON `[]`. The IDs found are not filtered by the caller's rights on each card (only the overall read
  check), as the docs' tutorial tutorials/crm/how-to-get-lists/search-by-phone-and-email.md also notes.
- How values compare (Bitrix\\Crm\\Integrity\\DuplicateCommunicationCriterion, same mirror): e-mails trimmed and in
  lower case; phones reduced to their digits (and # * , ;), then cut at the first ";" or "#" after the number, so
  an extension written that way is ignored. The core's NormalizePhone may also rewrite a leading 8 or 00; the
  sandbox keeps the digits as written (no source at hand states that rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import get_ci
from b24sandbox.portal.permissions import NONE
from b24sandbox.portal.registry import Call, Outcome, method

MAX_VALUES = 20  # crm-duplicate-find-by-comm.md: "Maximum number of values — 20"
MAX_PER_VALUE = 20  # CCrmDuplicateRestProxy: criterion->find($entityTypeID, 20)
# The portal's types in the order the search walks them; the sandbox portal has no leads.
SEARCHED = (("LEAD", None), ("CONTACT", "contact"), ("COMPANY", "company"))
_PHONE_KEPT = re.compile(r"[^0-9#*,;]")
_PHONE_NUMBER = re.compile(r"(\d+)([;#]*)([\d,]*)")


@lru_cache(maxsize=200_000)  # every stored value is reduced again on each search: keep the answers
def phone_code(value: str) -> str:
    """A phone as the duplicate index keeps it: digits (with # * , ;), the part after ; or # dropped."""
    return _PHONE_NUMBER.sub(r"\1", _PHONE_KEPT.sub("", value))


@lru_cache(maxsize=200_000)
def email_code(value: str) -> str:
    return value.strip().lower()


def _error(text: str) -> RestError:
    return RestError("", text, 400)


def _entity_type(call: Call) -> str:
    raw = get_ci(call.params, "entity_type")
    if raw is None:
        raw = get_ci(call.params, "entityType", "")
    name = str(raw or "").upper()
    if name == "DEAL":
        raise _error("Deal is not supported in current context.")
    return name if name in {n for n, _ in SEARCHED} else ""


def _values(call: Call, code: Callable[[str], str]) -> list[str]:
    raw = get_ci(call.params, "values")
    values = list(raw.values()) if isinstance(raw, dict) else raw
    if not isinstance(values, list) or not values:
        raise _error("Communication values is not defined.")
    codes: list[str] = []
    for value in values:
        if not isinstance(value, str) or value == "":
            continue
        normal = code(value)
        if normal and normal not in codes:
            codes.append(normal)
        if len(codes) >= MAX_VALUES:
            break
    return codes


def _may_search(call: Call) -> bool:
    # The proxy refuses only a user who may read none of leads, contacts and companies.
    roles, user = call.state.roles, call.caller.user_id
    return any(roles.level(user, entity) != NONE for entity in ("contact", "company"))


@method("crm.duplicate.findbycomm", scope="crm")
def _find(call: Call) -> Outcome:
    if not _may_search(call):
        raise RestError("", "Access denied.", 403)  # the page's table: 403 "Access denied"
    kind = str(get_ci(call.params, "type") or "").upper()
    if kind not in ("EMAIL", "PHONE"):
        if not kind:
            raise _error("Communication type is not defined.")
        raise _error(f"Communication type '{kind}' is not supported in current context.")
    code = email_code if kind == "EMAIL" else phone_code
    codes = _values(call, code)
    wanted = _entity_type(call)
    found: dict[str, list[int]] = {}
    with call.state.lock:
        carriers = {name: _carriers(call, table_name, kind, code, set(codes))
                    for name, table_name in SEARCHED if table_name and (not wanted or name == wanted)}
    for value in codes:
        for name, ids in _matches(carriers, value):
            known = found.setdefault(name, [])
            known.extend(i for i in ids if i not in known)
    return Outcome(found or [])


def _carriers(call: Call, table_name: str, kind: str, code: Callable[[str], str],
              wanted: set[str]) -> dict[str, list[int]]:
    """For each wanted value, the IDs of the cards of ``table_name`` carrying it, ascending: one pass over the
    table whatever the number of values."""
    table = call.state.tables[table_name]
    out: dict[str, list[int]] = {}
    for entity_id in table.ids:
        for item in table.records[entity_id].get(kind) or []:
            value = code(str(item.get("VALUE") or "")) if isinstance(item, dict) else ""
            if value in wanted:
                ids = out.setdefault(value, [])
                if not ids or ids[-1] != entity_id:
                    ids.append(entity_id)
    return out


def _matches(carriers: dict[str, dict[str, list[int]]], value: str) -> list[tuple[str, list[int]]]:
    """The cards carrying ``value``, type by type in the portal's order, at most 20 in all; a type is reached only
    while fewer than 20 were found before it (the page's "Method Operation Features")."""
    out: list[tuple[str, list[int]]] = []
    taken = 0
    for name, _ in SEARCHED:
        if taken >= MAX_PER_VALUE:
            break
        ids = carriers.get(name, {}).get(value, [])[: MAX_PER_VALUE - taken]
        taken += len(ids)
        if ids:
            out.append((name, ids))
    return out
