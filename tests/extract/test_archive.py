"""Archive readers on WARC / WET / ARC files written by the tests (plain, gzip, lz4, damaged)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from thresher.archive import TruncatedInput, iter_records
from thresher.errors import InputError

from .warcs import arc_file, page, warc_record, write_warc


def _records(n: int) -> list[bytes]:
    return [
        warc_record(f"http://example.com/{i}", page(f"Page {i}", f"Body {i}.")) for i in range(n)
    ]


@pytest.mark.parametrize("compression", ["none", "gzip", "lz4"])
def test_reads_all_records_with_offsets(tmp_path: Path, compression: str) -> None:
    path = (
        tmp_path
        / f"a.warc{'.gz' if compression == 'gzip' else '.lz4' if compression == 'lz4' else ''}"
    )
    offsets = write_warc(path, _records(4), compression)
    recs = list(iter_records(str(path)))
    assert [r.url for r in recs] == [f"http://example.com/{i}" for i in range(4)]
    assert [r.source for r in recs] == [f"{path}@{o}" for o in offsets]
    assert all(r.status == 200 and r.content_type == "text/html" for r in recs)
    assert recs[0].date == "2024-05-01T12:00:00Z"
    assert recs[2].payload is not None and b"Page 2" in recs[2].payload


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_truncated_file_yields_records_before_damage(tmp_path: Path, compression: str) -> None:
    path = tmp_path / "t.warc.gz"
    offsets = write_warc(path, _records(4), compression)
    data = path.read_bytes()
    path.write_bytes(data[: offsets[3] + 40])
    got = []
    with pytest.raises(TruncatedInput) as exc:
        for r in iter_records(str(path)):
            got.append(r.url)
    assert got == [f"http://example.com/{i}" for i in range(3)]
    assert str(path) in str(exc.value)


def test_whole_file_gzip_is_read(tmp_path: Path) -> None:
    path = tmp_path / "w.warc.gz"
    path.write_bytes(gzip.compress(b"".join(_records(3))))
    assert len(list(iter_records(str(path)))) == 3


def test_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.warc"
    path.write_bytes(b"this is not an archive\n")
    with pytest.raises(InputError, match=r"x\.warc"):
        list(iter_records(str(path)))


def test_arc_file(tmp_path: Path) -> None:
    path = tmp_path / "old.arc.gz"
    path.write_bytes(gzip.compress(arc_file([("http://old.example/a", page("Old", "Old text."))])))
    recs = list(iter_records(str(path)))
    assert len(recs) == 1
    assert recs[0].url == "http://old.example/a"
    assert recs[0].date == "2024-05-01T12:00:00Z"
    assert recs[0].status == 200 and b"Old text." in (recs[0].payload or b"")


def test_chunked_and_gzip_content_encoding(tmp_path: Path) -> None:
    body = gzip.compress(page("Zipped", "Compressed body."))
    chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Encoding: gzip\r\n\r\n" + chunked
    )
    head = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://z.example/\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
        % len(http)
    )
    path = tmp_path / "c.warc"
    path.write_bytes(head + http + b"\r\n\r\n")
    (rec,) = list(iter_records(str(path)))
    assert b"Compressed body." in (rec.payload or b"")
