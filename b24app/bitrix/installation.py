"""Installing, re-installing and uninstalling the app on a portal.

Flow (ARCHITECTURE.md "Install"): the portal POSTs the install page (AUTH_ID, REFRESH_ID, member_id, DOMAIN, …)
and, once the installation is finished, sends ONAPPINSTALL with the application_token. Either may come first,
and a reinstall repeats both. We verify what we are told before storing anything:

* a portal we have not seen (or whose domain changed) is verified with the OAuth server, the only trusted source
  of which portal a token belongs to (settings/oauth/index.md, "Application Authorization"): we spend the refresh
  token there and insist the answer names the same member_id;
* a portal we know, at its known domain, is verified by a REST call with the presented access token at the
  endpoint we derived from that domain — so a repeated install never burns a refresh token another request holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.endpoints import UntrustedEndpoint, rest_endpoint, same_portal
from b24app.bitrix.errors import BitrixError
from b24app.bitrix.oauth import OAuthClient, OAuthRefreshError
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.manifest import Manifest
from b24app.store.crypto import same_secret
from b24app.store.models import PortalStatus
from b24app.store.portals import PortalRecord, PortalStore, TokenGrant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstallDeps:
    """What installing needs: the portal store, the OAuth server, the spent-token registry, the manifest to bind,
    the app's public URL, and a way to call a stored portal (`Runtime` builds it)."""

    portals: PortalStore
    oauth: OAuthClient
    spent_refresh_tokens: SpentRefreshTokens
    manifest: Manifest
    public_url: str
    allow_insecure_loopback: bool
    bitrix: Callable[[str], BitrixClient]


class InstallRefused(Exception):
    """An install or event request we will not act on. `status` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class InstallRequest:
    """What the portal's install POST carries (installation-finish.md; placements get the same set)."""

    member_id: str
    domain: str
    https: bool
    access_token: str
    refresh_token: str
    expires_in: int
    lang: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class InstallEvent:
    """ONAPPINSTALL's auth block (api-reference/common/events/on-app-install.md)."""

    member_id: str
    domain: str
    client_endpoint: str
    server_endpoint: str | None
    application_token: str
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    lang: str | None = None
    user_id: str | None = None


def install(deps: InstallDeps, req: InstallRequest) -> PortalRecord:
    """Verify and store an install POST, then bind placements and events. Safe to repeat."""
    endpoint = _endpoint(deps, req.domain, req.https)
    known = deps.portals.get(req.member_id)
    if _known_at(known, req.domain, endpoint):
        _verify_by_rest(deps, endpoint, req.access_token)
        grant = _presented_grant(deps, req.access_token, req.refresh_token, req.expires_in, endpoint, None)
    else:
        grant = _verified_grant(deps, req.member_id, req.domain, req.refresh_token, endpoint)
    _require_tokens(known, grant)
    record = deps.portals.save_install(req.member_id, req.domain, endpoint, grant, lang=req.lang,
                                      user_id=req.user_id)
    bind_from_manifest(deps, record.member_id)
    log.info("portal %s (%s) installed; placements and events bound", record.member_id, record.domain)
    return record


def accept_install_event(deps: InstallDeps, ev: InstallEvent) -> PortalRecord:
    """Store ONAPPINSTALL's application_token (and tokens when present) after verifying where it came from."""
    endpoint = _endpoint_from_event(deps, ev)
    known = deps.portals.get(ev.member_id)
    grant: TokenGrant | None = None
    if ev.access_token and ev.refresh_token:
        if _known_at(known, ev.domain, endpoint):
            _verify_by_rest(deps, endpoint, ev.access_token)
            grant = _presented_grant(deps, ev.access_token, ev.refresh_token, ev.expires_in or 3600, endpoint,
                                     ev.server_endpoint)
        else:
            grant = _verified_grant(deps, ev.member_id, ev.domain, ev.refresh_token, endpoint)
    elif known is None or known.domain != ev.domain or known.status is not PortalStatus.ACTIVE:
        raise InstallRefused("ONAPPINSTALL without tokens for a portal whose install we have not verified")
    elif known.application_token and not same_secret(known.application_token, ev.application_token):
        raise InstallRefused("ONAPPINSTALL without tokens tries to replace a stored application_token")
    _require_tokens(known, grant)
    record = deps.portals.save_application_token(
        ev.member_id, ev.application_token, domain=ev.domain, client_endpoint=endpoint,
        server_endpoint=ev.server_endpoint, grant=grant, lang=ev.lang,
    )
    if known is None or known.status is not PortalStatus.ACTIVE:
        # No install POST preceded this event (an app without UI, or a reinstall): bind now.
        bind_from_manifest(deps, record.member_id)
    log.info("portal %s: ONAPPINSTALL accepted", ev.member_id)
    return record


def check_event_token(deps: InstallDeps, member_id: str, application_token: str, event: str) -> PortalRecord:
    """Every event must carry the application_token stored for its member_id (safe-event-handlers.md)."""
    record = deps.portals.get(member_id) if member_id else None
    if record is None:
        raise InstallRefused(f"{event} for unknown member_id {member_id!r}", status=401)
    if not record.application_token:
        raise InstallRefused(f"{event} for {member_id}: no application_token stored (portal "
                             f"{record.status.value})", status=401)
    if not same_secret(record.application_token, application_token):
        raise InstallRefused(f"{event} for {member_id}: application_token does not match", status=403)
    return record


def uninstall(deps: InstallDeps, member_id: str) -> None:
    """ONAPPUNINSTALL (already authenticated by application_token): forget tokens, keep history."""
    deps.portals.mark_uninstalled(member_id)
    log.info("portal %s uninstalled; tokens deleted, history kept", member_id)


