"""CRM entity tables: records, field descriptions, filtering, ordering and paging.

Records keep values already in the portal's answer format (IDs as strings, money as ``"1000.00"``, dates as
ISO 8601 with offset), as crm.deal.get shows (api-reference/crm/deals/crm-deal-get.md). IDs are kept in a
sorted list so ``>ID`` paging over 10,000+ records is a bisect, not a scan.
"""

from __future__ import annotations

import bisect
import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from b24sandbox.portal.clock import PORTAL_TZ

PAGE_SIZE = 50  # list-methods-pecularities.md: "no more than 50 at a time"

# Filter prefixes, longest first (api-reference/crm/deals/crm-deal-list.md, parameter "filter").
_PREFIXES = ("!@", "!=", "!%", ">=", "<=", "=%", "%=", ">", "<", "@", "%", "=", "!")


@dataclass
class FieldSpec:
    """One field as ``crm.*.fields`` describes it."""

    name: str
    type: str
    title: str
    read_only: bool = False
    required: bool = False
    multiple: bool = False
    dynamic: bool = False
    immutable: bool = False  # set on add only (crm-requisite-fields.md: ENTITY_TYPE_ID, ENTITY_ID, PRESET_ID)
    in_star: bool = True  # '*' selects it ('*' excludes user and multiple fields, crm-deal-list.md)
    # Values of a list (enumeration) user field, shared with its UserField so userfield.update shows here too.
    items: list[dict[str, str]] | None = None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "type": self.type,
            "isRequired": self.required,
            "isReadOnly": self.read_only,
            "isImmutable": self.immutable,
            "isMultiple": self.multiple,
            "isDynamic": self.dynamic,
            "title": self.title,
        }
        if self.dynamic:
            info.update({"listLabel": self.title, "formLabel": self.title, "filterLabel": self.title})
        if self.items is not None:
            # A list field is described with its values as `items` of {"ID", "VALUE"}: the field description
            # example in api-reference/crm/_include/user-fields-for-examples-cut.md (type "enumeration").
            info["items"] = [{"ID": item["ID"], "VALUE": item["VALUE"]} for item in self.items]
        return info


_NUMERIC_TYPES = {"integer", "double", "user", "crm_company", "crm_contact", "crm_category", "crm_lead"}


def _sort_key(spec: FieldSpec | None, value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, 0)
    if spec is not None and spec.type in _NUMERIC_TYPES:
        try:
            return (1, float(value))
        except (TypeError, ValueError):
            return (2, str(value))
    if spec is not None and spec.type in ("datetime", "date"):
        return (1, _as_time(value))
    return (1, str(value).lower())


def _as_time(value: Any) -> float:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return 0.0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PORTAL_TZ)
    return parsed.timestamp()


_coerce = _sort_key  # filter values compare in the same typed space the sort uses


_COMPARISONS = (">", ">=", "<", "<=")
# _ARRAY_BOUND: a comparison (``>ID`` ...) whose value is an array matches nothing. Such a value comes from a batch
# reference into a page that has no row at that index (``$result[p0][49][ID]`` on a page of fewer than 50 rows
# substitutes the page itself: see rest._resolve). The REST docs do not say what a list method does with it;
# the official PHP SDK (bitrix24/b24phpsdk, src/Core/Batch.php, getTraversableList) chains its list pages this
# way and stops at the first page that comes back empty, so the sandbox answers an empty page. Clients must not
# rely on it: the real portal's answer is undocumented, and they stop at the first page of fewer than 50 rows.


def _split_filter_key(key: str) -> tuple[str, str]:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return prefix, key[len(prefix) :]
    return "", key


def _values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _matches(op: str, spec: FieldSpec | None, actual: Any, wanted: Any) -> bool:
    if spec is not None and spec.type == "crm_multifield":
        return _multifield_matches(op, actual, wanted)
    actual_items = actual if isinstance(actual, list) else [actual]
    if op in ("%", "!%"):
        needle = str(wanted).lower()
        hit = any(needle in str(item or "").lower() for item in actual_items)
        return hit if op == "%" else not hit
    if op in ("=%", "%="):
        pattern = str(wanted).lower().replace("%", "*")
        return any(fnmatch.fnmatchcase(str(item or "").lower(), pattern) for item in actual_items)
    if op in ("@", "!@"):
        options = {_coerce(spec, v) for v in _values(wanted)}
        hit = any(_coerce(spec, item) in options for item in actual_items)
        return hit if op == "@" else not hit
    if op in _COMPARISONS and isinstance(wanted, list | dict):
        return False  # see _ARRAY_BOUND
    if isinstance(wanted, list | dict):
        # An array value with "=" or no prefix means IN, as the PHP ORM reads it.
        options = {_coerce(spec, v) for v in _values(wanted)}
        hit = any(_coerce(spec, item) in options for item in actual_items)
        return not hit if op in ("!", "!=") else hit
    left = [_coerce(spec, item) for item in actual_items]
    right = _coerce(spec, wanted)
    if op in ("", "="):
        return right in left
    if op in ("!", "!="):
        return right not in left
    compare: Callable[[Any, Any], bool] = {
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
    }[op]
    return any(_comparable(a, right) and compare(a, right) for a in left)


