"""Paragraph dedup across shards, with both policies, through the step and through refine()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thresher.document import Document
from thresher.pipeline import Pipeline
from thresher.refine import RefineConfig, refine
from thresher.refine.config import DedupConfig
from thresher.refine.dedup import ParagraphDedup, _partition_bits, line_hashes

from .helpers import corpus, write_jsonl


def _only_dedup(policy: str = "ccnet", **dedup: object) -> RefineConfig:
    cfg = RefineConfig.model_validate(
        {
            "dedup": {"policy": policy, **dedup},
            "langid": {"enabled": False},
            "length": {"min_length": 0},
            "gopher_repetition": {"enabled": False},
            "gopher_quality": {"enabled": False},
            "c4": {"enabled": False},
            "fineweb": {"enabled": False},
            "pii": {"enabled": False},
        }
    )
    return cfg


def _shards(tmp_path: Path) -> list[Path]:
    a = write_jsonl(
        tmp_path / "in" / "a.jsonl",
        [
            {"id": "a1", "text": "Shared header\nUnique alpha text\nCookie notice"},
            {"id": "a2", "text": "Unique beta text\nshared HEADER"},
            {"id": "a3", "text": "Only boilerplate\nOnly boilerplate"},
        ],
    )
    b = write_jsonl(
        tmp_path / "in" / "b.jsonl",
        [
            {"id": "b1", "text": "Cookie notice\nUnique gamma text\n\nEnd 2021"},
            {"id": "b2", "text": "Shared header"},
            {"id": "b3", "text": "Unique delta text\nEnd 1999"},
        ],
    )
    return [a, b]


def test_line_hashes_skip_empty_and_short() -> None:
    hs = line_hashes("Hello\n\n  \nhi\n…", min_chars=3)
    assert hs[1] == hs[2] == hs[3] == hs[4] == 0
    assert hs[0] != 0


def test_ccnet_policy_removes_every_copy_across_shards(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    out = tmp_path / "out"
    result = refine(shards, out, _only_dedup("ccnet"))
    docs = corpus(out)
    assert docs["a1"].text == "Unique alpha text"
    assert docs["a2"].text == "Unique beta text"
    assert "a3" not in docs  # left empty: dropped
    assert docs["b1"].text == "Unique gamma text\n"  # the blank line is never deduplicated
    assert "b2" not in docs
    assert docs["b3"].text == "Unique delta text"  # "End 2021" == "End 1999" after normalising
    st = {s.name: s for s in result.stats}["paragraph_dedup"]
    assert st.dropped["empty after dedup"] == 2
    assert st.counters["paragraphs removed"] == 9


def test_keep_first_policy_keeps_the_first_copy(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    out = tmp_path / "out"
    refine(shards, out, _only_dedup("keep-first"), workers=2)
    docs = corpus(out)
    assert docs["a1"].text == "Shared header\nUnique alpha text\nCookie notice"
    assert docs["a2"].text == "Unique beta text"
    assert docs["a3"].text == "Only boilerplate"
    assert docs["b1"].text == "Unique gamma text\n\nEnd 2021"
    assert "b2" not in docs
    assert docs["b3"].text == "Unique delta text"


def test_min_chars_protects_short_paragraphs(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    out = tmp_path / "out"
    refine(shards, out, _only_dedup("ccnet", min_chars=14))
    docs = corpus(out)
    assert docs["b3"].text == "Unique delta text\nEnd 1999"  # "end 0000" is under 14 chars
    assert docs["a1"].text == "Shared header\nUnique alpha text\nCookie notice"  # 13 chars
    assert docs["b2"].text == "Shared header"
    assert "a3" not in docs  # "only boilerplate" has 16 chars


@pytest.mark.parametrize("policy", ["ccnet", "keep-first"])
def test_hash_partitions_give_the_same_result(tmp_path: Path, policy: str) -> None:
    shards = _shards(tmp_path)
    refine(shards, tmp_path / "one", _only_dedup(policy))
    cfg = _only_dedup(policy, memory_mb=16)
    # force 8 partitions by pretending the budget is tiny
    import thresher.refine.dedup as dedup

    original = dedup._partition_bits
    dedup._partition_bits = lambda entries, memory_mb: 3  # type: ignore[assignment]
    try:
        result = refine(shards, tmp_path / "many", cfg)
    finally:
        dedup._partition_bits = original
    st = {s.name: s for s in result.stats}["paragraph_dedup"]
    assert st.counters["hash partitions"] == 8
    one = {k: d.text for k, d in corpus(tmp_path / "one").items()}
    many = {k: d.text for k, d in corpus(tmp_path / "many").items()}
    assert one == many


def test_partition_bits_fit_the_memory_budget() -> None:
    assert _partition_bits(1000, 1024) == 0
    bits = _partition_bits(1_000_000_000, 1024)
    assert 16 * 1_000_000_000 / (1 << bits) <= 1024 * 1024 * 1024
    assert bits == 4


@pytest.mark.parametrize("policy", ["ccnet", "keep-first"])
def test_step_alone_in_a_pipeline(policy: str) -> None:
    docs = [
        Document(text="alpha\nbeta", id="1"),
        Document(text="Beta\ngamma", id="2"),
        Document(text="delta", id="3"),
    ]
    step = ParagraphDedup(DedupConfig(policy=policy))  # type: ignore[arg-type]
    out = {d.id: d.text for d in Pipeline([step]).run(docs)}
    if policy == "ccnet":
        assert out == {"1": "alpha", "2": "gamma", "3": "delta"}
    else:
        assert out == {"1": "alpha\nbeta", "2": "gamma", "3": "delta"}


def test_hash_files_are_uint64(tmp_path: Path) -> None:
    step = ParagraphDedup()
    step.scan_shard([Document(text="a\nb\na")], tmp_path, 0)
    lines = np.load(tmp_path / "00000.lines.npy")
    assert lines.dtype == np.uint64 and len(lines) == 3
    assert np.load(tmp_path / "00000.dups.npy").tolist() == [int(lines[0])]


@pytest.mark.parametrize("policy", ["ccnet", "keep-first"])
def test_one_file_cut_into_ranges_for_workers_gives_the_same_corpus(
    tmp_path: Path, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import thresher.refine.shards as refine_shards

    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    records = [
        {"id": f"d{i}", "text": f"Menu\nparagraph {words[i % 10]} {words[i // 10 % 5]}\nEnd"}
        for i in range(60)
    ]
    src = write_jsonl(tmp_path / "one.jsonl", records)
    with open(src, "a", encoding="utf-8") as f:
        f.write("{broken\n")
    one = refine([src], tmp_path / "w1", _only_dedup(policy))
    monkeypatch.setattr(refine_shards, "MIN_SHARD_DOCS", 10)
    three = refine([src], tmp_path / "w3", _only_dedup(policy), workers=3)
    texts1 = {k: d.text for k, d in corpus(tmp_path / "w1").items()}
    texts3 = {k: d.text for k, d in corpus(tmp_path / "w3").items()}
    assert texts1 == texts3
    # d50..d59 repeat d0..d9; "Menu" and "End" are everywhere
    assert len(texts1) == (40 if policy == "ccnet" else 50)
    read1 = {s.name: s for s in one.stats}["read"]
    read3 = {s.name: s for s in three.stats}["read"]
    assert read1.to_dict() == read3.to_dict()
    assert read3.kept == 60 and read3.dropped["invalid_json"] == 1
    assert len(list((tmp_path / "w3" / "unknown").rglob("part-*"))) >= 1
