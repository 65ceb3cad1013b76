"""Hostile archive and input files against ``thresher extract`` (and the document reader).

Each bomb is built in a temporary folder, followed by one good page so that "keeps going"
shows in the output, and measured in a fresh child (time, peak RSS):

- a WARC whose response body is ``Content-Encoding: gzip`` of 2 GiB of zeros (~2 MB);
- the same with ``Content-Encoding: zstd`` (1 GiB in ~40 KB);
- ``page.html.gz``: 2 GiB of zeros behind ``<html>`` (~2 MB);
- a Reddit dump ``RS_2024-01.zst`` whose first line is 2 GiB long (zstd frames);
- a WARC whose header block repeats one header 1,000,000 times (~9 KB gzip member);
- a WARC whose HTTP header block repeats one header 1,000,000 times;
- ``RS_2024-02.jsonl``: a 100 MB single line, then a good submission;
- a document file ``docs.jsonl`` with a 100 MB line, read by ``thresher export``.

Run from the repository root: ``python -m bench.hostile.archive [--timeout S] [--vmem-mb N]``
(``PYTHONPATH`` chooses the thresher under test; ``--vmem-mb`` caps the child's address space
so an unbounded "before" run fails instead of swapping).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import zstandard

from bench.hostile.measure import Row, measure, print_table, save

GOOD = (
    b"<html><head><title>Good</title></head><body><article><p>This page comes after the bomb "
    b"and is long enough to be kept as a document, with commas, and full stops.</p>"
    b"<p>A second paragraph follows.</p></article></body></html>"
)
MB = 1 << 20


def deflate_zeros(total: int, prefix: bytes = b"", chunk: int = MB) -> tuple[bytes, int]:
    """A raw deflate stream of ``prefix`` + ``total`` zero bytes built from one repeated
    full-flush block (seconds, not minutes) and its CRC-32."""
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = first.compress(prefix) + first.flush(zlib.Z_FULL_FLUSH) if prefix else b""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    n = total // chunk
    crc = zlib.crc32(prefix)
    zeros = bytes(chunk)
    for _ in range(n):
        crc = zlib.crc32(zeros, crc)
    return head + block * n + b"\x03\x00", crc  # \x03\x00: an empty final block


def gzip_zeros(total: int, prefix: bytes = b"") -> bytes:
    """A gzip member of ``prefix`` + ``total`` zeros."""
    body, crc = deflate_zeros(total, prefix)
    size = (len(prefix) + total // MB * MB) & 0xFFFFFFFF
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", crc, size)


def warc(url: str, block: bytes, *, extra: bytes = b"") -> bytes:
    """One WARC response record (gzip member) holding an HTTP block."""
    head = (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: " + url.encode() + b"\r\n"
        b"WARC-Date: 2024-05-01T12:00:00Z\r\n"
        b"WARC-Record-ID: <urn:uuid:" + str(abs(hash(url))).encode() + b">\r\n"
        b"Content-Type: application/http; msgtype=response\r\n" + extra +
        b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n"
    )
    return gzip.compress(head + block + b"\r\n\r\n", 6)


def http(body: bytes, headers: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers + b"\r\n" + body


def good_record() -> bytes:
    return warc("http://example.com/good", http(GOOD))


def build(root: Path) -> dict[str, list[str]]:
    """Every bomb in ``root``: name -> inputs of ``thresher extract``."""
    out: dict[str, list[str]] = {}
    p = root / "gzip-payload.warc.gz"
    body = gzip_zeros(2048 * MB, b"<html><body><p>")
    p.write_bytes(warc("http://bomb/gz", http(body, b"Content-Encoding: gzip\r\n")) + good_record())
    out["WARC payload gzip bomb (2 MB -> 2 GiB)"] = [str(p)]

    p = root / "zstd-payload.warc.gz"
    body = zstandard.ZstdCompressor(level=3).compress(b"<html><p>" + bytes(1024 * MB))
    bomb = warc("http://bomb/zst", http(body, b"Content-Encoding: zstd\r\n"))
    p.write_bytes(bomb + good_record())
    out[f"WARC payload zstd bomb ({len(body) // 1024} KB -> 1 GiB)"] = [str(p)]

    p = root / "page.html.gz"
    p.write_bytes(gzip_zeros(2048 * MB, b"<html><body><p>"))
    g = root / "good.html"
    g.write_bytes(GOOD)
    out[".html.gz bomb (2 MB -> 2 GiB)"] = [str(p), str(g)]

    p = root / "RS_2024-01.zst"
    frame = zstandard.ZstdCompressor(level=3).compress(b"a" * (64 * MB))
    sub = json.dumps({"id": "ok1", "subreddit": "x", "title": "Good", "selftext": "Good text.",
                      "is_self": True, "created_utc": 1704100000, "author": "u"}).encode()
    tail = zstandard.ZstdCompressor().compress(b'"}\n' + sub + b"\n")
    start = zstandard.ZstdCompressor().compress(b'{"id": "bomb", "selftext": "')
    p.write_bytes(start + frame * 32 + tail)
    out["Reddit dump zstd: one 2 GiB line"] = [str(p)]

    p = root / "warc-header-bomb.warc.gz"
    bomb = warc("http://bomb/h", http(GOOD), extra=b"X-A: a\r\n" * 1_000_000)
    p.write_bytes(bomb + good_record())
    out[f"WARC header bomb: 1M headers ({p.stat().st_size // 1024} KB)"] = [str(p)]

    p = root / "http-header-bomb.warc.gz"
    p.write_bytes(warc("http://bomb/hh", http(GOOD, b"X-A: a\r\n" * 1_000_000)) + good_record())
    out[f"HTTP header bomb: 1M headers ({p.stat().st_size // 1024} KB)"] = [str(p)]

    p = root / "RS_2024-02.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"id": "long", "selftext": "' + b"a" * (100 * MB) + b'"}\n' + sub + b"\n")
    out["Reddit dump: one 100 MB line (plain)"] = [str(p)]
    return out


def docs_bomb(root: Path) -> Path:
    p = root / "docs.jsonl"
    with open(p, "wb") as f:
        f.write(b'{"text": "' + b"a" * (100 * MB) + b'"}\n{"text": "A good document."}\n')
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--vmem-mb", type=int, default=0, help="ulimit -v for the child (0: none)")
    ap.add_argument("--save", default="", help="write the rows as JSON here")
    args = ap.parse_args()
    thresher = [sys.executable, "-m", "thresher"]
    if args.vmem_mb:
        cap = args.vmem_mb * 1024
        thresher = ["bash", "-c", f'ulimit -v {cap}; exec "$0" "$@"', *thresher]
    root = Path(tempfile.mkdtemp(prefix="thresher-hostile-archive-"))
    rows: list[Row] = []
    try:
        for i, (name, inputs) in enumerate(build(root).items()):
            out = root / f"out{i}"
            cmd = [*thresher, "extract", *inputs, "-o", str(out)]
            rows.append(measure(name, cmd, timeout=args.timeout))
            print(f"{name}: done", file=sys.stderr)
            shutil.rmtree(out, ignore_errors=True)
        docs = docs_bomb(root)
        cmd = [*thresher, "export", str(docs), "-o", str(root / "x.jsonl")]
        rows.append(measure("document file: one 100 MB line (export)", cmd, timeout=args.timeout))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_table(rows)
    if args.save:
        save(rows, args.save)


if __name__ == "__main__":
    main()
