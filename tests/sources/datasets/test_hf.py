"""``hf:`` datasets and ``hf://`` files as inputs of refine, from local folders, the cache and
a local stand-in for the Hub; nothing is downloaded from the internet."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from thresher.errors import InputError
from thresher.store import read_documents
from thresher.store.hf import is_dataset_spec, parse_spec

from .helpers import error_line, light_config, partner_records, thresher
from .hub_server import SHA, HubStandIn

datasets = pytest.importorskip("datasets")

MAPPING = ["--text-field", "body", "--id-field", "uid", "--url-field", "meta.url"]


def _offline(tmp_path: Path) -> dict[str, str]:
    """An empty cache of our own, offline, and a Hub address nothing listens on."""
    return {
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
    }


def _flat(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The partner records with ``meta`` as columns a dataset can hold in every row."""
    return [{**r, "meta": {"url": r["meta"]["url"], "votes": r["meta"]["votes"]}} for r in records]


def _docs(out: Path) -> dict[str, Any]:
    return {d.id: d for d in read_documents([out])}


def _refined(proc: subprocess.CompletedProcess[str], out: Path) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return _docs(out)


def test_spec_grammar(tmp_path: Path) -> None:
    assert parse_spec("hf:acme/partner").name == "acme/partner"
    s = parse_spec("hf:acme/partner:forum/test")
    assert (s.name, s.config, s.split, s.local) == ("acme/partner", "forum", "test", False)
    assert parse_spec("hf:acme/partner/validation").split == "validation"
    assert parse_spec("hf:acme/partner").split_or_default == "train"
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "dataset_dict.json").write_text('{"splits": ["train", "test"]}')
    local = parse_spec(f"hf:{tmp_path}/saved/test")
    assert (local.name, local.split, local.local) == (str(tmp_path / "saved"), "test", True)
    assert parse_spec(f"hf:{tmp_path}/saved").split is None
    for bad, needle in [
        ("hf:a/b/c/d", "not a dataset name"),
        (f"hf:{tmp_path}/none", "no such dataset folder"),
    ]:
        with pytest.raises(InputError, match=needle):
            parse_spec(bad)
    assert is_dataset_spec("hf:acme/x") and is_dataset_spec(Path("hf:acme/x"))
    assert not is_dataset_spec("hf://datasets/acme/x/data.parquet")


def test_refine_a_saved_dataset_dict_offline(tmp_path: Path) -> None:
    records = _flat(partner_records())
    saved = tmp_path / "saved"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list(records),
            "test": datasets.Dataset.from_list(records[:2]),
        }
    ).save_to_disk(str(saved))
    cfg = light_config(tmp_path)
    env = _offline(tmp_path)
    out = tmp_path / "out"
    docs = _refined(thresher("refine", f"hf:{saved}", "-o", out, "-c", cfg, *MAPPING, env=env), out)
    assert sorted(docs) == sorted(r["uid"] for r in records)  # the train split by default
    en = docs["en-1"]
    assert en.url == "https://en.example/1" and en.language == "en"
    assert en.metadata["meta"] == {"votes": 1} and en.metadata["headline"] == "en 1"
    assert en.source == f"hf:{saved}#2"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["steps"][0]["counters"]["files"] == 1
    # the test split, named as the last segment; a rerun is the same run
    test_out = tmp_path / "test-out"
    proc = thresher("refine", f"hf:{saved}/test", "-o", test_out, "-c", cfg, *MAPPING, env=env)
    assert sorted(_refined(proc, test_out)) == ["en-0", "en-1"]
    again = thresher("refine", f"hf:{saved}/test", "-o", test_out, "-c", cfg, *MAPPING, env=env)
    assert again.returncode == 0 and "already complete" in again.stdout, again.stderr
    # another mapping is another run: refused without --overwrite
    other = thresher(
        "refine", f"hf:{saved}/test", "-o", test_out, "-c", cfg, "--text-field", "headline", env=env
    )
    assert "--overwrite" in error_line(other)


def test_saved_dataset_with_thresher_fields_needs_no_mapping(tmp_path: Path) -> None:
    rows = [
        {"id": f"d{i}", "text": r["body"], "lang_hint": r["lang_hint"]}
        for i, r in enumerate(partner_records())
    ]
    saved = tmp_path / "one"
    datasets.Dataset.from_list(rows).save_to_disk(str(saved))
    out = tmp_path / "out"
    cfg = light_config(tmp_path)
    docs = _refined(
        thresher("refine", f"hf:{saved}", "-o", out, "-c", cfg, env=_offline(tmp_path)), out
    )
    assert sorted(docs) == sorted(r["id"] for r in rows)
    assert docs["d0"].metadata["lang_hint"] == "en"


