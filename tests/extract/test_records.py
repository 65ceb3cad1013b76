"""What archive records carry into documents and counters (issue 8, item 11): the HTTP
``Date`` when ``WARC-Date`` is malformed, Common Crawl's WET language and title, and a count
of every record type read."""

from __future__ import annotations

import gzip
import logging
import uuid
from pathlib import Path

import pytest

from thresher.archive import iter_records
from thresher.archive.record import http_date
from thresher.document import Document
from thresher.extract import ExtractConfig, extract
from thresher.stats import StepStats

from .warcs import arc_file, http_response, page, raw_record, write_warc

URL = "https://example.org/news/1"
HTTP_DATE = "Date: Wed, 01 May 2024 12:34:56 GMT"


def _response(date: str, *http_headers: str) -> bytes:
    block = http_response(page("News", "The river rose overnight."), *http_headers)
    return raw_record(
        "response",
        block,
        {
            "WARC-Target-URI": URL,
            "WARC-Date": date,
            "WARC-Record-ID": "<urn:uuid:00000000-0000-0000-0000-000000000001>",
            "Content-Type": "application/http; msgtype=response",
        },
    )


def _extract(path: Path) -> tuple[list[Document], StepStats]:
    stats = StepStats("extract")
    return list(extract([str(path)], ExtractConfig(), stats=stats)), stats


