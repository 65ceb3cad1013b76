"""A stand-in for the parts of Reddit's API that PRAW calls, on 127.0.0.1: the OAuth token
endpoint, subreddit listings, a submission's comments and /api/morechildren. Faults on
purpose: a 429 with rate-limit headers, a 500, and whatever the test puts in the data."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID, CLIENT_SECRET, TOKEN = "test-id", "test-secret", "test-token"


@dataclass
class Node:
    """A comment and its replies; ``hidden`` replies sit behind a "more" stub."""

    data: dict[str, Any]
    replies: list[Node] = field(default_factory=list)
    hidden: list[Node] = field(default_factory=list)


@dataclass
class FakeReddit:
    """The data the server answers from, its faults, and the log of what was asked."""

    listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    trees: dict[str, list[Node]] = field(default_factory=dict)
    fail_429: set[str] = field(default_factory=set)  # path prefixes answered 429 once
    fail_500: set[str] = field(default_factory=set)  # path prefixes answered 500 once
    exhaust: set[str] = field(default_factory=set)  # answered 200 with the window used up
    stall: dict[str, float] = field(default_factory=dict)  # path prefix: seconds, once
    log: list[tuple[float, str, str, int]] = field(default_factory=list)
    url: str = ""

    def requests(self, prefix: str) -> list[tuple[float, str, str, int]]:
        return [r for r in self.log if r[2].startswith(prefix)]


def _listing(children: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": after, "before": None, "children": children}}


def _thing(node: Node) -> dict[str, Any]:
    replies: list[dict[str, Any]] = [_thing(r) for r in node.replies]
    if node.hidden:
        replies.append(_more(node.hidden, f"t1_{node.data['id']}"))
    data = {**node.data, "replies": _listing(replies) if replies else ""}
    return {"kind": "t1", "data": data}


def _more(nodes: list[Node], parent: str) -> dict[str, Any]:
    ids = [n.data["id"] for n in nodes]
    return {"kind": "more", "data": {"count": len(ids), "children": ids, "parent_id": parent,
                                     "id": ids[0], "name": f"t1_{ids[0]}", "depth": 0}}  # fmt: skip


def _all(nodes: list[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        yield from _all(n.replies)
        yield from _all(n.hidden)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeReddit

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        limits = getattr(self, "_limits", None) or {"x-ratelimit-remaining": "599.0",
                  "x-ratelimit-used": "1", "x-ratelimit-reset": "300"}  # fmt: skip
        for k, v in {**limits, **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _fault(self, path: str) -> bool:
        fake = self.fake
        for prefix in sorted(fake.fail_429):
            if path.startswith(prefix):
                fake.fail_429.discard(prefix)
                self._send(429, {"message": "Too Many Requests", "error": 429}, {
                    "retry-after": "1", "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "600", "x-ratelimit-reset": "1"})  # fmt: skip
                return True
        for prefix in sorted(fake.fail_500):
            if path.startswith(prefix):
                fake.fail_500.discard(prefix)
                self._send(500, {"message": "Internal Server Error", "error": 500})
                return True
        return False

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if path == "/api/v1/access_token":
            auth = self.headers.get("Authorization", "")
            good = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            ok = auth == good
            self.fake.log.append((time.monotonic(), "POST", path, 200 if ok else 401))
            if not ok:
                self._send(401, {"message": "Unauthorized", "error": 401})
                return
            self._send(200, {"access_token": TOKEN, "token_type": "bearer",
                             "expires_in": 86400, "scope": "*"})  # fmt: skip
            return
        self._send(404, {"message": "Not Found", "error": 404})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        fake = self.fake
        self._limits: dict[str, str] | None = None
        if self.headers.get("Authorization") != f"bearer {TOKEN}":
            fake.log.append((time.monotonic(), "GET", path, 401))
            self._send(401, {"message": "Unauthorized", "error": 401})
            return
        if self._fault(path):
            fake.log.append((time.monotonic(), "GET", path, 0))
            return
        for prefix, seconds in list(fake.stall.items()):
            if path.startswith(prefix):
                del fake.stall[prefix]
                time.sleep(seconds)
        fake.log.append((time.monotonic(), "GET", path, 200))
        if any(path.startswith(p) for p in fake.exhaust):
            self._limits = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "600",
                            "x-ratelimit-reset": "2"}  # fmt: skip
        bits = path.strip("/").split("/")
        if len(bits) == 3 and bits[0] == "r":
            posts = fake.listings.get(bits[1].lower())
            if posts is None:
                self.send_response(302)
                self.send_header("Location", f"{fake.url}/subreddits/search?q={bits[1]}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if "after" in query:
                names = [f"t3_{p['id']}" for p in posts]
                start = names.index(query["after"]) + 1 if query["after"] in names else len(posts)
            page = posts[start : start + int(query.get("limit", 25))]
            after = f"t3_{page[-1]['id']}" if page and start + len(page) < len(posts) else None
            self._send(200, _listing([{"kind": "t3", "data": p} for p in page], after))
            return
        if len(bits) == 2 and bits[0] == "comments":
            sid = bits[1]
            post = next((p for ps in fake.listings.values() for p in ps if p["id"] == sid), None)
            if post is None:
                self._send(404, {"message": "Not Found", "error": 404})
                return
            self._send(200, [_listing([{"kind": "t3", "data": post}]),
                             _listing([_thing(n) for n in fake.trees.get(sid, [])])])  # fmt: skip
            return
        if path == "/api/morechildren":
            sid = query.get("link_id", "").removeprefix("t3_")
            wanted = set(query.get("children", "").split(","))
            things = [{**_thing(Node(n.data, [], [])), "data": {**n.data, "replies": ""}}
                      for n in _all(fake.trees.get(sid, [])) if n.data["id"] in wanted]  # fmt: skip
            self._send(200, {"json": {"errors": [], "data": {"things": things}}})
            return
        self._send(404, {"message": "Not Found", "error": 404})


@contextmanager
def serve(fake: FakeReddit) -> Iterator[FakeReddit]:
    """Run the stand-in on a free port of 127.0.0.1 while the block runs."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # a killed client
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
