"""Inputs given as URLs (fsspec): files and folders on a local HTTP server, ``file://``."""

from __future__ import annotations

import functools
import gzip
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.errors import InputError
from thresher.extract import extract
from thresher.extract.inputs import expand_inputs
from thresher.stats import StepStats
from thresher.store import read_documents

from .warcs import page, warc_record, write_warc


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder with a WARC and HTML files, served over HTTP on 127.0.0.1 (no range requests)."""
    root = tmp_path / "www"
    (root / "crawl").mkdir(parents=True)
    recs = [
        warc_record(f"http://example.com/{i}", page(f"W{i}", f"Warc page {i}.")) for i in (1, 2)
    ]
    write_warc(root / "crawl" / "a.warc.gz", recs, "gzip")
    (root / "crawl" / "b.html").write_bytes(page("H", "An HTML file."))
    (root / "crawl" / "c.htm.gz").write_bytes(gzip.compress(page("G", "A gzipped HTML file.")))
    (root / "crawl" / "notes.txt").write_text("not an input")
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_http_file_and_folder(served: tuple[str, Path]) -> None:
    base, _ = served
    stats = StepStats("extract")
    docs = list(extract([f"{base}/crawl/a.warc.gz"], stats=stats))
    assert [d.title for d in docs] == ["W1", "W2"]
    assert docs[0].source == f"{base}/crawl/a.warc.gz@0"
    found = expand_inputs([f"{base}/crawl/"])
    assert [(u.rsplit("/", 1)[1], k) for u, k in found] == [
        ("a.warc.gz", "archive"),
        ("b.html", "html"),
        ("c.htm.gz", "html"),
    ]
    docs = list(extract([f"{base}/crawl/"]))
    assert sorted(d.title or "" for d in docs) == ["G", "H", "W1", "W2"]
    html = next(d for d in docs if d.title == "H")
    assert html.url == html.source == f"{base}/crawl/b.html"


def test_file_urls_and_cli(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    docs = list(extract([(root / "crawl").as_uri()]))
    assert sorted(d.title or "" for d in docs) == ["G", "H", "W1", "W2"]
    out = tmp_path / "out"
    assert main(["extract", f"{base}/crawl/a.warc.gz", f"{base}/crawl/b.html", "-o", str(out)]) == 0
    assert sorted(d.title or "" for d in read_documents([out])) == ["H", "W1", "W2"]


def test_missing_url_is_one_line_error(served: tuple[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base, _ = served
    with pytest.raises(InputError, match=r"nope\.warc\.gz"):
        expand_inputs([f"{base}/nope.warc.gz"])
    assert main(["extract", f"{base}/nope.warc.gz", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.warc.gz" in err[0]
