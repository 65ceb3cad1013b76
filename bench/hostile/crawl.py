"""Hostile inputs of the crawler: robots.txt wildcards built to backtrack, and a sitemap index
of 20,000 sitemaps of 50,000 URLs each (made on request) against a crawl of 30 pages.

Run from the repository root: ``python -m bench.hostile.crawl [--timeout S]``. Prints a
Markdown table (time and peak RSS of each command, in a fresh process).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.hostile.measure import Row, measure, print_table

_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
SITEMAPS, URLS = 20_000, 50_000


class _Bomb(BaseHTTPRequestHandler):
    """robots.txt → a sitemap index of SITEMAPS sitemaps → URLS URLs each → small pages."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        path = self.path
        if path == "/robots.txt":
            self._send(f"User-agent: *\nSitemap: {base}/index.xml\n".encode(), "text/plain")
        elif path == "/index.xml":
            items = "".join(
                f"<sitemap><loc>{base}/sm/{i}.xml</loc></sitemap>" for i in range(SITEMAPS)
            )
            self._send(
                f"<?xml version='1.0'?><sitemapindex {_NS}>{items}</sitemapindex>".encode(),
                "application/xml",
            )
        elif path.startswith("/sm/"):
            n = path[4:].split(".")[0]
            items = "".join(f"<url><loc>{base}/p/{n}/{i}</loc></url>" for i in range(URLS))
            self._send(
                f"<?xml version='1.0'?><urlset {_NS}>{items}</urlset>".encode(), "application/xml"
            )
        elif path.startswith("/.well-known/"):
            self.send_error(404)
        else:
            self._send(b"<!doctype html><html><body><p>a page</p></body></html>", "text/html")


def _robots_rows(tmp: Path, timeout: float) -> list[Row]:
    rows = []
    cases = [
        ("robots: Disallow /******x vs a 200-char path", "/******x\n", "/" + "a" * 200),
        ("robots: 10,000 stars vs a 10 KB path", "/" + "*" * 10_000 + "x\n", "/" + "a" * 10_000),
        (
            "robots: /a*a*...b (2,000 pieces) vs a 10 KB path",
            "/" + "a*" * 2_000 + "b\n",
            "/" + "a" * 10_000,
        ),
    ]
    for name, pattern, path in cases:
        f = tmp / "robots.txt"
        f.write_text("User-agent: *\nDisallow: " + pattern)
        cmd = [sys.executable, "-m", "thresher", "robots", str(f), "http://e.com" + path, "B"]
        rows.append(measure(name, cmd, timeout=timeout))
    many = tmp / "many.txt"  # 512 KiB of star rules, every one to be tried on every URL
    rule = "Disallow: /" + "*a" * 20 + "*x\n"
    many.write_text("User-agent: *\n" + rule * ((512 * 1024 - 64) // len(rule)))
    cmd = [sys.executable, "-m", "thresher", "robots", str(many), "http://e.com/" + "a" * 2000, "B"]
    rows.append(
        measure("robots: 512 KiB of '*a*a...*x' rules vs a 2 KB path", cmd, timeout=timeout)
    )
    return rows


def _sitemap_row(tmp: Path, timeout: float) -> Row:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bomb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        seed = f"http://127.0.0.1:{server.server_address[1]}/"
        cmd = [
            sys.executable,
            "-m",
            "thresher",
            "crawl",
            seed,
            "-o",
            str(tmp / "out"),
            "--max-pages",
            "30",
            "--allow-private",
            "--rate",
            "100",
            "--per-host",
            "4",
        ]
        row = measure(
            f"crawl: sitemap index {SITEMAPS:,} x {URLS:,} URLs, max_pages 30", cmd, timeout=timeout
        )
    finally:
        server.shutdown()
    db = tmp / "out" / "frontier.sqlite"
    size = db.stat().st_size / 1e6 if db.exists() else 0.0
    row.note = f"frontier.sqlite {size:.1f} MB; {row.note}"[:160]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is killed")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = [*_robots_rows(tmp, args.timeout), _sitemap_row(tmp, args.timeout)]
    print_table(rows)


if __name__ == "__main__":
    main()
