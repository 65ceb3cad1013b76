"""The WARC writer on its own: records, rotation, checkpoints and cutting back to a commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawl.warcs import fast_counts, records
from thresher.archive.writer import WarcWriter, http_block, sha1_digest, truncate_to


@pytest.mark.parametrize("background", [False, True])
def test_records_rotation_and_checkpoints(tmp_path: Path, background: bool) -> None:
    w = WarcWriter(tmp_path / "warc", max_bytes=4096, gzip_level=1, background=background)
    req = http_block("GET /x HTTP/1.1", [("Host", "e.com")])
    for i in range(20):
        body = (f"page {i} " * 400).encode()
        resp = http_block("HTTP/1.1 200 OK", [("Content-Type", "text/html")], body)
        w.write_exchange(f"http://e.com/{i}", req, resp, body)
    w.write_metadata("http://e.com/0", {"robots": "disallowed"})
    w.write_resource("http://e.com/0", b"<html>dom</html>", "text/html")
    w.write_revisit(
        "http://e.com/0",
        req,
        http_block("HTTP/1.1 304 Not Modified", []),
        refers_to="<urn:uuid:x>",
        refers_to_date="2025-01-01T00:00:00Z",
        payload_digest=sha1_digest(b"x"),
    )
    touched = w.close()
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) > 3  # rotated by size
    assert touched[files[-1].name] == files[-1].stat().st_size
    recs = records(tmp_path)
    types = [r["type"] for r in recs]
    assert types.count("warcinfo") == len(files)
    assert types.count("response") == 20 and types.count("request") == 21
    assert {"metadata", "resource", "revisit"} <= set(types)
    resp = [r for r in recs if r["type"] == "response"]
    assert [r["url"] for r in resp] == [f"http://e.com/{i}" for i in range(20)]
    assert resp[3]["body"] == ("page 3 " * 400).encode()
    assert fast_counts(tmp_path)["response"] == 20


def test_cut_back_to_a_checkpoint(tmp_path: Path) -> None:
    w = WarcWriter(tmp_path / "warc", background=True)
    w.write_metadata("http://e.com/", {"n": 1})
    committed = w.checkpoint()
    ((name, length),) = committed.items()
    w.write_metadata("http://e.com/", {"n": 2})
    w.checkpoint()
    path = tmp_path / "warc" / name
    # Simulate a torn tail after the commit: half a record.
    with open(path, "ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00garbage")
    truncate_to(path, length)
    recs = records(tmp_path)
    assert [r["type"] for r in recs] == ["warcinfo", "metadata"]
    assert b"n: 1" in recs[1]["body"]
