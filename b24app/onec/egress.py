"""Which addresses the app may call as a 1C base: public ones, plus the networks the deployment allows.

Why: a portal administrator types the 1C base URL, and the server fetches it (the "test connection" button, the
schema check, every sync job). Without a rule that is server-side request forgery (SSRF): the URL can name this
server itself (`127.0.0.1`, `localhost`, `[::1]`, or spellings such as `0x7f000001`, `2130706433`, `0177.0.0.1`,
`127.1`), the cloud metadata service (`169.254.169.254`), or anything on the private network behind it, and
the answer (or its error text) comes back to the page. So a 1C base is called only when EVERY address its host
resolves to is a public unicast address — or lies in a network the deployment lists in
`B24APP_ONEC_ALLOWED_NETWORKS` (a closed network whose 1C sits on 10.x: list that subnet, optionally with a port).

How: `EgressPolicy.check_url` checks the URL's form (http/https only; no login, query or fragment in it; a host),
resolves the host with `socket.getaddrinfo` (the resolver the connection itself uses, so every numeric spelling
above comes back as 127.0.0.1 and is judged as such) and judges each address with `ipaddress`: loopback,
private, link-local, multicast, reserved, unspecified, shared address space (100.64.0.0/10), benchmarking, and
IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo) are refused unless
allowed. The URL is split with urllib3's own parser, the one requests uses to decide where to connect, so the
check and the connection cannot read a crafted URL differently.

Residual risk, and how it is closed: DNS answers can change between the check and the connect (DNS rebinding: a
name answers a public address to the check and 127.0.0.1 to the connection). `EgressPolicy.mount(session)`
installs a transport adapter whose connections judge the peer address of the socket actually connected, before
TLS or a single request byte is sent, so a rebinding name is refused at connect time too. Not covered: a proxy
configured through HTTP(S)_PROXY — the connection then goes to the proxy, which resolves the name itself (the
URL's host is still checked up front); `getaddrinfo` has no timeout of its own, so a slow resolver can hold a
check for the system's resolver timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import idna
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from b24app.config import ConfigError

if TYPE_CHECKING:
    import requests

    from b24app.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses the host resolves to, as strings.
Resolver = Callable[[str, int], Iterable[str]]

ALLOWED_ENV = "B24APP_ONEC_ALLOWED_NETWORKS"
DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 6598: carrier-grade NAT space; Python 3.11 reports it neither private nor global, so it is named here.
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
# RFC 6052: the well-known NAT64 prefix; the last 32 bits are the IPv4 address reached.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 4291 2.5.5.1: deprecated "IPv4-compatible" addresses ::a.b.c.d.
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

ASK_OPERATOR = (
    "1C bases must be on public addresses; if this base really is on the app's closed network, ask the app's "
    f"operator to allow its network ({ALLOWED_ENV})"
)


class EgressRefused(ValueError):
    """The app will not call this address. `reason` is plain English, safe to show the portal administrator: it
    names the host as typed and the kind of address, never what a request there would have answered."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownHost(EgressRefused):
    """The host name does not resolve (a typo, or a name only another network knows): a form may say "not found"."""

    def __init__(self, host: str) -> None:
        super().__init__(f"unknown host {host}: the name does not resolve")
        self.host = host


@dataclass(frozen=True)
class AllowedNetwork:
    """One entry of `B24APP_ONEC_ALLOWED_NETWORKS`: a network, and the one port allowed in it (None: any)."""

    network: IPNetwork
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowedNetwork:
        """`10.20.0.0/16`, `192.168.5.7/32:8080`, `127.0.0.1:8081` (a bare address is /32 or /128), `fd00::/8`,
        `[fd00::1]:443`. ValueError says what is wrong."""
        text = entry.strip()
        address, port = _split_entry(text)
        # strict: an entry with host bits set ("10.20.0.5/16") is probably a typo, and an allowlist should say
        # exactly what it allows.
        network = ipaddress.ip_network(address, strict=True)
        return cls(network, port)

    def admits(self, address: IPAddress, port: int) -> bool:
        if address.version != self.network.version or address not in self.network:
            return False
        return self.port is None or self.port == port

    def __str__(self) -> str:
        if self.port is None:
            return str(self.network)
        net = f"[{self.network}]" if self.network.version == 6 else str(self.network)
        return f"{net}:{self.port}"


