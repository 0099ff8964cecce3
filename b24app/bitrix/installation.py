"""Installing, re-installing and uninstalling the app on a portal.

Flow (ARCHITECTURE.md "Install"): the portal POSTs the install page (AUTH_ID, REFRESH_ID, member_id, DOMAIN, …)
and, once the installation is finished, sends ONAPPINSTALL with the application_token — to the event handler, or to
the install path for apps registered without a UI. Either may come first, and a reinstall repeats both.

Nothing is stored until the presented pair is proven to be *this app's* tokens for *this portal*, issued to an
*administrator*: the refresh token is spent at the OAuth server with our own client credentials (it answers only
for tokens issued to our client; settings/oauth/index.md), the answer must name the claimed member_id and a
client_endpoint on the claimed domain, and `user.admin` with the new access token must say yes. A manager's
AUTH_ID/REFRESH_ID from a card tab is this app's token too — only the admin check tells it apart. An
application_token is set only by a proven ONAPPINSTALL; until one arrives a reinstall keeps the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.endpoints import UntrustedEndpoint, rest_endpoint, same_portal
from b24app.bitrix.errors import BitrixError
from b24app.bitrix.oauth import OAuthClient, OAuthRefreshError
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.bitrix.tokens import TokenUnavailable
from b24app.manifest import Manifest
from b24app.store.crypto import same_secret
from b24app.store.models import PortalStatus
from b24app.store.portals import PortalRecord, PortalStore, TokenGrant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstallDeps:
    """What installing needs: the portal store, the OAuth server, the spent-token registry, the manifest to bind,
    the app's public URL, a way to call a stored portal, a per-portal lock (the one token refreshes take, so a
    proof and a refresh never spend tokens of one portal at once) and the admin check (`Runtime` builds it)."""

    portals: PortalStore
    oauth: OAuthClient
    spent_refresh_tokens: SpentRefreshTokens
    manifest: Manifest
    public_url: str
    allow_insecure_loopback: bool
    bitrix: Callable[[str], BitrixClient]
    lock: Callable[[str], AbstractContextManager]
    is_admin: Callable[[str, str], bool]


class InstallRefused(Exception):
    """An install or event request we will not act on. `status` is the HTTP status to answer with; `reason` is
    for the log, `public` (default: the reason) for the answer — they differ where the detail would tell an
    outsider which portals are installed."""

    def __init__(self, reason: str, status: int = 403, *, public: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.public = public if public is not None else reason


@dataclass(frozen=True)
class InstallRequest:
    """What the portal's install POST carries (installation-finish.md; placements get the same set)."""

    member_id: str
    domain: str
    https: bool
    access_token: str
    refresh_token: str
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
    lang: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class Proof:
    """A proven pair: the new grant the OAuth server gave for it, or None when this very pair was proven before
    (its refresh token is spent; the successor we got for it is already stored and is kept)."""

    grant: TokenGrant | None


def install(deps: InstallDeps, req: InstallRequest) -> PortalRecord:
    """Prove and store an install POST, then bind placements and events. Safe to repeat."""
    endpoint = _endpoint(deps, req.domain, req.https)
    proof = prove_pair(deps, req.member_id, req.domain, endpoint, req.refresh_token)
    _require_tokens(deps.portals.get(req.member_id), proof.grant)
    record = deps.portals.save_install(req.member_id, req.domain, endpoint, proof.grant, lang=req.lang,
                                      user_id=req.user_id)
    bind_from_manifest(deps, record.member_id)
    log.info("portal %s (%s) installed; placements and events bound", record.member_id, record.domain)
    return record


def accept_install_event(deps: InstallDeps, ev: InstallEvent) -> PortalRecord:
    """Store ONAPPINSTALL's application_token (and its tokens) once its pair is proven."""
    endpoint = _endpoint_from_event(deps, ev)
    if not (ev.access_token and ev.refresh_token):
        # Without a pair nothing proves the event came from the portal: anyone knowing member_id and domain could
        # otherwise choose the token every later event is checked against.
        raise InstallRefused("ONAPPINSTALL without auth[access_token] and auth[refresh_token] proves nothing")
    proof = prove_pair(deps, ev.member_id, ev.domain, endpoint, ev.refresh_token)
    known = deps.portals.get(ev.member_id)
    _require_tokens(known, proof.grant)
    record = deps.portals.save_application_token(
        ev.member_id, ev.application_token, domain=ev.domain, client_endpoint=endpoint,
        server_endpoint=ev.server_endpoint, grant=proof.grant, lang=ev.lang,
    )
    if known is None or known.status is not PortalStatus.ACTIVE:
        # No install POST preceded this event (an app without UI, or a reinstall): bind now.
        bind_from_manifest(deps, record.member_id)
    log.info("portal %s: ONAPPINSTALL accepted", ev.member_id)
    return record


