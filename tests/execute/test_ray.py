"""Extract and refine on a real local Ray instance (2 CPUs, one for the module): the same
output as the local executor, a lost worker's shard retried, an input error not retried, and
a driver killed mid-run resumed from the shard markers."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.refine.helpers import LIGHT_REFINE_YAML
from thresher.errors import InputError
from thresher.execute import ExecutorConfig
from thresher.execute.job import ShardTask, run_task
from thresher.execute.ray import RayExecutor
from thresher.extract import ExtractConfig
from thresher.extract.job import ExtractJob
from thresher.extract.to_folder import extract_to_folder
from thresher.refine import RefineConfig, refine
from thresher.refine.corpus_step import run_merge_task
from thresher.refine.minhash import find_duplicates, load_shard_signatures
from thresher.stats import StepStats
from thresher.store import read_documents, read_manifest, verify
from thresher.store.config import OutputConfig

from ..refine.helpers import SENTENCES, near_duplicate_shards, scan_minhash_shards, write_jsonl
from .inputs import write_inputs

pytest.importorskip("ray")

LIGHT = {
    "length": {"min_length": 0},
    "gopher_repetition": {"enabled": False},
    "gopher_quality": {"enabled": False},
    "c4": {"enabled": False},
    "fineweb": {"enabled": False},
    "minhash": {"enabled": True},
}


def _letters(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "abcdefghij"))


def write_shards(folder: Path, shards: int = 3, per_shard: int = 200) -> Path:
    """Shards with a boilerplate line shared by all (paragraph dedup) and near-copies of one
    article across shards (MinHash)."""
    langs = sorted(SENTENCES)
    article = " ".join(SENTENCES["en"] * 3)
    for s in range(shards):
        records = []
        for i in range(per_shard):
            lang = langs[(s + i) % len(langs)]
            text = f"Shared menu line\n{SENTENCES[lang][i % 3]}\nunique {_letters(s)} {_letters(i)}"
            if i % 50 == 0:
                text = f"{article} copy {_letters(s)} {_letters(i)}"  # one line, near-equal
            records.append({"id": f"s{s}-{i:04d}", "text": text})
        write_jsonl(folder / f"shard-{s}.jsonl", records)
    return folder


def _parts(out: Path) -> dict[str, bytes]:
    """Every part's decompressed bytes by path (the documents and their order)."""
    found = {}
    for p in sorted(out.rglob("part-*")):
        data = p.read_bytes()
        found[p.relative_to(out).as_posix()] = gzip.decompress(data) if p.suffix == ".gz" else data
    return found


def _manifest(out: Path) -> dict[str, Any]:
    m = read_manifest(out)
    return {k: m[k] for k in ("parts", "counts", "config", "fingerprint")}


def test_refine_on_ray_matches_local(tmp_path: Path, ray_instance: Any) -> None:
    inp = write_shards(tmp_path / "in")
    config = RefineConfig.model_validate(LIGHT)
    output = OutputConfig(formats=["jsonl.gz", "parquet"])
    local = refine([inp], tmp_path / "local", config, output, executor=ExecutorConfig(workers=2))
    on_ray = refine(
        [inp], tmp_path / "ray", config, output, executor=ExecutorConfig(kind="ray", workers=2)
    )
    assert verify(tmp_path / "ray").ok
    assert on_ray.documents == local.documents > 0
    assert _parts(tmp_path / "ray") == _parts(tmp_path / "local")
    assert _manifest(tmp_path / "ray") == _manifest(tmp_path / "local")
    by_name = {s.name: s for s in on_ray.stats}
    assert by_name["paragraph_dedup"].dropped or by_name["paragraph_dedup"].counters
    assert sum(by_name["minhash"].dropped.values()) >= 2  # near copies across shards went
    assert [s.to_dict() for s in on_ray.stats] == [s.to_dict() for s in local.stats]


def test_extract_on_ray_matches_local(tmp_path: Path, ray_instance: Any) -> None:
    inp = write_inputs(tmp_path, archives=4)
    outs = {}
    for kind in ("local", "ray"):
        stats = StepStats("extract")
        out = tmp_path / kind
        extract_to_folder(
            [str(inp)],
            out,
            ExtractConfig(),
            formats=("jsonl.gz", "parquet"),
            stats=stats,
            executor=ExecutorConfig(kind=kind, workers=2),  # type: ignore[arg-type]
        )
        outs[kind] = (_parts(out), _manifest(out), stats.to_dict())
        assert verify(out).ok
    assert outs["ray"] == outs["local"]
    # the truncated and the junk archive were recorded and skipped, as locally
    assert outs["ray"][2]["counters"]["errors"] == 2


