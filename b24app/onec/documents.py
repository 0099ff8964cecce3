"""Idempotent creation of 1C documents: a retry never makes a second document.

The caller passes an idempotency key (e.g. `b24:<member_id>:deal:<id>`). The key is written into the
field the profile names (`idempotency_field`; `Комментарий` for УТ 11 and БП 3.0, see the profiles for
why) as a whitespace-delimited token. Before a POST the writer looks for a document carrying the key and
updates it instead; when a POST's answer is lost (timeout, broken connection, 5xx) the writer looks
again and only POSTs anew when the document is surely absent.

The lookup uses `substringof('<key>', <field>) eq true` (platform docs 17.4.5.2): `Комментарий` is an
unlimited string, which the 1C query language cannot compare with `=`; the exact token is then checked
here, so `…:deal:1` never matches `…:deal:12`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from b24app.onec import query as q
from b24app.onec.errors import AmbiguousDocument, OneCError, OneCQueryError, OneCUnavailable
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, ProfileError

# Letters, digits and ':' '.' '-' only: no quote (filter literal), no '%', '_', '[' (1C LIKE wildcards
# that substringof may turn into a pattern).
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:.\-]{2,120}$")
KEY_PREFIX = "Bitrix24:"


@dataclass(frozen=True)
class WriteResult:
    """What `save` did: the document's Ref_Key, whether it was created now, and whether it is posted."""

    ref_key: str
    created: bool
    posted: bool


def check_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise ValueError(f"idempotency key {key!r} must be 3-121 characters of letters, digits, ':', '.', '-'")
    return key


def with_key(text: str, key: str) -> str:
    """The field value carrying the key: the caller's text, then `Bitrix24: <key>` on its own."""
    marker = f"{KEY_PREFIX} {check_key(key)}"
    return f"{text.strip()}\n{marker}" if text and text.strip() else marker


def carries_key(value: str | None, key: str) -> bool:
    return key in (value or "").split()


class DocumentWriter:
    """Creates or updates documents of one profile object keyed by an idempotency key."""

    def __init__(self, client: ODataClient, spec: ObjectSpec, *, lookup_attempts: int = 4) -> None:
        if spec.kind != "document":
            raise ProfileError(f"{spec.logical} ({spec.entity_set}) is not a document")
        if not spec.idempotency_field:
            raise ProfileError(f"profile object {spec.logical!r} names no idempotency_field")
        self.client = client
        self.spec = spec
        self.field = spec.idempotency_field
        self.lookup_attempts = lookup_attempts
        # The document's key and deletion mark as the profile names them; ProfileError at once when it lacks them.
        self.key = spec.field("key")
        self.deleted = spec.field("deleted")

    def find(self, key: str) -> dict | None:
        """The document carrying the key (a non-deleted one first), None, or AmbiguousDocument. The row holds the
        profile's `key` and `deleted` properties and the key field."""
        check_key(key)
        page = self.client.query(
            self.spec.entity_set,
            filter=q.contains(self.field, key),
            select=[self.key, self.deleted, self.field],
            top=20,
        )
        matches = [row for row in page.rows if carries_key(row.get(self.field), key)]
        live = [row for row in matches if not row.get(self.deleted)]
        candidates = live or matches
        if len(candidates) > 1:
            refs = ", ".join(row[self.key] for row in candidates)
            raise AmbiguousDocument(
                "",
                f"{len(candidates)} documents {self.spec.entity_set} carry key {key}: {refs}; "
                "mark the extra ones for deletion in 1C",
                None,
                self.client.base.label,
            )
        return candidates[0] if candidates else None

    def save(self, key: str, body: Mapping, *, comment: str = "", post: bool = False,
             on_written: Callable[[str], None] | None = None) -> WriteResult:
        """Creates the document or updates the one already carrying `key`; posts it when asked.

        `body` holds 1C property names (built from the profile by the caller). `comment` is the
        human text kept in the key field next to the key. `on_written(ref_key)` runs once the document
        exists in 1C and before it is posted, so a caller can record the document even when posting fails.
        """
        payload = dict(body)
        payload[self.field] = with_key(comment, key)
        existing = self.find(key)
        created = False
        if existing is not None:
            ref_key = existing[self.key]
            if existing.get(self.deleted):
                payload[self.deleted] = False
            self.client.update(self.spec.entity_set, ref_key, payload)
        else:
            ref_key = self._create(key, payload)
            created = True
        if on_written is not None:
            on_written(ref_key)
        if post:
            self.client.post_document(self.spec.entity_set, ref_key)
        return WriteResult(ref_key=ref_key, created=created, posted=post)

    def _create(self, key: str, payload: Mapping) -> str:
        last: OneCError | None = None
        for _ in range(self.lookup_attempts):
            try:
                return self.client.create(self.spec.entity_set, payload)[self.key]
            except (OneCQueryError, ProfileError):
                raise
            except OneCError as exc:
                if exc.http_status is not None and exc.http_status < 500:
                    raise
                # The answer may have been lost after 1C wrote the document: look before resending.
                last = exc
            found = self._find_after_failure(key)
            if found is not None:
                return found[self.key]
        assert last is not None
        raise last

    def _find_after_failure(self, key: str) -> dict | None:
        try:
            return self.find(key)
        except OneCUnavailable as exc:
            # Neither "written" nor "absent" is known: resending could double the document.
            raise OneCUnavailable(
                exc.code,
                f"creating {self.spec.entity_set} with key {key}: the answer was lost and the base "
                f"cannot be asked whether it was written ({exc.message}); retry later",
                exc.http_status,
                exc.base,
            ) from exc
