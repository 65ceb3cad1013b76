"""Start-up time of the commands that run in loops and pipes (issue: under 0.25 s).

    python bench/startup/run.py [--runs 20]

Prints the median and best wall time of ``thresher --help``, ``thresher robots`` and
``thresher langid`` (one line in), plus ``python -c pass`` as the floor, and the five slowest
imports of each command from ``python -X importtime``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], runs: int, stdin: bytes = b"") -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, input=stdin, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _slowest_imports(args: list[str], n: int = 5) -> list[str]:
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "thresher", *args],
        capture_output=True,
        text=True,
        input="hello world\n",
    ).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
            if cumulative.isdigit() and not name.startswith(" "):
                rows.append((int(cumulative), name))
    return [f"{us / 1000:.0f} ms {name}" for us, name in sorted(rows, reverse=True)[:n]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as d:
        robots = Path(d) / "robots.txt"
        robots.write_text("User-agent: *\nDisallow: /private\n")
        exe = [sys.executable, "-m", "thresher"]
        cases = {
            "python -c pass": ([sys.executable, "-c", "pass"], b""),
            "thresher --help": ([*exe, "--help"], b""),
            "thresher robots": ([*exe, "robots", str(robots), "http://a.org/x", "bot"], b""),
            "thresher langid (1 line)": ([*exe, "langid"], b"hello world, how are you\n"),
        }
        for name, (cmd, stdin) in cases.items():
            med, best = _time(cmd, runs, stdin)
            print(f"{name:28s} median {med * 1000:6.0f} ms   best {best * 1000:6.0f} ms")
        for args in (["--help"], ["robots", str(robots), "http://a.org/x", "bot"], ["langid"]):
            print(f"slowest top-level imports of thresher {args[0]}:")
            for row in _slowest_imports(args):
                print("   ", row)


if __name__ == "__main__":
    main()
