"""Safe building of OData literals, `$filter` conditions and URLs for the 1C standard interface.

Literal notation comes from the platform docs (1C:Enterprise 8.3.27, chapter 17.4, repo
hacker-cb/1c-odata, docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md):
`guid'…'` for Edm.Guid and `datetime'yyyy-mm-ddThh:mm:ss'` for Edm.DateTime (17.4.2), strings in single
quotes (17.4.5.2 examples). Inside a string a single quote is written twice, as OData v3 prescribes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from b24app.onec import standard as std

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Property paths: 1C names (Cyrillic allowed), `_Key`/`_Type` suffixes and `/` navigation (17.4.5.2).
_PATH_RE = re.compile(r"^[^\W\d][\w]*(/[^\W\d][\w]*)*$")
_OPERATORS = {"eq", "ne", "gt", "ge", "lt", "le"}

# Characters left as they are in a query value; everything else, Cyrillic included, is sent as
# UTF-8 percent-escapes. A space becomes %20, never "+", which is only a space in HTML forms.
_QUERY_SAFE = "',()*$:/"
_PATH_SAFE = "',()=$:"


def guid(value: str | uuid.UUID) -> str:
    """`guid'…'` for a GUID; raises ValueError for anything that is not one (no injection)."""
    text = str(value)
    if not _GUID_RE.match(text):
        raise ValueError(f"not a GUID: {text!r}")
    return f"guid'{text.lower()}'"


def datetime_literal(value: datetime | date) -> str:
    """`datetime'YYYY-MM-DDTHH:MM:SS'`: 1C dates have no zone and no fractions (17.4.2)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("1C dates carry no time zone: convert to the base's local time first")
        moment = value.replace(microsecond=0)
    else:
        moment = datetime(value.year, value.month, value.day)
    return f"datetime'{moment.strftime('%Y-%m-%dT%H:%M:%S')}'"


def string(value: str) -> str:
    """A quoted string literal with embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def literal(value: object) -> str:
    """The OData literal for a Python value (bool, number, str, GUID, date, None)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, uuid.UUID):
        return guid(value)
    if isinstance(value, (datetime, date)):
        return datetime_literal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        if any(bad in text for bad in ("inf", "nan")):
            raise ValueError(f"not a finite number: {value!r}")
        return text
    if isinstance(value, str):
        return string(value)
    raise TypeError(f"no OData literal for {type(value).__name__}")


def prop(path: str) -> str:
    """Checks a property path (e.g. `Контрагент_Key`, `Контрагент/ИНН`) before it goes into a query."""
    if not _PATH_RE.match(path):
        raise ValueError(f"not a property path: {path!r}")
    return path


def compare(path: str, op: str, value: object) -> str:
    """`<path> <op> <literal>`; a str value for a `_Key` property (`Ref_Key` included) is taken as a GUID."""
    if op not in _OPERATORS:
        raise ValueError(f"unknown comparison operator: {op!r}")
    if isinstance(value, str) and path.endswith(std.KEY_SUFFIX):
        return f"{prop(path)} {op} {guid(value)}"
    return f"{prop(path)} {op} {literal(value)}"


def eq(path: str, value: object) -> str:
    return compare(path, "eq", value)


def contains(path: str, text: str) -> str:
    """`substringof('text', path) eq true`, the form of the example in 17.4.5.2."""
    return f"substringof({string(text)}, {prop(path)}) eq true"


def all_of(*conditions: str | None) -> str | None:
    """Joins conditions with `and`, each in parentheses; None/empty parts are skipped."""
    parts = [c for c in conditions if c]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({c})" for c in parts)


def any_of(*conditions: str | None) -> str | None:
    parts = [c for c in conditions if c]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({c})" for c in parts)


def function_argument(text: str) -> str:
    """A string argument of a virtual-table function, e.g. `Condition='…'`.

    The platform docs write such arguments with the inner literals left as they are
    (17.4.9: `Condition='Валюта_Key eq guid'value''`; 17.4.13.1.1: `AccountCondition='Account_Key eq
    guid'value1''`), so the text is wrapped in quotes without doubling the quotes inside.
    """
    return f"'{text}'"


def encode_path(resource: str) -> str:
    """Percent-encodes a resource path (entity set, key, function call) as UTF-8."""
    return quote(resource, safe=_PATH_SAFE + "/")


def encode_query(params: Mapping[str, object]) -> str:
    """`k=v&…` with UTF-8 percent-escapes; None values are left out."""
    pairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append(f"{quote(str(key), safe='$')}={quote(str(value), safe=_QUERY_SAFE)}")
    return "&".join(pairs)
