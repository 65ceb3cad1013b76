"""How long ``thresher crawl`` takes to give up on seeds it cannot fetch, and what it says.

Cases: a closed port on 127.0.0.1 (connection refused), a loopback seed without
``--allow-private``, a name that does not resolve (``.invalid``), a dead proxy, a malformed
proxy. Each runs in a fresh process; ``seconds`` is wall time with interpreter start,
``crawl_seconds`` the crawl's own time from crawl-stats.json. ``--src DIR`` runs
another checkout's ``src`` (for instance the commit before a change) for comparison.

    python bench/crawl/failures.py [--src OTHER/src] [--timeout 60] [-o results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cases() -> dict[str, list[str]]:
    """Name → crawl arguments (after ``thresher crawl``, before ``-o``)."""
    dead = f"http://127.0.0.1:{closed_port()}/"
    return {
        "refused port": [dead, "--allow-private"],
        "loopback, no --allow-private": [dead],
        "unresolvable name": ["http://no-such-host.invalid/"],
        "dead proxy": [dead, "--allow-private", "--proxy", f"http://127.0.0.1:{closed_port()}"],
        "malformed proxy": ["http://example.org/", "--proxy", "notaproxy"],
    }


def crawl_seconds(path: Path) -> float | None:
    """The crawl's own time from crawl-stats.json (either layout), None when not written."""
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stats.get("this_run", stats).get("elapsed_seconds")


def run(args: list[str], src: str | None, timeout: float) -> dict[str, object]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "thresher", "crawl", *args, "-o", str(Path(tmp) / "out")]
        t0 = time.monotonic()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"seconds": round(time.monotonic() - t0, 2), "exit": f"killed at {timeout} s"}
        wall = time.monotonic() - t0
        inner = crawl_seconds(Path(tmp) / "out" / "crawl-stats.json")
    said = [ln for ln in proc.stdout.splitlines() + proc.stderr.splitlines() if "crawl:" not in ln]
    return {
        "seconds": round(wall, 2),
        "crawl_seconds": inner,
        "exit": proc.returncode,
        "output": said,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", help="PYTHONPATH of the thresher to run (default: installed)")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("-o", "--out", type=Path)
    a = ap.parse_args()
    results = {name: run(args, a.src, a.timeout) for name, args in cases().items()}
    text = json.dumps({"src": a.src or "installed", "cases": results}, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
