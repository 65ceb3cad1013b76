"""Hostile archives and HTML files: decompression bombs, header bombs, records cut short.

Each bomb is small on disk and large once decoded; the limits are lowered so the tests stay
quick, and peak memory is checked with tracemalloc where a regression would show."""

from __future__ import annotations

import gzip
import json
import random
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from thresher.archive import ArchiveRecord, TruncatedInput, iter_records
from thresher.archive.compression import TooLarge, decode_bounded, iter_decoded
from thresher.archive.record import MAX_HEADER_LINES, parse_header_block
from thresher.cli import main
from thresher.extract import extract
from thresher.extract.config import ExtractConfig
from thresher.stats import StepStats
from thresher.store import read_documents

from .warcs import page, write_warc

GOOD = page("Good", "This page comes after the bomb and is kept.")
MB = 1 << 20


def http_record(url: str, body: bytes, headers: bytes = b"", warc_extra: bytes = b"") -> bytes:
    """A WARC response record whose HTTP block carries ``headers`` before the blank line."""
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers + b"\r\n" + body
    head = (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: " + url.encode() + b"\r\n"
        b"WARC-Date: 2024-05-01T12:00:00Z\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        + warc_extra
        + b"Content-Length: "
        + str(len(block)).encode()
        + b"\r\n\r\n"
    )
    return head + block + b"\r\n\r\n"


def gzip_zeros(n: int) -> bytes:
    """gzip of ``<html>`` and ``n`` zero bytes (one repeated full-flush block: quick)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(b"<html><body><p>")]
    zeros = bytes(MB)
    out += [c.compress(zeros) for _ in range(n // MB)]
    return b"".join(out) + c.flush()


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python memory (MB) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def _bombed_warc(tmp_path: Path, encoding: str, body: bytes) -> Path:
    path = tmp_path / f"bomb-{encoding}.warc.gz"
    bomb = http_record("http://bomb/", body, f"Content-Encoding: {encoding}\r\n".encode())
    write_warc(path, [bomb, http_record("http://example.com/good", GOOD)], "gzip")
    return path


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """64 MiB of zeros behind <html>, in each content coding (a few hundred KB at most)."""
    import brotli

    raw = b"<html><body><p>" + bytes(64 * MB)
    return {
        "gzip": gzip_zeros(64 * MB),
        "zstd": zstandard.ZstdCompressor(level=3).compress(raw),
        "br": brotli.compress(raw, quality=1),
        "deflate": zlib.compress(raw, 9),
    }


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "br", "deflate"])
def test_payload_bomb_is_too_large_and_the_run_goes_on(
    tmp_path: Path, bombs: dict[str, bytes], encoding: str
) -> None:
    path = _bombed_warc(tmp_path, encoding, bombs[encoding])
    stats = StepStats("extract")
    config = ExtractConfig(max_html_bytes=1 * MB)
    docs: list[object] = []
    peak = peak_mb(lambda: docs.extend(extract([str(path)], config, stats=stats)))
    assert [d.url for d in docs] == ["http://example.com/good"]  # type: ignore[attr-defined]
    assert stats.dropped == {"too_large": 1}
    assert peak < 24, f"{peak:.0f} MB held for a 64 MiB bomb under a 1 MiB limit"


def test_payload_within_the_limit_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "ok.warc.gz"
    rec = http_record("http://example.com/z", gzip.compress(GOOD), b"Content-Encoding: gzip\r\n")
    write_warc(path, [rec], "gzip")
    (got,) = list(iter_records(str(path)))
    assert got.payload == GOOD and got.error is None and not got.truncated


def test_decode_bounded_limits_and_lists() -> None:
    body = gzip.compress(zstandard.ZstdCompressor().compress(b"x" * 5000))
    assert decode_bounded(body, "zstd, gzip", 5000) == (b"x" * 5000, True)
    with pytest.raises(TooLarge):
        decode_bounded(body, "zstd, gzip", 4999)
    original = random.Random(1).randbytes(100_000)
    cut = gzip.compress(original)[:-500]
    data, complete = decode_bounded(cut, "gzip", 1 << 20)
    assert not complete and len(data) > 90_000 and original.startswith(data)
    assert decode_bounded(b"abc", "compress", 10) == (b"abc", True)  # unknown: as stored


def test_iter_decoded_pieces_are_bounded() -> None:
    sizes = [len(p) for p in iter_decoded([gzip_zeros(32 * MB)], "gzip")]
    assert sum(sizes) == 32 * MB + 15 and max(sizes) <= MB


def lz4_compress(data: bytes) -> bytes:
    import lz4.frame

    return bytes(lz4.frame.compress(data))


#: the codecs of a compressed HTML file: (file name suffix, compress)
HTML_CODECS = [(".gz", gzip.compress), (".lz4", lz4_compress)]


@pytest.mark.parametrize(("suffix", "compress"), HTML_CODECS)
def test_html_gz_bomb_is_too_large(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    bomb = gzip_zeros(64 * MB) if suffix == ".gz" else compress(bytes(64 * MB))
    (tmp_path / f"bomb.html{suffix}").write_bytes(bomb)
    (tmp_path / "good.html").write_bytes(GOOD)
    stats = StepStats("extract")
    config = ExtractConfig(max_html_bytes=1 * MB)
    docs: list[object] = []
    peak = peak_mb(lambda: docs.extend(extract([str(tmp_path)], config, stats=stats)))
    assert len(docs) == 1 and stats.dropped == {"too_large": 1}
    assert peak < 24, f"{peak:.0f} MB held for a 64 MiB .html{suffix} under a 1 MiB limit"


#: a comment that fills a page: lz4 only gives whole blocks (64 KiB), so its filler must not
#: shrink into the first one for half the file to hold GOOD
FILLER = {".gz": b"x" * 200_000, ".lz4": random.Random(1).randbytes(200_000).hex().encode()}


@pytest.mark.parametrize(("suffix", "compress"), HTML_CODECS)
def test_html_gz_within_limit_and_cut_short(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    (tmp_path / f"a.html{suffix}").write_bytes(compress(GOOD))
    whole = compress(GOOD + b"<!--" + FILLER[suffix] + b"-->")
    (tmp_path / f"b.html{suffix}").write_bytes(whole[: len(whole) // 2])
    stats = StepStats("extract")
    docs = list(extract([str(tmp_path)], stats=stats))
    assert len(docs) == 2
    assert [d.metadata.get("truncated") for d in docs] == [None, True]
    assert stats.counters["truncated"] == 1 and stats.counters["error:truncated"] == 1


def test_warc_header_bomb_is_malformed_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "hb.warc.gz"
    bomb = http_record("http://bomb/", GOOD, warc_extra=b"X-A: a\r\n" * 200_000)
    write_warc(path, [bomb, http_record("http://example.com/good", GOOD)], "gzip")
    assert path.stat().st_size < 20_000
    stats = StepStats("extract")
    docs = list(extract([str(path)], stats=stats))
    assert [d.url for d in docs] == ["http://example.com/good"]
    assert stats.dropped == {"malformed": 1}


def test_http_header_bomb_is_malformed_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "hh.warc.gz"
    bomb = http_record("http://bomb/", GOOD, b"Set-Cookie: a=b\r\n" * 200_000)
    write_warc(path, [bomb, http_record("http://example.com/good", GOOD)], "gzip")
    stats = StepStats("extract")
    docs = list(extract([str(path)], stats=stats))
    assert [d.url for d in docs] == ["http://example.com/good"]
    assert stats.dropped == {"malformed": 1}


def test_repeated_headers_within_limits_are_joined() -> None:
    lines = [b"Set-Cookie: c%d\r\n" % i for i in range(MAX_HEADER_LINES)]
    got = parse_header_block([b"Content-Type: text/html\r\n", *lines, b" more\r\n"])
    assert got["set-cookie"].startswith("c0, c1, c2") and got["set-cookie"].endswith("more")
    assert got["content-type"] == "text/html"


# -- records cut short ----------------------------------------------------------------------


def _records(n: int) -> list[bytes]:
    return [
        http_record(f"http://example.com/{i}", page(f"Page {i}", f"Text of page {i}. " * 2000))
        for i in range(n)
    ]


def clipped_warc(path: Path) -> Path:
    """Like resiliparse's clipped.warc.gz: the last record's gzip member is whole, but holds
    less of the body than its WARC Content-Length says."""
    recs = _records(2)
    cut = recs[1][: len(recs[1]) * 3 // 4]
    write_warc(path, [recs[0], cut], "gzip")
    return path


def broken_gzip_warc(path: Path) -> Path:
    """The gzip stream itself ends inside the last record's member."""
    offsets = write_warc(path, _records(2), "gzip")
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1] + (len(data) - offsets[1]) * 2 // 3])
    return path


