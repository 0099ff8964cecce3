"""Every Redis key the app uses, in one place. Redis holds only what may be lost: locks, queues, caches, rate
buckets and short-lived marks. What must survive a Redis restart (idempotency keys, fingerprints, "already told"
marks) lives in the database (`store/marks.py`).

All keys start with the deployment's prefix (`B24APP_QUEUE_PREFIX`), so several deployments can share one Redis
and a test can delete everything it made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RedisKeys:
    prefix: str

    def _k(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    # Bitrix24 client: the portal's leaky bucket and operating-time budget (limits.md), the token refresh lock.
    def rate_limit(self, member_id: str) -> str:
        return self._k("ratelimit", member_id)

    def token_refresh_lock(self, member_id: str) -> str:
        return self._k("token-refresh", member_id)

    # Operations counters read by /metrics (web/metrics.py): hashes that only grow, kept without expiry; a lost
    # Redis restarts them from zero, which Prometheus reads as a counter reset.
    def rate_limit_waits(self, member_id: str) -> str:
        """How often and how long requests to the portal waited for its bucket (fields `count`, `seconds`)."""
        return self._k("ratelimit-waits", member_id)

    def token_refreshes(self, member_id: str) -> str:
        """Token refreshes of the portal by outcome (fields `ok`, `failed`, `refused`)."""
        return self._k("token-refreshes", member_id)

    def scheduler_tick(self) -> str:
        """When the scheduler last turned its loop (Redis server time, seconds; ops/ticks.py)."""
        return self._k("scheduler-tick")

    # Exchange: one job per entity at a time; one counterparty creation per INN at a time.
    def sync_lock(self, member_id: str, entity: str) -> str:
        return self._k("sync-lock", member_id, entity)

    def counterparty_lock(self, member_id: str, inn: str, kpp: str) -> str:
        return self._k("counterparty-lock", member_id, f"{inn}:{kpp}")

    # The per-base circuit breaker (`jobs/circuit.py`).
    def base_circuit(self, member_id: str, base_id: int) -> str:
        return self._k("onec-circuit", member_id, base_id)

    def base_probe(self, member_id: str, base_id: int) -> str:
        return self._k("onec-probe", member_id, base_id)

    # Scheduling: a stream is due when its key is absent (set NX with the stream's interval).
    def stream_due(self, member_id: str, stream: str) -> str:
        return self._k("due", member_id, stream)

    def offline_collect_soon(self) -> str:
        return self._k("offline-collect-soon")

    # Caches of the web pages.
    def frame_auth(self, member_id: str, auth_id: str) -> str:
        # Hashed: a token must not be readable from a key listing.
        return self._k("frame-auth", _digest(f"{member_id}:{auth_id}"))

    def frame_access(self, member_id: str, auth_id: str, kind: str, entity_id: str) -> str:
        """That the AUTH_ID's user may read this CRM entity (hashed like frame_auth)."""
        return self._k("frame-access", _digest(f"{member_id}:{auth_id}:{kind}:{entity_id}"))

    def app_identity(self, member_id: str) -> str:
        return self._k("app-identity", member_id)

    def portal_schema(self, member_id: str) -> str:
        return self._k("portal-schema", member_id)

    def mapping_broken(self, member_id: str) -> str:
        return self._k("mapping-broken", member_id)

    def fields_ok(self, member_id: str, mapping: str) -> str:
        return self._k("fields-ok", member_id, mapping)

    def tab_entity(self, what: str, member_id: str, kind: str, entity_id: str) -> str:
        return self._k(f"tab-{what}", member_id, kind, entity_id)

    def tab_setup(self, member_id: str) -> str:
        return self._k("tab-setup", member_id)

    def tab_data(self, member_id: str, entity: str, entity_id: str, base_id: int) -> str:
        return self._k("tab", member_id, entity, entity_id, base_id)

    def tab_lock(self, data_key: str) -> str:
        return self._k("tab-lock", data_key.removeprefix(self.prefix + ":"))

    # "Sync now" on the settings page.
    def sync_now_job(self, member_id: str, name: str, base_id: int | None) -> str:
        return self._k("sync-now", member_id, name, base_id or "all")

    def base_check_result(self, member_id: str, base_id: int) -> str:
        return self._k("base-check", member_id, base_id)

    def base_choices(self, member_id: str, base_id: int) -> str:
        """The organizations and warehouses of a base the settings page offers (web/settings_onec.py)."""
        return self._k("base-choices", member_id, base_id)

    def own_write(self, member_id: str, kind: str, entity_id: str) -> str:
        """How many update events of an entity our own write-backs still owe (store/own_writes.py)."""
        return self._k("echo", member_id, kind, entity_id)
