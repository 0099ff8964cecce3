"""Request parameters the way the Bitrix24 REST server reads them.

The portal is a PHP application: form and query keys such as ``filter[>ID]=5`` or ``select[]=ID`` become
nested arrays. A JSON body is accepted as well (doc: settings/how-to-call-rest-api/data-encoding.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl


class ParamError(ValueError):
    """The request body could not be decoded (bad JSON)."""


def _split_key(key: str) -> list[str]:
    """``filter[>ID]`` -> ``["filter", ">ID"]``; ``select[]`` -> ``["select", ""]`` (PHP rules)."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    parts = [head]
    while rest:
        inner, closed, rest = rest.partition("]")
        if not closed:
            # PHP keeps an unclosed bracket as part of the name; treat the remainder literally.
            parts[-1] = parts[-1] + "[" + inner
            break
        parts.append(inner)
        if not rest.startswith("["):
            break
        rest = rest[1:]
    return parts


def _place(target: dict[str, Any], path: list[str], value: Any) -> None:
    node = target
    for index, part in enumerate(path):
        if part == "":
            part = str(_next_index(node))
        if index == len(path) - 1:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def _next_index(node: dict[str, Any]) -> int:
    numeric = [int(k) for k in node if k.isdigit()]
    return max(numeric) + 1 if numeric else 0


def _listify(node: Any) -> Any:
    """PHP arrays with keys 0..n-1 are lists (what json_encode would print)."""
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and list(converted) == [str(i) for i in range(len(converted))]:
        return list(converted.values())
    return converted


def nest_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn flat ``(key, value)`` pairs with PHP bracket keys into nested dicts and lists.

    ``a[]=x&a[]=y`` and ``a[0]=x&a[1]=y`` give lists; ``a[k]=x`` gives a dict; a repeated plain key keeps
    the last value, as PHP does.
    """
    result: dict[str, Any] = {}
    for key, value in pairs:
        _place(result, _split_key(key), value)
    return {key: _listify(value) for key, value in result.items()}


def parse_query_string(query: str) -> dict[str, Any]:
    """Parse a raw query string (used for batch sub-commands ``method?query``)."""
    return nest_pairs(parse_qsl(query, keep_blank_values=True))


def mergerequest_params(
    query_pairs: Iterable[tuple[str, str]],
    form_pairs: Iterable[tuple[str, str]],
    json_body: bytes | None,
) -> dict[str, Any]:
    """Merge query string, form body and JSON body into one parameter dict (body wins over query)."""
    params = nest_pairs(list(query_pairs) + list(form_pairs))
    if json_body:
        try:
            decoded = json.loads(json_body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParamError(f"JSON body could not be decoded: {exc}") from exc
        if isinstance(decoded, dict):
            params.update(decoded)
    return params


def get_ci(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Read a parameter by name ignoring case, as the portal accepts ``id``/``ID``, ``filter``/``FILTER``."""
    if name in params:
        return params[name]
    lowered = name.lower()
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def as_list(value: Any) -> list[Any]:
    """Read a PHP array parameter as a list: lists stay, dicts give their values in key order, scalars wrap."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def as_dict(value: Any) -> dict[str, Any]:
    """Read a PHP associative array parameter; anything else is an empty dict."""
    return value if isinstance(value, dict) else {}
