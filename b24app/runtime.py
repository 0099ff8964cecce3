"""The composition root: the one place that builds the app's long-lived parts from Settings.

Web, worker, scheduler and CLI all build a `Runtime` the same way — settings read once, then the database,
Redis, stores, portal and 1C clients, the clock — so a token refreshed by one process is seen by all, and nothing
below this module reads the environment or builds its own collaborators. Domain functions (`b24app/sync/`)
receive what they use as arguments; RQ jobs (`b24app/jobs/`) are thin wrappers that take them from here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry as RedisRetry
from rq import Queue

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.installation import InstallDeps
from b24app.bitrix.oauth import OAuthClient
from b24app.bitrix.probe import is_admin
from b24app.bitrix.ratelimit import RateLimiter
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.bitrix.tokens import PortalTokens, token_lock
from b24app.config import Settings, SyncTuning
from b24app.core.clock import Clock, SystemClock
from b24app.jobs.circuit import BaseCircuit
from b24app.jobs.queues import queue_name
from b24app.manifest import Manifest, load_manifest
from b24app.onec.egress import EgressPolicy
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.profiles import Profile, ProfileLoader
from b24app.store.bases import OneCBaseStore
from b24app.store.config_transfer import ConfigTransfer
from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.debt_parts import DebtParts
from b24app.store.journal import Journal
from b24app.store.keys import RedisKeys
from b24app.store.links import LinkStore
from b24app.store.marks import Marks
from b24app.store.outbox import Outbox
from b24app.store.own_writes import OwnWrites
from b24app.store.portal_settings import PortalSettingsStore
from b24app.store.portals import PortalStore
from b24app.store.watermarks import Watermarks

# limits.md: ordinary plans drain 2 requests/s with a bucket of 50; Enterprise 5/s and 250.
DEFAULT_RATE = 2.0
DEFAULT_BURST = 50

# The app's RQ queues in priority order: token upkeep first, so sync never waits behind itself for a token.
QUEUES = ("tokens", "default")

# 1C clients: short in-call retries, because the exchange retries whole items with long backoff; one job need not
# wait out an outage. Reads for a page (card tab) get the connector's defaults through `onec_for_page`.
JOB_RETRY = RetryPolicy(attempts=2, base_delay=0.3, max_delay=2.0)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        # A malformed B24APP_ONEC_ALLOWED_NETWORKS entry stops the process at start-up (ConfigError naming it),
        # not at its first 1C call.
        self.egress  # noqa: B018 - built for its validation

    @property
    def tuning(self) -> SyncTuning:
        return self.settings.sync

    @cached_property
    def keys(self) -> RedisKeys:
        return RedisKeys(self.settings.queue_prefix)

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox(self.settings.secret_key, self.settings.old_secret_keys)

    @cached_property
    def portals(self) -> PortalStore:
        return PortalStore(self.db, self.box)

    @cached_property
    def bases(self) -> OneCBaseStore:
        return OneCBaseStore(self.db, self.box)

    @cached_property
    def portal_settings(self) -> PortalSettingsStore:
        return PortalSettingsStore(self.db)

    @cached_property
    def links(self) -> LinkStore:
        return LinkStore(self.db)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.db)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.db, self.tuning)

    @cached_property
    def config_transfer(self) -> ConfigTransfer:
        return ConfigTransfer(self.db, self.box, self.portal_settings, self.bases)

    @cached_property
    def marks(self) -> Marks:
        return Marks(self.db)

    @cached_property
    def own_writes(self) -> OwnWrites:
        return OwnWrites(self.redis, self.keys)

    @cached_property
    def watermarks(self) -> Watermarks:
        return Watermarks(self.db)

    @cached_property
    def debt_parts(self) -> DebtParts:
        return DebtParts(self.db)

    @cached_property
    def redis(self) -> Redis:
        """Redis with reconnects: a command that meets a dropped connection is retried with backoff, and a
        restarted Redis is reconnected to without restarting the process."""
        return Redis.from_url(
            self.settings.redis_url,
            retry=RedisRetry(ExponentialBackoff(cap=2.0, base=0.05), retries=3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=15,
            socket_connect_timeout=5,
            socket_keepalive=True,
        )

    @cached_property
    def oauth(self) -> OAuthClient:
        return OAuthClient(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            token_url=self.settings.oauth_token_url,
            allow_insecure_loopback=self.settings.allow_insecure_loopback,
        )

    @cached_property
    def spent_refresh_tokens(self) -> SpentRefreshTokens:
        return SpentRefreshTokens(self.marks)

    @cached_property
    def manifest(self) -> Manifest:
        return load_manifest()

    @cached_property
    def profiles(self) -> ProfileLoader:
        return ProfileLoader(self.settings.onec_profile_path)

    @cached_property
    def installer(self) -> InstallDeps:
        return InstallDeps(portals=self.portals, oauth=self.oauth, spent_refresh_tokens=self.spent_refresh_tokens,
                           manifest=self.manifest, public_url=self.settings.public_url,
                           allow_insecure_loopback=self.settings.allow_insecure_loopback, bitrix=self.bitrix,
                           lock=self._token_lock, is_admin=is_admin)

    def _token_lock(self, member_id: str) -> AbstractContextManager:
        return token_lock(self.redis, self.keys.token_refresh_lock(member_id), member_id)

    def tokens(self, member_id: str) -> PortalTokens:
        return PortalTokens(
            member_id,
            self.portals,
            self.oauth,
            self.redis,
            spent=self.spent_refresh_tokens,
            refresh_ahead_seconds=self.settings.refresh_ahead_seconds,
            lock_key=self.keys.token_refresh_lock(member_id),
            refreshes_key=self.keys.token_refreshes(member_id),
        )

    def bitrix(self, member_id: str, *, timeout: float = 30.0) -> BitrixClient:
        """A client of the portal whose every request draws from its shared bucket and uses its refreshed token."""
        record = self.portals.require(member_id)
        limiter = RateLimiter(self.redis, self.keys.rate_limit(member_id),
                              rate=record.rate_limit_per_second or DEFAULT_RATE,
                              burst=record.rate_limit_burst or DEFAULT_BURST,
                              waits_key=self.keys.rate_limit_waits(member_id))
        return BitrixClient(self.tokens(member_id), limiter=limiter, timeout=timeout,
                            auth_connector=self.manifest.code)

    @cached_property
    def egress(self) -> EgressPolicy:
        """Which addresses a 1C base may have: public ones plus `B24APP_ONEC_ALLOWED_NETWORKS` (every 1C client
        gets it; the settings form checks a typed URL with `egress.check_url`)."""
        return EgressPolicy.from_settings(self.settings)

    def onec(self, member_id: str, base_id: int, *, retry: RetryPolicy = JOB_RETRY) -> tuple[ODataClient, Profile]:
        """A client of one of the portal's 1C bases and the profile that names its objects."""
        base = self.bases.connection(member_id, base_id)
        return ODataClient(base, egress=self.egress, retry=retry), self.profiles.load(base.profile)

    def circuit(self, member_id: str, base_id: int) -> BaseCircuit:
        return BaseCircuit(self.redis, self.keys, member_id, base_id, self.tuning, self.clock)

    def queue(self, name: str) -> Queue:
        return Queue(self.queue_name(name), connection=self.redis)

    def queue_name(self, name: str) -> str:
        return queue_name(self.settings.queue_prefix, name)

    def queues(self) -> list[Queue]:
        return [self.queue(q) for q in QUEUES]

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


@lru_cache(maxsize=1)
def process_runtime() -> Runtime:
    """The runtime of a worker or scheduler process, built from the environment once. RQ jobs take IDs, never live
    objects, so each job process reaches its collaborators through here."""
    return Runtime(Settings.from_env())