def binding_commands(manifest: Manifest, public_url: str) -> dict[str, tuple[str, dict]]:
    """The batch that (re)binds every placement and event of the manifest.

    Each binding is preceded by its unbind, so a reinstall replaces rather than duplicates (event.bind refuses a
    handler already bound; placement.bind would otherwise keep stale titles). Keys name what they do so errors map
    back to a binding.
    """
    base = public_url.rstrip("/")
    commands: dict[str, tuple[str, dict]] = {}
    for p in manifest.placements:
        handler = base + p.path
        commands[f"unbind_{p.placement}"] = ("placement.unbind", {"PLACEMENT": p.placement, "HANDLER": handler})
        commands[f"bind_{p.placement}"] = ("placement.bind", {
            "PLACEMENT": p.placement,
            "HANDLER": handler,
            "TITLE": p.title_ru,
            "DESCRIPTION": p.description_ru,
            # api-reference/widgets/placement-bind.md: LANG_ALL localises TITLE/DESCRIPTION per interface language.
            "LANG_ALL": {
                "ru": {"TITLE": p.title_ru, "DESCRIPTION": p.description_ru},
                "en": {"TITLE": p.title_en, "DESCRIPTION": p.description_en},
            },
        })
    handler = base + manifest.events_path
    for e in manifest.events:
        # Offline copies carry our auth_connector so our own REST changes are not queued back to us
        # (api-reference/events/offline-events.md, "How to Avoid Cycles"); the client sends the same value.
        offline = {"event_type": "offline", "auth_connector": manifest.code}
        kinds = [("online", {})] + ([("offline", offline)] if e.offline else [])
        for kind, extra in kinds:
            commands[f"unbind_{e.event}_{kind}"] = ("event.unbind", {"event": e.event, "handler": handler, **extra})
            commands[f"bind_{e.event}_{kind}"] = ("event.bind", {"event": e.event, "handler": handler, **extra})
    return commands


def bind_from_manifest(deps: InstallDeps, member_id: str) -> None:
    """Bind placements and events in one batch call; a failed bind is an install failure, not a warning."""

    client = deps.bitrix(member_id)
    result = client.batch(binding_commands(deps.manifest, deps.public_url), halt=False)
    failed = {k: e for k, e in result.errors.items() if k.startswith("bind_")}
    if failed:
        detail = "; ".join(f"{k}: {e}" for k, e in failed.items())
        raise InstallRefused(f"binding placements/events failed: {detail}", status=502)


def _endpoint(deps: InstallDeps, domain: str, https: bool) -> str:
    try:
        return rest_endpoint(domain, https=https, allow_insecure_loopback=deps.allow_insecure_loopback)
    except UntrustedEndpoint as exc:
        raise InstallRefused(str(exc), status=400) from None


def _endpoint_from_event(deps: InstallDeps, ev: InstallEvent) -> str:
    endpoint = _endpoint(deps, ev.domain, ev.client_endpoint.startswith("https://"))
    if not same_portal(ev.client_endpoint, ev.domain):
        raise InstallRefused(f"client_endpoint {ev.client_endpoint!r} does not belong to domain {ev.domain!r}")
    return endpoint


def _known_at(known: PortalRecord | None, domain: str, endpoint: str) -> bool:
    return known is not None and known.domain == domain and known.client_endpoint == endpoint


def _presented_grant(deps: InstallDeps, access_token: str, refresh_token: str, expires_in: int, endpoint: str,
                     server_endpoint: str | None) -> TokenGrant | None:
    """The pair a verified request carried, or None when we already exchanged its refresh token (the pair we
    got for it is newer and is kept)."""
    if deps.spent_refresh_tokens.was_spent(refresh_token):
        return None
    return TokenGrant(access_token, refresh_token, datetime.now(UTC) + timedelta(seconds=max(expires_in, 0)),
                      client_endpoint=endpoint, server_endpoint=server_endpoint)


def _verified_grant(deps: InstallDeps, member_id: str, domain: str, refresh_token: str, endpoint: str) -> TokenGrant:
    grant = _verify_by_oauth(deps, member_id, refresh_token)
    if grant.client_endpoint and not same_portal(grant.client_endpoint, domain):
        raise InstallRefused(f"OAuth server places member {member_id} at {grant.client_endpoint}, not at {domain}")
    return TokenGrant(grant.access_token, grant.refresh_token, grant.expires_at, client_endpoint=endpoint,
                      server_endpoint=grant.server_endpoint, scope=grant.scope)


def _require_tokens(known: PortalRecord | None, grant: TokenGrant | None) -> None:
    if grant is None and not (known and known.refresh_token):
        raise InstallRefused("the presented refresh token was already used and no other token is stored", 409)


def _verify_by_oauth(deps: InstallDeps, member_id: str, refresh_token: str) -> TokenGrant:
    try:
        grant = deps.oauth.refresh(refresh_token)
    except OAuthRefreshError as exc:
        if exc.permanent:
            raise InstallRefused(f"the OAuth server rejected the presented token ({exc.code})") from None
        raise InstallRefused(f"the OAuth server is unreachable ({exc.code}); try again", status=503) from None
    deps.spent_refresh_tokens.mark(refresh_token)
    if grant.member_id != member_id:
        raise InstallRefused(f"token belongs to member {grant.member_id!r}, request claims {member_id!r}")
    return grant


def _verify_by_rest(deps: InstallDeps, endpoint: str, access_token: str) -> None:
    from b24app.bitrix.probe import probe_token

    try:
        probe_token(endpoint, access_token)
    except BitrixError as exc:
        raise InstallRefused(f"the portal rejected the presented token ({exc.code or exc.http_status})") from None
