"""MinHash bucket phase: serial (find_duplicates in the driver) vs one task per band on the
local pool and on Ray, on the same signatures in the same run; plus the signature phase.

The bucket phase sees only band keys, so its input is synthetic: ``--docs`` documents in
``--shards`` shards with random keys, 10 % of them near copies of another document (sharing
10 of the 14 band keys). Every variant's drop masks are checked equal to the serial ones.

    python bench/scale/minhash_bands.py [--docs 2000000] [--json bench/scale/results-minhash.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from thresher.document import Document
from thresher.execute import LocalExecutor
from thresher.execute.ray import RayExecutor
from thresher.refine.corpus_step import run_merge_task
from thresher.refine.minhash import (
    CorpusMinHashDedup,
    MinHasher,
    Signatures,
    find_duplicates,
    load_shard_signatures,
    save_shard_signatures,
)


def make_signatures(work: Path, docs: int, shards: int, bands: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(1, 1 << 63, size=(docs, bands), dtype=np.uint64)
    copies = rng.choice(docs, size=docs // 10, replace=False)
    originals = rng.integers(0, docs, size=len(copies))
    shared = keys[originals].copy()
    shared[:, 10:] = rng.integers(1, 1 << 63, size=(len(copies), bands - 10), dtype=np.uint64)
    keys[copies] = shared
    ids = [f"d{i:09d}" for i in rng.permutation(docs)]
    bounds = [docs * i // shards for i in range(shards + 1)]
    for s in range(shards):
        lo, hi = bounds[s], bounds[s + 1]
        save_shard_signatures(Signatures(ids[lo:hi], keys[lo:hi]), work, s)


def masks(work: Path, shards: int) -> list[list[bool]]:
    return [np.load(work / f"drop-{i:05d}.npy").tolist() for i in range(shards)]


def _noop(x: int) -> int:
    return x


def peak_mb(fn: Any) -> tuple[float, float]:
    """Seconds and peak traced memory (MB; numpy's arrays included) of ``fn()``."""
    tracemalloc.start()
    t = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, round(peak / 1e6, 1)


def bench_signatures(n: int) -> float:
    """Docs/s of the signature phase (band keys of 300-word texts) in one process."""
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(5000)]
    docs = [Document(text=" ".join(rng.choices(vocab, k=300)), id=str(i)) for i in range(n)]
    hasher = MinHasher()
    t = time.perf_counter()
    for d in docs:
        hasher.band_keys(d.text)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/bench-minhash")
    ap.add_argument("--docs", type=int, default=2_000_000)
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    step = CorpusMinHashDedup()
    make_signatures(work, args.docs, args.shards, step.hasher.bands)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "docs": args.docs, "shards": args.shards}

    serial: list[list[bool]] = []

    def run_serial() -> None:
        sigs = [load_shard_signatures(work, i) for i in range(args.shards)]
        serial.extend(m.tolist() for m in find_duplicates(sigs))

    serial_s, serial_mb = peak_mb(run_serial)
    results["serial_find_duplicates"] = {"seconds": round(serial_s, 2), "peak_mb": serial_mb}
    tasks = step.merge_tasks(work, args.shards)
    _, band_mb = peak_mb(tasks[0].run)
    _, join_mb = peak_mb(lambda: step.merge(work, args.shards))
    results["peak_mb_one_band_task"] = band_mb
    results["peak_mb_driver_join"] = join_mb
    print(f"serial: {serial_s:.1f} s", flush=True)

    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        object_store_memory=128 * 1024 * 1024,
    )
    for name, executor in (
        ("bands_local_1", LocalExecutor(1)),
        ("bands_local_2", LocalExecutor(2)),
        ("bands_ray_2", RayExecutor(2)),
    ):
        for p in work.glob("pairs-*.npy"):
            p.unlink()
        with executor:
            executor.map(_noop, range(4))  # warm: in refine the scans started the workers
            t = time.perf_counter()
            executor.map(run_merge_task, step.merge_tasks(work, args.shards))
            bands_s = time.perf_counter() - t
            counters = step.merge(work, args.shards)
            total_s = time.perf_counter() - t
        same = masks(work, args.shards) == serial
        results[name] = {
            "band_tasks_seconds": round(bands_s, 2),
            "seconds": round(total_s, 2),
            "join_seconds": round(total_s - bands_s, 2),
            "docs_per_s": round(args.docs / total_s),
            "near_duplicates": counters["near_duplicates_found"],
            "same_drops_as_serial": same,
        }
        print(f"{name}: {results[name]}", flush=True)
    ray.shutdown()
    results["serial_find_duplicates"]["docs_per_s"] = round(args.docs / serial_s)
    results["signature_phase_docs_per_s_one_core"] = round(bench_signatures(5000))
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
