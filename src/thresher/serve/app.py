"""The local HTTP API (``thresher serve``): ``GET /read`` and ``POST /extract`` over one shared
:class:`~thresher.serve.reader.Reader`, so every request gets the reader's robots.txt rules,
host spacing, address guard and page cache. Errors are JSON ``{"error": ..., "status": N}``
with the status of the :class:`~thresher.serve.errors.ReadError` (400, 401, 403, 413, ...).
Requests must name this server in ``Host`` and not come from another site's page
(:mod:`thresher.serve.guard`); pages are extracted in worker processes under a hard time
limit (:mod:`thresher.serve.pool`), so no page holds up the server."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
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
from thresher.serve.errors import (
    BadRequest,
    BodyTimeout,
    NotReadable,
    ReadError,
    SchemaUnsupported,
    UnsupportedMediaType,
)
from thresher.serve.guard import HostCheck, JsonErrorsRunner, runner_limits
from thresher.serve.pool import DEFAULT_EXTRACT_TIMEOUT, DEFAULT_EXTRACT_WORKERS
from thresher.serve.reader import Reader, as_markdown, why_not
from thresher.serve.schema import SchemaAnswerer

__all__ = ["ServeOptions", "build_app", "check_bind", "check_key", "serve"]

log = logging.getLogger("thresher.serve")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0


@dataclass
class ServeOptions:
    """What the server was started with (``max_body``: largest request body in bytes)."""

    host: str = "127.0.0.1"
    port: int = 8765
    api_key: str | None = None
    max_body: int = 10 * 1024 * 1024
    #: answers requests with a schema (None: they get a 501)
    schema: SchemaAnswerer | None = None
    #: more names clients may use in ``Host`` (``--allow-host``; ``*``: any)
    allow_hosts: tuple[str, ...] = ()
    #: seconds a connection may take to send a complete request head (slow clients)
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    #: seconds a request body may take to arrive
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    #: pages extracted at once (worker processes) and the hard limit on one page, seconds
    extract_workers: int = DEFAULT_EXTRACT_WORKERS
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT


READER = web.AppKey("reader", Reader)
OPTIONS = web.AppKey("options", ServeOptions)
HOSTS = web.AppKey("hosts", HostCheck)
#: seconds the server waits for requests in flight once told to stop
SHUTDOWN_GRACE = 5.0
_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


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


def check_key(key: str | None, source: str = "--api-key") -> None:
    """A key that is given must be one: an empty key would look like protection and be none
    (refused, not read as "no key"); spaces around it would never match a header."""
    if key is None:
        return
    if not key.strip():
        raise ConfigError(
            f"{source} is empty: give a key, or leave it out (and unset THRESHER_API_KEY) to"
            " serve on loopback without one"
        )
    if key != key.strip():
        raise ConfigError(f"{source} starts or ends with spaces, which HTTP clients drop")


def _error(status: int, message: str) -> web.Response:
    resp = web.json_response({"error": message, "status": status}, status=status)
    if status == 408:  # the rest of the body may still come: this connection is done
        resp.force_close()
    return resp


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as a JSON body with its status; never a traceback to the client."""
    try:
        return await handler(request)
    except ReadError as e:
        return _error(e.status, str(e))
    except ThresherError as e:  # a missing browser, a bad schema: the request cannot be done
        return _error(400, str(e))
    except RecursionError:  # a request nested past what the JSON reader or a schema allows
        return _error(400, "the request nests too deeply")
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
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only requests that name this server, and none a browser sends from another site."""
    request.app[HOSTS].check(request)
    return await handler(request)


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
        # header bytes that are not UTF-8 arrive as surrogate escapes: kept, never matching
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), key.encode()):
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
    _headings(doc)
    if fmt == "json":
        return web.json_response(doc.to_dict(), dumps=_dumps)
    return web.Response(text=as_markdown(doc), content_type="text/markdown", charset="utf-8")


async def extract_handler(request: web.Request) -> web.StreamResponse:
    """``POST /extract`` with JSON ``{"html": ...}`` or ``{"url": ...}`` and an optional
    ``schema``: the document (and ``record`` for a schema)."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with 'html' or 'url'")
    html, url, schema = body.get("html"), body.get("url"), body.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise BadRequest("'schema' must be a JSON Schema object")
    reader = request.app[READER]
    if isinstance(html, str):
        if url is not None and not isinstance(url, str):
            raise BadRequest("'url' must be a string")
        doc = await _from_html(html, url, reader)
    elif html is not None:
        raise BadRequest("'html' must be a string")
    elif isinstance(url, str) and url:
        doc = await reader.read(url, render=_flag(str(body.get("render", ""))))
    else:
        raise BadRequest("the body needs 'html' (a page) or 'url' (a page to fetch)")
    headings = _headings(doc)
    out: dict[str, Any] = {"document": doc.to_dict()}
    if schema is not None:
        answerer = request.app[OPTIONS].schema
        if answerer is None:
            raise SchemaUnsupported(
                "schema extraction is not configured: start serve with --llm-base-url and"
                " --llm-model"
            )
        out["record"] = await answerer.answer(doc, schema, headings)
    return web.json_response(out, dumps=_dumps)


