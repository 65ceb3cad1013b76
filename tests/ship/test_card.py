"""The dataset card: its YAML header is what the Hub and ``datasets`` read, its globs select
exactly the parts of each language and bucket, and ``datasets``, DuckDB and Polars load the
same counts as the manifest."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.core.test_object_storage import BUCKET, s3  # noqa: F401 - the S3 server fixture
from thresher.ship.card import card_configs, size_category
from thresher.store import read_manifest, verify


def _header(card: Path) -> dict[str, Any]:
    text = card.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    return yaml.safe_load(head)


def _expected_counts(manifest: dict[str, Any]) -> dict[str, int]:
    """Documents per config name, from the manifest's folders."""
    by_folder = manifest["counts"]["by_folder"]
    expected = {"default": manifest["counts"]["documents"]}
    for folder, n in by_folder.items():
        lang = folder.split("/")[0]
        expected[lang] = expected.get(lang, 0) + n
        expected[folder.replace("/", "-")] = n
    return expected


def _parquet_parts(manifest: dict[str, Any]) -> list[str]:
    return [p["path"] for p in manifest["parts"] if p["path"].endswith(".parquet")]


def test_size_categories() -> None:
    assert size_category(0) == "n<1K"
    assert size_category(999) == "n<1K"
    assert size_category(1000) == "1K<n<10K"
    assert size_category(2_500_000) == "1M<n<10M"
    assert size_category(10**13) == "n>1T"


def test_flat_and_language_only_folders() -> None:
    flat = card_configs({".": 5}, "jsonl.gz")
    assert flat == [
        {"config_name": "default", "default": True,
         "data_files": [{"split": "train", "path": "part-*.jsonl.gz"}]}
    ]  # fmt: skip
    by_lang = card_configs({"en": 2, "de": 1}, "parquet")
    assert [c["config_name"] for c in by_lang] == ["default", "de", "en"]
    assert by_lang[0]["data_files"][0]["path"] == "*/part-*.parquet"


def test_card_header_and_globs_match_the_parts(demo_root: Path) -> None:
    corpus = demo_root / "corpus"
    manifest = read_manifest(corpus)
    header = _header(corpus / "README.md")
    assert header["language"] == ["de", "en", "es", "fr"]
    assert header["license"] == "other"
    assert header["size_categories"] == ["n<1K"]
    assert header["task_categories"] == ["text-generation"]
    expected = _expected_counts(manifest)
    names = [c["config_name"] for c in header["configs"]]
    assert sorted(names) == sorted(expected)
    parts = _parquet_parts(manifest)
    by_part = {p["path"]: p["documents"] for p in manifest["parts"]}
    for config in header["configs"]:
        (files,) = config["data_files"]
        assert files["split"] == "train"
        matched = [p for p in parts if fnmatch.fnmatchcase(p, files["path"])]
        assert matched, config
        # fnmatch's * crosses '/', the Hub's glob does not: check segment by segment too
        assert all(p.count("/") == files["path"].count("/") for p in matched)
        assert sum(by_part[p] for p in matched) == expected[config["config_name"]]
    assert verify(corpus).ok  # the card beside the parts is not a stray part


def test_card_body_says_how_the_data_was_made(demo_root: Path) -> None:
    text = (demo_root / "corpus" / "README.md").read_text(encoding="utf-8")
    for needed in ("## How the data was made", "### Inputs", "documents/part-00000.jsonl.gz",
                   "| paragraph_dedup | 53 | 50 | 3 | empty after dedup: 3 |",
                   "### Opt-outs honoured", "| robots-disallowed | 1 |", "### Configuration",
                   "gopher_quality:", "## Known limits", "`thresher verify DIR`"):  # fmt: skip
        assert needed in text, needed
    assert "\n# run\n" in text  # a run root's corpus is named after the run


def test_datasets_duckdb_and_polars_load_the_manifest_counts(
    demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import duckdb
    import polars as pl

    import datasets

    corpus = demo_root / "corpus"
    expected = _expected_counts(read_manifest(corpus))
    configs = {c["config_name"]: c for c in _header(corpus / "README.md")["configs"]}
    for name in ("default", "en", "de-tail"):
        glob = str(corpus / configs[name]["data_files"][0]["path"])
        ds = datasets.load_dataset(
            "parquet", data_files={"train": glob}, split="train", cache_dir=str(tmp_path / "c")
        )
        assert ds.num_rows == expected[name], name
        assert set(ds.column_names) >= {"id", "text", "language", "bucket", "metadata"}
    con = duckdb.connect()
    for name, config in configs.items():
        glob = str(corpus / config["data_files"][0]["path"])
        (n,) = con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()
        assert n == expected[name], name
        assert pl.scan_parquet(glob).select(pl.len()).collect().item() == expected[name], name


def _cli(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thresher", *map(str, args)],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def test_refine_writes_the_card_with_the_configured_licence(
    demo_root: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("output:\n  license: cc-by-4.0\n  formats: [parquet]\n", encoding="utf-8")
    out = tmp_path / "corpus"
    done = _cli("refine", demo_root / "documents", "-o", out, "--config", cfg)
    assert done.returncode == 0, done.stderr
    header = _header(out / "README.md")
    assert header["license"] == "cc-by-4.0"
    assert "not crawled by this run" in (out / "README.md").read_text(encoding="utf-8")
    # no language model: one bucket 'all' per language, still a config per folder
    manifest = read_manifest(out)
    assert sorted(c["config_name"] for c in header["configs"]) == sorted(_expected_counts(manifest))
    cfg.write_text("output:\n  license: odc-by\n  formats: [parquet]\n", encoding="utf-8")
    again = _cli("refine", demo_root / "documents", "-o", out, "--config", cfg)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert _header(out / "README.md")["license"] == "odc-by"  # a skip still updates the card


def test_bad_licence_is_one_line(demo_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("output:\n  license: ''\n", encoding="utf-8")
    done = _cli("refine", demo_root / "documents", "-o", tmp_path / "c", "--config", cfg)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "license" in done.stderr
    assert not (tmp_path / "c").exists()


def test_card_is_published_with_an_object_store_corpus(
    demo_root: Path,
    s3: dict[str, str],  # noqa: F811
) -> None:
    import s3fs

    url = f"s3://{BUCKET}/card-corpus"
    done = _cli("refine", demo_root / "documents", "-o", url, "-f", "parquet", env=s3)
    assert done.returncode == 0, done.stderr
    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    text = fs.cat_file(f"{BUCKET}/card-corpus/README.md").decode()
    header = yaml.safe_load(text[4:].partition("\n---\n")[0])
    assert header["language"] == ["de", "en", "es", "fr"]
    assert "| read | 53 | 53 | 0 | - |" in text
    assert _cli("verify", url, env=s3).returncode == 0
