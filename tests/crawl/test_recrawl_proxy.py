"""Recrawls with conditional requests (revisit records) and crawling through proxies."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, text
from tests.crawl.warcs import records
from thresher.cli import main
from thresher.crawl import crawl
from thresher.crawl.proxies import ProxyPool, redact

pytestmark = pytest.mark.timeout(60)


def test_recrawl_sends_validators_and_writes_revisits(site: SiteServer, tmp_path: Path) -> None:
    version = {"changing": 1}

    def stable(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            text="<html>same</html>", content_type="text/html", headers={"ETag": '"v1"'}
        )

    def changing(request: web.Request) -> web.Response:
        lm = "Wed, 01 Jan 2025 00:00:00 GMT"
        if request.headers.get("If-Modified-Since") == lm and version["changing"] == 1:
            return web.Response(status=304)
        return web.Response(
            text=f"<html>v{version['changing']}</html>",
            content_type="text/html",
            headers={"Last-Modified": lm},
        )

    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/stable", "/changing"])
    site.routes["/stable"] = stable
    site.routes["/changing"] = changing
    crawl(fast_config(site), tmp_path)
    version["changing"] = 2
    result = crawl(fast_config(site, recrawl=True), tmp_path)
    assert result.stats["this_run"]["revisits"] == 1
    second = site.hits[-3:]
    by_path = {h.path: h.headers for h in second}
    assert by_path["/stable"].get("If-None-Match") == '"v1"'
    assert by_path["/changing"].get("If-Modified-Since") == "Wed, 01 Jan 2025 00:00:00 GMT"
    recs = records(tmp_path)
    revisits = [r for r in recs if r["type"] == "revisit"]
    assert len(revisits) == 1 and str(revisits[0]["url"]).endswith("/stable")
    h = revisits[0]["headers"]
    first_stable = next(
        r for r in recs if r["type"] == "response" and str(r["url"]).endswith("/stable")
    )
    assert h["WARC-Refers-To"] == first_stable["headers"]["WARC-Record-ID"]
    assert h["WARC-Payload-Digest"] == first_stable["headers"]["WARC-Payload-Digest"]
    assert "server-not-modified" in h["WARC-Profile"]
    changing_bodies = [
        r["body"] for r in recs if r["type"] == "response" and str(r["url"]).endswith("/changing")
    ]
    assert changing_bodies == [b"<html>v1</html>", b"<html>v2</html>"]
    # The recrawl pass is over: the same command again fetches nothing.
    assert crawl(fast_config(site, recrawl=False), tmp_path).fetched == 0


class ForwardProxy:
    """A minimal HTTP forward proxy on 127.0.0.1 that demands credentials and counts use."""

    def __init__(self, auth: str | None = None) -> None:
        self.auth = auth
        self.requests: list[str] = []

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            self.requests.append(target)
            if self.auth and headers.get("Proxy-Authorization") != self.auth:
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
                )
                return
            from urllib.parse import urlsplit

            u = urlsplit(target)
            r2, w2 = await asyncio.open_connection(u.hostname, u.port or 80)
            out = [f"{method} {u.path or '/'}{'?' + u.query if u.query else ''} HTTP/1.1"]
            out += [
                f"{k}: {v}"
                for k, v in headers.items()
                if k.lower() not in ("proxy-authorization", "connection", "proxy-connection")
            ]
            out.append("Connection: close")
            w2.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            await w2.drain()
            data = await r2.read()
            w2.close()
            writer.write(data)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def start(self) -> int:
        ready = threading.Event()
        port = {}

        def run() -> None:
            loop = asyncio.new_event_loop()
            server = loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
            port["p"] = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(5)
        return port["p"]


def test_proxies_rotate_skip_dead_ones_and_hide_credentials(
    site: SiteServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    token = "Basic " + base64.b64encode(b"user:s3cret").decode()
    proxy = ForwardProxy(auth=token)
    port = proxy.start()
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page([f"/p{i}" for i in range(8)])
    for i in range(8):
        site.routes[f"/p{i}"] = page([])
    good = f"http://user:s3cret@127.0.0.1:{port}"
    dead = "http://user:s3cret@127.0.0.1:9"
    out = tmp_path / "out"
    code = main(
        [
            "crawl",
            site.base + "/",
            "-o",
            str(out),
            "--allow-private",
            "--rate",
            "500",
            "--proxy",
            good,
            "--proxy",
            dead,
            "--per-host",
            "2",
        ]
    )
    assert code == 0
    assert len(proxy.requests) >= 10  # robots + 9 pages, some after retries of the dead proxy
    assert {h.path for h in site.hits} >= {"/", "/robots.txt"} | {f"/p{i}" for i in range(8)}
    stats = json.loads((out / "crawl-stats.json").read_text())
    assert stats["total"]["urls"]["done"] == 9
    dumped = (out / "crawl-stats.json").read_text() + capsys.readouterr().err
    for f in (out / "warc").glob("*.warc.gz"):
        import gzip

        dumped += gzip.decompress(f.read_bytes()).decode("latin-1")
    assert "s3cret" not in dumped
    assert any(p["errors"] > 0 for p in stats["this_run"]["proxies"])


def test_proxy_pool_health() -> None:
    pool = ProxyPool(["http://a:1", "http://b:2"], max_failures=2, cooldown=60)
    assert [pool.pick() for _ in range(4)] == ["http://a:1", "http://b:2"] * 2
    pool.report("http://a:1", ok=False)
    pool.report("http://a:1", ok=False)
    assert {pool.pick() for _ in range(4)} == {"http://b:2"}
    pool.report("http://a:1", ok=True)
    assert "http://a:1" in {pool.pick() for _ in range(4)}
    assert redact("proxy http://u:p@h:1/x failed, see https://x:y@z/") == (
        "proxy http://***@h:1/x failed, see https://***@z/"
    )
