"""extract in shards on the local executor: same documents in the same order whatever the
workers, file counts kept exactly once for record ranges, resume from the shard markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from thresher.execute import ExecutorConfig
from thresher.extract import ExtractConfig
from thresher.extract import shards as sharding
from thresher.extract.stream import extract
from thresher.extract.to_folder import extract_to_folder
from thresher.stats import StepStats
from thresher.store import read_documents, read_manifest, verify

from .inputs import big_warc, write_inputs


def _docs(out: Path) -> list[tuple[str | None, str | None, str]]:
    return [(d.id, d.url, d.text) for d in read_documents([out])]


def _run(inp: Path, out: Path, workers: int, **kw: Any) -> tuple[Any, StepStats]:
    stats = StepStats("extract")
    result = extract_to_folder(
        [str(inp)],
        out,
        ExtractConfig(),
        stats=stats,
        executor=ExecutorConfig(workers=workers),
        **kw,
    )
    return result, stats


def test_documents_and_counts_do_not_depend_on_workers(tmp_path: Path) -> None:
    inp = write_inputs(tmp_path)
    one, stats1 = _run(inp, tmp_path / "w1", 1)
    two, stats2 = _run(inp, tmp_path / "w2", 2)
    assert one.documents == two.documents == 3 * 40 + 4 + 5
    assert _docs(tmp_path / "w1") == _docs(tmp_path / "w2")
    assert stats1.to_dict() == stats2.to_dict()
    assert stats1.counters["errors"] == 2  # the truncated file and the junk: counted, skipped
    assert stats1.counters["files"] == 3 + 2 + 5
    assert verify(tmp_path / "w2").ok
    # many small shards (one per archive, HTML in one run) are joined into one part
    assert [p["path"] for p in read_manifest(tmp_path / "w2")["parts"]] == ["part-00000.jsonl.gz"]
    assert not (tmp_path / "w2" / ".documents-work").exists()


def test_one_archive_is_cut_into_record_ranges(tmp_path: Path) -> None:
    path = big_warc(tmp_path, 3 * sharding.MIN_RANGE_PAGES)
    items = [(str(path), "archive")]
    plan = sharding.plan_shards(items, 3, ExtractConfig())
    assert [(s.start, s.stop) for s in plan] == [(0, 500), (500, 1000), (1000, None)]
    assert sharding.plan_shards(items, 1, ExtractConfig())[0].stop is None
    whole = StepStats("extract")
    expected = list(extract([str(path)], stats=whole))
    stats = StepStats("extract")
    got = [d for s in plan for d in sharding.shard_documents(s, ExtractConfig(), stats)]
    assert [d.id for d in got] == [d.id for d in expected]
    # the file and its records are counted once, by its last range
    assert stats.to_dict() == whole.to_dict()
    assert stats.counters["files"] == 1 and stats.counters["records:response"] == 1500


def test_extract_generator_with_workers_keeps_input_order(tmp_path: Path) -> None:
    inp = write_inputs(tmp_path)
    s1, s3 = StepStats("extract"), StepStats("extract")
    one = [(d.id, d.text) for d in extract([str(inp)], ExtractConfig(), stats=s1)]
    three = [(d.id, d.text) for d in extract([str(inp)], ExtractConfig(workers=3), stats=s3)]
    assert one == three and s1.to_dict() == s3.to_dict()


class _StopAfter:
    """A progress reporter that stops the run (like a kill) once ``n`` shards are done."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.shards: list[str] = []

    def advance(self, n: int = 1, **fields: object) -> None:
        if "shards" in fields:
            self.shards.append(str(fields["shards"]))
            if self.n is not None and len(self.shards) >= self.n:
                raise KeyboardInterrupt


def test_a_stopped_extract_resumes_from_its_shard_markers(tmp_path: Path) -> None:
    inp = write_inputs(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        _run(inp, out, 1, reporter=_StopAfter(2))
    markers = sorted((out / ".documents-work" / "shards").glob("*.done.json"))
    assert len(markers) == 2 and not (out / "manifest.json").exists()
    again = _StopAfter(None)
    result, stats = _run(inp, out, 1, reporter=again)
    # only the unfinished shards ran: progress starts at 3 of 6
    assert again.shards == ["3/6", "4/6", "5/6", "6/6"]
    clean, clean_stats = _run(inp, tmp_path / "clean", 1)
    assert _docs(out) == _docs(tmp_path / "clean")
    assert stats.to_dict() == clean_stats.to_dict()
    assert result.documents == clean.documents and verify(out).ok
