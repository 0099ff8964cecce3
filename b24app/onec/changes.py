"""What changed in a 1C base since a watermark.

Documents: by their date (the profile's `date`). A document keeps its date when it is edited or posted later,
so the watermark also remembers the version (the profile's `version`, DataVersion) of every document dated within
`lookback` before the newest date seen; documents in that window are re-read and reported again only when their
version changed.

Catalogs: by the version (1C changes DataVersion on every write, platform docs 17.4.13.1.5). The watermark holds
the version of every element seen; a full key-range walk reports new, changed and vanished elements. Walking a
catalog costs ceil(n / page) requests; the watermark is plain JSON for the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from b24app.onec import query as q
from b24app.onec.odata import DEFAULT_PAGE_SIZE, ODataClient
from b24app.onec.profiles import ObjectSpec

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class Change:
    """One changed element. `row` holds the selected 1C properties (empty for DELETED)."""

    kind: str
    entity_set: str
    ref_key: str
    data_version: str
    row: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentWatermark:
    """Newest document date seen and the versions of documents dated within the lookback window."""

    since: datetime | None = None
    versions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"since": self.since.strftime(_DATE_FORMAT) if self.since else None, "versions": dict(self.versions)}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> DocumentWatermark:
        if not data:
            return cls()
        since = datetime.strptime(data["since"], _DATE_FORMAT) if data.get("since") else None
        return cls(since=since, versions=dict(data.get("versions", {})))


@dataclass(frozen=True)
class CatalogWatermark:
    """DataVersion of every element seen on the last walk."""

    versions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"versions": dict(self.versions)}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> CatalogWatermark:
        return cls(versions=dict((data or {}).get("versions", {})))


@dataclass(frozen=True)
class ChangeSet:
    changes: list[Change]
    watermark: DocumentWatermark | CatalogWatermark


def document_changes(
    client: ODataClient,
    spec: ObjectSpec,
    watermark: DocumentWatermark,
    *,
    select: Sequence[str] | None = None,
    extra_filter: str | None = None,
    lookback: timedelta = timedelta(days=3),
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ChangeSet:
    """Documents created or changed since the watermark, oldest first, and the watermark to store next.

    The caller stores the new watermark only after it has handled the changes.
    """
    key_field, version_field, date_field = spec.field("key"), spec.field("version"), spec.field("date")
    start = watermark.since - lookback if watermark.since else None
    window = q.compare(date_field, "ge", start) if start else None
    wanted = _with(select, [key_field, version_field, date_field])
    changes: list[Change] = []
    seen: dict[str, tuple[str, datetime]] = {}
    newest = watermark.since
    for page in client.iter_pages(
        spec.entity_set,
        filter=q.all_of(extra_filter, window),
        select=wanted,
        orderby=f"{date_field},{key_field}",
        page_size=page_size,
    ):
        for row in page:
            ref_key, version = row[key_field], row.get(version_field, "")
            moment = datetime.strptime(row[date_field][:19], _DATE_FORMAT)
            seen[ref_key] = (version, moment)
            newest = moment if newest is None or moment > newest else newest
            before = watermark.versions.get(ref_key)
            if before == version:
                continue
            is_new = before is None and (watermark.since is None or moment > watermark.since)
            changes.append(Change(CREATED if is_new else UPDATED, spec.entity_set, ref_key, version, row))
    cutoff = newest - lookback if newest else None
    kept = {k: v for k, (v, moment) in seen.items() if cutoff is None or moment >= cutoff}
    return ChangeSet(changes, DocumentWatermark(since=newest, versions=kept))


def catalog_changes(
    client: ODataClient,
    spec: ObjectSpec,
    watermark: CatalogWatermark,
    *,
    select: Sequence[str] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ChangeSet:
    """Elements new or changed since the last walk, plus DELETED ones that vanished from the base."""
    key_field, version_field = spec.field("key"), spec.field("version")
    wanted = _with(select, [key_field, version_field])
    changes: list[Change] = []
    versions: dict[str, str] = {}
    for page in client.iter_pages_by_key(spec.entity_set, select=wanted, key=key_field, page_size=page_size):
        for row in page:
            ref_key, version = row[key_field], row.get(version_field, "")
            versions[ref_key] = version
            before = watermark.versions.get(ref_key)
            if before is None:
                changes.append(Change(CREATED, spec.entity_set, ref_key, version, row))
            elif before != version:
                changes.append(Change(UPDATED, spec.entity_set, ref_key, version, row))
    for ref_key, version in watermark.versions.items():
        if ref_key not in versions:
            changes.append(Change(DELETED, spec.entity_set, ref_key, version))
    return ChangeSet(changes, CatalogWatermark(versions=versions))


def _with(select: Sequence[str] | None, needed: Sequence[str]) -> list[str] | None:
    if not select:
        return None
    return [*needed, *(s for s in select if s not in needed)]
