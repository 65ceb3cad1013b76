"""``thresher diff A B``: added, removed, changed and moved documents in all and per folder,
the same for any number of on-disk partitions, with memory bounded by the partition size."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.core.test_outputs import one_error_line, thresher
from thresher.document import Document
from thresher.ship.diff import diff
from thresher.store import CorpusWriter, write_manifest


def _corpus(out: Path, docs: Iterable[Document], formats: tuple[str, ...] = ("parquet",)) -> Path:
    with CorpusWriter(out, formats=formats) as w:
        w.write_all(docs)
    write_manifest(out, kind="refine", parts=w.parts)
    return out


def _doc(i: int, bucket: str = "head", text: str = "") -> Document:
    lang = "en" if i % 2 else "de"
    return Document(id=f"d{i}", text=text or f"text of {i}", language=lang, bucket=bucket)


def _versions(
    tmp_path: Path, n: int = 1000, formats: tuple[str, ...] = ("parquet",)
) -> tuple[Path, Path]:
    old = _corpus(tmp_path / "v1", (_doc(i) for i in range(n)), formats)
    new: list[Document] = []
    for i in range(100, n):  # 0-99 removed
        if i < 150:
            new.append(_doc(i, text=f"edited text of {i}"))  # changed
        elif i < 160:
            new.append(_doc(i, bucket="tail"))  # moved, same text
        else:
            new.append(_doc(i))
    new += [_doc(i, bucket="middle") for i in range(n, n + 200)]  # added
    return old, _corpus(tmp_path / "v2", new, formats)


@pytest.mark.parametrize("partition_docs", [1, 97, 2_000_000])
def test_counts_in_all_and_per_folder(tmp_path: Path, partition_docs: int) -> None:
    old, new = _versions(tmp_path)
    r = diff(old, new, partition_docs=partition_docs, work_dir=tmp_path)
    assert (r.before, r.after) == (1000, 1100)
    assert (r.added, r.removed, r.changed, r.moved) == (200, 100, 50, 10)
    assert r.unchanged == 840
    f = {k: v.to_dict() for k, v in r.folders.items()}
    assert f["en/head"] == {"before": 500, "after": 445, "added": 0, "removed": 50,
                            "changed": 25, "moved_in": 0, "moved_out": 5}  # fmt: skip
    assert f["de/middle"]["added"] == 100 and f["en/tail"]["moved_in"] == 5
    assert not list(tmp_path.glob("thresher-diff-*"))  # spool removed


def test_json_output_and_table(tmp_path: Path) -> None:
    old, new = _versions(tmp_path, formats=("jsonl.gz",))
    proc = thresher("diff", old, new, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {k: data[k] for k in ("added", "removed", "changed")} == {
        "added": 200, "removed": 100, "changed": 50}  # fmt: skip
    assert all(type(data[k]) is int for k in ("added", "removed", "changed"))
    assert data["folders"]["de/head"]["removed"] == 50
    table = thresher("diff", old, new)
    assert table.returncode == 0, table.stderr
    assert "en/tail" in table.stdout and "added 200, removed 100, changed 50" in table.stdout


def test_same_corpus_has_no_change(tmp_path: Path) -> None:
    old, _ = _versions(tmp_path, n=30)
    r = diff(old, old)
    assert (r.added, r.removed, r.changed, r.moved, r.unchanged) == (0, 0, 0, 0, 30)


def test_bad_folders_are_one_line(tmp_path: Path) -> None:
    old, _ = _versions(tmp_path, n=10)
    one_error_line(thresher("diff", old, tmp_path / "nope"), "nope", "no such folder")
    (tmp_path / "empty").mkdir()
    one_error_line(thresher("diff", tmp_path / "empty", old), "no manifest.json")
    (old / "de" / "head" / "part-00000.parquet").unlink()
    one_error_line(thresher("diff", old, old), "part-00000.parquet", "missing")


def test_memory_is_bounded_by_the_partition(tmp_path: Path) -> None:
    """200,000 documents: peak memory with 20,000 per partition well below holding all."""
    n = 200_000
    old = _corpus(tmp_path / "a", (_doc(i) for i in range(n)))
    new = _corpus(tmp_path / "b", (_doc(i, text=f"t{i}" if i % 7 else "") for i in range(n)))
    peaks = {}
    for per in (20_000, n):
        tracemalloc.start()
        r = diff(old, new, partition_docs=per, work_dir=tmp_path)
        peaks[per] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert r.changed == n - len(range(0, n, 7)) and r.added == r.removed == 0
    assert peaks[20_000] < peaks[n] / 2, peaks
