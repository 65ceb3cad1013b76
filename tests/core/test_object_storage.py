"""Inputs and outputs in object storage, against a real S3-compatible server (moto in server
mode on 127.0.0.1; s3fs talks to it over HTTP as it would to AWS)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_outputs import _light_config, make_docs, make_warc, one_error_line
from thresher.store import read_documents, verify
from thresher.store.remote import RemoteFolder

s3fs = pytest.importorskip("s3fs")
BUCKET = "corpus-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    server = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(server).exists():
        pytest.skip("moto_server (pip install 'moto[server]') is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    env = {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    s3fs.S3FileSystem.clear_instance_cache()
    s3fs.S3FileSystem().mkdir(BUCKET)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        s3fs.S3FileSystem.clear_instance_cache()
        proc.terminate()
        proc.wait(timeout=10)


def cli(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thresher", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def test_extract_refine_verify_in_a_bucket(tmp_path: Path, s3: dict[str, str]) -> None:
    warc = make_warc(tmp_path / "a.warc.gz", n=6)
    docs_url = f"s3://{BUCKET}/run1/documents"
    corpus_url = f"s3://{BUCKET}/run1/corpus"
    extracted = cli("extract", warc, "-o", docs_url, env=s3)
    assert extracted.returncode == 0, extracted.stderr
    res = verify(docs_url)
    assert res.ok and res.documents == 6, res.problems
    # refine reads the bucket folder through its manifest and writes a corpus there
    light = _light_config(tmp_path)  # the test pages pass no quality filter: refine keeps them
    refined = cli("refine", docs_url, "-o", corpus_url, "--format", "parquet", "-c", light, env=s3)
    assert refined.returncode == 0, refined.stderr
    checked = cli("verify", corpus_url, env=s3)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok" in checked.stdout
    manifest = RemoteFolder(corpus_url).manifest()
    assert manifest is not None and manifest["kind"] == "refine"
    n = manifest["counts"]["documents"]
    assert n == len(list(read_documents([corpus_url])))
    # nothing staged is left, and the local copy is where the cache says
    fs = s3fs.S3FileSystem()
    assert not [k for k in fs.find(f"{BUCKET}/run1") if "/.staging-" in k]
    # the same run again does nothing; another run is refused without --overwrite
    again = cli("extract", warc, "-o", docs_url, env=s3)
    assert again.returncode == 0 and "already complete (6 documents)" in again.stdout
    other = make_warc(tmp_path / "b.warc.gz", n=3, start=10)
    refused = cli("extract", other, "-o", docs_url, env=s3)
    one_error_line(refused, docs_url, "another run")
    replaced = cli("extract", other, "-o", docs_url, "--overwrite", env=s3)
    assert replaced.returncode == 0, replaced.stderr
    res = verify(docs_url)
    assert res.ok and res.documents == 3, res.problems


def test_an_interrupted_publish_is_finished_by_the_next_run(
    tmp_path: Path, s3: dict[str, str]
) -> None:
    """A publish stopped after its staged copy is complete: the next run commits it first."""
    docs = make_docs(tmp_path / "docs.jsonl", n=30)
    url = f"s3://{BUCKET}/interrupted/corpus"
    light = _light_config(tmp_path)  # refine keeps these documents (nothing kept is exit 1)
    first = cli("refine", docs, "-o", url, "-c", light, env=s3)
    assert first.returncode == 0, first.stderr
    folder = RemoteFolder(url)
    manifest = folder.manifest()
    assert manifest is not None
    # simulate a crash between staging and commit: stage a copy, delete the committed output
    name = f".staging-{manifest['fingerprint']}"
    for p in manifest["parts"]:
        folder.fs.copy(folder.key(p["path"]), folder.key(f"{name}/{p['path']}"))
        folder.fs.rm_file(folder.key(p["path"]))
    folder.fs.pipe_file(folder.key(f"{name}/manifest.json"), json.dumps(manifest).encode())
    folder.fs.rm_file(folder.key("manifest.json"))
    assert not verify_ok(url)
    again = cli("refine", docs, "-o", url, "-c", light, env=s3)
    assert again.returncode == 0, again.stderr
    assert "already complete" in again.stdout  # the recovered commit is this run
    assert verify_ok(url)
    assert not [k for k in folder.fs.find(folder.root) if "/.staging-" in k]


def verify_ok(url: str) -> bool:
    try:
        return verify(url).ok
    except Exception:
        return False


def test_a_bucket_that_does_not_exist_is_one_line(tmp_path: Path, s3: dict[str, str]) -> None:
    docs = make_docs(tmp_path / "docs.jsonl")
    proc = cli("refine", "s3://no-such-bucket-here/docs", "-o", tmp_path / "c", env=s3)
    one_error_line(proc, "s3://no-such-bucket-here/docs")
    proc = cli("verify", "s3://no-such-bucket-here/corpus", env=s3)
    one_error_line(proc, "s3://no-such-bucket-here/corpus")
    assert docs.is_file()