def _die_on_first_attempt(task: tuple[str, ShardTask]) -> dict[str, Any]:
    """A shard whose worker process dies the first time (a lost worker), then runs."""
    flag, shard = task
    if not os.path.exists(flag):
        Path(flag).write_text("died once", encoding="utf-8")
        os._exit(1)
    return run_task(shard)


def _tasks(inp: Path, stage: Path) -> list[ShardTask]:
    items = [(str(p), "archive") for p in sorted(inp.glob("a*.warc.gz"))]
    job = ExtractJob([str(inp)], items, ExtractConfig(), ("jsonl",))
    return [
        ShardTask(job, i, s, str(stage / f"{i}"), str(stage / f"{i}.json"))
        for i, s in enumerate(job.plan(2))
    ]


def test_a_lost_worker_means_its_shard_runs_again(tmp_path: Path, ray_instance: Any) -> None:
    inp = write_inputs(tmp_path, archives=2)
    tasks = _tasks(inp, tmp_path / "stage")
    flags = [str(tmp_path / f"flag{i}") for i in range(len(tasks))]
    done: list[int] = []
    with RayExecutor(2, max_retries=2) as ex:
        results = ex.map(
            _die_on_first_attempt,
            list(zip(flags, tasks, strict=True)),
            lambda i, _: done.append(i),
        )
    assert all(Path(f).is_file() for f in flags)  # every task's first worker died
    assert sorted(done) == [0, 1] and [r["documents"] for r in results] == [40, 40]
    assert all(Path(t.marker).is_file() for t in tasks)


def _bad_input(task: str) -> int:
    """An input error: counted by a file per attempt, raised every time."""
    with open(task, "a", encoding="utf-8") as f:
        f.write("attempt\n")
    raise InputError(f"{task}: not a WARC file")


def test_an_input_error_is_raised_once_not_retried(tmp_path: Path, ray_instance: Any) -> None:
    attempts = tmp_path / "attempts"
    with RayExecutor(2, max_retries=3) as ex, pytest.raises(InputError, match="not a WARC"):
        ex.map(_bad_input, [str(attempts)])
    assert attempts.read_text(encoding="utf-8").count("attempt") == 1


CONFIG = (
    LIGHT_REFINE_YAML
    + """\
executor: {kind: ray, workers: 2}
"""
)


def _refine_cmd(inp: Path, out: Path, cfg: Path) -> list[str]:
    return [sys.executable, "-m", "thresher", "refine", str(inp), "-o", str(out), "-c", str(cfg)]


def test_a_killed_driver_resumes_from_the_markers(tmp_path: Path, ray_instance: Any) -> None:
    inp = write_shards(tmp_path / "in", shards=6, per_shard=1500)
    cfg = tmp_path / "refine.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "killed"
    markers = out / ".refine-work" / "out"
    env = {**os.environ, "RAY_ADDRESS": ""}  # the command starts its own local instance
    proc = subprocess.Popen(
        _refine_cmd(inp, out, cfg),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ray's helpers stay in this group: ended with it below
        env=env,
    )
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        if len(list(markers.glob("*.done.json"))) >= 1:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted(p.name for p in markers.glob("*.done.json"))
    assert finished, "the run ended before its first shard was done"
    assert not (out / "manifest.json").exists(), "the run finished before it was killed"
    resumed = subprocess.run(
        _refine_cmd(inp, out, cfg), capture_output=True, text=True, env=env, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert verify(out).ok
    # the resumed run wrote only the shards the killed one had not finished
    written = int(re.findall(r"refine: done (\d+)", resumed.stderr)[-1])
    total = sum(1 for _ in read_documents([out]))
    assert 0 < written < total
    assert re.findall(r"shards=(\d+)/6", resumed.stderr)[-1] == "6"
    clean = refine([inp], tmp_path / "clean", RefineConfig.model_validate(_light_refine()))
    assert _parts(out) == _parts(tmp_path / "clean") and clean.documents == total


def _light_refine() -> dict[str, Any]:
    return {k: v for k, v in LIGHT.items() if k != "minhash"}


def test_minhash_bucket_phase_on_ray_drops_what_the_serial_one_does(
    tmp_path: Path, ray_instance: Any
) -> None:
    shards = near_duplicate_shards(3)
    step = scan_minhash_shards(tmp_path, shards)
    tasks = step.merge_tasks(tmp_path, len(shards))
    with RayExecutor(2) as executor:
        pairs = executor.map(run_merge_task, tasks)
    assert len(pairs) == 14 and sum(pairs) > 60  # the bands found the copies, on Ray
    step.merge(tmp_path, len(shards))
    serial = find_duplicates([load_shard_signatures(tmp_path, i) for i in range(3)])
    parallel = [np.load(tmp_path / f"drop-{i:05d}.npy") for i in range(3)]
    assert [m.tolist() for m in parallel] == [m.tolist() for m in serial]
    assert sum(int(m.sum()) for m in parallel) > 60
