"""Records/s and bytes/s of Common Crawl range fetches from a local data server: thresher's
slice reader (index page → ranges → WARC records, with and without its resume cache) against
what users write today: a loop of ``requests`` range GETs read with warcio, the same on a
thread pool, and aiohttp with a semaphore.

    .venv/bin/python bench/commoncrawl/range_bench.py [--records 2000] [--rounds 3]

The servers are the tests' (tests/sources/commoncrawl/servers.py: Python's threading HTTP
server on 127.0.0.1), so every client shares the same server cost; run from the repo root.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.extract.warcs import page, warc_record
from tests.sources.commoncrawl.servers import cc_servers

from thresher.extract.config import ExtractConfig
from thresher.sources.commoncrawl.cache import ItemCache
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.commoncrawl.http import Client
from thresher.sources.commoncrawl.snapshot import file_pages
from thresher.sources.commoncrawl.source import slice_pages
from thresher.sources.commoncrawl.spec import index_item
from thresher.stats import StepStats

CRAWL = "CC-BENCH"
FILE = f"crawl-data/{CRAWL}/segments/1/warc/bench.warc.gz"


def make_data(root: Path, records: int) -> list[dict[str, Any]]:
    """One WARC file of ``records`` pages (gzip per record, 4-30 KB compressed, about what
    Common Crawl's records weigh) and their index rows."""
    rng = random.Random(7)
    rows = []
    (root / FILE).parent.mkdir(parents=True, exist_ok=True)
    with open(root / FILE, "wb") as f:
        for i in range(records):
            url = f"https://www.example.org/{i}"
            words = (f"{rng.getrandbits(40):x}" for _ in range(rng.randint(400, 3000)))
            body = page(f"Page {i}", " ".join(words))
            at = f.tell()
            f.write(gzip.compress(warc_record(url, body)))
            rows.append(
                {"url": url, "filename": FILE, "offset": str(at), "length": str(f.tell() - at),
                 "status": "200", "mime": "text/html"}
            )  # fmt: skip
    return rows


def _warcio_url(data: bytes) -> str | None:
    from warcio.archiveiterator import ArchiveIterator

    for rec in ArchiveIterator(io.BytesIO(data)):
        if rec.rec_type == "response":
            rec.content_stream().read()
            return str(rec.rec_headers.get_header("WARC-Target-URI"))
    return None


def peer_requests(base: str, rows: list[dict[str, Any]], threads: int) -> int:
    """requests.Session range GETs (a plain loop, or a thread pool), records read by warcio."""
    import requests

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(threads, 1))
    session.mount("http://", adapter)

    def one(r: dict[str, Any]) -> int:
        start, length = int(r["offset"]), int(r["length"])
        resp = session.get(
            f"{base}/{r['filename']}", headers={"Range": f"bytes={start}-{start + length - 1}"}
        )
        assert resp.status_code == 206
        assert _warcio_url(resp.content) == r["url"]
        return len(resp.content)

    if threads <= 1:
        return sum(one(r) for r in rows)
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, rows))


def peer_aiohttp(base: str, rows: list[dict[str, Any]], concurrency: int) -> int:
    """aiohttp range GETs with a semaphore, records read by warcio in the event loop."""
    import aiohttp

    async def main() -> int:
        sem = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession() as session:

            async def one(r: dict[str, Any]) -> int:
                start, length = int(r["offset"]), int(r["length"])
                async with (
                    sem,
                    session.get(
                        f"{base}/{r['filename']}",
                        headers={"Range": f"bytes={start}-{start + length - 1}"},
                    ) as resp,
                ):
                    data = await resp.read()
                assert _warcio_url(data) == r["url"]
                return len(data)

            return sum(await asyncio.gather(*(one(r) for r in rows)))

    return asyncio.run(main())


