"""--dedup-against and --keep-dropped on a real local Ray instance (2 CPUs): the same corpus,
dropped documents and paragraph hashes as the local executor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.execute.conftest import ray_instance  # noqa: F401 - the module-scoped fixture
from thresher.execute import ExecutorConfig
from thresher.refine import refine
from thresher.refine.paragraph_hashes import HASHES
from thresher.store import verify
from thresher.store.config import OutputConfig

from .test_dedup_against import config
from .test_keep_dropped import inputs


def _parts(out: Path) -> list[tuple[str, str]]:
    return [
        (p["path"], p["sha256"]) for p in json.loads((out / "manifest.json").read_text())["parts"]
    ]


def test_against_and_keep_dropped_on_ray_match_local(
    tmp_path: Path,
    ray_instance: Any,  # noqa: F811
) -> None:
    files = inputs(tmp_path)
    refine(files[0], tmp_path / "OLD", config())
    cfg = config(against=[str(tmp_path / "OLD")])
    output = OutputConfig(keep_dropped=True)
    local = refine(files, tmp_path / "local", cfg, output, executor=ExecutorConfig(workers=2))
    ray = refine(
        files, tmp_path / "ray", cfg, output, executor=ExecutorConfig(kind="ray", workers=2)
    )
    assert [s.to_dict() for s in ray.stats] == [s.to_dict() for s in local.stats]
    for rel in ("", "dropped"):
        assert _parts(tmp_path / "ray" / rel) == _parts(tmp_path / "local" / rel)
        assert verify(tmp_path / "ray" / rel).ok
    assert (tmp_path / "ray" / HASHES).read_bytes() == (tmp_path / "local" / HASHES).read_bytes()
    st = next(s for s in ray.stats if s.name == "paragraph_dedup")
    assert st.dropped["in earlier corpus"] > 0
