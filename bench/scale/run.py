"""Scale-out benchmark: extract and refine docs/s on the local executor and on Ray (1 and 2
workers) on the same input in the same run, and Ray's overhead per shard. Extract runs every
engine ``--rounds`` times in alternating order (medians); all runs start after Ray's own
start-up has settled (its CPU is reported apart).

Input: the trafilatura evaluation pages (../shared/eval/trafilatura-eval.tgz) written into
WARC files (``--copies`` times, ``--files`` files); refine runs on the extracted documents
made web-like by bench/refine/make_input.py (paragraph dedup and MinHash on).

    python bench/scale/run.py --work /tmp/bench-scale [--json bench/scale/results.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

from thresher.execute import ExecutorConfig
from thresher.extract import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.refine import RefineConfig, refine

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval" / "trafilatura-eval.tgz"
ENGINES = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def _record(url: str, html: bytes) -> bytes:
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        + f"Content-Length: {len(html)}\r\n\r\n".encode()
        + html
    )
    record_id = uuid.uuid5(uuid.NAMESPACE_URL, url)
    head = (
        f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{record_id}>\r\n"
        f"WARC-Date: 2024-05-01T12:00:00Z\r\nWARC-Target-URI: {url}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + http + b"\r\n\r\n", compresslevel=3)


def make_warcs(work: Path, files: int, copies: int) -> tuple[Path, int]:
    """WARC files of the evaluation pages (each page ``copies`` times under other URLs)."""
    src = work / "eval"
    if not src.exists():
        with tarfile.open(EVAL) as tar:
            tar.extractall(src, filter="data")
    pages = sorted(p for p in src.rglob("*") if p.suffix in (".html", ".htm"))
    out = work / "warc"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    handles = [open(out / f"part-{i:03d}.warc.gz", "wb") for i in range(files)]  # noqa: SIM115
    n = 0
    for c in range(copies):
        for p in pages:
            handles[n % files].write(_record(f"https://eval.example/{c}/{p.name}", p.read_bytes()))
            n += 1
    for h in handles:
        h.close()
    return out, n


def _timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def _extract_once(warcs: Path, work: Path, kind: str, workers: int) -> tuple[float, Any, list]:
    out = work / f"docs-{kind}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    seconds, result = _timed(
        lambda: extract_to_folder(
            [str(warcs)], out, ExtractConfig(), executor=ExecutorConfig(kind=kind, workers=workers)
        )
    )
    return seconds, result, [p.read_bytes() for p in sorted(out.glob("part-*"))]


def bench_extract(warcs: Path, work: Path, rounds: int) -> dict[str, Any]:
    """Every engine ``rounds`` times, the order reversed every other round (so no engine
    always runs first, on a cold cache or beside another's leftovers); median seconds."""
    times: dict[str, list[float]] = {f"{k}-{w}": [] for k, w in ENGINES}
    same: dict[str, bool] = {}
    baseline = None
    documents = 0
    for r in range(rounds):
        for kind, workers in ENGINES if r % 2 == 0 else ENGINES[::-1]:
            seconds, result, texts = _extract_once(warcs, work, kind, workers)
            baseline = baseline or texts
            name = f"{kind}-{workers}"
            times[name].append(round(seconds, 2))
            same[name] = same.get(name, True) and texts == baseline
            documents = result.documents
            print(f"extract round {r} {name}: {seconds:.2f} s", flush=True)
    rows = {}
    for name, secs in times.items():
        median = statistics.median(secs)
        rows[name] = {
            "seconds": secs,
            "median_seconds": median,
            "documents": documents,
            "docs_per_s": round(documents / median, 1),
            "same_output": same[name],
        }
    return rows


def ray_cpu_seconds() -> float:
    """CPU seconds used so far by Ray's own processes on this machine (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"ray" not in cmd:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


LIGHT_QUALITY: dict[str, Any] = {"minhash": {"enabled": True}}


def bench_refine(docs: Path, work: Path) -> dict[str, Any]:
    rows = {}
    baseline = None
    config = RefineConfig.model_validate(LIGHT_QUALITY)
    for kind, workers in ENGINES:
        out = work / f"corpus-{kind}-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, result = _timed(
            lambda out=out, kind=kind, workers=workers: refine(
                [docs], out, config, executor=ExecutorConfig(kind=kind, workers=workers)
            )
        )
        read = next(s for s in result.stats if s.name == "read").kept
        ids = sorted(p.relative_to(out).as_posix() for p in out.rglob("part-*"))
        rows[f"{kind}-{workers}"] = {
            "seconds": round(seconds, 2),
            "documents_in": read,
            "documents_out": result.documents,
            "docs_per_s": round(read / seconds, 1),
        }
        outcome = (result.documents, ids)
        baseline = baseline or outcome
        rows[f"{kind}-{workers}"]["same_output_as_local_1"] = outcome == baseline
        print(f"refine {kind} x{workers}: {rows[f'{kind}-{workers}']}", flush=True)
    return rows


def _noop(x: int) -> int:
    return x


def bench_overhead(tasks: int) -> dict[str, Any]:
    """Milliseconds per task of mapping a function that does nothing (2 workers)."""
    from thresher.execute import LocalExecutor
    from thresher.execute.ray import RayExecutor

    found = {}
    for name, ex in (("local", LocalExecutor(2)), ("ray", RayExecutor(2))):
        with ex:
            ex.map(_noop, range(4))  # warm: workers started
            seconds, _ = _timed(lambda ex=ex: ex.map(_noop, range(tasks)))
        found[f"{name}_ms_per_task"] = round(1000 * seconds / tasks, 2)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/bench-scale")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--refine-docs", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3, help="extract runs per engine")
    ap.add_argument("--settle", type=float, default=20, help="seconds to wait after ray.init")
    ap.add_argument("--skip-refine", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    warcs, pages = make_warcs(work, args.files, args.copies)
    import ray

    init_s, _ = _timed(
        lambda: ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            logging_level=logging.ERROR,
            object_store_memory=128 * 1024 * 1024,
        )
    )
    print(f"ray.init: {init_s:.1f} s", flush=True)
    # Ray keeps starting its own processes (workers, agents) after init returns: let that
    # finish, and say how much CPU it took, so it does not land on whichever run comes first
    settle_cpu = ray_cpu_seconds()
    time.sleep(args.settle)
    settle_cpu = ray_cpu_seconds() - settle_cpu
    idle_cpu = ray_cpu_seconds()
    time.sleep(5)
    idle_cpu = (ray_cpu_seconds() - idle_cpu) / 5
    print(f"ray after init: {settle_cpu:.1f} CPU s in {args.settle:.0f} s, idle {idle_cpu:.3f}")
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "ray_init_seconds": round(init_s, 1),
        "ray_cpu_seconds_after_init": round(settle_cpu, 1),
        "ray_idle_cores": round(idle_cpu, 3),
        "rounds": args.rounds,
        "extract_input": {"warc_files": args.files, "pages": pages},
    }
    results["extract"] = bench_extract(warcs, work, args.rounds)
    if args.skip_refine:
        ray.shutdown()
        print(json.dumps(results, indent=2))
        return
    docs = work / "refine-input.jsonl.gz"
    subprocess.run(
        [sys.executable, str(ROOT / "bench/refine/make_input.py"), str(work / "docs-local-1"),
         str(docs), "--docs", str(args.refine_docs)],
        check=True,
    )  # fmt: skip
    results["refine_input"] = {"documents": args.refine_docs}
    results["refine"] = bench_refine(docs, work)
    results["overhead"] = bench_overhead(200)
    ray.shutdown()
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