def _multifield_matches(op: str, actual: Any, wanted: Any) -> bool:
    """A filter on PHONE / EMAIL: crm-company-list.md, "Fields PHONE, EMAIL, WEB, IM — are multiple. Filters work
    only on exact matches for these": a record matches when one of its values equals the wanted one (or one of
    the wanted ones); a negated filter when none does. Other prefixes compare exactly too."""
    values = {str(item.get("VALUE", "")) for item in (actual or []) if isinstance(item, dict)}
    options = {str(v) for v in _values(wanted)}
    hit = bool(values & options)
    return not hit if op in ("!", "!=", "!@", "!%") else hit


def merge_multifield(current: list[dict[str, Any]], given: Any, type_id: str,
                     next_id: Callable[[], int]) -> list[dict[str, Any]]:
    """A multifield (PHONE, EMAIL) after a write, as crm-contact-update.md ("Delete a Single Value ...", "Add a New
    Value ...") describes it: an item with the ID of a stored value changes it, or removes it when it has
    DELETE = "Y", an empty VALUE or no VALUE at all; an item without ID is a new value (skipped when empty);
    values not named stay. Stored values look as crm-company-list.md shows them: ID, VALUE_TYPE, VALUE,
    TYPE_ID (crm/data-types.md, crm_multifield)."""
    result = [dict(item) for item in current]
    by_id = {str(item.get("ID")): item for item in result}
    items = given if isinstance(given, list) else list(given.values()) if isinstance(given, dict) else []
    for raw in items:
        if not isinstance(raw, dict):
            continue
        item = {str(k).upper(): v for k, v in raw.items()}
        value = "" if item.get("VALUE") is None else str(item["VALUE"]).strip()
        known = by_id.get(str(item.get("ID"))) if item.get("ID") not in (None, "") else None
        if known is not None:
            if str(item.get("DELETE") or "N").upper() == "Y" or not value:
                result.remove(known)
                del by_id[str(known["ID"])]
                continue
            known["VALUE"] = value
            if item.get("VALUE_TYPE"):
                known["VALUE_TYPE"] = str(item["VALUE_TYPE"]).upper()
            continue
        if not value:
            continue
        stored = {"ID": str(next_id()), "VALUE_TYPE": str(item.get("VALUE_TYPE") or "WORK").upper(),
                  "VALUE": value, "TYPE_ID": type_id}
        result.append(stored)
        by_id[stored["ID"]] = stored
    return result


def _comparable(a: tuple[int, Any], b: tuple[int, Any]) -> bool:
    return a[0] == b[0] == 1 or (a[0] == b[0] and type(a[1]) is type(b[1]))


RecordCheck = Callable[[dict[str, Any]], bool]


@dataclass
class Page:
    """One page of a list answer: ``result`` plus ``next``/``total`` when counted."""

    items: list[dict[str, Any]]
    total: int | None
    next: int | None


