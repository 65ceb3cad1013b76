"""Scale-out benchmark: extract and refine docs/s on the local executor and on Ray (1 and 2
workers) on the same input in the same run, and Ray's overhead per shard.

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


def bench_extract(warcs: Path, work: Path) -> dict[str, Any]:
    rows = {}
    baseline = None
    for kind, workers in ENGINES:
        out = work / f"docs-{kind}-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, result = _timed(
            lambda out=out, kind=kind, workers=workers: extract_to_folder(
                [str(warcs)],
                out,
                ExtractConfig(),
                executor=ExecutorConfig(kind=kind, workers=workers),
            )
        )
        texts = [p.read_bytes() for p in sorted(out.glob("part-*"))]
        baseline = baseline or texts
        rows[f"{kind}-{workers}"] = {
            "seconds": round(seconds, 2),
            "documents": result.documents,
            "docs_per_s": round(result.documents / seconds, 1),
            "same_output_as_local_1": texts == baseline,
        }
        print(f"extract {kind} x{workers}: {rows[f'{kind}-{workers}']}", flush=True)
    return rows


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
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "ray_init_seconds": round(init_s, 1),
        "extract_input": {"warc_files": args.files, "pages": pages},
    }
    results["extract"] = bench_extract(warcs, work)
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
