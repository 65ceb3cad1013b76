"""A small Common Crawl snapshot written for the tests: WARC files (gzip per record, request
records beside the responses), their CDX rows, WET files and the paths files."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.extract.warcs import page, raw_record, warc_record

CRAWL = "CC-TEST-2024-22"
SEGMENT = f"crawl-data/{CRAWL}/segments/1716000000000.1"


@dataclass
class Snapshot:
    root: Path
    rows: list[dict[str, Any]]
    #: url -> (filename, offset) of the good HTML captures
    html: dict[str, tuple[str, int]]
    wet: list[str]
    warc: list[str]


def _write(
    path: Path, records: list[tuple[str | None, bytes]]
) -> dict[str | None, tuple[int, int]]:
    """Write gzip members; (offset, length) of each record keyed by its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    where: dict[str | None, tuple[int, int]] = {}
    with open(path, "wb") as f:
        for name, rec in records:
            at = f.tell()
            f.write(gzip.compress(rec))
            if name is not None:
                where[name] = (at, f.tell() - at)
    return where


def _request(url: str) -> bytes:
    block = f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode()
    return raw_record(
        "request",
        block,
        {"WARC-Target-URI": url, "Content-Type": "application/http; msgtype=request"},
    )


def _row(url: str, filename: str, at: tuple[int, int], status: int, mime: str) -> dict[str, Any]:
    host = url.split("/")[2]
    surt = ",".join(reversed(host.split("."))) + ")/" + url.split("/", 3)[-1]
    return {
        "urlkey": surt,
        "timestamp": "20240522120000",
        "url": url,
        "mime": mime,
        "mime-detected": mime,
        "status": str(status),
        "digest": "X" * 32,
        "length": str(at[1]),
        "offset": str(at[0]),
        "filename": filename,
        "languages": "eng",
    }


def build(root: Path, pages_per_file: int = 6) -> Snapshot:
    """Two WARC files (a.warc.gz: www.example.org, b.warc.gz: forum + other hosts) with their
    index rows, three WET files and both paths files."""
    rows: list[dict[str, Any]] = []
    html: dict[str, tuple[str, int]] = {}
    files = {
        "a": [f"https://www.example.org/p{i}" for i in range(pages_per_file)],
        "b": [f"https://forum.example.org/forum/t{i}" for i in range(pages_per_file)],
    }
    warcs = []
    for name, urls in files.items():
        filename = f"{SEGMENT}/warc/CC-MAIN-{name}.warc.gz"
        warcs.append(filename)
        records: list[tuple[str | None, bytes]] = [(None, raw_record("warcinfo", b"x: y\r\n", {}))]
        for url in urls:
            body = page(f"Page {url.rsplit('/', 1)[-1]} of {name}", f"This is the text of {url}.")
            records += [(None, _request(url)), (url, warc_record(url, body))]
        extra = {
            "a": [
                (
                    "https://www.example.org/missing",
                    warc_record(
                        "https://www.example.org/missing",
                        page("Gone", "Not here."),
                        status="404 Not Found",
                    ),
                )
            ],
            "b": [
                (
                    "https://www.example.org/logo.png",
                    warc_record(
                        "https://www.example.org/logo.png", b"\x89PNG....", content_type="image/png"
                    ),
                ),
                ("https://other.com/x", warc_record("https://other.com/x", page("Other", "x"))),
            ],
        }[name]
        records += extra
        where = _write(root / filename, records)
        for url in urls:
            rows.append(_row(url, filename, where[url], 200, "text/html"))
            html[url] = (filename, where[url][0])
        for url, _ in extra:
            status = 404 if url.endswith("missing") else 200
            mime = "image/png" if url.endswith(".png") else "text/html"
            rows.append(_row(url, filename, where[url], status, mime))
    # rows whose range is wrong: another page's record, and the middle of a record
    a0 = rows[0]
    rows.append({**a0, "url": "https://www.example.org/moved", "urlkey": "org,example)/moved"})
    rows.append(
        {
            **rows[1],
            "url": "https://www.example.org/broken",
            "urlkey": "org,example)/broken",
            "offset": str(int(rows[1]["offset"]) + 7),
        }
    )
    rows.sort(key=lambda r: r["url"])
    wets = []
    for i in range(3):
        filename = f"{SEGMENT}/wet/CC-MAIN-{i}.warc.wet.gz"
        wets.append(filename)
        recs: list[tuple[str | None, bytes]] = [(None, raw_record("warcinfo", b"x: y\r\n", {}))]
        for j in range(4):
            url = f"https://wet{i}.example.net/{j}"
            text = f"Title {i}.{j}\nThe converted text of page {j} in file {i}, long enough.\n"
            recs.append(
                (
                    url,
                    raw_record(
                        "conversion",
                        text.encode(),
                        {
                            "WARC-Target-URI": url,
                            "WARC-Date": "2024-05-22T12:00:00Z",
                            "Content-Type": "text/plain",
                            "WARC-Identified-Content-Language": "eng",
                        },
                    ),
                )
            )
        _write(root / filename, recs)
    for kind, paths in (("wet", wets), ("warc", warcs)):
        listing = root / f"crawl-data/{CRAWL}/{kind}.paths.gz"
        listing.write_bytes(gzip.compress("".join(p + "\n" for p in paths).encode()))
    return Snapshot(root, rows, html, wets, warcs)
