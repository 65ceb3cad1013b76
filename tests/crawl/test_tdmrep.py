"""TDMRep site files (/.well-known/tdmrep.json): parsing, and crawls of a real local site."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from tests.crawl.site import SiteServer, fast_config, page, redirect, text
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import crawl
from thresher.crawl.frontier import Frontier
from thresher.crawl.tdmrep import MAX_TDMREP_BYTES, TDMREP_PATH, parse_tdmrep

pytestmark = pytest.mark.timeout(60)

RULES = [
    {"location": "/", "tdm-reservation": 0},
    {"location": "/news/", "tdm-reservation": 1, "tdm-policy": "https://pub.example/policy.json"},
    {"location": "/news/open/", "tdm-reservation": 0},
    {"location": "/docs/*.pdf$", "tdm-reservation": 1},
]
RESERVED = ["/news/a", "/news/b?page=2", "/docs/x.pdf"]
FREE = ["/", "/news/open/c", "/docs/x.pdf?dl=1", "/docs/y.html", "/about"]


def json_file(body: object, status: int = 200):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda r: web.Response(body=data, status=status, content_type="application/json")


def tdm_site(site: SiteServer, rules: object = RULES) -> None:
    site.routes["/robots.txt"] = text("User-agent: *\nAllow: /\n")
    site.routes[TDMREP_PATH] = json_file(rules)
    site.routes["/"] = page([p for p in RESERVED + FREE if p != "/"])
    for p in RESERVED + FREE[1:]:
        site.routes[p] = page([])


def decisions(out: Path) -> dict[str, tuple[str | None, str | None]]:
    """URL path → (skip reason, decision) as stored in the crawl state."""
    db = sqlite3.connect(out / "frontier.sqlite")
    rows = db.execute("SELECT url, reason, decision FROM urls").fetchall()
    db.close()
    out = {}
    for url, reason, decision in rows:
        parts = urlsplit(url)
        out[parts.path + ("?" + parts.query if parts.query else "")] = (reason, decision)
    return out


def test_parse_rules_most_specific_location_wins() -> None:
    rep = parse_tdmrep(json.dumps(RULES).encode())
    for p in RESERVED:
        assert rep.reserved(p) is not None, p
    for p in FREE:
        assert rep.reserved(p) is None, p
    rule = rep.match("http://h/news/a")
    assert rule is not None and rule.location == "/news/" and rule.policy
    # Same length: the earlier rule decides; no rule matching: unset.
    tie = parse_tdmrep(
        b'[{"location": "/a*", "tdm-reservation": 1}, {"location": "/a/", "tdm-reservation": 0}]'
    )
    assert tie.reserved("/a/x") is not None
    assert parse_tdmrep(b'[{"location": "/x/", "tdm-reservation": 1}]').match("/y") is None


def test_parse_leniency_and_protocol_errors() -> None:
    rep = parse_tdmrep(
        "\ufeff".encode()
        + json.dumps(
            [
                {"location": "/s/", "tdm-reservation": "1"},  # a string value: accepted
                {"Location": "/%7Euser/", "TDM-Reservation": 1},  # key case, encoded ~
                {"location": "https://other.example/full/", "tdm-reservation": 1},
                {"location": "/bad/", "tdm-reservation": 2},  # protocol error: unset
                {"location": "/bad/", "tdm-reservation": True},
                {"tdm-reservation": 1},  # no location
                "not a rule",
            ]
        ).encode()
    )
    assert rep.reserved("/s/1") and rep.reserved("/~user/p") and rep.reserved("/full/x")
    assert rep.match("/bad/x") is not None and rep.reserved("/bad/x") is None
    assert rep.ignored == 4
    for bad, why in (
        (b"{not json", "not JSON"),
        (b'{"location": "/", "tdm-reservation": 1}', "not a JSON array"),
        (b"[\xff]", "not UTF-8"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_tdmrep(bad)


def test_reserved_paths_are_not_fetched(site: SiteServer, tmp_path: Path) -> None:
    tdm_site(site)
    result = crawl(fast_config(site), tmp_path)
    paths = site.paths()
    # robots.txt, then the TDMRep file, once, before any page.
    assert paths[:2] == ["/robots.txt", TDMREP_PATH] and paths.count(TDMREP_PATH) == 1
    for p in RESERVED:
        assert p not in paths, p
    b = site.base
    assert set(ok_responses(tmp_path)) == {b + p for p in FREE} | {
        b + "/robots.txt",
        b + TDMREP_PATH,
    }
    stats = result.stats["this_run"]
    assert stats["skipped_by_reason"] == {"opt-out:tdm-reservation": len(RESERVED)}
    assert stats["opt_out"] == {"tdm-reservation": len(RESERVED)}
    assert stats["tdmrep"] == {"ok": 1} and stats["tdmrep_fetches"] == 1
    state = decisions(tmp_path)
    for p in RESERVED:
        assert state[p] == ("opt-out:tdm-reservation", "tdm-reservation"), p
    assert state["/news/open/c"] == (None, None)
    meta = {str(r["url"]): r["body"] for r in records(tmp_path) if r["type"] == "metadata"}
    news = meta[b + "/news/a"]
    assert b"opt-out: tdm-reservation" in news and b"tdm-source: tdmrep.json" in news
    assert (
        b"tdm-location: /news/" in news and b"tdm-policy: https://pub.example/policy.json" in news
    )
    assert b"action: skipped" in news


def test_record_mode_fetches_and_records(site: SiteServer, tmp_path: Path) -> None:
    tdm_site(site)
    # The header and the HTML meta supersede the file, in that order.
    site.routes["/news/b?page=2"] = page([], headers={"tdm-reservation": "0"})
    site.routes["/about"] = page(
        [], head='<meta name="tdm-reservation" content="1">', headers={"tdm-reservation": "0"}
    )
    crawl(fast_config(site, opt_out="record"), tmp_path)
    got = set(ok_responses(tmp_path))
    assert {site.base + p for p in RESERVED + FREE} <= got
    state = decisions(tmp_path)
    assert state["/news/a"] == (None, "tdm-reservation")
    assert state["/docs/x.pdf"] == (None, "tdm-reservation")
    assert state["/news/b?page=2"] == (None, None)
    assert state["/about"] == (None, "tdm-reservation")
    meta = {str(r["url"]): r["body"] for r in records(tmp_path) if r["type"] == "metadata"}
    assert b"tdm-source: tdmrep.json" in meta[site.base + "/news/a"]
    assert b"action: recorded" in meta[site.base + "/news/a"]
    assert b"tdm-source: meta" in meta[site.base + "/about"]
    assert site.base + "/news/b?page=2" not in meta


@pytest.mark.parametrize(
    ("route", "counted"),
    [
        (json_file(b'[{"location": "/", "tdm-reservation": 1'), "invalid"),
        (json_file({"location": "/", "tdm-reservation": 1}), "invalid"),
        (
            json_file(
                [{"location": "/", "tdm-reservation": 1}]
                + [{"location": f"/pad/{i}", "tdm-reservation": 0} for i in range(8000)]
            ),
            "invalid",  # larger than MAX_TDMREP_BYTES
        ),
        (json_file([{"location": "/", "tdm-reservation": 1}], status=503), "error"),
        (json_file([{"location": "/", "tdm-reservation": 1}], status=404), "missing"),
    ],
    ids=["truncated-json", "not-an-array", "oversized", "http-503", "http-404"],
)
def test_unusable_file_means_no_reservation(
    site: SiteServer, tmp_path: Path, route: object, counted: str
) -> None:
    tdm_site(site)
    site.routes[TDMREP_PATH] = route  # type: ignore[assignment]
    result = crawl(fast_config(site), tmp_path)
    assert set(RESERVED + FREE) <= set(site.paths())
    assert site.paths().count(TDMREP_PATH) == 1  # a failed file is not asked again and again
    assert result.stats["this_run"]["tdmrep"] == {counted: 1}
    assert "opt-out:tdm-reservation" not in result.stats["this_run"]["skipped_by_reason"]
    meta = [r["body"] for r in records(tmp_path) if r["type"] == "metadata"]
    if counted != "missing":
        assert any(f"tdmrep: {counted}".encode() in m for m in meta)


def test_oversized_body_is_really_over_the_bound() -> None:
    rules = [{"location": "/", "tdm-reservation": 1}] + [
        {"location": f"/pad/{i}", "tdm-reservation": 0} for i in range(8000)
    ]
    assert len(json.dumps(rules)) > MAX_TDMREP_BYTES


def test_one_fetch_per_host_across_runs_and_redirects(
    site: SiteServer, other_site: SiteServer, tmp_path: Path
) -> None:
    """The design budget: one tdmrep.json request per host, cached in the crawl state."""
    a, b = site, other_site
    for s in (a, b):
        s.routes["/robots.txt"] = text("")
        s.routes["/"] = page([f"/p/{i}" for i in range(20)])
        for i in range(20):
            s.routes[f"/p/{i}"] = page([f"/p/{(i + 1) % 20}"])
    # a: redirected twice to its rules; b: a redirect loop (bounded, then no rules).
    a.routes[TDMREP_PATH] = redirect("/tdm/1")
    a.routes["/tdm/1"] = redirect("/tdm/rules.json")
    a.routes["/tdm/rules.json"] = json_file([{"location": "/p/1", "tdm-reservation": 1}])
    b.routes[TDMREP_PATH] = redirect(TDMREP_PATH)
    seeds = [a.base + "/", b.base + "/"]
    first = crawl(fast_config(a, seeds=seeds, max_pages=10), tmp_path)
    second = crawl(fast_config(a, seeds=seeds), tmp_path)
    assert first.pages < second.pages
    pa, pb = a.paths(), b.paths()
    assert [p for p in pa if p.startswith(("/.well-known", "/tdm"))] == [
        TDMREP_PATH,
        "/tdm/1",
        "/tdm/rules.json",
    ]
    assert pb.count(TDMREP_PATH) == 6  # the first request and five redirects, once
    # Both runs together: those 3 + 6 requests and no more (the second run reuses the state).
    assert (
        first.stats["this_run"]["tdmrep_fetches"] + second.stats["this_run"]["tdmrep_fetches"] == 9
    )
    # Reserved by a's rules (/p/1 and /p/1x), fetched on b which has none.
    assert not any(p.startswith("/p/1") for p in pa)
    assert "/p/1" in pb and "/p/10" in pb
    # Everything else on both hosts, once each.
    assert len(pa) == len(set(pa)) and len(pb) - 5 == len(set(pb))


def test_tdmrep_can_be_turned_off(site: SiteServer, tmp_path: Path) -> None:
    tdm_site(site)
    crawl(fast_config(site, tdmrep=False), tmp_path)
    assert TDMREP_PATH not in site.paths()
    assert set(RESERVED) <= set(site.paths())


def test_state_from_before_tdmrep_is_upgraded(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "frontier.sqlite")
    db.execute(
        "CREATE TABLE hosts (host TEXT PRIMARY KEY, robots BLOB, robots_status TEXT,"
        " robots_fetched REAL, robots_attempts INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("INSERT INTO hosts VALUES ('http://h', x'', 'ok', 1.0, 0)")
    db.commit()
    db.close()
    f = Frontier(tmp_path / "frontier.sqlite")
    f.put_tdmrep("http://h", b"[]", "ok", 2.0)
    rec = f.get_host("http://h")
    assert rec is not None and rec.robots_status == "ok" and rec.robots_fetched == 1.0
    assert (rec.tdmrep, rec.tdmrep_status, rec.tdmrep_fetched) == (b"[]", "ok", 2.0)
    f.close()
