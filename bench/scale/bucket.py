"""Extract and refine into an object store without a shared disk, against a local folder.

A real S3-compatible server (moto in server mode, started here on 127.0.0.1) holds the inputs,
the runs' work (shard parts and markers under ``.staging-FP/``) and the outputs; Ray workers
get their own TMPDIR. Every variant runs ``--rounds`` times in alternating order (medians),
and every bucket output is checked equal, part by part, to the local folder's.

    python bench/scale/bucket.py --work /tmp/bench-bucket [--json bench/scale/results-bucket.json]

Input: the WARC files of bench/scale/run.py (the trafilatura evaluation pages), and for refine
the web-like documents of bench/refine/make_input.py made from the first extract.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from run import ROOT, make_warcs  # bench/scale/run.py

from thresher.execute import ExecutorConfig
from thresher.extract import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.refine import RefineConfig, refine
from thresher.store import remote_shards
from thresher.store.remote import RemoteFolder, local_copy

BUCKET = "bench"
#: (name, executor, workers, into the bucket)
VARIANTS = [
    ("local-1-folder", "local", 1, False),
    ("local-1-bucket", "local", 1, True),
    ("ray-2-bucket", "ray", 2, True),
]


def start_s3(work: Path) -> subprocess.Popen[bytes]:
    """moto_server on a free port; the S3 settings in this process's environment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    proc = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    os.environ.update(
        AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        XDG_CACHE_HOME=str(work / "driver-cache"),
    )
    import s3fs

    s3fs.S3FileSystem().mkdir(BUCKET)
    return proc


def upload(local: Path, prefix: str) -> str:
    import s3fs

    fs = s3fs.S3FileSystem()
    for f in sorted(local.iterdir()):
        if f.is_file():
            fs.put_file(str(f), f"{BUCKET}/{prefix}/{f.name}")
    return f"s3://{BUCKET}/{prefix}"


def parts_of(out: str) -> dict[str, bytes]:
    """Every part's decompressed bytes by path, from a folder or a bucket prefix."""
    if out.startswith("s3://"):
        folder = RemoteFolder(out)
        raw = {rel: folder.fs.cat_file(folder.key(rel)) for rel in folder.part_files()}
    else:
        root = Path(out)
        raw = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("part-*")}
    return {k: gzip.decompress(v) if k.endswith(".gz") else v for k, v in sorted(raw.items())}


def clear(out: str) -> None:
    """Remove an earlier run's output, and for a bucket the driver's local copy too (refine
    would publish that again instead of running)."""
    if out.startswith("s3://"):
        folder = RemoteFolder(out)
        if folder.fs.exists(folder.root):
            folder.fs.rm(folder.root, recursive=True)
        shutil.rmtree(local_copy(out), ignore_errors=True)
    else:
        shutil.rmtree(out, ignore_errors=True)


class CommitClock:
    """Seconds the driver spends committing a bucket output, summed over one run: extract's
    commit of the staged shards, refine's publish of its finalised copy."""

    def __init__(self) -> None:
        self.seconds = 0.0
        for owner, name in ((remote_shards.RemoteRun, "commit_shards"), (RemoteFolder, "publish")):
            setattr(owner, name, self._timed(getattr(owner, name)))

    def _timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t

        return timed


