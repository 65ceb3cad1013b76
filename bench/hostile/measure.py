"""Time and peak RSS of one pathological input, each run in a fresh child process.

Every script in ``bench/hostile/`` builds its bombs in a temporary folder and calls
:func:`measure` for each, so that one input's memory never counts against the next:

    from bench.hostile.measure import measure, print_table
    rows = [measure("robots: 10,000 stars vs 10 KB path", [sys.executable, "-c", code])]
    print_table(rows)

Run from the repository root: ``python -m bench.hostile.<script>``. Results are printed as a
Markdown table (input, outcome, seconds, peak RSS in MB) to paste into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Row", "measure", "print_table", "save"]


@dataclass
class Row:
    """One input's figures: what it was, how the command ended, time and peak memory."""

    name: str
    exit_code: int | None
    seconds: float
    peak_rss_mb: float
    note: str = ""


def measure(name: str, cmd: list[str], *, timeout: float = 300.0, env: dict[str, str] | None = None,
            cwd: str | Path | None = None) -> Row:
    """Run ``cmd`` in a child and return its wall time and peak RSS (the child's own
    ``ru_maxrss``, read through a wrapper so earlier children do not count)."""
    wrapper = (
        "import resource, subprocess, sys, json\n"
        "p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,"
        " timeout=float(sys.argv[1]))\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'rss_kb': ru.ru_maxrss,"
        " 'err': p.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:] }))\n"
    )
    start = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", wrapper, str(timeout), *cmd],
            capture_output=True, text=True, timeout=timeout + 30, env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        took = time.perf_counter() - start
        return Row(name, None, took, float("nan"), f"killed after {timeout:.0f} s")
    seconds = time.perf_counter() - start
    try:
        info = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        note = "timed out" if "TimeoutExpired" in out.stderr else out.stderr.strip()[-200:]
        return Row(name, None, seconds, float("nan"), note)
    return Row(name, info["rc"], seconds, info["rss_kb"] / 1024, " ".join(info["err"])[:120])


def print_table(rows: list[Row]) -> None:
    """Print the rows as a Markdown table."""
    print("| input | exit | seconds | peak RSS (MB) | last line |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r.name} | {r.exit_code} | {r.seconds:.2f} | {r.peak_rss_mb:.0f} | {r.note} |")


def save(rows: list[Row], path: str | Path) -> None:
    """Write the rows as JSON beside the script (``results-*.json``)."""
    Path(path).write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")


if __name__ == "__main__":  # a smoke run: the measurement of an empty Python
    print_table([measure("python -c pass", [sys.executable, "-c", "pass"])])
