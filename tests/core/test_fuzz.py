"""A bounded, seeded fuzz of what strangers write: WARC files, robots.txt, sitemaps and JSONL.

Each input is a valid file mutated a few times (bytes flipped, cut, repeated, junk and huge
numbers inserted). Every command must end with a documented exit code (0 done, 1 nothing to do
or disallowed, 2 a one-line error), print no traceback and answer within a few seconds; the
parsers called directly must return or raise a :class:`~thresher.errors.ThresherError`.
The whole module runs in well under a minute; ``THRESHER_FUZZ_CASES`` raises the count.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.extract.warcs import http_response, page, raw_record, warc_record, write_warc
from tests.refine.helpers import LIGHT_REFINE_YAML
from thresher.cli import main
from thresher.crawl.discover import parse_feed, parse_sitemap
from thresher.crawl.robots import parse_robots
from thresher.errors import ThresherError

CASES = int(os.environ.get("THRESHER_FUZZ_CASES", "60"))
#: seconds one case may take before it counts as a hang
CASE_LIMIT = 10
DOCUMENTED = {0, 1, 2}

JUNK = [
    b"\r\n",
    b"\n\n",
    b"\x00",
    b"\xff\xfe",
    b"\xc3\x28",
    b"*" * 500,
    b"<" * 300,
    b"<div>" * 400,
    b"Content-Length: 99999999999\r\n",
    b"Content-Length: -5\r\n",
    b"Content-Encoding: gzip\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"X: " + b"y" * 5000 + b"\r\n",
    b"WARC/1.0\r\n",
    b"\x1f\x8b\x08\x00",
    b"%",
    b"$",
    b"\\u0000",
    b'"',
    b"{",
    b"}",
    b"]",
    b"\xed\xa0\x80",
]


class Hang(Exception):
    """A case ran past CASE_LIMIT."""


@contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    """Fail the case (not the whole run) when it takes longer than ``seconds``."""

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"{what}: no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """``data`` with ``rounds`` random edits: flips, cuts, repeats, inserted junk, big numbers."""
    buf = bytearray(data)
    for _ in range(rounds):
        if not buf:
            buf.extend(rng.choice(JUNK))
            continue
        op = rng.randrange(6)
        i = rng.randrange(len(buf))
        if op == 0:  # flip a few bytes
            for _ in range(rng.randint(1, 8)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 1:  # cut the tail
            del buf[i:]
        elif op == 2:  # repeat a slice many times
            j = min(len(buf), i + rng.randint(1, 64))
            buf[i:i] = bytes(buf[i:j]) * rng.randint(2, 200)
        elif op == 3:  # insert junk
            buf[i:i] = rng.choice(JUNK)
        elif op == 4:  # delete a slice
            del buf[i : i + rng.randint(1, 200)]
        else:  # a digit run becomes a huge number
            while i < len(buf) and not chr(buf[i]).isdigit():
                i += 1
            buf[i:i] = b"9" * rng.randint(8, 40)
    return bytes(buf)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str], what: str) -> int:
    """Run one command in process; fail on a traceback, an undocumented code or a hang."""
    with time_limit(CASE_LIMIT, what):
        code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, f"{what}: traceback\n{captured.err[-2000:]}"
    assert code in DOCUMENTED, f"{what}: exit {code}\n{captured.err[-500:]}"
    if code == 2:
        lines = [ln for ln in captured.err.splitlines() if ln.startswith("thresher: error")]
        assert len(lines) == 1, f"{what}: expected one error line\n{captured.err[-500:]}"
    return code


def seeds(name: str) -> Iterator[tuple[int, random.Random]]:
    """``CASES`` reproducible generators for the inputs of ``name``."""
    for n in range(CASES):
        yield n, random.Random(f"{name}-{n}")


def base_warc() -> bytes:
    """A small WARC: three responses (one gzip-encoded), a request, a metadata record."""
    body = page("Fuzzed page", "A paragraph about rivers and the towns along them.")
    return b"".join(
        [
            warc_record("http://a.test/1", body),
            raw_record(
                "response",
                http_response(gzip.compress(body), "Content-Encoding: gzip"),
                {
                    "WARC-Target-URI": "http://a.test/2",
                    "WARC-Date": "2024-05-01T12:00:00Z",
                    "Content-Type": "application/http; msgtype=response",
                },
            ),
            warc_record("http://a.test/3", page("Third", "Another paragraph " * 20)),
            raw_record("metadata", b"fetchTimeMs: 12\r\n", {"WARC-Target-URI": "http://a.test/1"}),
        ]
    )


@pytest.mark.timeout(120)
def test_mutated_warc_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = base_warc()
    codes: dict[int, int] = {}
    for n, rng in seeds("warc"):
        data = mutate(clean, rng, rounds=rng.randint(1, 4))
        name = tmp_path / f"in{n}" / ("f.warc.gz" if n % 2 else "f.warc")
        name.parent.mkdir()
        if n % 2:
            # one gzip member per record, then the members themselves fuzzed
            parts = data.split(b"WARC/1.")
            records = [b"WARC/1." + p for p in parts if p]
            write_warc(name, records, compression="gzip")
            if n % 4 == 1:
                name.write_bytes(mutate(name.read_bytes(), rng, rounds=1))
        else:
            name.write_bytes(data)
        code = run_cli(
            ["extract", str(name), "-o", str(tmp_path / f"out{n}"), "--workers", "1"],
            capsys,
            f"warc case {n}",
        )
        codes[code] = codes.get(code, 0) + 1
    assert codes.get(0, 0) > 0, codes  # some mutated archives still give documents


ROBOTS = b"""User-agent: *
Disallow: /private/
Allow: /private/open*.html$
Disallow: /*?session=
Crawl-delay: 2

User-agent: FooBot
Disallow: /
Allow: /public/$
Sitemap: https://a.test/sitemap.xml
"""


@pytest.mark.timeout(120)
def test_mutated_robots_txt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["/", "/private/x", "/private/open1.html", "/a?session=1", "/public/", "/" + "a" * 9000]
    for n, rng in seeds("robots"):
        data = mutate(ROBOTS, rng, rounds=rng.randint(1, 5))
        if n % 5 == 0:  # stars, many of them
            data += b"\nDisallow: /" + b"*" * rng.randint(100, 20000) + b"x\n"
        with time_limit(CASE_LIMIT, f"robots case {n}"):
            rules = parse_robots(data)
            for p in paths:
                for agent in ("FooBot", "OtherBot"):
                    assert rules.allowed(agent, "https://a.test" + p) in (True, False)
        f = tmp_path / f"robots{n}.txt"
        f.write_bytes(data)
        argv = ["robots", str(f), "https://a.test/private/x", "FooBot"]
        code = run_cli(argv, capsys, f"robots {n}")
        assert code in (0, 1)


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.test/1</loc><lastmod>2024-05-01</lastmod></url>
<url><loc><![CDATA[https://a.test/2?x=1&amp;y=2]]></loc></url>
<url><loc>https://a.test/3</loc></url>
</urlset>
"""
FEED = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><link rel="alternate" href="https://a.test/e1"/></entry>
<entry><link href="https://a.test/e2"/></entry></feed>"""


def _parse_or_refuse(fn: Callable[[bytes], object], data: bytes, what: str) -> None:
    with time_limit(CASE_LIMIT, what), suppress(ThresherError):
        fn(data)


@pytest.mark.timeout(120)
def test_mutated_sitemaps_and_feeds() -> None:
    for n, rng in seeds("sitemap"):
        for base, fn in ((SITEMAP, parse_sitemap), (FEED, parse_feed)):
            data = mutate(base, rng, rounds=rng.randint(1, 5))
            if n % 3 == 0:
                data = gzip.compress(data)
                if n % 6 == 0:
                    data = data[: rng.randrange(1, len(data))]  # a cut gzip stream
            _parse_or_refuse(fn, data, f"{fn.__name__} case {n}")


def base_jsonl() -> bytes:
    docs = [
        {
            "id": f"d{i}",
            "url": f"https://a.test/{i}",
            "title": "T",
            "text": text,
            "metadata": {"n": i, "tags": ["a", "b"]},
        }
        for i, text in enumerate(
            [
                "The committee published its annual report on regional water quality this week.",
                "Der Ausschuss hat in dieser Woche seinen Jahresbericht veröffentlicht.",
                "Le comité a publié cette semaine son rapport annuel sur la qualité de l'eau.",
            ]
        )
    ]
    return b"".join(json.dumps(d, ensure_ascii=False).encode() + b"\n" for d in docs)


@pytest.mark.timeout(180)
def test_mutated_jsonl_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "light.yaml"
    config.write_text(LIGHT_REFINE_YAML)
    clean = base_jsonl()
    for n, rng in seeds("jsonl"):
        if n % 2:  # refine is the slow one: half the cases
            continue
        data = mutate(clean, rng, rounds=rng.randint(1, 4))
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        name = folder / ("docs.jsonl.gz" if n % 4 == 0 else "docs.jsonl")
        name.write_bytes(gzip.compress(data) if name.suffix == ".gz" else data)
        run_cli(
            ["refine", str(name), "-o", str(tmp_path / f"out{n}"), "--config", str(config)],
            capsys,
            f"jsonl case {n}",
        )
