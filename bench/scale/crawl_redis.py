"""Crawl pages/s with the shared Redis frontier (1, 2 and 3 worker processes) against the
SQLite frontier, on the nginx site of bench/crawl, in the same run.

    python bench/scale/crawl_redis.py [--pages 5000] [--rounds 2] [--work DIR]

Each Redis run starts from an empty database (redis-server started here on 127.0.0.1, AOF on
with ``--appendfsync``), starts its workers at once, each into its own folder, and counts the
pages archived across all their WARC files (each must be archived exactly once). Pages/s is
pages over the wall time from the first start to the last exit. Writes
bench/scale/results-crawl-redis.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "crawl"))

from benchsite import make_site, write_nginx_conf  # noqa: E402
from run import free_port, thresher_cmd  # noqa: E402


def archived(out: Path) -> Counter[str]:
    """Pages (/p/) archived as 200 responses in ``out/warc``, by URL."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    seen: Counter[str] = Counter()
    for path in (out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.response):
                uri = rec.headers["WARC-Target-URI"]
                if rec.http_headers.status_code == 200 and "/p/" in uri:
                    seen[uri] += 1
    return seen


def start_redis(folder: Path, port: int, appendfsync: str) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "yes", "--appendfsync", appendfsync, "--dir", str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        ping = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
        )
        if ping.stdout.strip() == "PONG":
            return proc
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def crawl_run(url: str, work: Path, workers: int, frontier: str | None) -> dict[str, Any]:
    """``workers`` crawler processes at once; pages archived and pages/s over all."""
    outs = [work / f"w{i}" for i in range(workers)]
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    extra = ["--frontier", frontier] if frontier else []
    t0 = time.monotonic()
    procs = [
        subprocess.Popen(
            thresher_cmd(url, out, extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for out in outs
    ]
    codes = []
    cpu = 0.0
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        codes.append(os.waitstatus_to_exitcode(status))
        cpu += usage.ru_utime + usage.ru_stime
        if codes[-1] != 0 and p.stderr is not None:
            sys.stderr.write(p.stderr.read().decode(errors="replace")[-1500:])
    wall = time.monotonic() - t0
    total: Counter[str] = Counter()
    per_worker = []
    for out in outs:
        got = archived(out)
        per_worker.append(sum(got.values()))
        total.update(got)
    return {
        "frontier": "redis" if frontier else "sqlite",
        "workers": workers,
        "seconds": round(wall, 2),
        "pages": len(total),
        "archived_twice": sum(1 for n in total.values() if n > 1),
        "pages_per_worker": per_worker,
        "pages_per_s": round(len(total) / wall, 1),
        "crawler_cpu_seconds": round(cpu, 1),
        "exit": codes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "thresher-bench-crawl"
    )
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--appendfsync", default="everysec", choices=["always", "everysec", "no"])
    a = ap.parse_args()

    work = a.work.resolve()
    site = work / "site"
    if not (site / "www" / "p" / f"{a.pages - 1}.html").exists():
        shutil.rmtree(site, ignore_errors=True)
        make_site(site, a.pages)
    port = free_port()
    nginx = subprocess.Popen([a.nginx, "-c", str(write_nginx_conf(site, port)), "-p", str(site)])
    rport = free_port()
    redis_dir = work / "redis"
    shutil.rmtree(redis_dir, ignore_errors=True)
    redis = start_redis(redis_dir, rport, a.appendfsync)
    frontier = f"redis://127.0.0.1:{rport}/0"
    time.sleep(0.5)
    url = f"http://127.0.0.1:{port}/"
    results: dict[str, Any] = {
        "pages": a.pages,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "redis_appendfsync": a.appendfsync,
        "runs": [],
    }
    plan = [(1, None), (1, frontier), (2, frontier), (3, frontier)]
    try:
        for _ in range(a.rounds):
            for workers, fr in plan:
                if fr:
                    subprocess.run(["redis-cli", "-p", str(rport), "flushall"], check=True,
                                   capture_output=True)  # fmt: skip
                run = crawl_run(url, work / "scale-crawl", workers, fr)
                results["runs"].append(run)
                print(json.dumps(run), flush=True)
    finally:
        nginx.terminate()
        nginx.wait(10)
        redis.terminate()
        redis.wait(10)
    best: dict[str, dict[str, Any]] = {}
    for run in results["runs"]:
        key = f"{run['frontier']}-{run['workers']}"
        if key not in best or run["pages_per_s"] > best[key]["pages_per_s"]:
            best[key] = run
    results["best_pages_per_s"] = {k: v["pages_per_s"] for k, v in best.items()}
    base = best["sqlite-1"]["pages_per_s"]
    results["vs_sqlite"] = {k: round(v["pages_per_s"] / base, 2) for k, v in best.items()}
    (HERE / "results-crawl-redis.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"best": results["best_pages_per_s"], "vs_sqlite": results["vs_sqlite"]}))


if __name__ == "__main__":
    main()
