"""Memory and speed of reading Reddit dumps (``thresher extract RS_*.zst RC_*.zst``).

Writes synthetic monthly dumps of a given uncompressed size (comments and submissions with
the ~40 fields Pushshift / Arctic Shift objects carry, zstd with a 2 GiB window), runs
``thresher extract`` on them in a child process, and reports wall time, peak RSS (the child's
``VmHWM``, polled), CPU time and the peak size of the on-disk comment index. Usage:

    python bench/reddit/dump_bench.py --sizes 0.25 1.0 --window-log 31 27 \
        --out bench/reddit/results.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import zstandard

T0 = 1704067200
_VOCABULARY = (
    "the of and to in is that it for on was with as this be are at by not have from or "
    "but what all were when we there can an your which their said if do will each about "
    "how up out them then she many some so these would other into has more her two like "
    "him see time could no make than first been its who now people my made over did down "
    "only way find use may water long little very after words called just where most know"
)
WORDS = _VOCABULARY.split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _comment(rng: random.Random, i: int, n_posts: int) -> dict[str, Any]:
    link = f"p{rng.randrange(n_posts):x}"
    parent = f"t3_{link}" if rng.random() < 0.4 else f"t1_c{rng.randrange(max(i, 1)):x}"
    return {
        "all_awardings": [], "archived": False, "associated_award": None,
        "author": f"user{rng.randrange(50000)}", "author_flair_background_color": None,
        "author_flair_css_class": None, "author_flair_richtext": [],
        "author_flair_template_id": None, "author_flair_text": None,
        "author_flair_text_color": None, "author_flair_type": "text",
        "author_fullname": f"t2_{rng.randrange(10**8):x}", "author_patreon_flair": False,
        "author_premium": False, "body": _text(rng, rng.randrange(5, 60)),
        "can_gild": True, "collapsed": False, "collapsed_reason": None,
        "controversiality": 0, "created_utc": T0 + i, "distinguished": None,
        "edited": False, "gilded": 0, "gildings": {}, "id": f"c{i:x}",
        "is_submitter": False, "link_id": f"t3_{link}", "locked": False,
        "name": f"t1_c{i:x}", "no_follow": True, "parent_id": parent,
        "permalink": f"/r/sub{rng.randrange(200)}/comments/{link}/x/c{i:x}/",
        "retrieved_on": T0 + i + 86400, "score": rng.randrange(-5, 200),
        "send_replies": True, "stickied": False, "subreddit": f"sub{rng.randrange(200)}",
        "subreddit_id": "t5_2qh1i", "subreddit_name_prefixed": "r/sub",
        "subreddit_type": "public", "top_awarded_type": None, "total_awards_received": 0,
        "treatment_tags": [],
    }  # fmt: skip


def _post(rng: random.Random, i: int) -> dict[str, Any]:
    pid = f"p{i:x}"
    is_self = rng.random() < 0.6
    return {
        "id": pid, "name": f"t3_{pid}", "author": f"user{rng.randrange(50000)}",
        "title": _text(rng, rng.randrange(4, 15)).rstrip(".") + "?",
        "selftext": _text(rng, rng.randrange(10, 120)) if is_self else "",
        "is_self": is_self, "url": "https://example.org/x" if not is_self else "",
        "subreddit": f"sub{rng.randrange(200)}", "score": rng.randrange(0, 500),
        "created_utc": T0 + i * 15, "retrieved_on": T0 + i * 15 + 86400,
        "num_comments": 15, "over_18": False, "permalink": f"/r/sub/comments/{pid}/x/",
        "domain": "self.sub", "link_flair_text": None, "stickied": False, "gilded": 0,
    }  # fmt: skip


def write_dump(path: Path, objects: Any, window_log: int = 31) -> int:
    """Stream objects into a zstd file with a 2**window_log window (31: as the Reddit dumps);
    returns the uncompressed bytes."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log, threads=1)
    total = 0
    cctx = zstandard.ZstdCompressor(compression_params=params)
    with path.open("wb") as f, cctx.stream_writer(f) as w:
        for obj in objects:
            line = json.dumps(obj).encode() + b"\n"
            total += len(line)
            w.write(line)
    return total


def _hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(x.split()[1]) for x in f if x.startswith("VmHWM:")), 0)
    except (OSError, ValueError):
        return 0


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def run(size_gb: float, root: Path, window_log: int = 31) -> dict[str, Any]:
    rng = random.Random(7)
    n_comments = int(size_gb * 1e9 / 1350)  # about 1.35 KB per comment line
    n_posts = max(1, n_comments // 15)
    rs, rc = root / "RS_2024-01.zst", root / "RC_2024-01.zst"
    t = time.monotonic()
    rs_bytes = write_dump(rs, (_post(rng, i) for i in range(n_posts)), window_log)
    rc_bytes = write_dump(rc, (_comment(rng, i, n_posts) for i in range(n_comments)), window_log)
    made = time.monotonic() - t
    work = root / "work"
    cfg = root / "c.yaml"
    cfg.write_text(f"extract:\n  reddit:\n    work_dir: {work}\n")
    out = root / "out"
    peak_disk = 0
    peak_rss = 0
    done = threading.Event()
    start = time.monotonic()
    cmd = [sys.executable, "-m", "thresher", "extract", str(rs), str(rc), "-o", str(out),
           "--config", str(cfg)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def watch() -> None:
        # VmHWM of the child's own memory: wait4's ru_maxrss would start from this
        # process's size at fork (it generated the dumps, with a 2 GiB-window compressor)
        nonlocal peak_disk, peak_rss
        while not done.wait(0.2):
            peak_disk = max(peak_disk, _du(work))
            peak_rss = max(peak_rss, _hwm_kib(proc.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - start
    done.set()
    watcher.join()
    assert status == 0, proc.stderr.read().decode() if proc.stderr else status
    stats = json.loads((out / "stats.json").read_text())["steps"][0]
    result = {
        "uncompressed_gb": round((rs_bytes + rc_bytes) / 1e9, 3),
        "window_mib": 2**window_log // 2**20,
        "compressed_mb": round((rs.stat().st_size + rc.stat().st_size) / 1e6, 1),
        "comments": n_comments,
        "submissions": n_posts,
        "threads": stats["kept"],
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "comments_per_cpu_s": round(n_comments / cpu),
        "mb_per_cpu_s": round((rs_bytes + rc_bytes) / 1e6 / cpu, 1),
        "peak_rss_mb": round(peak_rss / 1024, 1),
        "peak_index_disk_mb": round(peak_disk / 1e6, 1),
        "generate_s": round(made, 1),
    }
    shutil.rmtree(out)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1.0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--tmp", type=Path, default=None)
    ap.add_argument("--window-log", type=int, nargs="+", default=[31])
    args = ap.parse_args()
    results = []
    for window_log in args.window_log:
        for size in args.sizes:
            with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
                r = run(size, Path(tmp), window_log)
                print(json.dumps(r), flush=True)
                results.append(r)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
