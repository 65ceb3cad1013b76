"""robots.txt matching, case by case in the style of Google's robots.txt spec tests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.crawl.site import SiteServer, fast_config, page, text
from thresher.cli import main
from thresher.crawl import crawl
from thresher.crawl.robots import (
    MAX_ROBOTS_BYTES,
    checkable_url,
    parse_robots,
    product_token,
    skip_bom,
    url_path,
)


def allowed(robots: str | bytes, agent: str, url: str) -> bool:
    return parse_robots(robots).allowed(agent, url)


def test_empty_and_missing_rules_allow_everything() -> None:
    assert allowed("", "FooBot", "http://foo.bar/x/y")
    assert allowed("user-agent: FooBot\n", "FooBot", "http://foo.bar/x/y")
    assert allowed("user-agent: FooBot\ndisallow:\n", "FooBot", "http://foo.bar/x/y")


def test_system_example() -> None:
    robots = "user-agent: FooBot\ndisallow: /\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/x/y")
    assert allowed(robots, "BarBot", "http://foo.bar/x/y")


def test_line_syntax_colon_and_whitespace() -> None:
    assert not allowed("user-agent: FooBot\ndisallow: /\n", "FooBot", "http://foo.bar/x")
    assert not allowed("user-agent FooBot\ndisallow /\n", "FooBot", "http://foo.bar/x")
    # More than two words without a colon: ignored.
    assert allowed("foo bar baz\nuser-agent: FooBot\n", "FooBot", "http://foo.bar/x")


def test_groups_and_group_boundaries() -> None:
    robots = (
        "allow: /foo/bar/\n"
        "\n"
        "user-agent: FooBot\n"
        "disallow: /\n"
        "allow: /x/\n"
        "user-agent: BarBot\n"
        "disallow: /\n"
        "allow: /y/\n"
        "\n"
        "\n"
        "allow: /w/\n"
        "user-agent: BazBot\n"
        "\n"
        "user-agent: FooBot\n"
        "allow: /z/\n"
        "disallow: /\n"
    )
    u_w = "http://foo.bar/w/a"
    u_x = "http://foo.bar/x/b"
    u_y = "http://foo.bar/y/c"
    u_z = "http://foo.bar/z/d"
    u_foo = "http://foo.bar/foo/bar/"
    assert allowed(robots, "FooBot", u_x)
    assert allowed(robots, "FooBot", u_z)
    assert not allowed(robots, "FooBot", u_y)
    assert allowed(robots, "BarBot", u_y)
    assert allowed(robots, "BarBot", u_w)
    assert not allowed(robots, "BarBot", u_z)
    assert allowed(robots, "BazBot", u_z)
    # Rules before the first user-agent line belong to nobody.
    assert not allowed(robots, "FooBot", u_foo)
    assert not allowed(robots, "BarBot", u_foo)
    assert not allowed(robots, "BazBot", u_foo)


def test_groups_separated_by_other_directives() -> None:
    robots = "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/")
    assert not allowed(robots, "BarBot", "http://foo.bar/")


def test_directives_case_insensitive_and_values_case_sensitive() -> None:
    upper = "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n"
    lower = "user-agent: FooBot\nallow: /x/\ndisallow: /\n"
    camel = "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n"
    for robots in (upper, lower, camel):
        assert allowed(robots, "FooBot", "http://foo.bar/x/y")
        assert not allowed(robots, "FooBot", "http://foo.bar/a/b")
    assert allowed("user-agent: FooBot\ndisallow: /X/\n", "FooBot", "http://foo.bar/x/y")
    assert not allowed("user-agent: FooBot\ndisallow: /X/\n", "FooBot", "http://foo.bar/X/y")


def test_user_agent_value_case_insensitive_and_product_token() -> None:
    for robots in (
        "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n",
        "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n",
        "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n",
    ):
        assert allowed(robots, "Foo", "http://foo.bar/x/y")
        assert not allowed(robots, "Foo", "http://foo.bar/a/b")
        assert allowed(robots, "foo", "http://foo.bar/x/y")
    # Only the product token before the first space names the agent.
    robots = "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n"
    assert allowed(robots, "Foo", "http://foo.bar/x/y")
    assert not allowed(robots, "Foo Bar", "http://foo.bar/x/y")


def test_global_group_used_only_without_a_specific_group() -> None:
    global_ = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n"
    only_specific = (
        "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\n"
        "user-agent: BazBot\ndisallow: /\n"
    )
    url = "http://foo.bar/x/y"
    assert allowed("", "FooBot", url)
    assert not allowed(global_, "FooBot", url)
    assert allowed(global_, "BarBot", url)
    assert allowed(only_specific, "QuxBot", url)


def test_specific_group_with_empty_rules_ignores_global() -> None:
    robots = "user-agent: *\ndisallow: /\nuser-agent: FooBot\ndisallow:\n"
    assert allowed(robots, "FooBot", "http://foo.bar/x")
    assert not allowed(robots, "BarBot", "http://foo.bar/x")


def test_same_agent_groups_are_merged() -> None:
    robots = "user-agent: FooBot\ndisallow: /a\nuser-agent: BarBot\ndisallow: /b\n"
    robots += "user-agent: FooBot\ndisallow: /c\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/a")
    assert not allowed(robots, "FooBot", "http://foo.bar/c")
    assert allowed(robots, "FooBot", "http://foo.bar/b")


def test_several_agents_share_one_group() -> None:
    robots = "user-agent: FooBot\nuser-agent: BarBot\ndisallow: /x\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/x")
    assert not allowed(robots, "BarBot", "http://foo.bar/x")
    assert allowed(robots, "BazBot", "http://foo.bar/x")


def test_paths_are_case_sensitive() -> None:
    assert allowed("user-agent: FooBot\ndisallow: /x/\n", "FooBot", "http://foo.bar/X/y")


def test_longest_match_wins_and_allow_wins_ties() -> None:
    url = "http://foo.bar/x/page.html"
    assert allowed(
        "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot", url
    )
    assert allowed(
        "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/page.html\n", "FooBot", url
    )
    robots = "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n"
    assert not allowed(robots, "FooBot", url)
    assert allowed(robots, "FooBot", "http://foo.bar/x/")
    robots = "user-agent: FooBot\ndisallow: /x/\nallow: /x/page.html\n"
    assert allowed(robots, "FooBot", url)
    robots = "user-agent: FooBot\ndisallow: \nallow: \n"
    assert allowed(robots, "FooBot", "http://foo.bar/")
    robots = "user-agent: FooBot\ndisallow: /\nallow: /\n"
    assert allowed(robots, "FooBot", "http://foo.bar/")
    robots = "user-agent: FooBot\ndisallow: /x\nallow: /x/\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/x")
    assert allowed(robots, "FooBot", "http://foo.bar/x/")
    robots = "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/page.html")
    assert allowed(robots, "FooBot", "http://foo.bar/page")
    robots = "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n"
    assert allowed(robots, "FooBot", url)
    assert not allowed(robots, "FooBot", "http://foo.bar/x/y.html")
    robots = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n"
    assert allowed(robots, "FooBot", "http://foo.bar/x/page")
    assert not allowed(robots, "FooBot", "http://foo.bar/y/page")


def test_percent_encoding_of_patterns() -> None:
    robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n"
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par")
    robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n"
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/%E3%83%84")
    # The pattern is encoded, the URL is compared as given.
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/bar/ツ")
    robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n"
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/%E3%83%84")
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/bar/ツ")
    # Lower-case escapes in patterns are normalised.
    robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%e3%83%84\n"
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/%E3%83%84")
    # Percent-encoded unreserved characters are not decoded.
    robots = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/bar/baz")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/%62%61%7A")


def test_special_characters() -> None:
    robots = "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/bar/quz")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/quz")
    assert allowed(robots, "FooBot", "http://foo.bar/foo//quz")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bax/quz")
    robots = "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/bar")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/qux")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/")
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar/baz")
    robots = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n"
    assert allowed(robots, "FooBot", "http://foo.bar/foo/bar")
    assert not allowed(robots, "FooBot", "http://foo.bar/foo/quz")


def test_wildcards_and_anchors() -> None:
    robots = "user-agent: FooBot\ndisallow: /fish*.php\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/fish.php")
    assert not allowed(robots, "FooBot", "http://foo.bar/fishheads/catfish.php?parameters")
    assert allowed(robots, "FooBot", "http://foo.bar/Fish.PHP")
    robots = "user-agent: FooBot\ndisallow: /*.php$\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/filename.php")
    assert not allowed(robots, "FooBot", "http://foo.bar/folder/filename.php")
    assert allowed(robots, "FooBot", "http://foo.bar/filename.php?parameters")
    assert allowed(robots, "FooBot", "http://foo.bar/filename.php/")
    assert allowed(robots, "FooBot", "http://foo.bar/filename.php5")
    robots = "user-agent: FooBot\ndisallow: /fish*\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/fish")
    assert not allowed(robots, "FooBot", "http://foo.bar/fishheads/yummy.html")
    assert allowed(robots, "FooBot", "http://foo.bar/catfish")
    # A '$' that is not at the end is an ordinary character.
    robots = "user-agent: FooBot\ndisallow: /a$b\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/a$b/c")
    assert allowed(robots, "FooBot", "http://foo.bar/ab")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("", "/"),
        ("http://www.example.com", "/"),
        ("http://www.example.com/", "/"),
        ("http://www.example.com/a", "/a"),
        ("http://www.example.com/a/", "/a/"),
        ("http://www.example.com/a/b?c=http://d.e/", "/a/b?c=http://d.e/"),
        ("http://www.example.com/a/b?c=d&e=f#fg", "/a/b?c=d&e=f"),
        ("example.com", "/"),
        ("example.com/", "/"),
        ("example.com/a", "/a"),
        ("example.com/a/b?c=d&e=f#fg", "/a/b?c=d&e=f"),
        ("a", "/"),
        ("a/", "/"),
        ("/a", "/a"),
        ("a/b", "/b"),
        ("example.com?a", "/?a"),
        ("example.com/a;b#c", "/a;b"),
        ("//a/b/c", "/b/c"),
        ("http://foo.bar#x/y", "/"),
    ],
)
def test_path_params_query(url: str, path: str) -> None:
    assert url_path(url) == path


def test_path_of_url() -> None:
    assert url_path("http://foo.bar/a;b?c=d#frag") == "/a;b?c=d"
    assert url_path("http://foo.bar?x") == "/?x"
    robots = "user-agent: FooBot\ndisallow: /?\n"
    assert not allowed(robots, "FooBot", "http://foo.bar/?a")


def test_index_html_allows_the_directory() -> None:
    robots = "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n"
    assert allowed(robots, "foobot", "http://foo.com/allowed-slash/")
    assert not allowed(robots, "foobot", "http://foo.com/allowed-slash/index.htm")
    assert allowed(robots, "foobot", "http://foo.com/allowed-slash/index.html")
    assert not allowed(robots, "foobot", "http://foo.com/anyother-url")


def test_line_endings_bom_and_misspellings() -> None:
    for nl in ("\n", "\r\n", "\r"):
        robots = nl.join(
            ["User-Agent: foo", "Allow: /some/path", "User-Agent: bar", "", "", "Disallow: /"]
        )
        assert not allowed(robots, "bar", "http://foo.bar/x")
        assert allowed(robots, "foo", "http://foo.bar/x")
    assert not allowed(
        b"\xef\xbb\xbfUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue"
    )
    for key in ("dissallow", "dissalow", "disalow", "diasllow", "disallaw"):
        assert not allowed(f"user-agent: FooBot\n{key}: /\n", "FooBot", "http://foo.bar/x")
    for key in ("useragent", "user agent"):
        assert not allowed(f"{key}: FooBot\ndisallow: /\n", "FooBot", "http://foo.bar/x")


@pytest.mark.parametrize(
    "prefix", [b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"], ids=["full", "two-bytes", "one-byte"]
)
def test_full_and_partial_byte_order_marks_are_skipped(prefix: bytes) -> None:
    robots = prefix + b"User-Agent: foo\nDisallow: /AnyValue\n"
    assert not allowed(robots, "foo", "http://foo.bar/AnyValue")
    assert allowed(robots, "foo", "http://foo.bar/other")
    assert skip_bom(prefix + b"User-Agent") == b"User-Agent"


def test_broken_or_misplaced_byte_order_marks_are_not_skipped() -> None:
    # Not a BOM prefix: the first line is not a user-agent line, its rule belongs to nobody.
    assert allowed(b"\xbb\xbfUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://f.b/AnyValue")
    # A BOM after the start spoils that line only.
    robots = b"User-Agent: foo\n\xef\xbb\xbfDisallow: /AnyValue\nDisallow: /x\n"
    assert allowed(robots, "foo", "http://foo.bar/AnyValue")
    assert not allowed(robots, "foo", "http://foo.bar/x")
    assert skip_bom(b"\xef\xbb\xef\xbb\xbf") == b"\xef\xbb\xbf"  # one BOM's worth at most
    assert skip_bom(b"") == b""


@pytest.mark.parametrize(
    "url", ["http://foo.bar/x", "https://foo.bar:8080/x?y", "/x", "http://[::1]/x", "ftp://f.b/x"]
)
def test_checkable_urls(url: str) -> None:
    assert checkable_url(url)


@pytest.mark.parametrize(
    "url", ["not a url", "", "foo.bar/x", "http://", "http://foo.bar:port/x", "//foo.bar/x",
            "http://foo.bar/a b", "http://foo.bar/\x00"],
)  # fmt: skip
def test_uncheckable_urls(url: str) -> None:
    assert not checkable_url(url)


def test_robots_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "robots.txt"
    f.write_bytes(b"\xef\xbbUser-agent: FooBot\nDisallow: /x\n")
    assert main(["robots", str(f), "http://e.com/x", "FooBot"]) == 1
    assert main(["robots", str(f), "http://e.com/y", "FooBot"]) == 0
    capsys.readouterr()
    assert main(["robots", str(f), "not a url", "FooBot"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "thresher: error: 'not a url': not a URL (give one like https://example.com/page)"
    ]


def test_long_lines_and_size_limit() -> None:
    long_path = "/x/" + "a" * 20000
    robots = f"user-agent: FooBot\ndisallow: {long_path}\n"
    # The pattern is cut at the line limit, so it still matches the long URL's prefix.
    assert not allowed(robots, "FooBot", "http://foo.bar" + long_path + "/b")
    # Rules within the first 500 KiB are honoured.
    filler = "# " + "x" * 1000 + "\n"
    body = "user-agent: FooBot\n" + filler * 490 + "disallow: /late\n"
    assert len(body.encode()) > 490 * 1000
    assert not allowed(body, "FooBot", "http://foo.bar/late")
    assert MAX_ROBOTS_BYTES >= 500 * 1024


def test_sitemaps_and_crawl_delay() -> None:
    rules = parse_robots(
        "Sitemap: http://foo.bar/s1.xml\nuser-agent: FooBot\ncrawl-delay: 2.5\n"
        "disallow: /x\nsite-map: http://foo.bar/s2.xml\nuser-agent: *\ncrawl-delay: 9\n"
    )
    assert rules.sitemaps == ["http://foo.bar/s1.xml", "http://foo.bar/s2.xml"]
    assert rules.crawl_delay("foobot") == 2.5
    assert rules.crawl_delay("other") == 9
    assert parse_robots("user-agent: *\ncrawl-delay: soon\n").crawl_delay("x") is None


@pytest.mark.parametrize(
    ("ua", "token"),
    [("thresher/0.1 (+https://x)", "thresher"), ("Foo_Bar-Bot", "Foo_Bar-Bot"), ("", "")],
)
def test_product_token(ua: str, token: str) -> None:
    assert product_token(ua) == token


def test_hostile_wildcard_patterns_match_in_linear_time() -> None:
    # A regex of ".*" runs took minutes on these; the matcher must answer in milliseconds.
    path = "/" + "a" * 10_000
    robots = (
        "user-agent: *\n"
        f"disallow: /{'*' * 10_000}x\n"
        f"disallow: /{'a*' * 2_000}b\n"
        f"disallow: /{'a*' * 2_000}b$\n"
        f"disallow: {'*a' * 2_000}*x$\n"
        f"allow: /{'*' * 5_000}a$\n"
    )
    rules = parse_robots(robots)
    start = time.perf_counter()
    for _ in range(20):
        assert rules.allowed("FooBot", path)  # only the allow rule matches
        assert not rules.allowed("FooBot", path + "b")  # the /a*a*...b rules match
        assert not rules.allowed("FooBot", path + "x")  # the 10,000-star rule matches
    assert time.perf_counter() - start < 0.5


def test_wildcards_agree_with_the_reference_semantics() -> None:
    # Stars match any run (also empty and overlapping), a final $ anchors, others are literal.
    cases = [
        ("/a*a$", "/aa", True),
        ("/a*a$", "/a", False),
        ("/a**b*c", "/abc", True),
        ("/a*b*c", "/acb", False),
        ("/a*b$", "/ab/b", True),
        ("/a*b$", "/ab/bc", False),
        ("*.php$", "/x.php", True),
        ("*.php$", "/x.php?y", False),
        ("/x$y*", "/x$yz", True),
        ("/*", "/", True),
    ]
    for pattern, path, hit in cases:
        assert allowed(f"user-agent: *\ndisallow: {pattern}\n", "B", path) is not hit, pattern


@pytest.mark.timeout(60)
def test_served_hostile_robots_does_not_stall_a_crawl(site: SiteServer, tmp_path: Path) -> None:
    star_rules = "".join(f"disallow: /{'*' * 2_000}{i}x\n" for i in range(100))
    site.routes["/robots.txt"] = text("user-agent: *\n" + star_rules)
    long = "/" + "a" * 1_500
    site.routes["/"] = page([long])
    site.routes[long] = page([])
    start = time.monotonic()
    result = crawl(fast_config(site), tmp_path / "out")
    assert result.pages == 2
    assert time.monotonic() - start < 20
