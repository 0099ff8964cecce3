"""Bounds on what a request may carry, checked before anything reads it as data.

Every page here is reachable by anyone who knows the address: a body of 100 MB, a JSON object nested ten thousand
deep (Python's parser then hits its recursion limit: a 500), a form key like `a[b][c]…` a thousand levels deep, or
an ID written in Arabic-Indic digits (`str.isdigit()` accepts "١٢" and "²") must each get a plain 4xx, never a 500
and never a large allocation. The body size itself is enforced by Flask's MAX_CONTENT_LENGTH (`web/__init__.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MAX_JSON_DEPTH = 32
MAX_FORM_KEY_DEPTH = 4  # `data[FIELDS][ID]` is the deepest key Bitrix24 sends us (event-bind.md handler POST)
MAX_FORM_KEY_LENGTH = 200
MAX_FORM_FIELDS = 500
_ID = re.compile(r"[1-9][0-9]{0,17}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class RequestTooComplex(ValueError):
    """A request whose shape we refuse to read; the message says what is wrong (safe to show)."""


def json_depth(text: str) -> int:
    """The deepest nesting of objects/arrays in a JSON text, counted without parsing (brackets inside strings
    are skipped), so a hostile text is measured in one linear pass before `json.loads` recurses into it."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def bounded_json(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` for text from a request: ValueError when it is not JSON or nests deeper than `max_depth`."""
    if json_depth(text) > max_depth:
        raise RequestTooComplex(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)


def check_form_keys(keys: Iterable[str]) -> None:
    """Refuse forms with too many fields, overlong keys or keys nested deeper than Bitrix24 ever sends."""
    for count, key in enumerate(keys, start=1):
        if count > MAX_FORM_FIELDS:
            raise RequestTooComplex(f"more than {MAX_FORM_FIELDS} form fields")
        if len(key) > MAX_FORM_KEY_LENGTH:
            raise RequestTooComplex(f"a form key is longer than {MAX_FORM_KEY_LENGTH} characters")
        if key.count("[") > MAX_FORM_KEY_DEPTH:
            raise RequestTooComplex(f"a form key is nested deeper than {MAX_FORM_KEY_DEPTH} levels")


def ascii_id(value: object) -> str | None:
    """A positive integer ID written in ASCII digits (as Bitrix24 and our forms write them), else None."""
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else None


def for_log(value: object, limit: int = 80) -> str:
    """A request value fit for one log line: control characters (newlines forge log records) shown escaped,
    length bounded."""
    text = str(value)
    cut = text[:limit]
    cleaned = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cut)
    return cleaned + ("…" if len(text) > limit else "")
