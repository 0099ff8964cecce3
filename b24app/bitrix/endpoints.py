"""Which portal addresses the app may call.

The install request tells us the portal's DOMAIN; everything we later send (tokens included) goes to the REST
endpoint derived from it. An attacker who could choose that address could make us post tokens anywhere, so the
address is derived, not taken verbatim, and production refuses plain HTTP and loopback/private hosts.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_DOMAIN = re.compile(r"^(?=.{1,253}(:\d{1,5})?$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")


class UntrustedEndpoint(ValueError):
    """A portal address we will not talk to; the message says why."""


def _is_local_host(host: str) -> bool:
    if host in {"localhost"} or host.endswith(".localhost") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def rest_endpoint(domain: str, *, https: bool, allow_insecure_loopback: bool) -> str:
    """The portal's REST base URL (`https://<domain>/rest/`) after checking the domain is one we may call."""
    domain = (domain or "").strip().lower()
    if not _DOMAIN.match(domain):
        raise UntrustedEndpoint(f"malformed portal domain {domain!r}")
    host = domain.rsplit(":", 1)[0] if ":" in domain else domain
    local = _is_local_host(host)
    if allow_insecure_loopback and local:
        return f"{'https' if https else 'http'}://{domain}/rest/"
    if local:
        raise UntrustedEndpoint(f"portal domain {domain!r} is a local address")
    if not https:
        raise UntrustedEndpoint(f"portal {domain!r} must be reached over HTTPS")
    return f"https://{domain}/rest/"


def same_portal(endpoint: str, domain: str) -> bool:
    """Whether a client_endpoint URL points at the given portal domain."""
    parts = urlsplit(endpoint)
    return (parts.netloc or "").lower() == (domain or "").lower() and parts.path.rstrip("/").endswith("/rest")
