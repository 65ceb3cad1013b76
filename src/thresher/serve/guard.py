"""What keeps the local API the user's own: a ``Host`` check against DNS rebinding (a site
whose name is made to resolve to 127.0.0.1 cannot use the API from the user's browser), a
refusal of requests a browser sends from another site, bounded request lines and headers,
and malformed requests answered as JSON 400s like every other error.

The slow-client limits are aiohttp's own: ``keepalive_timeout`` closes a connection that has
not sent a complete request head within that many seconds (its timer runs from the
connection's start and from the end of each answer, and data arriving does not reset it);
the body has its own timeout in the handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler

from thresher.serve.errors import CrossSite, MisdirectedRequest

__all__ = [
    "MAX_FIELD_SIZE",
    "MAX_HEADERS",
    "MAX_LINE_SIZE",
    "HostCheck",
    "JsonErrorsRunner",
]

log = logging.getLogger("thresher.serve")

#: longest request line (method, path and query) and header field, in bytes
MAX_LINE_SIZE = 8190
MAX_FIELD_SIZE = 8190
#: most header fields in one request
MAX_HEADERS = 64
#: seconds an answered connection still reads what is left of an unread body before it is
#: closed (so the client sees the answer, not a reset); aiohttp's default is 10
LINGER_SECONDS = 2.0
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_WILDCARDS = frozenset({"", "0.0.0.0", "[::]"})


def _bracketed(host: str) -> str:
    """An IPv6 address in the form ``Host`` headers use (``[::1]``), names lowercased."""
    host = host.strip().lower()
    try:
        if ip_address(host.strip("[]")).version == 6:
            return f"[{host.strip('[]')}]"
    except ValueError:
        pass
    return host


def _split(value: str) -> tuple[str, str | None]:
    """(name, port) of a ``Host`` value: ``[::1]:8765``, ``localhost``, ``example.org:80``."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        port = rest[1:] if rest.startswith(":") else None
        return name + "]", port
    name, sep, port = value.rpartition(":")
    return (name, port) if sep else (value, None)


@dataclass
class HostCheck:
    """The names requests may address: loopback names and the ``--host`` address (at the
    port the server listens on), and ``--allow-host`` entries (``NAME`` at any port,
    ``NAME:PORT`` at that one; ``*``: any host, for a proxy that checks names itself)."""

    own: frozenset[str]
    extra: frozenset[str] = frozenset()
    port: int = 0
    any_host: bool = field(init=False)

    def __post_init__(self) -> None:
        self.any_host = "*" in self.extra

    @classmethod
    def build(cls, host: str, allow_hosts: list[str] | tuple[str, ...] = ()) -> HostCheck:
        own = set(LOOPBACK_NAMES)
        if _bracketed(host) not in _WILDCARDS:
            own.add(_bracketed(host))
        extra = {_bracketed(h) if h.count(":") > 1 else h.strip().lower() for h in allow_hosts}
        return cls(frozenset(own), frozenset(extra))

    def allows(self, value: str | None) -> bool:
        """Whether a ``Host`` header value names this server."""
        if self.any_host:
            return True
        if not value:
            return False
        name, port = _split(value)
        if name in self.extra or f"{name}:{port}" in self.extra:
            return True
        return name in self.own and (port is None or port == str(self.port))

    def allows_origin(self, origin: str) -> bool:
        """Whether a browser's ``Origin`` is a page of an allowed host (any port)."""
        if self.any_host:
            return True
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            return False
        if not host:
            return False
        name = _bracketed(host)
        return name in self.own or any(_split(e)[0] == name for e in self.extra)

    def check(self, request: web.BaseRequest) -> None:
        """Raise unless the request addresses this server and no other site's page sent it."""
        if not self.allows(request.headers.get("Host")):
            raise MisdirectedRequest(
                "the Host header names no host this server answers for"
                " (start serve with --allow-host NAME to add one)"
            )
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            raise CrossSite("requests from another site's pages are refused")
        origin = request.headers.get("Origin")
        if origin is not None and not self.allows_origin(origin):
            raise CrossSite("requests from another site's pages are refused")


def _protocol_error(exc: BaseException | None) -> str:
    """One fixed line per kind of malformed request (never the request's own bytes)."""
    if isinstance(exc, LineTooLong):
        return f"request line or header field longer than {MAX_LINE_SIZE} bytes"
    if isinstance(exc, BadHttpMessage) and "headers" in str(exc).lower():
        return f"malformed or too many header fields (at most {MAX_HEADERS})"
    return "malformed HTTP request"


class _JsonErrorsHandler(RequestHandler):
    """aiohttp's connection handler, with its own error answers (malformed requests,
    which never reach the application) as JSON."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("the answer was already started")
        if status >= 500:
            log.error("request from %s failed", request.remote, exc_info=exc)
            text = "internal error"
        else:
            log.debug("bad request from %s: %s", request.remote, exc)
            text = _protocol_error(exc)
        resp = web.json_response({"error": text, "status": status}, status=status)
        resp.force_close()
        return resp


class _JsonErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorsRunner(web.AppRunner):
    """An AppRunner whose connections answer malformed requests as JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorsServer  # the same server, with our handler class
        return server


def runner_limits(header_timeout: float) -> dict[str, Any]:
    """The connection limits handed to aiohttp's request handler."""
    return {
        "keepalive_timeout": header_timeout,
        "max_line_size": MAX_LINE_SIZE,
        "max_field_size": MAX_FIELD_SIZE,
        "max_headers": MAX_HEADERS,
        "lingering_time": LINGER_SECONDS,
    }
