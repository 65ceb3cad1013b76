"""Extract and refine into a bucket on a real local Ray instance whose tasks share no disk
with the driver: inputs, shard parts, markers, work files and the output all live in a real S3
server (moto on 127.0.0.1); each Ray worker has its own TMPDIR / XDG_CACHE_HOME that the
driver never uses. The output is the local executor's; a driver killed mid-run (and, for
refine, started again with an empty disk) resumes from the marker objects."""

from __future__ import annotations

import gzip
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_object_storage import BUCKET, s3  # noqa: F401 - the S3 server fixture
from thresher.execute import ExecutorConfig
from thresher.extract import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.refine import RefineConfig, refine
from thresher.stats import StepStats
from thresher.store import read_documents, read_manifest, verify
from thresher.store.config import OutputConfig
from thresher.store.remote import RemoteFolder

from ..extract.warcs import page, warc_record, write_warc
from .inputs import body, write_inputs
from .test_ray import CONFIG, LIGHT, _light_refine, write_shards

ray = pytest.importorskip("ray")
s3fs = pytest.importorskip("s3fs")


@pytest.fixture(scope="module")
def worker_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Ray workers' private disk: their TMPDIR and cache (the driver's are elsewhere)."""
    return tmp_path_factory.mktemp("worker-disk")


@pytest.fixture(scope="module")
def cluster(s3: dict[str, str], worker_disk: Path) -> Iterator[Any]:  # noqa: F811
    """A local Ray instance whose workers get the S3 settings and their own disk only."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if ray.is_initialized():
        ray.shutdown()
    env = {**s3, "TMPDIR": str(worker_disk), "XDG_CACHE_HOME": str(worker_disk / "cache")}
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        object_store_memory=128 * 1024 * 1024,
        runtime_env={"env_vars": env},
    )
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture
def driver_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The driver's own temporary folder (the workers never see it)."""
    folder = tmp_path / "driver-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _fs() -> Any:
    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    return fs


def _kill_at_first(proc: subprocess.Popen[Any], fs: Any, pattern: str) -> bool:
    """SIGKILL the driver's process group once a key matches ``pattern`` (or after 240 s);
    True when the driver was still running at that moment."""
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        fs.invalidate_cache()
        if fs.glob(pattern):
            break
        time.sleep(0.05)
    alive = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    fs.invalidate_cache()
    return alive


def _upload(local: Path, prefix: str) -> str:
    """``local``'s files under ``s3://BUCKET/prefix``; the input URL."""
    fs = _fs()
    for f in sorted(local.iterdir()):
        fs.put_file(str(f), f"{BUCKET}/{prefix}/{f.name}")
    return f"s3://{BUCKET}/{prefix}"


def _parts_local(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): _plain(p.name, p.read_bytes())
        for p in sorted(out.rglob("part-*"))
    }


def _parts_bucket(url: str) -> dict[str, bytes]:
    folder = RemoteFolder(url)
    return {
        rel: _plain(rel, folder.fs.cat_file(folder.key(rel))) for rel in sorted(folder.part_files())
    }


def _plain(name: str, data: bytes) -> bytes:
    return gzip.decompress(data) if name.endswith(".gz") else data


def _same(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: manifest[k] for k in ("parts", "counts", "config", "fingerprint", "inputs")}


def _worker_tmp(_: int) -> str:
    return tempfile.gettempdir()