@pytest.mark.parametrize("bad", ["2024-13-45T99:00:00Z", "yesterday", "", "2024/05/01 12:00"])
def test_malformed_warc_date_falls_back_to_http_date(
    tmp_path: Path, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "a.warc.gz"
    write_warc(path, [_response(bad, HTTP_DATE)], "gzip")
    with caplog.at_level(logging.INFO, logger="thresher"):
        (doc,), stats = _extract(path)
    assert doc.fetched_at == "2024-05-01T12:34:56Z"
    assert not caplog.records  # nothing noisy
    assert not any("date" in key for key in stats.counters)


def test_a_good_warc_date_wins_over_the_http_date(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    write_warc(path, [_response("2024-06-02T08:00:00Z", HTTP_DATE)])
    (doc,), _ = _extract(path)
    assert doc.fetched_at == "2024-06-02T08:00:00Z"


def test_no_usable_date_at_all_leaves_fetched_at_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    write_warc(path, [_response("not a date", "Date: not a date either")])
    (doc,), _ = _extract(path)
    assert doc.fetched_at is None


def test_arc_with_a_bad_date_uses_the_http_date(tmp_path: Path) -> None:
    data = arc_file([("http://example.org/a", page("A", "Alpha text."))])
    body = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n" + HTTP_DATE.encode() + b"\r\n\r\n"
    body += page("B", "Beta text.")
    data += f"http://example.org/b 127.0.0.1 2024XX01 text/html {len(body)}\n".encode()
    data += body + b"\n"
    path = tmp_path / "a.arc.gz"
    path.write_bytes(gzip.compress(data))
    docs, stats = _extract(path)
    by_url = {d.url: d for d in docs}
    assert by_url["http://example.org/a"].fetched_at == "2024-05-01T12:00:00Z"
    assert by_url["http://example.org/b"].fetched_at == "2024-05-01T12:34:56Z"
    assert stats.counters["records:filedesc"] == 1
    assert stats.counters["records:response"] == 2


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("Wed, 01 May 2024 12:34:56 GMT", "2024-05-01T12:34:56Z"),
        ("Wed, 01 May 2024 14:34:56 +0200", "2024-05-01T12:34:56Z"),
        ("Wednesday, 01-May-24 12:34:56 GMT", "2024-05-01T12:34:56Z"),  # RFC 850
        ("Wed May  1 12:34:56 2024", "2024-05-01T12:34:56Z"),  # asctime
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_http_date(value: str | None, iso: str | None) -> None:
    assert http_date(value) == iso


# A WET file as Common Crawl writes it (CC-MAIN-2024-22): a warcinfo record, then one
# conversion record per page whose text starts with the page's <title> on a line of its own.
WET_INFO = b"Software-Info: ia-web-commons\r\nisPartOf: CC-MAIN-2024-22\r\n"


def _conversion(url: str, text: str, language: str | None) -> bytes:
    headers = {
        "WARC-Target-URI": url,
        "WARC-Date": "2024-05-18T01:58:10Z",
        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>",
        "WARC-Refers-To": "<urn:uuid:2aabeff2-67f5-4608-8466-e87c6296e2b6>",
        "WARC-Block-Digest": "sha1:RDTSR52RUHWDA7QK4BK7OUHU3EXTXYUL",
    }
    if language:
        headers["WARC-Identified-Content-Language"] = language
    headers["Content-Type"] = "text/plain"
    return raw_record("conversion", text.encode("utf-8"), headers)


def test_wet_keeps_title_and_common_crawl_language(tmp_path: Path) -> None:
    path = tmp_path / "CC-MAIN-x.warc.wet.gz"
    write_warc(
        path,
        [
            raw_record("warcinfo", WET_INFO, {"Content-Type": "application/warc-fields"}),
            _conversion(
                "https://an.example.org/wiki/Escopete",
                "Escopete - Enciclopedia libre\nIr al contenido\n"
                "Escopete ye un municipio d'a provincia de Guadalachara.\n",
                "spa,arg",
            ),
            _conversion(
                "https://example.org/no-title",
                "A page whose converted text is one sentence, ending in a full stop.\n"
                "And a second line.",
                None,
            ),
        ],
        "gzip",
    )
    docs, stats = _extract(path)
    first, second = docs
    assert first.title == "Escopete - Enciclopedia libre"
    assert first.text == (
        "Ir al contenido\nEscopete ye un municipio d'a provincia de Guadalachara."
    )
    assert first.metadata["cc_language"] == "spa,arg"
    assert first.metadata["warc_refers_to"] == "<urn:uuid:2aabeff2-67f5-4608-8466-e87c6296e2b6>"
    assert first.fetched_at == "2024-05-18T01:58:10Z"
    # a first line that reads as a sentence is text, not a title; no language header, no key
    assert second.title is None
    assert second.text.startswith("A page whose converted text")
    assert "cc_language" not in second.metadata
    assert stats.counters["records:warcinfo"] == 1
    assert stats.counters["records:conversion"] == 2


def test_every_record_type_is_counted(tmp_path: Path) -> None:
    common = {"WARC-Target-URI": URL, "WARC-Date": "2024-05-01T12:00:00Z"}
    records = [
        raw_record(
            "warcinfo", b"software: thresher-test\r\n", {"WARC-Date": "2024-05-01T12:00:00Z"}
        ),
        raw_record(
            "request",
            b"GET /news/1 HTTP/1.1\r\nHost: example.org\r\n\r\n",
            {**common, "Content-Type": "application/http; msgtype=request"},
        ),
        _response("2024-05-01T12:00:00Z"),
        raw_record(
            "metadata",
            b"fetchTimeMs: 120\r\n",
            {**common, "Content-Type": "application/warc-fields"},
        ),
        raw_record(
            "revisit",
            b"HTTP/1.1 304 Not Modified\r\n\r\n",
            {
                **common,
                "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
                "Content-Type": "application/http; msgtype=response",
            },
        ),
        raw_record("request", b"GET / HTTP/1.1\r\n\r\n", common),
    ]
    path = tmp_path / "all.warc.gz"
    write_warc(path, records, "gzip")
    docs, stats = _extract(path)
    assert len(docs) == 1
    counted = {k: v for k, v in stats.counters.items() if k.startswith("records:")}
    assert counted == {
        "records:warcinfo": 1,
        "records:request": 2,
        "records:response": 1,
        "records:metadata": 1,
        "records:revisit": 1,
    }
    assert sum(counted.values()) == len(records)
    # the reader still yields content records only
    kinds: list[str] = []
    assert [r.kind for r in iter_records(str(path), seen=kinds.append)] == ["response"]
    assert kinds == ["warcinfo", "request", "response", "metadata", "revisit", "request"]
