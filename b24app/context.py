"""The app's long-lived parts, built once per process from Settings: database, portal store, Redis, OAuth client.

Web, worker, scheduler and CLI all build an AppContext the same way, so a token refreshed by one is seen by all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from redis import Redis

from b24app.bitrix.oauth import OAuthClient
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.bitrix.tokens import PortalTokens
from b24app.config import Settings
from b24app.manifest import Manifest, load_manifest
from b24app.portal_settings import PortalSettingsStore
from b24app.store.bases import OneCBaseStore
from b24app.store.crypto import SecretBox
from b24app.store.db import Database
from b24app.store.journal import Journal
from b24app.store.links import LinkStore
from b24app.store.portals import PortalStore


@dataclass
class AppContext:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox(self.settings.secret_key)

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
    def redis(self) -> Redis:
        return Redis.from_url(self.settings.redis_url)

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
        return SpentRefreshTokens(self.redis, self.settings.queue_prefix)

    @cached_property
    def manifest(self) -> Manifest:
        return load_manifest()

    def tokens(self, member_id: str) -> PortalTokens:
        return PortalTokens(
            member_id,
            self.portals,
            self.oauth,
            self.redis,
            spent=self.spent_refresh_tokens,
            refresh_ahead_seconds=self.settings.refresh_ahead_seconds,
            lock_prefix=self.settings.queue_prefix,
        )
