"""thresher vs Scrapy on the same local nginx site, in the same run.

    python bench/crawl/run.py --scrapy-python /path/to/venv-with-scrapy/bin/python

Builds a site of N pages (~15 KB, ~50 links each) under a work folder, serves it with nginx
on 127.0.0.1, crawls it with both (concurrency 16, no delays, robots.txt obeyed, output
written: WARC for thresher, a JSON-lines feed of the pages for Scrapy), and reports pages/s
and peak RSS. Then measures thresher's RSS with 1 M URLs in its frontier.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsite import make_site, write_nginx_conf

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of a child process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024, code


def count_warc_pages(out: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    for path in (out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.response):
                if rec.http_headers.status_code == 200 and "/p/" in rec.headers["WARC-Target-URI"]:
                    n += 1
    return n


def thresher_cmd(url: str, out: Path, extra: list[str] | None = None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "thresher",
        "crawl",
        url,
        "-o",
        str(out),
        "--allow-private",
        "--rate",
        "1000000",
        "--concurrency",
        "16",
        "--per-host",
        "16",
        *(extra or []),
    ]


def frontier_rss(work: Path, url_base: str, n_urls: int) -> dict[str, float]:
    """Fill a frontier with ``n_urls`` queued URLs, then crawl 2,000 pages from it."""
    from thresher.crawl.frontier import PAGE, Frontier
    from thresher.crawl.urls import fingerprint, host_of

    out = work / "frontier-1m"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    f = Frontier(out / "frontier.sqlite", fsync=False)
    host = host_of(url_base + "/")
    t0 = time.monotonic()
    batch = []
    for i in range(n_urls):
        u = f"{url_base}/p/{i}.html"
        batch.append((fingerprint(u), u, host, 1, PAGE, 0, None))
        if len(batch) == 50_000:
            f.add(batch)
            batch = []
    f.add(batch)
    f.commit({})
    f.close()
    fill = time.monotonic() - t0
    wall, rss, code = timed(thresher_cmd(url_base + "/", out, ["--max-pages", "2000"]), work)
    size = (out / "frontier.sqlite").stat().st_size / 2**20
    return {
        "urls": n_urls,
        "fill_seconds": round(fill, 1),
        "crawl_2000_seconds": round(wall, 2),
        "peak_rss_mib": round(rss, 1),
        "frontier_mib": round(size, 1),
        "exit": code,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scrapy-python", required=True, help="python of a venv with scrapy")
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "thresher-bench-crawl"
    )
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs of each crawler")
    ap.add_argument("--frontier-urls", type=int, default=1_000_000)
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    a = ap.parse_args()

    work = a.work.resolve()
    site = work / "site"
    if not (site / "www" / "p" / f"{a.pages - 1}.html").exists():
        shutil.rmtree(site, ignore_errors=True)
        make_site(site, a.pages)
    port = free_port()
    conf = write_nginx_conf(site, port)
    nginx = subprocess.Popen([a.nginx, "-c", str(conf), "-p", str(site)])
    time.sleep(0.5)
    url = f"http://127.0.0.1:{port}/"
    results: dict[str, object] = {
        "pages": a.pages,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "runs": [],
    }
    try:
        for r in range(a.rounds):
            out = work / f"thresher-{r}"
            shutil.rmtree(out, ignore_errors=True)
            wall, rss, code = timed(thresher_cmd(url, out), work)
            n = count_warc_pages(out)
            run_stats = json.loads((out / "crawl-stats.json").read_text())["this_run"]
            inner = run_stats["elapsed_seconds"]
            results["runs"].append(
                {
                    "tool": "thresher",
                    "seconds": round(wall, 2),
                    "pages": n,
                    "pages_per_s": round(n / wall, 1),
                    "crawl_only_pages_per_s": round(n / inner, 1),
                    "peak_rss_mib": round(rss, 1),
                    "exit": code,
                }
            )
            feed = work / f"scrapy-{r}.jsonl"
            feed.unlink(missing_ok=True)
            wall, rss, code = timed(
                [a.scrapy_python, str(HERE / "scrapy_spider.py"), url, str(feed)], work
            )
            n = (
                sum(1 for line in feed.open() if "/p/" in json.loads(line)["url"])
                if feed.exists()
                else 0
            )
            results["runs"].append(
                {
                    "tool": "scrapy",
                    "seconds": round(wall, 2),
                    "pages": n,
                    "pages_per_s": round(n / wall, 1),
                    "peak_rss_mib": round(rss, 1),
                    "exit": code,
                }
            )
            print(json.dumps(results["runs"][-2:]), flush=True)
        if a.frontier_urls:
            results["frontier"] = frontier_rss(work, url.rstrip("/"), a.frontier_urls)
            print(json.dumps(results["frontier"]), flush=True)
    finally:
        nginx.terminate()
        nginx.wait(10)
    best = {}
    for run in results["runs"]:  # type: ignore[union-attr]
        t = run["tool"]
        if t not in best or run["pages_per_s"] > best[t]["pages_per_s"]:
            best[t] = run
    if "thresher" in best and "scrapy" in best:
        results["ratio_pages_per_s"] = round(
            best["thresher"]["pages_per_s"] / best["scrapy"]["pages_per_s"], 1
        )
    name = "results.json" if a.rounds else "results-frontier.json"
    (HERE / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