def prove_pair(deps: InstallDeps, member_id: str, domain: str, endpoint: str, refresh_token: str) -> Proof:
    """Prove a presented pair (see the module docstring) or raise InstallRefused; changes nothing stored but the
    spent-token marks."""
    try:
        with deps.lock(member_id):
            return _prove_locked(deps, member_id, domain, endpoint, refresh_token)
    except TokenUnavailable as exc:
        raise InstallRefused(f"cannot prove the pair now: {exc.reason}; try again", status=503) from None


def _prove_locked(deps: InstallDeps, member_id: str, domain: str, endpoint: str, refresh_token: str) -> Proof:
    proved = deps.spent_refresh_tokens.proved_member(refresh_token)
    if proved is not None:
        if proved != member_id:
            raise InstallRefused(f"the presented pair proved portal {proved!r}, not {member_id!r}")
        return Proof(grant=None)
    if deps.spent_refresh_tokens.was_spent(refresh_token):
        raise InstallRefused("the presented refresh token was already used and proved no installation")
    grant = _spend(deps, refresh_token)
    try:
        checked = _checked_grant(deps, grant, member_id, domain, endpoint)
    except InstallRefused:
        deps.spent_refresh_tokens.mark(refresh_token)
        raise
    deps.spent_refresh_tokens.mark_proven(refresh_token, member_id)
    return Proof(grant=checked)


def _spend(deps: InstallDeps, refresh_token: str) -> TokenGrant:
    try:
        return deps.oauth.refresh(refresh_token)
    except OAuthRefreshError as exc:
        if exc.permanent:
            raise InstallRefused(f"the OAuth server rejected the presented token ({exc.code})") from None
        raise InstallRefused(f"the OAuth server is unreachable ({exc.code}); try again", status=503) from None


def _checked_grant(deps: InstallDeps, grant: TokenGrant, member_id: str, domain: str,
                   endpoint: str) -> TokenGrant:
    """The OAuth server's answer must place the pair on the claimed portal, and its user must be an admin."""
    if grant.member_id != member_id:
        raise InstallRefused(f"token belongs to member {grant.member_id!r}, request claims {member_id!r}")
    if not grant.client_endpoint or not same_portal(grant.client_endpoint, domain):
        raise InstallRefused(f"OAuth server places member {member_id} at {grant.client_endpoint!r}, not at "
                             f"{domain!r}")
    try:
        admin = deps.is_admin(endpoint, grant.access_token)
    except BitrixError as exc:
        raise InstallRefused(f"cannot ask the portal whether the installing user is an administrator "
                             f"({exc.code or exc.http_status})", status=503) from None
    if not admin:
        raise InstallRefused("the installing user is not an administrator of the portal")
    return TokenGrant(grant.access_token, grant.refresh_token, grant.expires_at, client_endpoint=endpoint,
                      server_endpoint=grant.server_endpoint, scope=grant.scope)


def check_event_token(deps: InstallDeps, member_id: str, application_token: str, event: str) -> PortalRecord:
    """Every event must carry the application_token stored for its member_id (safe-event-handlers.md).

    Every refusal answers the same 403: an unknown member_id, a portal without a stored token and a wrong token
    look alike from outside, so the handler does not tell which portals are installed."""
    record = deps.portals.get(member_id) if member_id else None
    public = "application_token does not match"
    if record is None:
        raise InstallRefused(f"{event} for unknown member_id {member_id!r}", public=public)
    if not record.application_token:
        raise InstallRefused(f"{event} for {member_id}: no application_token stored (portal "
                             f"{record.status.value})", public=public)
    if not same_secret(record.application_token, application_token):
        raise InstallRefused(f"{event} for {member_id}: application_token does not match", public=public)
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


def _require_tokens(known: PortalRecord | None, grant: TokenGrant | None) -> None:
    if grant is None and not (known and known.refresh_token):
        raise InstallRefused("the presented refresh token was already used and no other token is stored", 409)
