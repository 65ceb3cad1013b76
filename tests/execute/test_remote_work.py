"""The refine work folder mirrored through a real S3 server (moto on 127.0.0.1): what a task
downloads for its shard, what is uploaded, and the files a driver mirrors back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_object_storage import BUCKET, s3  # noqa: F401 - the S3 server fixture
from thresher.store.mirror import RemoteWork, shard_files

pytest.importorskip("s3fs")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_shard_takes_only_its_own_summaries() -> None:
    want = shard_files(3)
    assert want("step00/00003.lines.npy") and want("step01/drop-00003.npy")
    assert not want("step00/00013.lines.npy") and not want("step00/100003.dups.npy")
    assert not want("out/00003/part-00000.jsonl.gz") and not want("scan00-00003.done.json")


def test_push_then_pull_mirrors_the_work_folder(
    tmp_path: Path,
    s3: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    driver = tmp_path / "driver"
    files = {
        "plan.json": b"{}",
        "step00/00000.lines.npy": b"a" * 10,
        "step00/00001.lines.npy": b"b" * 11,
        "scan00-00000.done.json": b"{}",
        "out/00001/part-00000.jsonl": b"doc\n",
    }
    for rel, data in files.items():
        (driver / rel).parent.mkdir(parents=True, exist_ok=True)
        (driver / rel).write_bytes(data)
    (driver / "step00" / ".00002.lines.npy.tmp").write_bytes(b"half")  # never uploaded
    work = RemoteWork(f"s3://{BUCKET}/mirror/.staging-x/work")
    work.push(driver)
    assert work._listing() == {rel: len(data) for rel, data in files.items()}
    # a task of shard 1 gets its summaries only, and lists no folder but step*
    task = tmp_path / "task"
    work.pull(task, shard_files(1), under="step")
    assert _files(task) == {"step00/00001.lines.npy": b"b" * 11}
    # what the task writes goes up; the driver mirrors it back, keeping what it has
    (task / "step01").mkdir()
    (task / "step01" / "drop-00001.npy").write_bytes(b"mask")
    work.push(task, {"step01/drop-00001.npy"})
    work.pull(driver)
    assert _files(driver)["step01/drop-00001.npy"] == b"mask"
    fresh = tmp_path / "elsewhere"  # a driver on another machine: everything comes back
    work.pull(fresh)
    assert _files(fresh) == {**files, "step01/drop-00001.npy": b"mask"}
