"""Local stand-ins for Common Crawl: a CDX index server (pywb's paging API) and a
range-capable data server over a folder of files, both on 127.0.0.1, with faults to order."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from thresher.extract.config import ExtractConfig
from thresher.sources.commoncrawl.config import CommonCrawlConfig


def _matches(pattern: str, url: str) -> bool:
    """pywb's URL patterns: ``*.host`` (the domain and its subdomains), ``prefix*``, exact."""
    bare = re.sub(r"^https?://", "", url)
    if pattern.startswith("*."):
        host = bare.split("/", 1)[0]
        domain = pattern[2:]
        return host == domain or host.endswith("." + domain)
    if pattern.endswith("*"):
        return bare.startswith(pattern[:-1])
    return bare.rstrip("/") == re.sub(r"^https?://", "", pattern).rstrip("/")


@dataclass
class IndexState:
    """Captures per crawl; ``page_size`` captures a page; ``garbage`` answers by (crawl, page)
    (page None: the showNumPages answer); ``fail_first`` statuses before a good answer."""

    captures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 3
    garbage: dict[tuple[str, int | None], bytes] = field(default_factory=dict)
    fail_first: list[int] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


class IndexHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes
    state: IndexState

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        st = self.state
        st.log.append(self.path)
        if st.fail_first:
            self._send(st.fail_first.pop(0), b"SlowDown", "text/plain")
            return
        parts = urlsplit(self.path)
        m = re.fullmatch(r"/(.+)-index", parts.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if m is None or m.group(1) not in st.captures:
            self._send(404, b"Not Found", "text/plain")
            return
        crawl = m.group(1)
        hits = [c for c in st.captures[crawl] if _matches(q.get("url", ""), c["url"])]
        size = int(q.get("pageSize", st.page_size))
        pages = (len(hits) + size - 1) // size
        if q.get("showNumPages") == "true":
            if (crawl, None) in st.garbage:
                self._send(200, st.garbage[(crawl, None)], "text/html")
                return
            self._send(
                200, json.dumps({"pages": pages, "pageSize": size, "blocks": pages}).encode()
            )
            return
        page = int(q.get("page", 0))
        if (crawl, page) in st.garbage:
            self._send(200, st.garbage[(crawl, page)], "text/html")
            return
        rows = hits[page * size : (page + 1) * size]
        if not rows:
            self._send(404, json.dumps({"message": "No Captures found"}).encode())
            return
        self._send(200, b"".join(json.dumps(r).encode() + b"\n" for r in rows), "text/x-ndjson")


@dataclass
class DataState:
    """Files under ``root``; faults: ``fail_first[(path, start)]`` statuses answered first
    (429 with ``Retry-After: retry_after``); ``drop_after[path]`` bytes sent before the
    connection is cut (once per entry in the list); ``hold_after``: after that many served
    ranges, requests wait for ``release`` and are then dropped unanswered;
    ``ignore_range`` paths answer 200 with the whole file."""

    root: Path
    fail_first: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    drop_after: dict[str, list[int]] = field(default_factory=dict)
    retry_after: str = "0"
    hold_after: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    ignore_range: set[str] = field(default_factory=set)
    #: seconds every answer waits (a remote server's round trip, for the bench)
    latency: float = 0.0
    #: (path, Range header or "", status) of every answer sent whole
    served: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ranges(self) -> Counter[tuple[str, str]]:
        """How often each (path, range) was served whole with 206."""
        return Counter((p, r) for p, r, s in self.served if s == 206)


class DataHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: DataState

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        st = self.state
        path = urlsplit(self.path).path.lstrip("/")
        header = self.headers.get("Range", "")
        if st.hold_after is not None and self._ranges_served() >= st.hold_after:
            st.held.set()
            st.release.wait(60)
            self.close_connection = True  # never answered: its client was killed meanwhile
            return
        if st.latency:
            time.sleep(st.latency)
        file = st.root / path
        if not file.is_file():
            self._answer(path, header, 404, b"NoSuchKey")
            return
        size = file.stat().st_size
        start, end = 0, size - 1
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", header)
        ranged = m is not None and path not in st.ignore_range
        if m is not None and ranged:
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        with st.lock:
            statuses = st.fail_first.get((path, start))
            status = statuses.pop(0) if statuses else None
        if status is not None:
            extra = {"Retry-After": st.retry_after} if status == 429 else {}
            self._answer(path, header, status, b"<Error><Code>SlowDown</Code></Error>", extra)
            return
        if ranged and start >= size:
            self._answer(path, header, 416, b"")
            return
        with open(file, "rb") as f:  # only the bytes asked for
            f.seek(start)
            body = f.read(end + 1 - start)
        if ranged:
            extra = {"Content-Range": f"bytes {start}-{end}/{size}"}
            self._answer(path, header, 206, body, extra)
            return
        self._answer(path, header, 200, body)

    def _ranges_served(self) -> int:
        with self.state.lock:
            return sum(1 for _, r, s in self.state.served if s == 206 and r)

    def _answer(
        self, path: str, header: str, status: int, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        st = self.state
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        with st.lock:
            drops = st.drop_after.get(path)
            cut = drops.pop(0) if drops and status in (200, 206) else None
        if cut is not None:
            try:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        # logged before the body goes out: a client that has read it finds it logged
        record = (path, header, status)
        with st.lock:
            st.served.append(record)
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client went away (a killed run): not served whole after all
            with st.lock:
                del st.served[len(st.served) - 1 - st.served[::-1].index(record)]


@dataclass
class Servers:
    index: IndexState
    data: DataState
    index_url: str
    data_url: str


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 128})
    server = server_class(("127.0.0.1", 0), handler)  # a listen backlog for many clients
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@contextmanager
def cc_servers(root: Path, captures: dict[str, list[dict[str, Any]]]) -> Iterator[Servers]:
    """Both servers, serving ``root`` (the data) and ``captures`` (the index)."""
    index = IndexState(captures=captures)
    data = DataState(root=root)
    index_handler = type("Index", (IndexHandler,), {"state": index})
    data_handler = type("Data", (DataHandler,), {"state": data})
    isrv, iurl = _serve(index_handler)
    dsrv, durl = _serve(data_handler)
    try:
        yield Servers(index, data, iurl, durl)
    finally:
        data.release.set()
        for srv in (isrv, dsrv):
            srv.shutdown()
            srv.server_close()


def wait_for(event: threading.Event, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not event.wait(0.05):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server")


def cc_config(servers: Servers, **cc: object) -> ExtractConfig:
    """Extract settings reading from ``servers``, with short backoffs (tests only); ``cc``
    wins."""
    settings = {"index_server": servers.index_url, "data_server": servers.data_url,
                "backoff": 0.01, "backoff_max": 0.05, "tries": 3, **cc}  # fmt: skip
    return ExtractConfig(cc=CommonCrawlConfig.model_validate(settings))
