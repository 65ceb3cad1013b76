"""A mapped CSV file and an ``hf:`` folder refined on a real local Ray instance: the same
corpus and stats as the local executor (the mapping travels with the shard tasks)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.execute.conftest import ray_instance  # noqa: F401 - the module-scoped fixture
from thresher.execute import ExecutorConfig
from thresher.refine import RefineConfig, refine
from thresher.store import verify
from thresher.store.mapping import FieldMap

from .helpers import partner_records


def _config() -> RefineConfig:
    off = {"enabled": False}
    return RefineConfig.model_validate(
        {
            "length": {"min_length": 0},
            "gopher_repetition": off,
            "gopher_quality": off,
            "c4": off,
            "fineweb": off,
            "fields": {"text": "body", "id": "uid", "url": "meta.url"},
        }
    )


def _inputs(tmp_path: Path) -> list[str]:
    datasets = pytest.importorskip("datasets")
    records = partner_records()
    table = tmp_path / "partner.csv"
    with open(table, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, ["uid", "body", "meta.url"])
        w.writeheader()
        for r in records[:5]:
            w.writerow({"uid": r["uid"], "body": r["body"], "meta.url": r["meta"]["url"]})
    saved = tmp_path / "saved"
    datasets.Dataset.from_list(records[5:]).save_to_disk(str(saved))
    return [str(table), f"hf:{saved}"]


def _parts(out: Path) -> list[tuple[str, str]]:
    manifest = json.loads((out / "manifest.json").read_text())
    return [(p["path"], p["sha256"]) for p in manifest["parts"]]


def test_mapped_inputs_on_ray_match_local(tmp_path: Path, ray_instance: Any) -> None:  # noqa: F811
    files = _inputs(tmp_path)
    cfg = _config()
    assert cfg.fields == FieldMap(text="body", id="uid", url="meta.url")
    local = refine(files, tmp_path / "local", cfg, executor=ExecutorConfig(workers=2))
    ray = refine(files, tmp_path / "ray", cfg, executor=ExecutorConfig(kind="ray", workers=2))
    assert [s.to_dict() for s in ray.stats] == [s.to_dict() for s in local.stats]
    assert _parts(tmp_path / "ray") == _parts(tmp_path / "local")
    assert verify(tmp_path / "ray").ok
    assert local.documents == len(partner_records())