def test_extract_to_a_bucket_on_ray_without_a_shared_disk(
    tmp_path: Path,
    cluster: Any,
    worker_disk: Path,
    driver_tmp: Path,
    s3: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    # the workers' temporary folder is their own, not the driver's
    seen = set(ray.get([ray.remote(_worker_tmp).remote(i) for i in range(4)]))
    assert seen == {str(worker_disk)} and str(driver_tmp) not in seen
    inp = _upload(write_inputs(tmp_path, archives=4, per_archive=60), "bucket-in")
    formats = ("jsonl.gz", "parquet")
    config = ExtractConfig()
    runs = {}
    # (local runs in this process: a local pool's forkserver may predate the S3 settings)
    for name, kind, workers, out in [
        ("local", "local", 1, str(tmp_path / "local")),
        ("local-bucket", "local", 1, f"s3://{BUCKET}/out/local"),
        ("ray-bucket", "ray", 2, f"s3://{BUCKET}/out/ray"),
    ]:
        stats = StepStats("extract")
        result = extract_to_folder(
            [inp], out, config, formats=formats, stats=stats,
            executor=ExecutorConfig(kind=kind, workers=workers),  # type: ignore[arg-type]
        )  # fmt: skip
        assert result.documents == 249 and verify(out).ok, name
        runs[name] = (out, stats.to_dict())
    local_out = Path(runs["local"][0])
    expected = _parts_local(local_out)
    assert len(expected) == 2  # small shards were joined into one part per format
    for name in ("local-bucket", "ray-bucket"):
        url, stats = runs[name]
        assert _parts_bucket(url) == expected, name
        manifest = RemoteFolder(url).manifest()
        assert manifest is not None
        assert _same(manifest) == _same(read_manifest(local_out)), name
        assert stats == runs["local"][1], name
        assert stats["counters"]["errors"] == 2  # the truncated and the junk archive
    # nothing staged is left in the bucket, no local copy was built on the driver, the
    # driver's temporary folder is empty again, and no worker left a scratch folder
    assert not [k for k in _fs().find(f"{BUCKET}/out") if "/.staging-" in k]
    assert not [p for p in Path(s3["XDG_CACHE_HOME"]).rglob("*") if p.is_file()]  # (the lock's)
    assert not list(driver_tmp.glob("thresher-*"))  # (pymp-*: the local pool's own)
    assert not list(worker_disk.glob("thresher-shard-*"))
    # the same run again does nothing
    again = extract_to_folder(
        [inp], runs["ray-bucket"][0], config, formats=formats,
        executor=ExecutorConfig(kind="ray", workers=2),
    )  # fmt: skip
    assert again.skipped and again.documents == 249


def _big_inputs(root: Path, archives: int, pages: int) -> Path:
    root.mkdir(parents=True)
    for a in range(archives):
        recs = [
            warc_record(f"http://big{a}.example/{i}", page(f"Big {a} {i}", body(a * pages + i)))
            for i in range(pages)
        ]
        write_warc(root / f"big{a}.warc.gz", recs, "gzip")
    return root


def _extract_cmd(inp: str, out: str) -> list[str]:
    return [sys.executable, "-m", "thresher", "extract", inp, "-o", out,
            "--executor", "ray", "--workers", "2"]  # fmt: skip


def test_a_killed_driver_resumes_from_the_marker_objects(
    tmp_path: Path,
    cluster: Any,
    s3: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    local_in = _big_inputs(tmp_path / "big", archives=6, pages=250)
    inp = _upload(local_in, "killed-in")
    out = f"s3://{BUCKET}/killed/docs"
    # the command starts its own local Ray instance (its driver and workers: this machine)
    env = {**os.environ, **s3, "RAY_ADDRESS": ""}
    proc = subprocess.Popen(
        _extract_cmd(inp, out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ray's helpers stay in this group: ended with it below
        env=env,
    )
    fs = _fs()
    markers = f"{BUCKET}/killed/docs/.staging-*/shards/*.done.json"
    _kill_at_first(proc, fs, markers)
    finished = fs.glob(markers)
    assert finished, "the run ended before its first shard was done"
    assert not fs.exists(f"{BUCKET}/killed/docs/manifest.json"), "it finished before the kill"
    resumed = subprocess.run(
        _extract_cmd(inp, out), capture_output=True, text=True, env=env, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert verify(out).ok
    # the resumed run extracted only the shards without a marker object
    written = int(re.findall(r"extract: done (\d+)", resumed.stderr)[-1])
    total = sum(1 for _ in read_documents([out]))
    assert total == 1500 and 0 < written <= total - 250 * len(finished)
    assert re.findall(r"shards=(\d+)/6", resumed.stderr)[-1] == "6"
    fs.invalidate_cache()
    assert not [k for k in fs.find(f"{BUCKET}/killed") if "/.staging-" in k]
    clean = tmp_path / "clean"
    extract_to_folder([inp], clean, ExtractConfig(), executor=ExecutorConfig(workers=1))
    assert _parts_bucket(out) == _parts_local(clean)


def test_refine_into_a_bucket_on_ray_without_a_shared_disk(
    tmp_path: Path,
    cluster: Any,
    worker_disk: Path,
    driver_tmp: Path,
    s3: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    """Paragraph dedup and MinHash on: scans, merges and the final pass exchange their files
    through the bucket only."""
    inp = _upload(write_shards(tmp_path / "in"), "refine-in")
    config = RefineConfig.model_validate(LIGHT)
    output = OutputConfig(formats=["jsonl.gz", "parquet"])
    local_out = tmp_path / "local"
    local = refine([inp], local_out, config, output, executor=ExecutorConfig(workers=1))
    url = f"s3://{BUCKET}/refined/ray"
    on_ray = refine([inp], url, config, output, executor=ExecutorConfig(kind="ray", workers=2))
    assert verify(url).ok
    assert on_ray.documents == local.documents > 0
    assert _parts_bucket(url) == _parts_local(local_out)
    manifest = RemoteFolder(url).manifest()
    assert manifest is not None
    assert _same(manifest) == _same(read_manifest(local_out))
    assert manifest["hashes"] == read_manifest(local_out)["hashes"]
    assert [s.to_dict() for s in on_ray.stats] == [s.to_dict() for s in local.stats]
    by_name = {s.name: s for s in on_ray.stats}
    assert sum(by_name["minhash"].dropped.values()) >= 2  # near copies across shards went
    assert not [k for k in _fs().find(f"{BUCKET}/refined") if "/.staging-" in k]
    assert not list(worker_disk.glob("thresher-shard-*"))
    again = refine([inp], url, config, output, executor=ExecutorConfig(kind="ray", workers=2))
    assert again.skipped


def test_a_refine_driver_killed_and_started_elsewhere_resumes_from_the_marker_objects(
    tmp_path: Path,
    cluster: Any,
    s3: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    """The second driver has its own empty disk (cache and TMPDIR): what it resumes from can
    only be the bucket's marker objects."""
    inp = _upload(write_shards(tmp_path / "in", shards=6, per_shard=1500), "killed-refine-in")
    out = f"s3://{BUCKET}/killed-refine/corpus"
    cfg = tmp_path / "refine.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    cmd = [sys.executable, "-m", "thresher", "refine", inp, "-o", out, "-c", str(cfg)]

    def driver_env(name: str) -> dict[str, str]:
        """A driver's own disk: its cache, where its local copy of the corpus lives."""
        return {**os.environ, **s3, "XDG_CACHE_HOME": str(tmp_path / name), "RAY_ADDRESS": ""}

    log = tmp_path / "first.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # Ray's helpers stay in this group: ended with it below
            env=driver_env("first"),
        )
    fs = _fs()
    markers = f"{BUCKET}/killed-refine/corpus/.staging-*/work/out/*.done.json"
    assert _kill_at_first(proc, fs, markers), log.read_text(errors="replace")[-2000:]
    finished = fs.glob(markers)
    assert finished, "the run ended before its first shard was done"
    assert not fs.exists(f"{BUCKET}/killed-refine/corpus/manifest.json"), "it finished"
    assert (tmp_path / "first" / "thresher").is_dir()  # the first driver's copy: not used
    resumed = subprocess.run(cmd, capture_output=True, text=True, env=driver_env("second"),
                             timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert verify(out).ok
    written = int(re.findall(r"refine: done (\d+)", resumed.stderr)[-1])
    total = sum(1 for _ in read_documents([out]))
    assert 0 < written < total
    assert re.findall(r"shards=(\d+)/6", resumed.stderr)[-1] == "6"
    assert not [k for k in _fs().find(f"{BUCKET}/killed-refine") if "/.staging-" in k]
    clean = tmp_path / "clean"
    refine([inp], clean, RefineConfig.model_validate(_light_refine()))
    assert _parts_bucket(out) == _parts_local(clean)
