"""Proxy rotation with per-proxy health; credentials never leave this module unredacted."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ProxyPool", "check_proxy_url", "redact"]

#: proxy schemes the HTTP client (aiohttp) can speak to
PROXY_SCHEMES = ("http", "https")

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    """Replace ``user:password@`` in every URL of ``text`` with ``***@``."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


def check_proxy_url(url: str) -> str:
    """``url`` when it names a usable proxy (``http[s]://[user:pass@]HOST:PORT``); a
    ``ValueError`` saying what is missing otherwise (credentials redacted)."""
    shown = repr(redact(url))
    parts = urlsplit(url.strip())
    if "://" not in url or not parts.scheme:
        raise ValueError(f"{shown} is not a proxy URL (write http://HOST:PORT)")
    if parts.scheme.lower() not in PROXY_SCHEMES:
        raise ValueError(
            f"{shown}: unsupported proxy scheme {parts.scheme!r} (use {' or '.join(PROXY_SCHEMES)})"
        )
    if not parts.hostname:
        raise ValueError(f"{shown}: no proxy host (write {parts.scheme}://HOST:PORT)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown}: the port is not a number from 1 to 65535") from None
    if not port:
        raise ValueError(f"{shown}: no proxy port (write {parts.scheme}://{parts.hostname}:PORT)")
    return url.strip()


@dataclass
class _Proxy:
    url: str
    failures: int = 0
    down_until: float = 0.0
    used: int = 0
    errors: int = 0


class ProxyPool:
    """Round-robin over healthy proxies; a proxy failing ``max_failures`` times in a row rests
    for ``cooldown`` seconds (doubling while it keeps failing)."""

    def __init__(self, urls: list[str], max_failures: int = 3, cooldown: float = 30.0) -> None:
        self._proxies = [_Proxy(u) for u in urls]
        self._i = 0
        self.max_failures = max_failures
        self.cooldown = cooldown

    def hosts(self) -> list[str]:
        """``host:port`` of every proxy (exempt from the private-address guard)."""
        out = []
        for p in self._proxies:
            parts = urlsplit(p.url)
            if parts.hostname:
                out.append(f"{parts.hostname}:{parts.port or 80}")
        return out

    def pick(self) -> str | None:
        """The next healthy proxy URL (the least recently failed one if all rest), or None."""
        if not self._proxies:
            return None
        now = time.monotonic()
        n = len(self._proxies)
        for _ in range(n):
            p = self._proxies[self._i % n]
            self._i += 1
            if p.down_until <= now:
                p.used += 1
                return p.url
        p = min(self._proxies, key=lambda q: q.down_until)
        p.used += 1
        return p.url

    def report(self, url: str, ok: bool) -> None:
        """Record how a request through ``url`` went."""
        for p in self._proxies:
            if p.url == url:
                if ok:
                    p.failures = 0
                    p.down_until = 0.0
                else:
                    p.failures += 1
                    p.errors += 1
                    if p.failures >= self.max_failures:
                        rest = self.cooldown * 2 ** (p.failures - self.max_failures)
                        p.down_until = time.monotonic() + min(rest, 3600.0)
                return

    def summary(self) -> list[dict[str, object]]:
        """Per-proxy counts with credentials redacted (for crawl-stats.json)."""
        now = time.monotonic()
        return [
            {
                "proxy": redact(p.url),
                "requests": p.used,
                "errors": p.errors,
                "healthy": p.down_until <= now,
            }
            for p in self._proxies
        ]
