"""A page of 100,000 nested ``<div>`` through ``thresher extract`` (one HTML file) and through
``POST /extract`` on a running ``thresher serve``, with the latency of ``GET /health`` while
the page is in the server. Before the depth guard and the extraction workers, lexbor spent
over 20 s on the page and the server's event loop was blocked all that time.

    python -m bench.hostile.serve [--before SRC]   # SRC: another checkout's src/ (PYTHONPATH)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.hostile.measure import Row, measure, print_table, save

DEPTH = 100_000
#: the client run in a child: start serve, post the page, time /health meanwhile
CLIENT = r"""
import json, re, select, subprocess, sys, threading, time, urllib.request, urllib.error
page = open(sys.argv[1], encoding="utf-8").read()
proc = subprocess.Popen([sys.executable, "-m", "thresher", "serve", "--port", "0", "--no-cache"],
                        stderr=subprocess.PIPE)
base = None
while base is None:
    line = proc.stderr.readline().decode()
    m = re.search(r"serving on (\S+)", line)
    if m: base = m.group(1)
    if not line and proc.poll() is not None: sys.exit("serve did not start")
def post(out):
    req = urllib.request.Request(base + "/extract", json.dumps({"html": page}).encode(),
                                 {"Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            out.append((r.status, time.monotonic() - t0))
    except urllib.error.HTTPError as e: out.append((e.code, time.monotonic() - t0))
out = []
t = threading.Thread(target=post, args=(out,)); t.start()
time.sleep(0.3)
worst = 0.0
while t.is_alive():
    h0 = time.monotonic()
    try: urllib.request.urlopen(base + "/health", timeout=600).read()
    except Exception: pass
    worst = max(worst, time.monotonic() - h0)
    time.sleep(0.2)
t.join()
proc.terminate(); proc.wait(60)
status, took = out[0]
print(f"POST /extract {status} after {took:.2f}s; slowest /health {worst:.2f}s", file=sys.stderr)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="src/ folder of the version to compare (PYTHONPATH)")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    env = {"PYTHONPATH": args.before} if args.before else None
    tag = " (before)" if args.before else ""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.html"
        bomb.write_text(f"<html><body>{'<div>' * DEPTH}x{'</div>' * DEPTH}</body></html>")
        extract = [sys.executable, "-m", "thresher", "extract", str(bomb), "-o", f"{tmp}/out"]
        rows.append(measure(f"extract: {DEPTH:,} nested divs{tag}", extract,
                            timeout=args.timeout, env=env))  # fmt: skip
        client = [sys.executable, "-c", CLIENT, str(bomb)]
        rows.append(measure(f"serve POST /extract: {DEPTH:,} nested divs{tag}", client,
                            timeout=args.timeout, env=env))  # fmt: skip
    print_table(rows)
    save(rows, Path(__file__).with_name(f"results-serve{'-before' if args.before else ''}.json"))


if __name__ == "__main__":
    main()