def _headings(doc: Document) -> list[list[Any]]:
    """The page's H1-H3 kept for the model (with ``--llm-*``, extraction keeps them in
    ``metadata.headings``), taken out of the document: answers never carry them."""
    found = doc.metadata.pop("headings", None)
    return found if isinstance(found, list) else []


async def _json_body(request: web.Request) -> Any:
    """The request's JSON body: ``application/json`` in UTF-8 (a form a browser could send
    from another site is refused), read within the body timeout."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("POST bodies must be Content-Type: application/json")
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise BadRequest("the body's charset must be utf-8")
    timeout = request.app[OPTIONS].body_timeout
    try:
        raw = await asyncio.wait_for(request.read(), timeout)
    except TimeoutError:
        raise BodyTimeout(f"the request body did not arrive within {timeout:g}s") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    except json.JSONDecodeError:
        raise BadRequest("the body is not JSON") from None
    if _LONE_SURROGATE.search(raw):  # \ud800 alone decodes, but is no character
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("the body holds a lone surrogate escape (\\ud800-\\udfff)") from None
    return body


async def _from_html(html: str, url: str | None, reader: Reader) -> Document:
    """A document from HTML sent in the request (nothing is fetched; ``url`` is its base);
    its id is taken from the URL and the HTML, so the same page sent twice has one id."""
    page = Page(source="request", url=url, fetched_at=None, payload=html.encode("utf-8"))
    page.charset = "utf-8"
    if reader.pool is not None:
        doc, reason, _ = await reader.pool.call(process_page, page, reader.extract_config)
    else:
        doc, reason, _ = process_page(page, reader.extract_config)
    if doc is None:
        raise NotReadable(why_not(reason, reader.extract_config))
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
    app = web.Application(middlewares=[_errors, _guard, _auth], client_max_size=options.max_body)
    app[READER] = reader
    app[OPTIONS] = options
    app[HOSTS] = HostCheck.build(options.host, options.allow_hosts)
    app.router.add_get("/read", read_handler)
    app.router.add_post("/extract", extract_handler)
    app.router.add_get("/health", health_handler)
    if options.schema is not None:
        app.on_startup.append(options.schema.open)
        app.on_cleanup.append(options.schema.close)
    return app


async def _run(reader: Reader, options: ServeOptions, ready: Callable[[str], None]) -> None:
    async with reader:
        app = build_app(reader, options)
        runner = JsonErrorsRunner(
            app,
            access_log=None,
            shutdown_timeout=SHUTDOWN_GRACE,
            **runner_limits(options.header_timeout),
        )
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
        app[HOSTS].port = port
        if reader.pool is not None:
            reader.pool.warm()
        host = f"[{options.host}]" if ":" in options.host else options.host
        ready(f"http://{host}:{port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            if reader.pool is not None:  # pages in the middle of extraction end at once
                reader.pool.close()
            await runner.cleanup()


def serve(reader: Reader, options: ServeOptions) -> None:
    """Serve until SIGINT or SIGTERM; prints ``serving on URL`` to stderr once listening."""
    check_key(options.api_key)
    check_bind(options.host, options.api_key)

    def ready(base: str) -> None:
        print(f"thresher: serving on {base}", file=sys.stderr, flush=True)

    asyncio.run(_run(reader, options, ready))