def thresher_slice(
    urls: Urls, rows: list[dict[str, Any]], fetchers: int, cache: Path | None
) -> int:
    cc = CommonCrawlConfig(index_server=urls.index, data_server=urls.data, fetchers=fetchers)
    stats = StepStats("bench")
    pages = slice_pages(
        Client(cc),
        ExtractConfig(cc=cc),
        index_item(0, CRAWL, "*.example.org"),
        ItemCache(cache),
        stats,
    )
    n = sum(1 for _ in pages)
    assert n == len(rows), (n, stats)
    return int(stats.counters["cc_fetch:bytes"])


def peer_stream(base: str, rows: list[dict[str, Any]]) -> int:
    """The whole file streamed with requests and read by warcio (a snapshot file)."""
    import requests
    from warcio.archiveiterator import ArchiveIterator

    with requests.get(f"{base}/{FILE}", stream=True) as resp:
        n = 0
        for rec in ArchiveIterator(resp.raw):
            if rec.rec_type == "response":
                rec.content_stream().read()
                n += 1
        assert n == len(rows)
        return int(resp.raw.tell())


def thresher_stream(urls: Urls, rows: list[dict[str, Any]]) -> int:
    """The whole file through the snapshot reader (file_pages: RangeStream + read_warc)."""
    cc = CommonCrawlConfig(data_server=urls.data)
    stats = StepStats("bench")
    n = sum(1 for _ in file_pages(Client(cc), cc, FILE, 64 << 20, stats))
    assert n == len(rows)
    return int(stats.counters["cc_fetch:bytes"])


@dataclass(frozen=True)
class Urls:
    index: str
    data: str


def serve(root: Path, rows: list[dict[str, Any]], latency: float, conn: Connection) -> None:
    """The servers in a process of their own (so they do not share the clients' GIL)."""
    with cc_servers(root, {CRAWL: rows}) as srv:
        srv.index.page_size = len(rows)
        srv.data.latency = latency
        conn.send((srv.index_url, srv.data_url))
        conn.recv()  # until the bench is done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per answer (a WAN)")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = make_data(root / "data", args.records)
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.Process(
            target=serve, args=(root / "data", rows, args.latency, theirs), daemon=True
        )
        server.start()
        urls = Urls(*ours.recv())
        runs: dict[str, Callable[[int], int]] = {
            "requests loop": lambda r: peer_requests(urls.data, rows, 1),
            "requests 8 threads": lambda r: peer_requests(urls.data, rows, 8),
            "aiohttp 8 at once": lambda r: peer_aiohttp(urls.data, rows, 8),
            "thresher fetchers=1": lambda r: thresher_slice(urls, rows, 1, None),
            "thresher fetchers=8": lambda r: thresher_slice(urls, rows, 8, None),
            "thresher fetchers=8 + cache": lambda r: thresher_slice(
                urls, rows, 8, root / f"cache{r}"
            ),
            "whole file: requests + warcio": lambda r: peer_stream(urls.data, rows),
            "whole file: thresher": lambda r: thresher_stream(urls, rows),
        }
        times: dict[str, list[float]] = {k: [] for k in runs}
        size = 0
        try:
            for r in range(args.rounds):  # alternating order, medians reported
                for name, fn in runs.items():
                    t = time.perf_counter()
                    size = fn(r)
                    times[name].append(time.perf_counter() - t)
        finally:
            ours.send("done")
            server.join(10)
    results = []
    for name, ts in times.items():
        med = statistics.median(ts)
        results.append(
            {
                "client": name,
                "seconds": round(med, 3),
                "records_per_s": round(len(rows) / med),
                "mb_per_s": round(size / med / 1e6, 1),
            }
        )
        print(
            f"{name:30s} {med:7.2f} s {len(rows) / med:8.0f} records/s {size / med / 1e6:6.1f} MB/s"
        )
    args.out.write_text(
        json.dumps(
            {
                "records": len(rows),
                "bytes": size,
                "rounds": args.rounds,
                "latency": args.latency,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