@dataclass(frozen=True)
class ResolvedTarget:
    """Where a checked URL leads: its scheme, host (ASCII, no brackets), port, and the addresses it resolved to."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `getaddrinfo` gives for a TCP connection: what urllib3 will connect to."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@dataclass(frozen=True)
class EgressPolicy:
    """The rule every outbound 1C call obeys. Build it once per process (`Runtime.egress`) from the settings."""

    allowed: tuple[AllowedNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False, repr=False)

    @classmethod
    def from_entries(cls, entries: Iterable[str], *, resolver: Resolver = system_resolver) -> EgressPolicy:
        """Parses the allowlist; a malformed entry is a ConfigError naming it (raised at start-up). A plain string
        is read as the environment variable is: comma-separated."""
        if isinstance(entries, str):
            entries = entries.split(",")
        parsed = []
        for entry in entries:
            if not entry.strip():
                continue
            try:
                parsed.append(AllowedNetwork.parse(entry))
            except ValueError as exc:
                raise ConfigError(
                    f"{ALLOWED_ENV}: {entry.strip()!r} is not a network: {exc}. Use CIDR entries, optionally "
                    "with a port: 10.20.0.0/16, 192.168.5.7/32:8080, 127.0.0.1:8081, [fd00::1]:443"
                ) from None
        return cls(tuple(parsed), resolver)

    @classmethod
    def from_settings(cls, settings: Settings, *, resolver: Resolver = system_resolver) -> EgressPolicy:
        return cls.from_entries(settings.onec_allowed_networks, resolver=resolver)

    # ------------------------------------------------------------------ the checks

    def check_url(self, url: str) -> ResolvedTarget:
        """Raises EgressRefused unless `url` is a well-formed http(s) URL whose host resolves only to permitted
        addresses (for the settings form's validation and the client alike)."""
        scheme, host, port = split_url(url)
        return ResolvedTarget(scheme, host, port, self.check_host_port(host, port))

    def check_host_port(self, host: str, port: int) -> tuple[str, ...]:
        """Resolves `host` and raises EgressRefused unless every address is permitted on `port`; returns them."""
        addresses = self._resolve(host, port)
        for text in addresses:
            self.check_address(text, port, host=host)
        return addresses

    def check_address(self, address: str, port: int, *, host: str = "") -> None:
        """Raises EgressRefused unless one address (with its port) is permitted."""
        try:
            ip = _normalised(ipaddress.ip_address(address))
        except ValueError:
            raise EgressRefused(f"{host or address}: the name service answered something that is not an "
                                "address") from None
        if any(entry.admits(ip, port) for entry in self.allowed):
            return
        kind = refusal_kind(ip)
        if kind is None:
            return
        named = host or str(ip)
        verb = "is" if _is_literal(named) else "resolves to"
        raise EgressRefused(f"{named} {verb} {kind}: {ASK_OPERATOR}")

    def permits(self, address: str, port: int) -> bool:
        try:
            self.check_address(address, port)
        except EgressRefused:
            return False
        return True

    def mount(self, session: requests.Session) -> requests.Session:
        """Routes the session's http/https through connections that check the peer address they connected to."""
        adapter = PeerCheckingAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _resolve(self, host: str, port: int) -> tuple[str, ...]:
        if _is_literal(host):
            return (host,)
        try:
            addresses = tuple(dict.fromkeys(self.resolver(host, port)))
        except (OSError, UnicodeError):
            addresses = ()
        if not addresses:
            raise UnknownHost(host)
        return addresses


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL the app may try; EgressRefused when its form is not acceptable. No DNS."""
    if not isinstance(url, str) or not url.strip():
        raise EgressRefused("the address is empty")
    if any(_is_control(ch) or ch.isspace() or ch == "\\" for ch in url):
        # Parsers disagree about backslashes and control characters; a real publication URL has none.
        raise EgressRefused("the address contains spaces, backslashes or control characters")
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise EgressRefused("the address is not a valid URL") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise EgressRefused("only http:// and https:// addresses are allowed")
    if parts.auth is not None:
        raise EgressRefused("the address must not contain a login or password: enter them in their own fields")
    if parts.query is not None or "?" in url:
        raise EgressRefused("the address must not contain a query (?…): enter the publication root, e.g. "
                            "http://server/base/")
    if parts.fragment is not None or "#" in url:
        raise EgressRefused("the address must not contain a fragment (#…)")
    host = (parts.host or "").strip("[]")
    if not host:
        raise EgressRefused("the address has no host")
    try:
        # What requests does before connecting (PreparedRequest._get_idna_encoded_host): resolve that name.
        host = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise EgressRefused("the address's host name is not a valid international domain name") from None
    port = DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    if not 0 < port < 65536:
        raise EgressRefused("the address's port is out of range")
    return scheme, host.lower(), port


def refusal_kind(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ("a loopback address (this server itself)", …), None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            kind = refusal_kind(embedded)
            return f"an IPv6 form of {kind}" if kind else None
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        if ip in IPV4_COMPATIBLE and int(ip) > 1:
            return "an IPv4-compatible IPv6 address (deprecated)"
    checks: Sequence[tuple[bool, str]] = (
        (ip.is_unspecified, "an unspecified address (this server itself)"),
        (ip.is_loopback, "a loopback address (this server itself)"),
        (ip.is_link_local, "a link-local address (such as the cloud metadata service)"),
        (ip.is_multicast, "a multicast address"),
        (ip.version == 4 and ip in SHARED_ADDRESS_SPACE, "a shared (carrier-grade NAT) address"),
        (ip.is_private, "a private or special-purpose network address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((kind for hit, kind in checks if hit), None)


def _normalised(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address on the wire: judge and match it as one.
    The scope of a link-local address does not change what it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.scope_id:
            return ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    return ip


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries by design (mapped, 6to4, NAT64): it decides where packets go."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _split_entry(text: str) -> tuple[str, int | None]:
    """An allowlist entry's address part and port. An IPv6 entry with a port is bracketed; a bare IPv6 entry
    has colons only in its address."""
    if text.startswith("["):
        inner, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError("missing ']'")
        if rest and not rest.startswith(":"):
            raise ValueError("expected ':port' after ']'")
        return inner, _port(rest[1:]) if rest else None
    if text.count(":") == 1:
        address, _, port = text.partition(":")
        return address, _port(port)
    return text, None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


def _is_literal(host: str) -> bool:
    """True for a canonical IP literal; other numeric spellings (127.1, 0x7f000001) go through the resolver,
    which reads them as the connection will."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf")


