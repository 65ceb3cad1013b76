"""refine(): output layout, manifest and stats, formats, rerun on the same folder, errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from thresher.errors import InputError, OutputError
from thresher.refine import RefineConfig, build_steps, refine
from thresher.store import verify
from thresher.store.config import OutputConfig

from .helpers import SENTENCES, corpus, write_jsonl


def _records() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for lang, sentences in SENTENCES.items():
        for i, s in enumerate(sentences):
            out.append({"id": f"{lang}-{i}", "url": f"https://{lang}.example/{i}", "text": s})
    out.append({"text": "Navigation\nnavigation"})  # no id; emptied by dedup
    return out


def _light() -> RefineConfig:
    """Dedup and langid on; quality filters off (the sentences are short on purpose)."""
    return RefineConfig.model_validate(
        {
            "length": {"min_length": 0},
            "gopher_repetition": {"enabled": False},
            "gopher_quality": {"enabled": False},
            "c4": {"enabled": False},
            "fineweb": {"enabled": False},
        }
    )


def test_build_steps_order_and_switches() -> None:
    names = [s.name for s in build_steps(RefineConfig())]
    assert names == [
        "paragraph_dedup",
        "langid",
        "length",
        "gopher_repetition",
        "gopher_quality",
        "c4",
        "fineweb",
        "pii",
    ]
    off = RefineConfig.model_validate({"dedup": {"enabled": False}, "pii": {"enabled": False}})
    assert "paragraph_dedup" not in [s.name for s in build_steps(off)]
    assert "pii" not in [s.name for s in build_steps(off)]


def test_layout_manifest_and_stats(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "docs.jsonl", _records())
    out = tmp_path / "out"
    output = OutputConfig(formats=["jsonl.gz", "parquet"])
    result = refine([src], out, _light(), output)
    assert result.languages == {"en": 3, "de": 3, "fr": 3}
    assert result.documents == 9
    for lang in ("en", "de", "fr"):
        assert (out / lang / "all" / "part-00000.jsonl.gz").is_file()
        assert (out / lang / "all" / "part-00000.parquet").is_file()
    assert not (out / ".refine-work").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "refine"
    assert manifest["counts"]["by_folder"] == {"de/all": 3, "en/all": 3, "fr/all": 3}
    assert len(manifest["parts"]) == 6
    stats = json.loads((out / "stats.json").read_text())["steps"]
    assert [s["name"] for s in stats][:3] == ["read", "paragraph_dedup", "langid"]
    assert stats[-1]["name"] == "write" and stats[-1]["kept"] == 9
    assert verify(out).ok
    docs = corpus(out)
    assert docs["de-1"].language == "de" and docs["de-1"].language_score > 0.9
    assert docs["de-1"].bucket == "all"
    assert docs["de-1"].url == "https://de.example/1"
    with gzip.open(out / "en" / "all" / "part-00000.jsonl.gz", "rt") as f:
        first = json.loads(f.readline())
    assert list(first)[:3] == ["id", "url", "source"]


def test_rerun_on_finished_folder_does_nothing(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "docs.jsonl", _records())
    out = tmp_path / "out"
    first = refine([src], out, _light())
    before = (out / "manifest.json").read_bytes()
    again = refine([src], out, _light(), workers=2)  # workers do not change the result
    assert again.skipped and again.documents == first.documents
    assert (out / "manifest.json").read_bytes() == before
    other = _light()
    other.langid.threshold = 0.9
    with pytest.raises(OutputError, match="another run"):
        refine([src], out, other)


def test_inputs_folder_gz_and_parquet(tmp_path: Path) -> None:
    recs = _records()
    write_jsonl(tmp_path / "in" / "a.jsonl", recs[:4])
    with gzip.open(tmp_path / "in" / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in recs[4:7]:
            f.write(json.dumps(r) + "\n")
        f.write("{not json\n")
    first = refine([tmp_path / "in"], tmp_path / "mid", _light(), OutputConfig(formats=["parquet"]))
    assert first.documents == 7
    read = {s.name: s for s in first.stats}["read"]
    assert read.dropped["invalid_json"] == 1
    # refined Parquet is valid input again
    second = refine([tmp_path / "mid"], tmp_path / "again", _light())
    assert second.languages == first.languages


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        refine([tmp_path / "missing.jsonl"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no document files"):
        refine([tmp_path / "empty"], tmp_path / "out")


def test_same_bytes_rewritten_is_the_same_run(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "docs.jsonl", _records())
    out = tmp_path / "out"
    refine([src], out, _light())
    src.write_bytes(src.read_bytes())  # new mtime, same content (a rerun of extract)
    assert refine([src], out, _light()).skipped


def test_overwrite_replaces_an_earlier_run(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "docs.jsonl", _records())
    out = tmp_path / "out"
    refine([src], out, _light())
    (out / "notes.txt").write_text("mine")
    write_jsonl(src, _records()[:3])  # English only now
    with pytest.raises(OutputError, match="another run"):
        refine([src], out, _light())
    result = refine([src], out, _light(), overwrite=True)
    assert result.languages == {"en": 3}
    assert not (out / "de").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert verify(out).ok


def test_refine_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    src = write_jsonl(tmp_path / "docs.jsonl", _records())
    cfg = tmp_path / "refine.yaml"
    cfg.write_text(
        "refine:\n  length: {min_length: 0}\n  gopher_quality: {enabled: false}\n"
        "  c4: {enabled: false}\n"
        "  fineweb: {enabled: false}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "thresher", "refine", str(src), "-o", str(out), "-c", str(cfg)]
    done = subprocess.run([*cmd, "-f", "parquet", "-f", "jsonl"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "9 documents written" in done.stdout
    assert "paragraph_dedup: dropped 1 of 10" in done.stdout
    assert (out / "fr" / "all" / "part-00000.parquet").is_file()
    assert (out / "fr" / "all" / "part-00000.jsonl").is_file()
    bad = tmp_path / "bad.yaml"
    bad.write_text("refine:\n  langid: {treshold: 0.3}\n", encoding="utf-8")
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "thresher",
            "refine",
            str(src),
            "-o",
            str(tmp_path / "o2"),
            "-c",
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1] == (
        f"thresher: error: {bad}: refine.langid.treshold: unknown key"
    )


def test_truncated_gzip_input_keeps_what_came_before(tmp_path: Path) -> None:
    whole = tmp_path / "whole.jsonl.gz"
    with gzip.open(whole, "wt", encoding="utf-8") as f:
        for i in range(300):
            words = " ".join(SENTENCES["en"][i % 3].split()[: 4 + i % 7])
            letters = str(i).translate(str.maketrans("0123456789", "abcdefghij"))
            f.write(json.dumps({"id": f"d{i}", "text": f"{words} {letters}"}) + "\n")
    data = whole.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    result = refine([cut], tmp_path / "out", _light())
    read = {s.name: s for s in result.stats}["read"]
    assert read.dropped["truncated_file"] == 1
    assert 0 < read.kept < 300
    assert result.documents > 0
    assert verify(tmp_path / "out").ok


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet"])
def test_small_parts_of_many_shards_are_joined(tmp_path: Path, fmt: str) -> None:
    recs = _records()[:9]
    for i in range(3):  # three shards, each with one document per language
        write_jsonl(tmp_path / "in" / f"s{i}.jsonl", recs[i::3])
    out = tmp_path / "out"
    output = OutputConfig(formats=[fmt], csv=True)
    result = refine([tmp_path / "in"], out, _light(), output)
    assert result.languages == {"en": 3, "de": 3, "fr": 3}
    for lang in ("en", "de", "fr"):
        assert sorted(p.name for p in (out / lang / "all").iterdir()) == [
            "part-00000.csv",
            f"part-00000.{fmt}",
        ]
    assert verify(out).ok
    docs = corpus(out)
    assert sorted(docs) == sorted(str(r["id"]) for r in recs)
    assert docs["fr-2"].url == "https://fr.example/2"
    # a part size of 1 KB: parts join only up to that size
    small = refine(
        [tmp_path / "in"],
        tmp_path / "small",
        _light(),
        OutputConfig(formats=[fmt], part_bytes=1024),
    )
    assert 6 <= len(small.parts) <= 9
    assert verify(tmp_path / "small").ok