def bench(
    stage: str,
    rounds: int,
    run: Callable[[str, str, int, str], Any],
    inp: str,
    work: Path,
) -> dict[str, Any]:
    """``run(kind, input, workers, out)`` for every variant, ``rounds`` times alternating;
    every variant reads the same input URL (documents record where they came from)."""
    times: dict[str, list[float]] = {v[0]: [] for v in VARIANTS}
    commits: dict[str, list[float]] = {v[0]: [] for v in VARIANTS}
    same: dict[str, bool] = {}
    baseline: dict[str, bytes] | None = None
    documents = 0
    for r in range(rounds):
        for name, kind, workers, bucket in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
            out = f"s3://{BUCKET}/{stage}-{name}" if bucket else str(work / f"{stage}-{name}")
            clear(out)
            clock.seconds = 0.0
            t = time.perf_counter()
            result = run(kind, inp, workers, out)
            seconds = time.perf_counter() - t
            documents = result.documents
            parts = parts_of(out)
            if name == "local-1-folder" and baseline is None:
                baseline = parts
            times[name].append(round(seconds, 2))
            commits[name].append(round(clock.seconds, 2))
            same[name] = same.get(name, True) and (baseline is None or parts == baseline)
            print(f"{stage} round {r} {name}: {seconds:.2f} s", flush=True)
    return {
        name: {
            "seconds": secs,
            "median_seconds": statistics.median(secs),
            "docs_per_s": round(documents / statistics.median(secs), 1),
            "commit_seconds": commits[name],
            "documents": documents,
            "same_output_as_local_folder": same[name],
        }
        for name, secs in times.items()
    }


clock = CommitClock()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", default="/tmp/bench-bucket")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--refine-docs", type=int, default=20_000)
    ap.add_argument("--refine-files", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--settle", type=float, default=15, help="seconds to wait after ray.init")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = start_s3(work)
    try:
        warcs, pages = make_warcs(work, args.files, args.copies)
        warc_url = upload(warcs, "warc")
        import ray

        worker_tmp = work / "worker-tmp"
        worker_tmp.mkdir()
        env = {k: os.environ[k] for k in os.environ if k.startswith("AWS_")}
        ray.init(address="local", num_cpus=2, include_dashboard=False,
                 logging_level=logging.ERROR, object_store_memory=128 * 1024 * 1024,
                 runtime_env={"env_vars": {**env, "TMPDIR": str(worker_tmp)}})  # fmt: skip
        time.sleep(args.settle)  # Ray's own start-up, not on the first run

        def extract(kind: str, inp: str, workers: int, out: str) -> Any:
            return extract_to_folder([inp], out, ExtractConfig(),
                                     executor=ExecutorConfig(kind=kind, workers=workers))  # type: ignore[arg-type]  # fmt: skip

        results: dict[str, Any] = {
            "cpus": os.cpu_count(),
            "rounds": args.rounds,
            "extract_input": {"warc_files": args.files, "pages": pages},
            "extract": bench("extract", args.rounds, extract, warc_url, work),
        }
        docs_dir = work / "refine-in"
        docs_dir.mkdir()
        subprocess.run(
            [sys.executable, str(ROOT / "bench/refine/make_input.py"),
             str(work / "extract-local-1-folder"), str(docs_dir / "all.jsonl.gz"),
             "--docs", str(args.refine_docs)],
            check=True,
        )  # fmt: skip
        split(docs_dir / "all.jsonl.gz", args.refine_files)
        docs_url = upload(docs_dir, "refine-in")
        config = RefineConfig.model_validate({"minhash": {"enabled": True}})

        def refine_run(kind: str, inp: str, workers: int, out: str) -> Any:
            result = refine([inp], out, config,
                            executor=ExecutorConfig(kind=kind, workers=workers))  # type: ignore[arg-type]  # fmt: skip
            result.documents = next(s for s in result.stats if s.name == "read").kept
            return result

        results["refine_input"] = {"documents": args.refine_docs, "files": args.refine_files}
        results["refine"] = bench("refine", args.rounds, refine_run, docs_url, work)
        ray.shutdown()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def split(path: Path, files: int) -> None:
    """Cut one JSONL.gz file into ``files`` files of consecutive documents (refine shards)."""
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    per = -(-len(lines) // files)
    for i in range(files):
        (path.parent / f"docs-{i}.jsonl.gz").write_bytes(
            gzip.compress(b"".join(lines[i * per : (i + 1) * per]))
        )
    path.unlink()


if __name__ == "__main__":
    main()
