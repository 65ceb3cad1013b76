"""``thresher serve`` in its own process, asked by real HTTP clients: good and bad requests,
keys, body limits, robots.txt, private addresses, concurrency and a clean stop."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, text
from tests.serve.pages import JS_PAGE, request, running_serve, serve_site

pytestmark = pytest.mark.timeout(120)


def _read_url(base: str, url: str, fmt: str | None = None) -> str:
    query = f"url={quote(url, safe='')}"
    return f"{base}/read?{query}" + (f"&format={fmt}" if fmt else "")


def _post(base: str, body: object) -> tuple[int, dict[str, object]]:
    answer = request(base + "/extract", json.dumps(body).encode())
    return answer.status, answer.json()


def test_read_and_extract_answer_good_requests(site: SiteServer, tmp_path: Path) -> None:
    serve_site(site)
    with running_serve("--allow-private", "--rate", "1000", "--cache", str(tmp_path)) as srv:
        md = request(_read_url(srv.base, site.base + "/article"))
        assert md.status == 200 and md.headers["Content-Type"].startswith("text/markdown")
        assert md.body.decode().startswith("# Mills of the valley\n")
        doc = request(_read_url(srv.base, site.base + "/article", "json")).json()
        assert doc["title"] == "Mills of the valley" and doc["url"] == site.base + "/article"
        assert site.paths() == ["/robots.txt", "/article"]  # the JSON read came from the cache
        status, out = _post(srv.base, {"html": "<html><head><title>Sent</title></head><body>"
                                       "<p>A page sent in the request body, long enough to"
                                       " count as main content of a page.</p></body></html>",
                                       "url": "https://example.org/sent"})  # fmt: skip
        assert status == 200
        sent = out["document"]
        assert isinstance(sent, dict) and sent["title"] == "Sent"
        assert sent["url"] == "https://example.org/sent"
        assert len(site.hits) == 2  # HTML in the body: nothing fetched
        ids = [
            _post(srv.base, {"html": html})[1]["document"]["id"]  # type: ignore[index]
            for html in (PRODUCT, PRODUCT, PRODUCT.replace("Blue", "Red"))
        ]
        assert ids[0] == ids[1] != ids[2]  # one id per page sent (no URL), not one for all
        status, out = _post(srv.base, {"url": site.base + "/page/1"})
        assert status == 200 and out["document"]["title"] == "Page /page/1"  # type: ignore[index]
        health = request(srv.base + "/health").json()
        assert health["ok"] is True and health["robots_fetches"] == 1


def test_bad_requests_get_json_errors(site: SiteServer, tmp_path: Path) -> None:
    serve_site(site)
    args = ("--allow-private", "--rate", "1000", "--no-cache", "--max-body-bytes", "4096")
    with running_serve(*args) as srv:
        cases = [
            (request(srv.base + "/read"), 400, "missing url"),
            (request(_read_url(srv.base, site.base + "/article", "pdf")), 400, "format"),
            (request(_read_url(srv.base, "ftp://example.org/")), 400, "not an http(s) URL"),
            (request(_read_url(srv.base, site.base + "/private")), 403, "robots.txt"),
            (request(_read_url(srv.base, site.base + "/nothing")), 502, "HTTP 404"),
            (request(srv.base + "/extract", b"{not json"), 400, "not JSON"),
            (request(srv.base + "/extract", b"[1, 2]"), 400, "JSON object"),
            (request(srv.base + "/extract", b"{}"), 400, "needs 'html'"),
            (request(srv.base + "/extract", b'{"html": 5}'), 400, "'html' must be"),
            (request(srv.base + "/extract", b"{" + b" " * 10_000 + b"}"), 413, "4096 bytes"),
            (request(srv.base + "/nowhere"), 404, "Not Found"),
        ]
        for answer, status, message in cases:
            assert answer.status == status, (message, answer.body)
            body = answer.json()
            assert body["status"] == status and message in body["error"], body
        # a schema without the LLM settings is a clear 501
        status, out = _post(
            srv.base, {"html": "<html><body><p>" + "Words of a page. " * 10 + "</p></body></html>",
                       "schema": {"type": "object"}},
        )  # fmt: skip
        assert status == 501 and "--llm-base-url" in str(out["error"])
    assert "/private" not in site.paths()  # refused by robots.txt: never requested


def test_private_addresses_need_permission(site: SiteServer) -> None:
    serve_site(site)
    with running_serve("--no-cache") as srv:
        answer = request(_read_url(srv.base, site.base + "/article"))
        assert answer.status == 403 and "--allow-private" in answer.json()["error"]
        status, _ = _post(srv.base, {"url": site.base + "/article"})
        assert status == 403
    assert site.hits == []


def test_api_key(site: SiteServer) -> None:
    serve_site(site)
    with running_serve("--allow-private", "--rate", "1000", "--api-key", "s3cret") as srv:
        url = _read_url(srv.base, site.base + "/article")
        assert request(url).status == 401
        assert request(url, headers={"X-API-Key": "wrong"}).status == 401
        assert request(url, headers={"Authorization": "Bearer wrong"}).json()["status"] == 401
        assert site.hits == []  # a refused client makes the server fetch nothing
        assert request(url, headers={"Authorization": "Bearer s3cret"}).status == 200
        assert request(url, headers={"X-API-Key": "s3cret"}).status == 200
    with running_serve("--allow-private", env={"THRESHER_API_KEY": "from-env"}) as srv:
        assert request(srv.base + "/health").status == 401
        assert request(srv.base + "/health", headers={"X-API-Key": "from-env"}).status == 200


def test_non_loopback_host_needs_a_key() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(err) == 1 and "--api-key" in err[0], run.stderr


def test_a_port_out_of_range_or_in_use_is_one_line() -> None:
    """Out of range: the usage error; taken by another server: one line naming the address."""
    import socket

    def serve(port: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "thresher", "serve", "--port", port],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    run = serve("99999")
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "99999 is not in the range" in run.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = serve(str(port))
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(err) == 1, run.stderr
    assert err[0].startswith(f"thresher: error: cannot listen on 127.0.0.1:{port}"), err


async def _many(urls: list[str]) -> list[tuple[int, str]]:
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> tuple[int, str]:
            async with session.get(url) as resp:
                return resp.status, await resp.text()

        return await asyncio.gather(*(one(u) for u in urls))


def test_concurrent_requests_share_robots_and_spacing(site: SiteServer, tmp_path: Path) -> None:
    serve_site(site)
    with running_serve("--allow-private", "--rate", "10", "--cache", str(tmp_path)) as srv:
        pages = [site.base + f"/page/{i}" for i in range(8)]
        urls = [_read_url(srv.base, u) for u in pages * 2] + [
            _read_url(srv.base, site.base + "/private")
        ]
        answers = asyncio.run(_many(urls))
        assert [s for s, _ in answers] == [200] * 16 + [403]
        for (_, body), page in zip(answers, pages * 2, strict=False):
            assert body.startswith(f"# Page /page/{page.rsplit('/', 1)[1]}\n")
        paths = site.paths()
        assert paths.count("/robots.txt") == 1 and paths[0] == "/robots.txt"
        assert sorted(p for p in paths if p.startswith("/page/")) == sorted(
            f"/page/{i}" for i in range(8)
        )  # each page once: the second asks waited for the first and came from the cache
        starts = [h.at for h in site.hits]
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        # 10 requests per second per host: started 0.1 s apart (the site's own clock adds
        # jitter on a loaded machine; unspaced, all nine would land within milliseconds)
        assert starts[-1] - starts[0] >= 0.1 * len(gaps) - 0.05 and min(gaps) >= 0.05
        before = len(site.hits)
        again = asyncio.run(_many([_read_url(srv.base, u) for u in pages]))
        assert all(s == 200 for s, _ in again) and len(site.hits) == before


def test_sigterm_stops_the_server_cleanly(site: SiteServer) -> None:
    with running_serve("--allow-private") as srv:
        assert request(srv.base + "/health").status == 200
        srv.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert srv.proc.wait(15) == 0
        assert time.monotonic() - t0 < 15


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
    "required": ["name"],
}
PRODUCT = (
    "<html><head><title>Kettle</title></head><body><article><h1>Kettle</h1>"
    "<p>A kettle for the stove, made of enamelled steel, that whistles when the water boils."
    " It holds two litres and suits gas and induction hobs alike.</p>"
    "<p>Name: Blue kettle</p><p>Price: 24.5 EUR</p></article></body></html>"
)


def test_extract_with_a_schema_asks_the_model_once(tmp_path: Path) -> None:
    from tests.llm.fake_chat import FakeChat

    with FakeChat() as chat:
        args = ("--llm-base-url", chat.url, "--llm-model", "m", "--llm-cache", str(tmp_path))
        with running_serve(*args) as srv:
            status, out = _post(srv.base, {"html": PRODUCT, "schema": SCHEMA})
            assert status == 200, out
            assert out["record"] == {"name": "Blue kettle", "price": 24.5}
            assert out["document"]["title"] == "Kettle"  # type: ignore[index]
            asked = chat.requests
            assert asked >= 1
            again = _post(srv.base, {"html": PRODUCT, "schema": SCHEMA})
            assert again == (status, out) and chat.requests == asked  # from the cache
            status, bad = _post(srv.base, {"html": PRODUCT, "schema": {"type": 5}})
            assert status == 400 and "not a valid JSON Schema" in str(bad["error"])
            assert chat.requests == asked


#: a product page whose name is in its title and in an H1 outside the main content
SHOP_PAGE = (
    "<html><head><title>Blue kettle | Kitchen Shop</title></head><body>"
    "<header><h1>Blue kettle</h1><h2>Kettles and teapots</h2></header><article>"
    "<p>A kettle for the stove, made of enamelled steel, that whistles when the water boils."
    " It holds two litres and suits gas and induction hobs alike.</p>"
    "<h3>Care</h3><p>Price: 24.5 EUR</p><p>Rinse it after use and dry it on the hob, so"
    " no lime builds up inside the enamel over the years.</p></article></body></html>"
)
SHOP_HEAD = (
    "Page title: Blue kettle | Kitchen Shop\nPage headings:\n# Blue kettle\n"
    "## Kettles and teapots\n### Care\n\nMain content:\n\n"
)


def test_a_schema_request_sends_the_title_and_headings(site: SiteServer, tmp_path: Path) -> None:
    """As extract does (docs/llm.md, "What the model reads"): the title and the page's H1-H3,
    the H1 outside the main content too, before the Markdown; answers do not carry them."""
    from tests.llm.fake_chat import FakeChat

    site.routes["/robots.txt"] = text("")
    on_site = SHOP_PAGE.replace("24.5", "30")  # another answer: not from the model's cache
    site.routes["/kettle"] = lambda r: web.Response(text=on_site, content_type="text/html")
    schema = {"type": "object", "properties": {"price": {"type": "number"}}}
    with FakeChat() as chat:
        args = ("--llm-base-url", chat.url, "--llm-model", "m", "--llm-cache", str(tmp_path),
                "--allow-private")  # fmt: skip
        with running_serve(*args) as srv:
            by_html = _post(srv.base, {"html": SHOP_PAGE, "schema": schema})
            by_url = _post(srv.base, {"url": f"{site.base}/kettle", "schema": schema})
            read = json.loads(request(_read_url(srv.base, f"{site.base}/kettle", "json")).body)
    for (status, out), price in ((by_html, 24.5), (by_url, 30)):
        assert status == 200, out
        assert out["record"] == {"price": price}
        assert "headings" not in out["document"]["metadata"]  # type: ignore[index]
    assert "headings" not in read["metadata"]
    pages = [
        next(m["content"] for m in p["messages"] if m["role"] == "user") for p in chat.payloads
    ]
    assert len(pages) == 2, pages
    for page in pages:
        assert page.startswith(f"Web page:\n\n{SHOP_HEAD}"), page
        assert "Blue kettle" not in page[len(f"Web page:\n\n{SHOP_HEAD}") :]  # not in the article


def test_llm_options_need_each_other() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "serve", "--llm-model", "m"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and err == [
        "thresher: error: --llm-base-url: is needed with the other --llm options"
    ]


def test_render_through_the_api(site: SiteServer, tmp_path: Path) -> None:
    serve_site(site)
    site.routes["/app"] = lambda r: web.Response(text=JS_PAGE, content_type="text/html")
    with running_serve("--allow-private", "--rate", "1000", "--no-cache") as srv:
        plain = request(_read_url(srv.base, site.base + "/app"))
        assert plain.status == 422 and "no main content" in plain.json()["error"]
        rendered = request(_read_url(srv.base, site.base + "/app") + "&render=1")
        assert rendered.status == 200, rendered.body
        assert b"only exists after the script ran" in rendered.body
        assert rendered.body.startswith(b"# Built by script\n")
    no_browser = tmp_path / "cfg.yaml"
    no_browser.write_text(f"crawl:\n  chromium: {tmp_path / 'no-chromium'}\n")
    with running_serve("--allow-private", "--no-cache", "--config", str(no_browser)) as srv:
        answer = request(_read_url(srv.base, site.base + "/app") + "&render=1")
        assert answer.status == 501 and "cannot start Chromium" in answer.json()["error"]
