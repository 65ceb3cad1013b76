"""MinHash LSH: near-duplicates found, distinct texts kept, the survivor deterministic."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest

from thresher.config import load_section
from thresher.document import Document
from thresher.errors import ConfigError
from thresher.execute.local import LocalExecutor
from thresher.refine import RefineConfig, refine
from thresher.refine.corpus_step import run_merge_task
from thresher.refine.minhash import (
    CorpusMinHashDedup,
    MinHashConfig,
    MinHashDedup,
    MinHasher,
    Signatures,
    band_pairs,
    components,
    drop_ids_of,
    find_duplicates,
    jaccard_estimate,
    load_shard_signatures,
    signatures,
)

from .helpers import corpus as read_corpus
from .helpers import near_duplicate_shards, scan_minhash_shards, write_jsonl

_VOCAB = [f"w{i}" for i in range(5000)]


def _text(rng: random.Random, n: int = 300) -> str:
    return " ".join(rng.choice(_VOCAB) for _ in range(n))


def _edit(rng: random.Random, text: str, frac: float) -> str:
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * frac)):
        words[i] = rng.choice(_VOCAB)
    return " ".join(words)


def _shingles(text: str) -> set[str]:
    w = text.split()
    return {" ".join(w[i : i + 5]) for i in range(len(w) - 4)}


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Document], dict[str, str]]:
    """200 distinct documents, 60 of them with 1-3 near copies; maps each id to its original."""
    rng = random.Random(7)
    docs, origin = [], {}
    for i in range(200):
        text = _text(rng)
        docs.append(Document(text=text, id=f"doc-{i:04d}"))
        origin[f"doc-{i:04d}"] = f"doc-{i:04d}"
        if i < 60:
            for j in range(rng.randint(1, 3)):
                copy_id = f"x-copy-{i:04d}-{j}"  # "x" > "doc": the original is the survivor
                docs.append(Document(text=_edit(rng, text, 0.01), id=copy_id))
                origin[copy_id] = f"doc-{i:04d}"
    return docs, origin


def test_shingles_ignore_case_and_punctuation() -> None:
    h = MinHasher()
    a = h.shingles("Hello, world! This is a test of the shingles.")
    b = h.shingles("hello world -- this IS a test; of the «shingles»")
    assert len(a) == 5 and np.array_equal(a, b)
    assert not np.array_equal(h.shingles("ab c d e f"), h.shingles("a bc d e f"))
    assert len(h.shingles("two words")) == 1  # shorter than 5 words: one shingle
    assert len(h.shingles(" ,;! ")) == 0
    assert len(h.shingles("Ελληνικά κείμενα με τόνους και σημεία, στίξης εδώ.")) == 4


def test_signature_estimates_jaccard() -> None:
    rng = random.Random(1)
    h = MinHasher()
    errors = []
    for frac in (0.02, 0.05, 0.1, 0.2, 0.4):
        for _ in range(4):
            a = _text(rng, 400)
            b = _edit(rng, a, frac)
            sa, sb = _shingles(a), _shingles(b)
            true = len(sa & sb) / len(sa | sb)
            errors.append(abs(jaccard_estimate(h.signature(a), h.signature(b)) - true))
    assert float(np.mean(errors)) < 0.05


def test_stream_dedup_keeps_the_smallest_id(
    corpus: tuple[list[Document], dict[str, str]],
) -> None:
    docs, _ = corpus
    kept_sets = []
    for seed in (0, 1):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        step = MinHashDedup()
        kept = list(step.run(shuffled))
        kept_sets.append({d.id for d in kept})
        assert step.stats.seen == len(docs)
        assert step.stats.dropped["near_duplicate"] == len(docs) - 200
    assert kept_sets[0] == kept_sets[1] == {f"doc-{i:04d}" for i in range(200)}


def test_documents_survive_the_spill_unchanged() -> None:
    doc = Document(
        text="only one\nwith two lines",
        url="https://a.example/",
        language="en",
        perplexity=12.5,
        metadata={"links": ["x"], "n": 3},
    )
    empty1, empty2 = Document(text="", id="e1"), Document(text="...", id="e2")
    out = list(MinHashDedup().run([doc, empty1, empty2]))
    assert out[0] == doc and [d.id for d in out[1:]] == ["e1", "e2"]  # no words: never dups


def test_transitive_clusters_have_one_survivor() -> None:
    rng = random.Random(5)
    a = _text(rng, 400)
    b = _edit(rng, a, 0.01)
    c = _edit(rng, b, 0.01)
    docs = [Document(text=t, id=i) for t, i in ((c, "c"), (a, "b"), (b, "a"))]
    assert [d.id for d in MinHashDedup().run(docs)] == ["a"]
    # A shares a band with B, B with C, A and C nothing: one cluster, smallest id kept
    keys = np.array([[1, 2, 3], [1, 5, 6], [7, 5, 9], [10, 11, 12]], dtype=np.uint64)
    sig = Signatures(["m", "z", "b", "k"], keys)
    assert find_duplicates([sig])[0].tolist() == [True, True, False, False]
    split = find_duplicates([Signatures(["m", "z"], keys[:2]), Signatures(["b", "k"], keys[2:])])
    assert [m.tolist() for m in split] == [[True, True], [False, False]]


def test_corpus_wide_two_passes_match_one_stream(
    corpus: tuple[list[Document], dict[str, str]],
) -> None:
    docs, _ = corpus
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    shards = [shuffled[i::3] for i in range(3)]
    h = MinHasher()
    sigs = [signatures(s, h) for s in shards]
    masks = find_duplicates(sigs)
    assert sum(int(m.sum()) for m in masks) == len(docs) - 200
    drop = drop_ids_of(sigs)
    kept = []
    for shard in shards:
        step = MinHashDedup(drop_ids=drop)
        kept += [d.id for d in step.run(shard)]
    assert set(kept) == {d.id for d in MinHashDedup().run(docs)}
    # per shard: each shard dedups on its own
    per_shard = [MinHashDedup().run(s) for s in shards]
    assert sum(len(list(p)) for p in per_shard) >= 200


def test_signatures_roundtrip(
    tmp_path: Path, corpus: tuple[list[Document], dict[str, str]]
) -> None:
    path = tmp_path / "s.npz"
    sig = signatures(corpus[0][:10], MinHasher())
    sig.save(path)
    back = Signatures.load(path)
    assert back.ids == sig.ids and np.array_equal(back.keys, sig.keys)


def test_distinct_documents_are_kept() -> None:
    rng = random.Random(11)
    docs = [Document(text=_text(rng, 200), id=str(i)) for i in range(500)]
    step = MinHashDedup()
    assert len(list(step.run(docs))) == 500


def test_config_and_speed() -> None:
    cfg = load_section(MinHashConfig, None, "minhash", bands=20, rows=5)
    step = MinHashDedup.from_config(cfg)
    assert step.hasher.bands == 20 and len(step.hasher.band_keys("a b c d e f")) == 20
    with pytest.raises(ConfigError, match="scope"):
        load_section(MinHashConfig, None, "minhash", scope="galaxy")
    h = MinHasher()
    text = _text(random.Random(2), 450)
    start = time.perf_counter()
    for _ in range(200):
        h.band_keys(text)
    assert (time.perf_counter() - start) / 200 < 0.005  # well under 5 ms a document


def _refine_config(scope: str) -> RefineConfig:
    off = {"enabled": False}
    return RefineConfig.model_validate(
        {
            "dedup": off,
            "langid": off,
            "gopher_repetition": off,
            "gopher_quality": off,
            "c4": off,
            "fineweb": off,
            "pii": off,
            "minhash": {"enabled": True, "scope": scope},
        }
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_refine_corpus_wide_across_shards(
    tmp_path: Path, corpus: tuple[list[Document], dict[str, str]], workers: int
) -> None:
    docs, _ = corpus
    shuffled = docs[:]
    random.Random(workers).shuffle(shuffled)
    for i in range(3):  # copies land in other shards than their originals
        write_jsonl(tmp_path / "in" / f"s{i}.jsonl", [d.to_dict() for d in shuffled[i::3]])
    result = refine([tmp_path / "in"], tmp_path / "out", _refine_config("corpus"), workers=workers)
    assert result.documents == 200
    assert set(read_corpus(tmp_path / "out")) == {f"doc-{i:04d}" for i in range(200)}
    st = {s.name: s for s in result.stats}["minhash"]
    assert st.dropped["near_duplicate"] == len(docs) - 200
    assert st.counters["near_duplicates_found"] == len(docs) - 200


def test_refine_per_shard_scope(tmp_path: Path, corpus: tuple[list[Document], dict]) -> None:
    originals = [d for d in corpus[0] if d.id.startswith("doc-")]
    again = [{"id": f"y-{d.id}", "text": d.text} for d in originals]
    write_jsonl(tmp_path / "in" / "a.jsonl", [d.to_dict() for d in originals])
    write_jsonl(tmp_path / "in" / "b.jsonl", again)
    result = refine([tmp_path / "in"], tmp_path / "shard", _refine_config("shard"))
    assert result.documents == 400  # each shard on its own holds no near-duplicates
    result = refine([tmp_path / "in"], tmp_path / "corpus", _refine_config("corpus"))
    assert set(read_corpus(tmp_path / "corpus")) == {d.id for d in originals}


def _union_find_labels(n: int, a: list[int], b: list[int]) -> list[int]:
    """Smallest node of each node's component, by a plain union-find (the reference)."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a, b, strict=True):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return [root(x) for x in range(n)]


