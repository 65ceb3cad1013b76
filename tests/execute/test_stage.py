"""The stage runner (thresher.execute.stage) with a small job of its own: resume, the one
fingerprint rule, nothing written, unfinished shards, and a bucket-free local commit."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from thresher.document import Document
from thresher.errors import IncompleteRunError, NothingToDoError, Unfinished
from thresher.execute.job import Job, ShardSpec
from thresher.execute.stage import run_stage
from thresher.stats import StepStats
from thresher.store import identity
from thresher.store.identity import file_digest, run_fingerprint


class Lines(Job):
    """Each line of each input file as a document; a shard per file."""

    kind = "lines"
    formats = ("jsonl",)

    def __init__(self, inputs: list[str], fail: str | None = None, away: str | None = None):
        super().__init__(inputs)
        self.fail = fail  # a file whose shard raises while this flag file exists
        self.away = away  # a file whose shard is left unfinished (a network failure)

    def files(self) -> list[str]:
        return self.inputs

    def plan(self, workers: int) -> list[ShardSpec]:
        return [{"file": f} for f in self.inputs]

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterator[Document]:
        path = Path(shard["file"])
        if self.away == path.name:
            raise Unfinished(f"{path.name}: the server went away")
        for n, line in enumerate(path.read_text().splitlines()):
            stats[0].seen += 1
            if self.fail == path.name and n == 1 and Path(self.fail_flag).exists():
                raise RuntimeError("boom")
            if not line.strip():
                stats[0].drop("empty")
                continue
            stats[0].kept += 1
            yield Document(text=line, id=f"{path.name}:{n}")

    @property
    def fail_flag(self) -> str:
        return str(Path(self.inputs[0]).parent / "fail-now")

    def nothing(self, stats: list[StepStats]) -> str:
        return f"no line in {len(self.inputs)} file(s)"


def _inputs(tmp_path: Path) -> list[str]:
    src = tmp_path / "in"
    src.mkdir()
    for name, text in [("a.txt", "one\ntwo\n"), ("b.txt", "three\nfour\nfive\n"), ("c.txt", "\n")]:
        (src / name).write_text(text)
    return [str(src / n) for n in ("a.txt", "b.txt", "c.txt")]


def _texts(out: Path) -> list[str]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [
        json.loads(line)["text"]
        for p in manifest["parts"]
        for line in (out / p["path"]).read_text().splitlines()
    ]


def test_a_failed_run_resumes_only_its_unfinished_shards(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    job = Lines(files, fail="b.txt")
    Path(job.fail_flag).touch()
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_stage(job, out)
    assert not (out / "manifest.json").exists()
    assert (out / ".lines-work" / "shards" / "00000.done.json").is_file()  # a.txt kept
    Path(job.fail_flag).unlink()
    stats = [StepStats("lines")]
    result = run_stage(job, out, stats=stats)
    assert _texts(out) == ["one", "two", "three", "four", "five"]
    assert result.documents == 5 and not result.skipped
    assert [s.name for s in result.stats] == ["lines"]
    assert result.stats[0].dropped["empty"] == 1 and stats[0].kept == 5
    assert not (out / ".lines-work").exists()
    again = run_stage(job, out)
    assert again.skipped and again.documents == 5


def test_inputs_rewritten_with_the_same_bytes_are_the_same_run(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    out = tmp_path / "out"
    run_stage(Lines(files), out)
    for f in files:  # new modification times, same content: the same run
        os.utime(f, (1, 1))
    assert run_stage(Lines(files), out).skipped
    Path(files[0]).write_text("one\nTWO\n")
    with pytest.raises(Exception, match="another run"):
        run_stage(Lines(files), out)


def test_nothing_written_leaves_nothing(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(NothingToDoError, match="no line in 1 file"):
        run_stage(Lines(files[2:]), out)
    assert not out.exists() or not any(out.iterdir())


def test_an_unfinished_shard_stops_before_the_commit(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(IncompleteRunError, match=r"1 of 3 item.*server went away.*rerun"):
        run_stage(Lines(files, away="b.txt"), out)
    assert not (out / "manifest.json").exists()
    assert run_stage(Lines(files), out).documents == 5  # the rerun fetches it


def test_two_workers_give_the_same_folder(tmp_path: Path) -> None:
    from thresher.execute.config import ExecutorConfig

    files = _inputs(tmp_path)
    one, two = tmp_path / "one", tmp_path / "two"
    run_stage(Lines(files), one)
    run_stage(Lines(files), two, executor=ExecutorConfig(workers=2))
    assert _texts(one) == _texts(two)
    assert (one / "part-00000.jsonl").read_bytes() == (two / "part-00000.jsonl").read_bytes()


def test_large_file_digests_are_remembered_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(identity, "CACHED_DIGEST_BYTES", 1)
    f = tmp_path / "big.bin"
    f.write_bytes(b"x" * 100)
    first = file_digest(f)
    assert list((tmp_path / "cache").rglob("*.json"))
    calls: list[Path] = []
    real = identity.sha256_file
    monkeypatch.setattr(identity, "sha256_file", lambda p: calls.append(p) or real(p))
    assert file_digest(f) == first and not calls  # remembered
    f.write_bytes(b"y" * 100)
    os.utime(f, ns=(10**18, 10**18))
    assert file_digest(f) != first and calls  # changed: read again
    assert run_fingerprint("s", [str(f)]) != run_fingerprint("t", [str(f)])


def test_final_parts_are_planned_folder_by_folder_in_shard_order() -> None:
    """Every stage's commit plans its final parts alike: per folder (a folder's name may hold
    dots: a language code from the data), numbered in shard order, small parts joined, every
    format of a part together."""
    from thresher.store.join import plan_finals
    from thresher.store.writers import Part

    def part(path: str, size: int) -> Part:
        return Part(path, "0" * 64, 1, size)

    shards = [
        [part("en/head/part-00000.jsonl.gz", 10), part("en/head/part-00000.parquet", 10),
         part("x.y/all/part-00000.jsonl.gz", 10), part("x.y/all/part-00000.parquet", 10)],
        [part("en/head/part-00000.jsonl.gz", 10), part("en/head/part-00000.parquet", 10)],
        [part("en/head/part-00000.jsonl.gz", 10**9), part("en/head/part-00000.parquet", 10**9)],
    ]  # fmt: skip
    finals = plan_finals(shards, ["jsonl.gz", "parquet"], part_bytes=1000)
    assert [(f.path, [i for i, _ in f.sources]) for f in finals] == [
        ("en/head/part-00000.jsonl.gz", [0, 1]),
        ("en/head/part-00000.parquet", [0, 1]),
        ("en/head/part-00001.jsonl.gz", [2]),
        ("en/head/part-00001.parquet", [2]),
        ("x.y/all/part-00000.jsonl.gz", [0]),
        ("x.y/all/part-00000.parquet", [0]),
    ]