@dataclass
class EntityTable:
    """Records of one CRM entity type, keyed by integer ID."""

    entity: str  # "deal", "company", ...
    fields: dict[str, FieldSpec]
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    last_id: int = 0

    def insert(self, record: dict[str, Any]) -> int:
        self.last_id += 1
        new_id = self.last_id
        record["ID"] = str(new_id)
        self.records[new_id] = record
        self.ids.append(new_id)  # IDs only grow, so the list stays sorted
        return new_id

    def get(self, entity_id: int) -> dict[str, Any] | None:
        return self.records.get(entity_id)

    def delete(self, entity_id: int) -> bool:
        if entity_id not in self.records:
            return False
        del self.records[entity_id]
        index = bisect.bisect_left(self.ids, entity_id)
        if index < len(self.ids) and self.ids[index] == entity_id:
            self.ids.pop(index)
        return True

    def __len__(self) -> int:
        return len(self.records)

    def _id_range(self, conditions: list[tuple[str, str, Any]]) -> tuple[int, int, list[tuple[str, str, Any]]]:
        """Narrow the sorted ID list with the ID comparisons of the filter; return the rest of the filter."""
        low, high = 0, len(self.ids)
        rest = []
        for op, name, wanted in conditions:
            if name != "ID" or op not in _COMPARISONS:
                rest.append((op, name, wanted))
                continue
            if isinstance(wanted, list | dict):
                return 0, 0, rest  # see _ARRAY_BOUND
            try:
                bound = int(float(wanted))
            except (TypeError, ValueError):
                rest.append((op, name, wanted))
                continue
            if op == ">":
                low = max(low, bisect.bisect_right(self.ids, bound))
            elif op == ">=":
                low = max(low, bisect.bisect_left(self.ids, bound))
            elif op == "<":
                high = min(high, bisect.bisect_left(self.ids, bound))
            else:
                high = min(high, bisect.bisect_right(self.ids, bound))
        return low, high, rest

    def _parse_filter(self, raw: dict[str, Any]) -> list[tuple[str, str, Any]]:
        conditions = []
        for key, wanted in raw.items():
            op, name = _split_filter_key(str(key))
            name = name.upper()
            conditions.append((op, name, wanted))
        return conditions

    def _iter_matching(
        self, conditions: list[tuple[str, str, Any]], descending: bool, visible: RecordCheck | None
    ) -> Iterator[dict[str, Any]]:
        low, high, rest = self._id_range(conditions)
        span = range(high - 1, low - 1, -1) if descending else range(low, high)
        for index in span:
            record = self.records[self.ids[index]]
            if visible is not None and not visible(record):
                continue
            if all(_matches(op, self.fields.get(name), record.get(name), wanted) for op, name, wanted in rest):
                yield record

    def list(
        self, raw_filter: dict[str, Any], order: dict[str, Any], start: int, visible: RecordCheck | None = None
    ) -> Page:
        """One page of records matching ``raw_filter`` in ``order``; ``start=-1`` skips the count.

        Without a count there is no ``total`` and no ``next`` (settings/performance/huge-data.md: the caller
        pages with ``>ID`` until a page has fewer than 50). ``visible`` hides the records the caller may not read
        before anything is counted or paged, so ``total`` and ``next`` count only readable rows (permissions.py).
        """
        conditions = self._parse_filter(raw_filter)
        order_items = [(str(k).upper(), str(v).upper()) for k, v in order.items()] or [("ID", "ASC")]
        by_id_only = len(order_items) == 1 and order_items[0][0] == "ID"
        if by_id_only:
            descending = order_items[0][1] == "DESC"
            matching = self._iter_matching(conditions, descending, visible)
            if start < 0:
                return Page([r for _, r in zip(range(PAGE_SIZE), matching, strict=False)], None, None)
            selected = list(matching)
        else:
            selected = list(self._iter_matching(conditions, False, visible))
            for name, direction in reversed(order_items):
                spec = self.fields.get(name)
                selected.sort(key=lambda r, s=spec, n=name: _sort_key(s, r.get(n)), reverse=direction == "DESC")
            if start < 0:
                return Page(selected[:PAGE_SIZE], None, None)
        total = len(selected)
        items = selected[start : start + PAGE_SIZE]
        following = start + PAGE_SIZE
        return Page(items, total, following if following < total else None)

    def project(self, record: dict[str, Any], select: list[str]) -> dict[str, Any]:
        """The record with only the selected fields; ``*`` = standard fields, ``UF_*`` = user fields.

        An empty select gives '*' plus 'UF_*' (crm-deal-list.md: "By default, all fields are taken").
        """
        wanted = [s.upper() for s in select if s]
        if not wanted:
            wanted = ["*", "UF_*"]
        names: list[str] = []
        for item in wanted:
            if item == "*":
                names.extend(n for n, spec in self.fields.items() if spec.in_star and not spec.dynamic)
            elif item == "UF_*":
                names.extend(n for n, spec in self.fields.items() if spec.dynamic)
            elif item in self.fields:
                names.append(item)
        if "ID" not in names:
            names.insert(0, "ID")
        seen: dict[str, Any] = {}
        for name in names:
            if name not in seen:
                seen[name] = record.get(name)
        return seen
