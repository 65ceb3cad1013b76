"""Where extract's time goes per task, local pool vs Ray (2 workers each): every shard task's
worker pid, wall and CPU seconds, result size, and the driver's gap between a worker's tasks.

Alternates ``local`` and ``ray`` ``--rounds`` times on the WARC files of bench/scale/run.py.
Task CPU is the worker process's own CPU, so it does not depend on what else the machine runs;
wall time does.

    python bench/scale/extract_tasks.py [--rounds 2] [--json bench/scale/results-extract-tasks.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOG = Path(os.environ.get("THRESHER_TASK_LOG", "/tmp/thresher-extract-tasks.jsonl"))


def timed_run_shard(task: Any) -> dict[str, Any]:
    """``run_task`` with its pid, start, end, CPU and result size appended to :data:`LOG`."""
    from thresher.execute.job import run_task

    t0, c0 = time.time(), time.process_time()
    info = run_task(task)
    row = [os.getpid(), t0, time.time(), time.process_time() - c0, len(json.dumps(info))]
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    return info


def summarise(rows: list[list[float]], wall: float) -> dict[str, Any]:
    by_pid: dict[int, list[list[float]]] = {}
    for r in rows:
        by_pid.setdefault(int(r[0]), []).append(r)
    gaps: list[float] = []
    for tasks in by_pid.values():
        ordered = sorted(tasks, key=lambda r: r[1])
        gaps += [b[1] - a[2] for a, b in pairwise(ordered)]
    return {
        "wall_seconds": round(wall, 2),
        "tasks": len(rows),
        "worker_pids": sorted(by_pid),
        "task_cpu_seconds_sum": round(sum(r[3] for r in rows), 2),
        "task_wall_seconds_sum": round(sum(r[2] - r[1] for r in rows), 2),
        "result_bytes_max": max(int(r[4]) for r in rows),
        "driver_gap_ms_median": round(1000 * statistics.median(gaps), 1) if gaps else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/bench-extract-tasks")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # workers (pool and Ray) import this module by name to run timed_run_shard
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(HERE))
    import extract_tasks as me  # this file, importable in the workers
    import ray
    from run import make_warcs

    import thresher.execute.stage as stage
    import thresher.extract.to_folder as to_folder
    from thresher.execute import ExecutorConfig
    from thresher.extract import ExtractConfig

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    warcs, pages = make_warcs(work, 8, 2)
    stage.run_task = me.timed_run_shard  # type: ignore[assignment]
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR,
             object_store_memory=128 * 1024 * 1024)  # fmt: skip
    time.sleep(20)  # Ray's own start-up settles
    results: dict[str, Any] = {"pages": pages, "runs": []}
    for r in range(args.rounds):
        for kind in ("local", "ray") if r % 2 == 0 else ("ray", "local"):
            LOG.unlink(missing_ok=True)
            out = work / f"out-{kind}"
            shutil.rmtree(out, ignore_errors=True)
            t = time.perf_counter()
            to_folder.extract_to_folder(
                [str(warcs)], out, ExtractConfig(), executor=ExecutorConfig(kind=kind, workers=2)
            )
            wall = time.perf_counter() - t
            rows = [json.loads(line) for line in LOG.read_text(encoding="utf-8").splitlines()]
            run = {"round": r, "executor": kind, **summarise(rows, wall)}
            results["runs"].append(run)
            print(run, flush=True)
    ray.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
