"""Pages and a running ``thresher serve`` process for the reader and API tests."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.crawl.site import SiteServer, text

PROSE = (
    "The river valley was settled early, and its mills drove the first looms of the region. "
    "Every spring the water rose over the lower meadows and left a fertile silt behind. "
)


def article(title: str, heading: str, words: str = PROSE) -> web.Response:
    return web.Response(
        text=f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/a'>Home</a> <a href='/b'>About</a></nav>"
        f"<article><h1>{title}</h1><h2>{heading}</h2><p>{words * 3}</p>"
        f"<p>A second paragraph about {heading.lower()} and its history.</p></article>"
        f"<footer>Copyright notice</footer></body></html>",
        content_type="text/html",
    )


def serve_site(site: SiteServer, robots: str = "User-agent: *\nDisallow: /private\n") -> None:
    """robots.txt, an article at /article, /page/N articles, and a disallowed /private."""
    site.routes["/robots.txt"] = text(robots)
    site.routes["/article"] = lambda r: article("Mills of the valley", "Early settlement")
    site.routes["/private"] = lambda r: article("Private", "Not for crawlers")
    site.default = lambda r: (
        article(f"Page {r.path}", "Numbered page")
        if r.path.startswith("/page/")
        else web.Response(status=404, text="not found")
    )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    """One HTTP request with the standard library's client; error statuses are answers."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return Answer(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, dict(e.headers), e.read())


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[bytes]


@contextmanager
def running_serve(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """``thresher serve --port 0 ARGS`` in its own process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "thresher", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    seen = b""
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 0.5)
            if ready:
                line = proc.stderr.readline()
                seen += line
                m = re.search(rb"serving on (http://\S+)", line)
                if m:
                    break
            if proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {seen.decode()}")
        else:
            raise AssertionError(f"serve did not start: {seen.decode()}")
        yield Served(m.group(1).decode(), proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        proc.stderr.close()


#: a page whose main content only exists after its script ran (the --render tests)
JS_PAGE = """<html><head><title>Built by script</title></head><body><div id="app"></div>
<script>
const p = document.createElement('p');
p.textContent = 'This paragraph only exists after the script ran. '.repeat(8);
document.getElementById('app').appendChild(p);
</script></body></html>"""
