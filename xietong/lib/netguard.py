"""Where outgoing webhooks may connect: public addresses, and what the operator allow-lists.

A robot's address is typed by a person, and its delivery error is shown
back to them: without a guard, anyone who may add a robot could make the
server post to itself, to its database or to the intranet and read what
comes back (server-side request forgery). So a host is refused when any
address it resolves to is loopback, private, link-local, multicast,
reserved or unspecified — odd spellings (``2130706433``, ``0x7f.1``,
``[::ffff:127.0.0.1]``, NAT64 ``64:ff9b::7f00:1``, 6to4, ``localhost``)
included — unless the operator allow-listed the name or the address
(``XIETONG_ROBOT_ALLOWED_HOSTS``, for intranet robot gateways).

``checked_addresses`` is called both when a robot is saved and by the
HTTP client right before it connects, which then connects to exactly the
addresses checked (a name re-pointed at an internal address between the
two, DNS rebinding, gains nothing).

Where the only way out is an HTTP proxy, the operator names it
(``XIETONG_ROBOT_PROXY``, ``robot_proxy``): the proxy itself is not
checked (the operator chose it), the robot's host still is
(``checked_for_proxy``), except a name this machine cannot resolve, which
the proxy resolves and its own access rules then judge.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_HOSTS_SETTING = "XIETONG_ROBOT_ALLOWED_HOSTS"

# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local use): the last 32 bits are an IPv4 address.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)


class BlockedAddress(Exception):
    """The host is, or resolves to, an address robots may not reach."""


class UnresolvedHost(Exception):
    """The host name does not resolve (now)."""


def _name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, in any form the system resolver accepts as one; None for a name."""
    name = _name(host)
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is dropped
    except ValueError:
        pass
    if _LEGACY_IPV4.match(name):
        # inet_aton reads what getaddrinfo does: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to (mapped, NAT64, 6to4, Teredo, IPv4-compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d, deprecated but still routed by some stacks
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public(ip: Address) -> bool:
    """Whether ``ip`` is a globally routable unicast address (and so is what it tunnels to)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public(inner)
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class AllowList:
    """Host names and networks robots may reach although they are not public."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def allows_name(self, host: str) -> bool:
        return _name(host) in self.names

    def allows(self, ip: Address) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def parse_allow_list(items: Iterable[str], source: str = ALLOWED_HOSTS_SETTING) -> AllowList:
    """Read host names, addresses and CIDR networks; raise ``ImproperlyConfigured`` on anything else."""
    names: set[str] = set()
    networks: list[Network] = []
    for item in items:
        value = item.strip()
        try:
            networks.append(ipaddress.ip_network(value.strip("[]"), strict=True))
            continue
        except ValueError as error:
            if "/" in value:
                raise ImproperlyConfigured(f"{source}: {value!r} is not a network ({error})") from None
        name = _name(value)
        if not _HOST_NAME.match(name) or literal_address(name) is not None:
            # A bare "10.1" or "0x7f.1" would be a second spelling of an address: write it plainly.
            raise ImproperlyConfigured(f"{source}: {value!r} is not a host name, address or network")
        names.add(name)
    return AllowList(frozenset(names), tuple(networks))


@functools.lru_cache(maxsize=8)
def _cached(items: tuple[str, ...]) -> AllowList:
    return parse_allow_list(items)


def allow_list() -> AllowList:
    """The operator's allow-list (``XIETONG_ROBOT_ALLOWED_HOSTS``) as settings hold it now."""
    from django.conf import settings

    return _cached(tuple(getattr(settings, ALLOWED_HOSTS_SETTING, ())))


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (TCP), in the resolver's order."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(_name(host), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnresolvedHost(host) from None
    found: list[Address] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise UnresolvedHost(host)
    return found


def checked_addresses(host: str, port: int, allowed: AllowList | None = None) -> list[Address]:
    """The addresses of ``host`` a webhook may connect to: all of them, or raise.

    Raises ``BlockedAddress`` when any address is not public and not
    allow-listed (one bad address among good ones is refused too: the
    connection could land on it), ``UnresolvedHost`` when the name does
    not resolve. An allow-listed name is trusted whatever it resolves to.
    """
    allowed = allowed if allowed is not None else allow_list()
    name = _name(host)
    if not name:
        raise UnresolvedHost(host)
    if (name == "localhost" or name.endswith(".localhost")) and not allowed.allows_name(name):
        raise BlockedAddress(host)  # RFC 6761: always the machine itself, whatever DNS says
    addresses = resolve(name, port)
    if allowed.allows_name(name):
        return addresses
    if any(not is_public(ip) and not allowed.allows(ip) for ip in addresses):
        raise BlockedAddress(host)
    return addresses


def checked_for_proxy(host: str, port: int, allowed: AllowList | None = None) -> None:
    """Check a robot's host that the operator's proxy will connect to (``XIETONG_ROBOT_PROXY``).

    The same rules as ``checked_addresses`` for what can be judged here: a
    literal address must be public or allow-listed, a name that resolves
    must resolve only to such addresses. A name that does not resolve
    here (intranet DNS often knows no internet names) is left to the
    proxy, which resolves it itself; its own access rules decide then.
    """
    try:
        checked_addresses(host, port, allowed)
    except UnresolvedHost:
        if not _name(host):
            raise


# ---------------------------------------------------------------- the egress proxy

PROXY_SETTING = "XIETONG_ROBOT_PROXY"


@dataclass(frozen=True)
class Proxy:
    """The operator's HTTP proxy for robots; ``authorization`` (credentials) is never shown."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}" + (" (with credentials)" if self.authorization else "")


def _proxy_problem(value: str) -> str | None:
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "is not a valid address"
    if parts.scheme.lower() != "http":
        return "must start with http:// (an HTTP proxy)"
    host = parts.hostname or ""
    if not host:
        return "has no host"
    if port is None:
        return "has no port"
    if port == 0:
        return "has port 0"
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith(("?", "#")):
        return "has a path, query or fragment"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.match(host):
            return "has an invalid host"
    return None


def parse_proxy(value: str, source: str = PROXY_SETTING) -> Proxy | None:
    """Read ``http://[user:password@]host:port``; None when empty; ``ImproperlyConfigured`` otherwise.

    The message never repeats the value: it may carry the proxy's password.
    """
    value = value.strip()
    if not value:
        return None
    problem = _proxy_problem(value)
    if problem:
        raise ImproperlyConfigured(
            f"{source} {problem}: expected http://[user:password@]host:port, e.g. http://proxy.intranet:3128"
        )
    parts = urlsplit(value)
    authorization = None
    if parts.username is not None or parts.password is not None:
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    return Proxy(parts.hostname or "", int(parts.port or 0), authorization)


@functools.lru_cache(maxsize=4)
def _cached_proxy(value: str) -> Proxy | None:
    return parse_proxy(value)


def robot_proxy() -> Proxy | None:
    """The proxy robots are sent through (``XIETONG_ROBOT_PROXY``), or None to connect directly.

    Settings hold it parsed (a ``Proxy``: its repr hides the credentials,
    as a setting named ``…PROXY`` is not masked by Django's error pages);
    a plain string (a test's override) is parsed here.
    """
    from django.conf import settings

    value = getattr(settings, PROXY_SETTING, None)
    if isinstance(value, str):
        return _cached_proxy(value)
    return value if isinstance(value, Proxy) else None