@pytest.mark.parametrize("seed", range(5))
def test_components_match_a_union_find(seed: int) -> None:
    rng = random.Random(seed)
    n = 300
    a = [rng.randrange(n) for _ in range(250)]
    b = [rng.randrange(n) for _ in range(250)]
    got = components(n, np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))
    assert got.tolist() == _union_find_labels(n, a, b)


def test_band_pairs_link_equal_keys_but_never_key_zero() -> None:
    column = np.array([5, 0, 5, 0, 7, 5], dtype=np.uint64)
    linked, to = band_pairs(column)
    assert sorted(zip(linked.tolist(), to.tolist(), strict=True)) == [(2, 0), (5, 0)]


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_bucket_phase_drops_what_the_serial_one_does(tmp_path: Path, workers: int) -> None:
    shards = near_duplicate_shards(3)
    step = scan_minhash_shards(tmp_path, shards)
    tasks = step.merge_tasks(tmp_path, len(shards))
    assert len(tasks) == 14  # one per band
    with LocalExecutor(workers) as executor:
        executor.map(run_merge_task, tasks)
    assert all(t.path.is_file() for t in tasks)
    counters = step.merge(tmp_path, len(shards))
    serial = find_duplicates([load_shard_signatures(tmp_path, i) for i in range(3)])
    parallel = [np.load(tmp_path / f"drop-{i:05d}.npy") for i in range(3)]
    assert [m.tolist() for m in parallel] == [m.tolist() for m in serial]
    dropped = {
        d.id for s, m in zip(shards, parallel, strict=True) for d, x in zip(s, m, strict=True) if x
    }
    assert counters["near_duplicates_found"] == len(dropped) > 60
    assert all(i is not None and i.startswith("x-copy-") for i in dropped)


def test_merge_runs_bucket_tasks_the_executor_did_not(tmp_path: Path) -> None:
    shards = near_duplicate_shards(2, seed=3)
    step = scan_minhash_shards(tmp_path, shards)
    step.merge_tasks(tmp_path, 2)[0].run()  # one band done "by a worker", the others not
    step.merge(tmp_path, 2)
    serial = find_duplicates([load_shard_signatures(tmp_path, i) for i in range(2)])
    assert [np.load(tmp_path / f"drop-{i:05d}.npy").tolist() for i in range(2)] == [
        m.tolist() for m in serial
    ]


def test_merge_resumes_a_scan_written_by_the_earlier_version(tmp_path: Path) -> None:
    """A run killed after its scans by an earlier version left sig-NNNNN.npz files."""
    shards = near_duplicate_shards(2, seed=5)
    sigs = [signatures(s, MinHasher()) for s in shards]
    for i, sig in enumerate(sigs):
        sig.save(tmp_path / f"sig-{i:05d}.npz")
    step = CorpusMinHashDedup()
    step.merge(tmp_path, 2)
    assert [np.load(tmp_path / f"drop-{i:05d}.npy").tolist() for i in range(2)] == [
        m.tolist() for m in find_duplicates(sigs)
    ]
