"""Who is asking: the checks every page the portal opens in a frame goes through (card tabs, settings, app page).

A frame request (api-reference/widgets/crm/detail-tab.md) carries member_id, DOMAIN, AUTH_ID and friends. We
accept it only for an installed, active portal whose stored domain matches, and we verify AUTH_ID by asking that
portal — at the endpoint we stored, never one taken from the request — who the user is (user.current) and, when a
page needs it, whether they are an administrator (user.admin). Answers are cached briefly in Redis by a hash of
the token, so a tab opened twice costs one round trip.

Later requests from the same page (form posts, progress polls) carry a signed frame token instead of AUTH_ID:
third-party cookies are unreliable inside the portal's iframe, and the signature doubles as CSRF protection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import AccessDenied, BitrixError, NotFound, PortalAuthError, TokenExpired
from b24app.bitrix.installation import InstallRefused
from b24app.bitrix.tokens import TokenUnavailable
from b24app.runtime import Runtime
from b24app.store.portals import PortalAddress
from b24app.web.guards import allow_framing_by
from b24app.web.limits import ascii_id, bounded_json
from b24app.web.params import lang_of, portal_param

log = logging.getLogger(__name__)

AUTH_CACHE_SECONDS = 60
FRAME_TOKEN_MAX_AGE = 2 * 3600
PLACEMENT_OPTIONS_DEPTH = 8  # detail-tab.md: a flat object {"ID": "…"}; a little room for other placements


@dataclass(frozen=True)
class FrameUser:
    """A verified frame request: which portal, which user, in which language, opened where."""

    member_id: str
    user_id: str
    is_admin: bool
    lang: str
    placement: str
    options: dict

    @property
    def entity_id(self) -> str | None:
        value = self.options.get("ID")
        return str(value) if value not in (None, "") else None


class _FrameToken:
    """The token given by a verified frame request: only its bearer can use it and only for a while."""

    def __init__(self, access_token: str, endpoint: str) -> None:
        self.member_id = ""
        self.client_endpoint = endpoint
        self._token = access_token

    def access_token(self) -> str:
        return self._token

    def refresh_after_rejection(self, rejected: str) -> str:
        raise TokenExpired("expired_token", "the frame's AUTH_ID has expired; reopen the page", None, 401)


def stored_portal(ctx: Runtime, req: Request) -> PortalAddress:
    """The installed, active portal the request names, its DOMAIN matching what we stored.

    Read from the database on every request, never from a cache: an uninstalled portal, or one that needs
    re-authorisation, is refused from the moment its row says so."""
    member_id = portal_param(req, "member_id")
    domain = portal_param(req, "DOMAIN").lower()
    if not member_id or not domain:
        raise InstallRefused("frame request lacks member_id or DOMAIN", status=400)
    record = ctx.portals.address(member_id)
    if record is None:
        raise InstallRefused(f"frame request for unknown member_id {member_id!r}")
    if not record.is_active:
        raise InstallRefused(f"frame request for portal {member_id} that is {record.status.value}")
    if record.domain != domain:
        raise InstallRefused(f"frame request for {member_id} claims DOMAIN {domain!r}, stored {record.domain!r}")
    allow_framing_by(record.client_endpoint)
    return record


def verify_frame(ctx: Runtime, req: Request, *, need_admin: bool = False, timeout: float = 5.0) -> FrameUser:
    """Check a frame POST end to end; raise InstallRefused (403/401/400) with the reason when it fails."""
    return verify_frame_fetching(ctx, req, need_admin=need_admin, timeout=timeout)[0]


def verify_frame_fetching(ctx: Runtime, req: Request, also: Callable[[str, dict], list[str]] | None = None, *,
                          need_admin: bool = False, timeout: float = 5.0,
                          entity_kind: str | None = None) -> tuple[FrameUser, list[bytes | None]]:
    """`verify_frame`, plus the Redis values of the keys `also(member_id, options)` names, read in the same round
    trip as the cached verification (a warm card tab then costs one MGET for both). The checks are exactly
    verify_frame's, in the same order; `also` is called only for a stored, active portal and an options object.

    With `entity_kind` ("deal", "company") the user must also be allowed to read the CRM entity whose ID the
    placement options carry: asked with the user's own token (the portal applies the user's CRM role), in the same
    batch as the identity, and cached as briefly."""
    record = stored_portal(ctx, req)
    auth_id = portal_param(req, "AUTH_ID")
    if not auth_id:
        raise InstallRefused("frame request lacks AUTH_ID", status=401)
    options, options_error = _placement_options(req)
    extra = also(record.member_id, options) if (also is not None and options_error is None) else []
    key = _identity_key(ctx, record.member_id, auth_id)
    read = None
    if entity_kind is not None and options_error is None and ascii_id(options.get("ID")):
        entity_id = ascii_id(options.get("ID"))
        read = (entity_kind, entity_id, ctx.keys.frame_access(record.member_id, auth_id, entity_kind, entity_id))
    cached, access, *values = ctx.redis.mget([key, read[2] if read else key, *extra])
    identity = _cached_identity(cached, need_admin=need_admin)
    if identity is None or (read is not None and access is None):
        identity = _ask_portal(ctx, record, auth_id, identity, read, need_admin=need_admin, timeout=timeout)
    if options_error is not None:
        raise InstallRefused(options_error, status=400)
    user = FrameUser(member_id=record.member_id, user_id=identity["user_id"], is_admin=identity["is_admin"],
                     lang=lang_of(portal_param(req, "LANG")), placement=portal_param(req, "PLACEMENT", "DEFAULT"),
                     options=options)
    return user, values


def _placement_options(req: Request) -> tuple[dict, str | None]:
    try:
        options = bounded_json(portal_param(req, "PLACEMENT_OPTIONS") or "{}", max_depth=PLACEMENT_OPTIONS_DEPTH)
    except ValueError:
        return {}, "PLACEMENT_OPTIONS is not JSON (or nests too deep)"
    if not isinstance(options, dict):
        return {}, "PLACEMENT_OPTIONS is not an object"
    return options, None


def _identity_key(ctx: Runtime, member_id: str, auth_id: str) -> str:
    return ctx.keys.frame_auth(member_id, auth_id)


def _cached_identity(cached: bytes | None, *, need_admin: bool) -> dict | None:
    if cached is None:
        return None
    identity = json.loads(cached)
    return identity if identity.get("admin_checked") or not need_admin else None


def _ask_portal(ctx: Runtime, record: PortalAddress, auth_id: str, identity: dict | None,
                read: tuple[str, str, str] | None, *, need_admin: bool, timeout: float) -> dict:
    """Ask the portal, with the frame's AUTH_ID, what is not cached yet — who the user is, which app the token was
    issued to, whether the user is an admin, whether they may read the entity — in one batch (one request against
    the portal's limit, batch.md), and cache the answers for AUTH_CACHE_SECONDS."""
    client = BitrixClient(_FrameToken(auth_id, record.client_endpoint), timeout=timeout, max_retries=1)
    commands: dict[str, tuple[str, dict]] = {}
    if identity is None:
        commands.update(user=("user.current", {}), app=("app.info", {}))
        if need_admin:
            commands["admin"] = ("user.admin", {})
    if read is not None:
        # crm-deal-get.md / crm-company-get.md: "Access denied" when the user's role may not read this record.
        commands["read"] = (f"crm.{read[0]}.get", {"id": read[1]})
    try:
        answers = client.batch(commands)
    except (PortalAuthError, TokenExpired) as exc:
        raise InstallRefused(f"the portal rejected the frame's AUTH_ID ({exc.code})", status=401) from None
    except BitrixError as exc:
        raise InstallRefused(f"cannot verify the frame with the portal ({exc.code})", status=503) from None
    key = _identity_key(ctx, record.member_id, auth_id)
    if identity is None:
        identity = _identity_from(ctx, record, answers, need_admin=need_admin)
        ctx.redis.set(key, json.dumps(identity), ex=AUTH_CACHE_SECONDS)
    if read is not None:
        _require_readable(answers, read, identity["user_id"])
        ctx.redis.set(read[2], "1", ex=AUTH_CACHE_SECONDS)
    return identity


def _identity_from(ctx: Runtime, record: PortalAddress, answers, *, need_admin: bool) -> dict:  # noqa: ANN001
    failed = dict(answers.errors)
    if "user" in failed or "app" in failed:
        error = failed.get("user") or failed.get("app")
        if isinstance(error, (PortalAuthError, TokenExpired)):
            raise InstallRefused(f"the portal rejected the frame's AUTH_ID ({error.code})", status=401)
        raise InstallRefused(f"the frame's AUTH_ID cannot identify the user and app ({error.code})", status=403)
    user, app = answers.results.get("user") or {}, answers.results.get("app") or {}
    if not user.get("ID"):
        raise InstallRefused("the portal did not say who the user is", status=401)
    presented = (str(app.get("ID")), str(app.get("CODE")))
    ours = our_app_identity(ctx, record.member_id)
    if presented != (ours["ID"], ours["CODE"]):
        # The cached identity may predate a reinstall (a new app ID): ask the portal once more before refusing.
        ours = our_app_identity(ctx, record.member_id, fresh=True)
    if presented != (ours["ID"], ours["CODE"]):
        raise InstallRefused(f"the frame's AUTH_ID was issued to another application ({app.get('CODE')!r})")
    return {"user_id": str(user["ID"]), "is_admin": bool(answers.results.get("admin")) and "admin" not in failed,
            "admin_checked": need_admin}


def _require_readable(answers, read: tuple[str, str, str], user_id: str) -> None:  # noqa: ANN001
    error = answers.errors.get("read")
    if error is None:
        return
    kind, entity_id = read[0], read[1]
    if isinstance(error, AccessDenied):
        raise InstallRefused(f"user {user_id} may not read {kind} {entity_id} in the CRM")
    if isinstance(error, NotFound):
        raise InstallRefused(f"{kind} {entity_id} does not exist on this portal")
    raise InstallRefused(f"cannot check user {user_id}'s access to {kind} {entity_id} ({error.code or error})",
                         status=503)


def our_app_identity(ctx: Runtime, member_id: str, *, fresh: bool = False) -> dict[str, str]:
    """This app's ID and CODE on the portal, as app.info tells it with our own token (cached for a day, or asked
    afresh)."""
    key = ctx.keys.app_identity(member_id)
    cached = None if fresh else ctx.redis.get(key)
    if cached is not None:
        return json.loads(cached)

    try:
        info = ctx.bitrix(member_id, timeout=10.0).call("app.info").result or {}
    except BitrixError as exc:
        raise InstallRefused(f"cannot ask the portal about this app ({exc.code})", status=503) from None
    except TokenUnavailable as exc:
        raise InstallRefused(f"cannot ask the portal about this app ({exc.reason})", status=503) from None
    identity = {"ID": str(info.get("ID")), "CODE": str(info.get("CODE"))}
    ctx.redis.set(key, json.dumps(identity), ex=24 * 3600)
    return identity


def _serializer(ctx: Runtime) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: pages opened before a key rotation keep working.
    keys = [*ctx.settings.old_secret_keys, ctx.settings.secret_key]
    return URLSafeTimedSerializer(keys, salt="b24app-frame")


def sign_frame(ctx: Runtime, user: FrameUser) -> str:
    """A token the page sends back with its forms and polls; it stands for the verified frame request."""
    return _serializer(ctx).dumps(asdict(user))


def load_frame(ctx: Runtime, token: str, *, max_age: int = FRAME_TOKEN_MAX_AGE) -> FrameUser:
    """The FrameUser a signed token stands for; InstallRefused when forged, altered or expired."""
    try:
        data = _serializer(ctx).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InstallRefused("the page has been open too long; reopen it from Bitrix24", status=401) from None
    except BadSignature:
        raise InstallRefused("frame token is missing or forged", status=403) from None
    user = FrameUser(**data)
    record = ctx.portals.get(user.member_id)
    if record is None or not record.is_active:
        raise InstallRefused(f"portal {user.member_id} is no longer installed", status=403)
    allow_framing_by(record.client_endpoint)
    return user