def test_refine_a_folder_of_data_files(tmp_path: Path) -> None:
    folder = tmp_path / "partner" / "data"
    folder.mkdir(parents=True)
    records = _flat(partner_records())
    with open(folder / "train.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    with open(folder / "test.jsonl", "w") as f:
        f.write(json.dumps(records[0]) + "\n")
    out = tmp_path / "out"
    spec = f"hf:{tmp_path / 'partner'}"
    proc = thresher(
        "refine", spec, "-o", out, "-c", light_config(tmp_path), *MAPPING, env=_offline(tmp_path)
    )
    assert len(_refined(proc, out)) == len(records)
    proc = thresher(
        "refine",
        f"{spec}/test",
        "-o",
        tmp_path / "t",
        "-c",
        light_config(tmp_path),
        *MAPPING,
        env=_offline(tmp_path),
    )
    assert list(_refined(proc, tmp_path / "t")) == ["en-0"]


def test_missing_datasets_and_splits_are_one_line(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list([{"text": "a"}])}).save_to_disk(
        str(saved)
    )
    env = _offline(tmp_path)
    for spec, needle in [
        ("hf:acme/does-not-exist", "not in the local cache"),
        (f"hf:{saved}/nope", "no split 'nope' (splits: train)"),
        (f"hf:{saved}:default/validation", "no split 'validation'"),
        (f"hf:{tmp_path}/missing", "no such dataset folder"),
        ("hf:a/b/c/d", "not a dataset name"),
    ]:
        out = tmp_path / "out"
        line = error_line(thresher("refine", spec, "-o", out, env=env))
        assert spec in line and needle in line, line
        assert not out.exists()


def _hub_repo(root: Path) -> list[dict[str, Any]]:
    """acme/partner on the stand-in: two Parquet files of the train split, one of test."""
    data = root / "acme" / "partner" / "data"
    data.mkdir(parents=True)
    records = _flat(partner_records())
    pq.write_table(pa.Table.from_pylist(records[:5]), data / "train-00000-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist(records[5:]), data / "train-00001-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist(records[:1]), data / "test-00000-of-00001.parquet")
    return records


def _prime(hub: HubStandIn, env: dict[str, str], how: str) -> None:
    """Fill the cache the way a user would: ``load_dataset`` once, or ``hf download``."""
    code = {
        "prepare": "import datasets; datasets.load_dataset('acme/partner', split='train')",
        "download": "import huggingface_hub as h; "
        "h.snapshot_download('acme/partner', repo_type='dataset')",
    }[how]
    online = {k: v for k, v in env.items() if "OFFLINE" not in k} | {"HF_ENDPOINT": hub.url}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **online},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("how", ["prepare", "download"])
def test_hub_dataset_streamed_then_read_offline_from_the_cache(tmp_path: Path, how: str) -> None:
    records = _hub_repo(tmp_path / "hub")
    env = _offline(tmp_path)
    cfg = light_config(tmp_path)
    with HubStandIn(tmp_path / "hub") as hub:
        online = {**{k: v for k, v in env.items() if "OFFLINE" not in k}, "HF_ENDPOINT": hub.url}
        out = tmp_path / "online"
        docs = _refined(
            thresher("refine", "hf:acme/partner", "-o", out, "-c", cfg, *MAPPING, env=online), out
        )
        assert sorted(docs) == sorted(r["uid"] for r in records)
        assert any("/resolve/" in line and "train-00001" in line for line in hub.log)
        _prime(hub, env, how)
    # the stand-in is gone: offline, the same dataset comes from the cache
    out = tmp_path / "offline"
    cached = _refined(
        thresher("refine", "hf:acme/partner", "-o", out, "-c", cfg, *MAPPING, env=env), out
    )
    assert {k: v.text for k, v in cached.items()} == {k: v.text for k, v in docs.items()}
    test_out = tmp_path / "offline-test"
    proc = thresher("refine", "hf:acme/partner/test", "-o", test_out, "-c", cfg, *MAPPING, env=env)
    assert list(_refined(proc, test_out)) == ["en-0"]
    assert json.loads((out / "manifest.json").read_text())["inputs"] == ["hf:acme/partner"]
    # the run's fingerprint counts the cached copy's revision
    code = "from thresher.store.hf import identity; print(identity('hf:acme/partner'))"
    proc = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert proc.returncode == 0 and SHA in proc.stdout, proc.stderr


