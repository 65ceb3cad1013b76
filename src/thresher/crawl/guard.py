"""SSRF guard: no request to loopback, private, link-local or multicast addresses.

Checked on the addresses a host name resolves to, for every URL fetched (redirect targets are
fetched as URLs of their own), and again inside the HTTP client's resolver so a DNS answer
that changes between the check and the connection cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from thresher.crawl.outcomes import BLOCKED_PRIVATE, DNS_ERROR

__all__ = ["AddressGuard", "BlockedAddress", "GuardedResolver", "forbidden_ip"]


class BlockedAddress(OSError):
    """A host resolved to an address the crawler may not contact."""


def forbidden_ip(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    )


_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class AddressGuard:
    """Decides whether a host may be contacted; caches DNS answers for ``ttl`` seconds."""

    def __init__(
        self, allow_private: bool, allow_hosts: list[str] | None = None, ttl: float = 300.0
    ) -> None:
        self.allow_private = allow_private
        self.allow_hosts = {h.lower() for h in allow_hosts or []}
        self.ttl = ttl
        self._cache: dict[str, tuple[float, str | None]] = {}

    def exempt(self, host: str, port: int | None = None) -> bool:
        """Hosts the user listed in ``allow_hosts`` (by name, or ``name:port``)."""
        host = host.lower().strip("[]")
        return host in self.allow_hosts or (
            port is not None and f"{host}:{port}" in self.allow_hosts
        )

    async def check(self, host: str, port: int) -> str | None:
        """None when ``host`` may be fetched, else the reason (``blocked-private-address``,
        ``dns-error``)."""
        if self.allow_private or self.exempt(host, port):
            return None
        bare = host.strip("[]")
        if _is_ip(bare):
            return BLOCKED_PRIVATE if forbidden_ip(bare) else None
        key = f"{bare}:{port}"
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return DNS_ERROR
        verdict = None
        if not infos or any(forbidden_ip(str(info[4][0])) for info in infos):
            verdict = BLOCKED_PRIVATE
        self._cache[key] = (now + self.ttl, verdict)
        return verdict


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses forbidden addresses at connection time."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._guard.allow_private or self._guard.exempt(host, port):
            return results
        bad = [r for r in results if forbidden_ip(str(r["host"]))]
        if bad:
            raise BlockedAddress(f"{host} resolves to a forbidden address")
        return results

    async def close(self) -> None:
        await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - passthrough
        return getattr(self._inner, name)
