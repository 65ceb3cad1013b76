"""The local HTTP API (``thresher serve``): ``GET /read`` and ``POST /extract`` over one shared
:class:`~thresher.serve.reader.Reader`, so every request gets the reader's robots.txt rules,
host spacing, address guard and page cache. Errors are JSON ``{"error": ..., "status": N}``
with the status of the :class:`~thresher.serve.errors.ReadError` (400, 401, 403, 413, ...)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from aiohttp import web

from thresher.document import Document, stable_id
from thresher.errors import ConfigError, ThresherError
from thresher.extract.inputs import Page
from thresher.extract.run import process_page
from thresher.serve.errors import BadRequest, NotReadable, ReadError, SchemaUnsupported
from thresher.serve.reader import Reader, as_markdown
from thresher.serve.schema import SchemaAnswerer

__all__ = ["ServeOptions", "build_app", "check_bind", "serve"]

log = logging.getLogger("thresher.serve")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ServeOptions:
    """What the server was started with (``max_body``: largest request body in bytes)."""

    host: str = "127.0.0.1"
    port: int = 8765
    api_key: str | None = None
    max_body: int = 10 * 1024 * 1024
    #: answers requests with a schema (None: they get a 501)
    schema: SchemaAnswerer | None = None


READER = web.AppKey("reader", Reader)
OPTIONS = web.AppKey("options", ServeOptions)


def check_bind(host: str, api_key: str | None) -> None:
    """Serving beyond loopback needs an API key (an open reader is anyone's fetcher)."""
    try:
        loopback = host == "localhost" or ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not api_key:
        raise ConfigError(
            f"--host {host}: not a loopback address; set --api-key (or THRESHER_API_KEY) to"
            " serve beyond this machine"
        )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message, "status": status}, status=status)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as a JSON body with its status; never a traceback to the client."""
    try:
        return await handler(request)
    except ReadError as e:
        return _error(e.status, str(e))
    except ThresherError as e:  # a missing browser, a bad schema: the request cannot be done
        return _error(400, str(e))
    except web.HTTPRequestEntityTooLarge as e:
        limit = request.app[OPTIONS].max_body
        return _error(e.status, f"request body larger than {limit} bytes")
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return _error(e.status, e.reason)
    except Exception as e:  # a bug: logged here with its traceback, one line to the client
        log.exception("%s %s failed", request.method, request.path_qs)
        return _error(500, f"internal error: {type(e).__name__}")


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """With an API key, every request carries it (``Authorization: Bearer KEY`` or
    ``X-API-Key: KEY``), compared in constant time."""
    key = request.app[OPTIONS].api_key
    if key:
        given = request.headers.get("X-API-Key") or ""
        auth = request.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not hmac.compare_digest(given.encode(), key.encode()):
            return _error(401, "missing or wrong API key")
    return await handler(request)


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


async def read_handler(request: web.Request) -> web.StreamResponse:
    """``GET /read?url=URL[&format=markdown|json][&render=1]``."""
    url = request.query.get("url")
    if not url:
        raise BadRequest("missing url parameter: GET /read?url=https://...")
    fmt = request.query.get("format", "markdown")
    if fmt not in ("markdown", "json"):
        raise BadRequest(f"format must be markdown or json, not {fmt!r}")
    doc = await request.app[READER].read(url, render=_flag(request.query.get("render")))
    if fmt == "json":
        return web.json_response(doc.to_dict(), dumps=_dumps)
    return web.Response(text=as_markdown(doc), content_type="text/markdown", charset="utf-8")


async def extract_handler(request: web.Request) -> web.StreamResponse:
    """``POST /extract`` with JSON ``{"html": ...}`` or ``{"url": ...}`` and an optional
    ``schema``: the document (and ``record`` for a schema)."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with 'html' or 'url'")
    html, url, schema = body.get("html"), body.get("url"), body.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise BadRequest("'schema' must be a JSON Schema object")
    reader = request.app[READER]
    if isinstance(html, str):
        if url is not None and not isinstance(url, str):
            raise BadRequest("'url' must be a string")
        doc = _from_html(html, url, reader)
    elif html is not None:
        raise BadRequest("'html' must be a string")
    elif isinstance(url, str) and url:
        doc = await reader.read(url, render=_flag(str(body.get("render", ""))))
    else:
        raise BadRequest("the body needs 'html' (a page) or 'url' (a page to fetch)")
    out: dict[str, Any] = {"document": doc.to_dict()}
    if schema is not None:
        answerer = request.app[OPTIONS].schema
        if answerer is None:
            raise SchemaUnsupported(
                "schema extraction is not configured: start serve with --llm-base-url and"
                " --llm-model"
            )
        out["record"] = await answerer.answer(doc, schema)
    return web.json_response(out, dumps=_dumps)


def _from_html(html: str, url: str | None, reader: Reader) -> Document:
    """A document from HTML sent in the request (nothing is fetched; ``url`` is its base);
    its id is taken from the URL and the HTML, so the same page sent twice has one id."""
    page = Page(source="request", url=url, fetched_at=None, payload=html.encode("utf-8"))
    page.charset = "utf-8"
    doc, reason, _ = process_page(page, reader.extract_config)
    if doc is None:
        raise NotReadable(f"no main content found ({reason})")
    doc.id = stable_id("request", url, html)
    return doc


async def health_handler(request: web.Request) -> web.StreamResponse:
    """``GET /health``: the server answers, with the reader's counters."""
    reader = request.app[READER]
    cache = reader.cache
    return web.json_response(
        {
            "ok": True,
            "fetched": reader.stats.fetched,
            "robots_fetches": reader.stats.robots_fetches,
            "cache_hits": cache.hits if cache is not None else 0,
        }
    )


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def build_app(reader: Reader, options: ServeOptions) -> web.Application:
    """The aiohttp application (the reader must be open: ``async with reader``)."""
    app = web.Application(middlewares=[_errors, _auth], client_max_size=options.max_body)
    app[READER] = reader
    app[OPTIONS] = options
    app.router.add_get("/read", read_handler)
    app.router.add_post("/extract", extract_handler)
    app.router.add_get("/health", health_handler)
    if options.schema is not None:
        app.on_startup.append(options.schema.open)
        app.on_cleanup.append(options.schema.close)
    return app


async def _run(reader: Reader, options: ServeOptions, ready: Callable[[str], None]) -> None:
    async with reader:
        runner = web.AppRunner(build_app(reader, options), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, options.host, options.port)
        try:
            await site.start()
        except (OSError, OverflowError) as e:  # in use, not ours, or not a port number
            await runner.cleanup()
            why = getattr(e, "strerror", None) or e
            raise ConfigError(f"cannot listen on {options.host}:{options.port}: {why}") from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else options.port
        host = f"[{options.host}]" if ":" in options.host else options.host
        ready(f"http://{host}:{port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def serve(reader: Reader, options: ServeOptions) -> None:
    """Serve until SIGINT or SIGTERM; prints ``serving on URL`` to stderr once listening."""
    check_bind(options.host, options.api_key)

    def ready(base: str) -> None:
        print(f"thresher: serving on {base}", file=sys.stderr, flush=True)

    asyncio.run(_run(reader, options, ready))