def test_hf_urls_read_files_of_a_hub_repo(tmp_path: Path) -> None:
    records = _hub_repo(tmp_path / "hub")
    env = {k: v for k, v in _offline(tmp_path).items() if "OFFLINE" not in k}
    with HubStandIn(tmp_path / "hub") as hub:
        env["HF_ENDPOINT"] = hub.url
        out = tmp_path / "out"
        url = "hf://datasets/acme/partner/data/train-*.parquet"
        proc = thresher("refine", url, "-o", out, "-c", light_config(tmp_path), *MAPPING, env=env)
        docs = _refined(proc, out)
        assert sorted(docs) == sorted(r["uid"] for r in records)
        assert (
            docs["en-0"].source == "hf://datasets/acme/partner/data/train-00000-of-00002.parquet#1"
        )
        assert not any("test-00000" in line for line in hub.log)  # only the files matched
        line = error_line(
            thresher(
                "refine", "hf://datasets/acme/partner/data/*.csv", "-o", tmp_path / "x", env=env
            )
        )
        assert "no document files match" in line
        for missing in ("hf://datasets/acme/nope/data/*.parquet", "hf://datasets/acme/nope/data"):
            line = error_line(thresher("refine", missing, "-o", tmp_path / "y", env=env))
            assert f"{missing}: cannot list" in line, line
        # a folder URL: every document file in it (both splits' files here)
        out = tmp_path / "folder"
        cfg = light_config(tmp_path)
        proc = thresher(
            "refine", "hf://datasets/acme/partner/data", "-o", out, "-c", cfg, *MAPPING, env=env
        )
        assert proc.returncode == 0, proc.stderr
        read = json.loads((out / "stats.json").read_text())["steps"][0]
        assert (read["counters"]["files"], read["seen"]) == (3, len(records) + 1)


def test_a_hub_that_fails_mid_dataset_stops_in_one_line(tmp_path: Path) -> None:
    _hub_repo(tmp_path / "hub")
    env = {k: v for k, v in _offline(tmp_path).items() if "OFFLINE" not in k}
    with HubStandIn(tmp_path / "hub") as hub:
        hub.refuse.add("train-00001")  # the second file of the split
        env["HF_ENDPOINT"] = hub.url
        out = tmp_path / "out"
        proc = thresher("refine", "hf:acme/partner", "-o", out, *MAPPING, env=env)
        line = error_line(proc)
        assert re.search(r"hf:acme/partner: reading stopped after row \d+: 403", line), line
        assert not any(out.rglob("part-*"))


def test_export_and_chunks_read_hf_urls_too(tmp_path: Path) -> None:
    records = _hub_repo(tmp_path / "hub")
    env = {k: v for k, v in _offline(tmp_path).items() if "OFFLINE" not in k}
    with HubStandIn(tmp_path / "hub") as hub:
        env["HF_ENDPOINT"] = hub.url
        url = "hf://datasets/acme/partner/data/train-*.parquet"
        out = tmp_path / "docs.jsonl"
        proc = thresher("export", url, "-o", out, *MAPPING, env=env)
        assert proc.returncode == 0, proc.stderr
        assert len(out.read_text().splitlines()) == len(records)
        proc = thresher("chunks", url, "-o", tmp_path / "chunks", *MAPPING, env=env)
        assert proc.returncode == 0, proc.stderr


def test_an_unreachable_hub_online_is_the_error_line_alone(tmp_path: Path) -> None:
    """Online with nothing listening at the Hub address: one line, and none of
    huggingface_hub's retry warnings around it."""
    env = {**_offline(tmp_path), "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}
    proc = thresher("refine", "hf:acme/partner", "-o", tmp_path / "out", env=env)
    line = error_line(proc)
    assert "cannot reach the Hub" in line, line
    # refine's own progress lines ("[thresher] refine: ...") aside: a slow step is announced
    said = [x for x in proc.stderr.strip().splitlines() if not x.startswith("[thresher] ")]
    assert said == [line], proc.stderr