# ---------------------------------------------------------------------- the check at connect time


class PeerRefused(EgressRefused):
    """The connection reached an address the policy refuses (the name resolved differently than when checked)."""


def _check_peer(allowed: tuple[AllowedNetwork, ...], sock: socket.socket, host: str) -> None:
    address, port = sock.getpeername()[:2]
    try:
        EgressPolicy(allowed).check_address(str(address), int(port), host=host)
    except EgressRefused as exc:
        raise PeerRefused(exc.reason) from None


@lru_cache(maxsize=64)
def _pool_classes(allowed: tuple[AllowedNetwork, ...]) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections check the connected peer. urllib3 offers no hook to pass the
    policy to a connection, so the classes are made per allowlist (few per process, hence the cache)."""

    class PeerChecked:
        host: str

        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()  # type: ignore[misc]
            try:
                _check_peer(allowed, sock, self.host)
            except BaseException:
                sock.close()
                raise
            return sock

    class CheckedHTTPConnection(PeerChecked, HTTPConnection):
        pass

    class CheckedHTTPSConnection(PeerChecked, HTTPSConnection):
        pass

    class CheckedHTTPPool(HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    return {"http": CheckedHTTPPool, "https": CheckedHTTPSPool}


class PeerCheckingAdapter(HTTPAdapter):
    """requests' adapter with connections that refuse a peer the policy refuses (before any byte is sent).
    Proxied requests keep requests' own proxy pools: their peer is the proxy."""

    def __init__(self, policy: EgressPolicy, **kwargs) -> None:
        self._allowed = policy.allowed
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._allowed)
