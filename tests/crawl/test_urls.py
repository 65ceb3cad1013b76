"""URL canonicalisation, fingerprints and trap heuristics."""

from __future__ import annotations

import pytest

from thresher.crawl.urls import canonicalize, fingerprint, host_of, join, looks_like_trap, same_site


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTP://Example.COM/a", "http://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/../../a", "http://example.com/a"),
        ("http://example.com/a#frag", "http://example.com/a"),
        ("http://example.com/a?", "http://example.com/a"),
        ("http://example.com/%7Euser/%41%2f", "http://example.com/~user/A%2F"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/caf\u00e9", "http://example.com/caf%C3%A9"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://b\u00fccher.example/", "http://xn--bcher-kva.example/"),
        ("http://example.com./x", "http://example.com/x"),
        ("http://example.com/x?utm_source=a&id=3&fbclid=z", "http://example.com/x?id=3"),
        ("http://example.com/x?b=2&a=1", "http://example.com/x?b=2&a=1"),
        ("http://example.com/x;jsessionid=ABC?PHPSESSID=1&q=2", "http://example.com/x?q=2"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ],
)
def test_canonicalize(raw: str, canonical: str) -> None:
    assert canonicalize(raw) == canonical


def test_tracking_parameters_can_be_kept() -> None:
    assert canonicalize("http://e.com/x?utm_source=a", strip_tracking=False) == (
        "http://e.com/x?utm_source=a"
    )


@pytest.mark.parametrize(
    "raw", ["ftp://e.com/x", "mailto:a@b", "http://", "not a url", "http://e.com:99999/"]
)
def test_not_crawlable(raw: str) -> None:
    assert canonicalize(raw) is None


def test_join() -> None:
    base = "http://e.com/a/b.html"
    assert join(base, "c.html") == "http://e.com/a/c.html"
    assert join(base, "/x") == "http://e.com/x"
    assert join(base, "//o.org/y") == "http://o.org/y"
    assert join(base, "../z") == "http://e.com/z"
    assert join(base, "#top") is None
    assert join(base, "javascript:void(0)") is None
    assert join(base, "mailto:x@e.com") is None


def test_fingerprint_and_host() -> None:
    assert fingerprint("http://e.com/") == fingerprint("http://e.com/")
    assert fingerprint("http://e.com/") != fingerprint("http://e.com/x")
    assert -(2**63) <= fingerprint("http://e.com/") < 2**63
    assert host_of("http://e.com:81/x/y") == "http://e.com:81"
    assert host_of("http://e.com") == "http://e.com"


def test_same_site() -> None:
    sites = frozenset({"example.com"})
    assert same_site("http://www.example.com/x", sites)
    assert same_site("http://blog.example.com/x", sites)
    assert not same_site("http://example.org/x", sites)
    assert not same_site("http://badexample.com/x", sites)


def test_traps() -> None:
    kw = {"max_length": 100, "max_segments": 8, "now_year": 2025}
    assert looks_like_trap("http://e.com/a/b", **kw) is None
    assert looks_like_trap("http://e.com/" + "x" * 200, **kw) == "url-too-long"
    assert looks_like_trap("http://e.com/1/2/3/4/5/6/7/8/9", **kw) == "path-too-deep"
    assert looks_like_trap("http://e.com/a/b/a/b/a", **kw) == "repeating-path-segment"
    assert looks_like_trap("http://e.com/cal/2025-05", **kw) is None
    assert looks_like_trap("http://e.com/cal?month=2031-01", **kw) == "calendar-trap"
    assert looks_like_trap("http://e.com/cal/1950/01", **kw) == "calendar-trap"


@pytest.mark.parametrize(
    "url",
    [
        "http://e.com/cal/2031-01",
        "http://e.com/cal/2031-01-15",
        "http://e.com/cal/2031-01.html",
        "http://e.com/cal/2031/1/",
        "http://e.com/events/1950/12/index.html",
        "http://e.com/cal?month=2031-01&x=1",
        "http://e.com/cal?d=2031%2F01",
    ],
)
def test_calendar_traps_are_caught(url: str) -> None:
    kw = {"max_length": 500, "max_segments": 16, "now_year": 2025}
    assert looks_like_trap(url, **kw) == "calendar-trap"


@pytest.mark.parametrize(
    "url",
    [
        # digits inside a hash or a name are not a year and a month
        "http://e.com/c10/b69f3e0c2147-10.html",
        "http://e.com/c10/b69a7d1e5f0c2147-10.html",
        "http://e.com/item/ab2147-10",
        "http://e.com/p?id=9f2147-10c",
        "http://e.com/v/2147-10x7",
        "http://e.com/product/1984",  # a year alone, no month after it
        "http://e.com/cal/2025/05",  # this year's calendar is fine
        "http://e.com/cal?month=2026-01",
    ],
)
def test_hash_and_id_paths_are_not_calendar_traps(url: str) -> None:
    kw = {"max_length": 500, "max_segments": 16, "now_year": 2025}
    assert looks_like_trap(url, **kw) is None