@pytest.mark.parametrize("make", [clipped_warc, broken_gzip_warc])
def test_record_cut_short_is_salvaged(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path / "cut.warc.gz")
    recs: list[ArchiveRecord] = []
    with pytest.raises(TruncatedInput):  # after what arrived: the file is still damaged
        recs.extend(iter_records(str(path)))
    assert [r.truncated for r in recs] == [False, True]
    assert recs[1].payload and recs[1].payload.startswith(b"<html>")
    stats = StepStats("extract")
    docs = list(extract([str(path)], stats=stats))
    assert [d.url for d in docs] == ["http://example.com/0", "http://example.com/1"]
    assert "truncated" not in docs[0].metadata and docs[1].metadata["truncated"] is True
    assert "Text of page 1." in docs[1].text
    assert stats.counters["truncated"] == 1
    assert stats.counters["errors"] == 1 and stats.counters["error:truncated"] == 1


def test_cli_salvages_a_cut_record_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = clipped_warc(tmp_path / "clipped.warc.gz")
    out = tmp_path / "out"
    assert main(["extract", str(path), "-o", str(out)]) == 0
    docs = list(read_documents([out]))
    assert sorted(bool(d.metadata.get("truncated")) for d in docs) == [False, True]
    step = json.loads((out / "stats.json").read_text())["steps"][0]
    assert step["counters"]["truncated"] == 1
    assert "1 record cut short" in capsys.readouterr().err


def test_chunked_body_cut_short_is_salvaged(tmp_path: Path) -> None:
    body = GOOD + b"<!--" + b"x" * 5000 + b"-->"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:100], body[100:]))
    rec = http_record("http://example.com/c", chunks[:-1000], b"Transfer-Encoding: chunked\r\n")
    path = tmp_path / "c.warc"
    write_warc(path, [rec])
    (got,) = list(iter_records(str(path)))
    assert got.truncated and got.payload == body[: len(got.payload or b"")]
    assert got.payload and got.payload.startswith(GOOD[:50])
