"""Form encoding of REST parameters the way Bitrix24 (PHP) parses them.

Bitrix24 reads parameters with PHP's rules for bracketed keys, so nested data travels as
``filter[>ID]=5``, ``fields[PHONE][0][VALUE]=112233``, ``select[0]=ID``
(``settings/how-to-call-rest-api/data-encoding.md``: "GET Request" / "POST Request").

Lists use explicit indexes (``select[0]``), not ``select[]``: both parse to the same PHP list, but only indexes
keep a list of structures together (``fields[PHONE][0][VALUE]`` and ``fields[PHONE][0][VALUE_TYPE]`` belong to
one phone). Values:

- ``None`` is omitted (the parameter is not sent at all);
- ``True``/``False`` become ``Y``/``N``, the convention of Bitrix24 boolean fields; the encoder never turns any
  other value into ``Y``/``N``, so a caller who needs ``1``/``0`` passes ints;
- empty lists and dicts are omitted, as PHP's ``http_build_query`` does;
- dates and datetimes become ISO 8601 (with the offset when the datetime has one);
- everything is UTF-8 and percent-encoded (Cyrillic included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

Pair = tuple[str, str]


def flatten(params: Mapping[str, Any] | None) -> list[Pair]:
    """Turn nested parameters into ``(key, value)`` pairs with PHP-style bracketed keys, in input order."""
    if not params:
        return []
    pairs: list[Pair] = []
    for key, value in params.items():
        pairs.extend(_flatten_value(str(key), value))
    return pairs


def encode_query(params: Mapping[str, Any] | None) -> str:
    """The ``application/x-www-form-urlencoded`` string of ``params`` (UTF-8, percent-encoded)."""
    return urlencode(flatten(params), encoding="utf-8")


def batch_command(method: str, params: Mapping[str, Any] | None) -> str:
    """One ``cmd[key]`` value of ``batch``: ``method?<encoded params>``.

    The parameters are encoded once here and the whole string is encoded again as a form value when the batch
    is sent: the double encoding ``batch.md`` and ``data-encoding.md`` ("Double Encoding for Batch Requests")
    require. A reference such as ``$result[get_user][ID]`` is passed as an ordinary value: the portal decodes
    the sub-request's parameters and then substitutes references (``batch.md`` shows it percent-encoded as
    ``%24result%5Bget_user%5D...`` in its HTTP example).
    """
    query = encode_query(params)
    return f"{method}?{query}" if query else method


def _flatten_value(key: str, value: Any) -> Iterator[Pair]:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub_key, sub_value in value.items():
            yield from _flatten_value(f"{key}[{sub_key}]", sub_value)
        return
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)  # a stable order, so equal inputs give equal requests
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        for index, item in enumerate(value):
            yield from _flatten_value(f"{key}[{index}]", item)
        return
    yield key, scalar_text(value)


def scalar_text(value: Any) -> str:
    """The text Bitrix24 expects for one scalar value; TypeError for values with no agreed form."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # PHP would read "1e+20" as a string, not a number: write floats out in full.
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise TypeError(f"cannot form-encode a {type(value).__name__} for Bitrix24: {value!r}")
