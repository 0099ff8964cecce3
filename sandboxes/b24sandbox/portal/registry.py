"""The REST method table: names, the scope each needs, and the context a method runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from b24sandbox.portal.state import USERS

if TYPE_CHECKING:
    from b24sandbox.portal.events import EventDispatcher
    from b24sandbox.portal.state import App, PortalState


@dataclass
class Caller:
    """Who is calling: an app through an OAuth token, or an inbound webhook of a user."""

    kind: str  # "app" or "webhook"
    user_id: int
    app: App | None
    auth_connector: str = ""

    @property
    def is_admin(self) -> bool:
        return bool(USERS.get(self.user_id, {}).get("ADMIN"))

    @property
    def client_id(self) -> str:
        return self.app.client_id if self.app else ""


@dataclass
class Call:
    """One method call: the portal, the event dispatcher, the caller and the decoded parameters."""

    state: PortalState
    events: EventDispatcher
    caller: Caller
    params: dict[str, Any]


@dataclass
class Outcome:
    """A method's answer; ``total``/``next`` only for list methods."""

    result: Any
    total: int | None = None
    next: int | None = None


Handler = Callable[[Call], Outcome]


@dataclass
class Method:
    name: str
    scope: str | None  # None: the "basic" scope every app has (api-reference/scopes/permissions.md)
    handler: Handler
    app_only: bool = False  # "works only in the context of application authorization"


METHODS: dict[str, Method] = {}


def method(name: str, scope: str | None = None, app_only: bool = False) -> Callable[[Handler], Handler]:
    """Register a REST method under ``name``."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = Method(name, scope, handler, app_only)
        return handler

    return register


# What else a deletion takes with it: each hook gets the call, the deleted record's entity ("company", ...) and ID,
# runs under the portal's lock right after the record is gone (methods_requisites.py: a company's requisites).
DeleteHook = Callable[[Call, str, int], None]
ON_DELETE: list[DeleteHook] = []


def on_delete(hook: DeleteHook) -> DeleteHook:
    """Register ``hook`` to run when a CRM record is deleted."""
    ON_DELETE.append(hook)
    return hook
