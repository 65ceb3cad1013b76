"""Refine on a real local Ray instance gives the local executor's corpus."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from thresher.execute import ExecutorConfig
from thresher.refine import RefineConfig, refine
from thresher.store import read_manifest, verify
from thresher.store.config import OutputConfig

from ..refine.helpers import SENTENCES, write_jsonl

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
