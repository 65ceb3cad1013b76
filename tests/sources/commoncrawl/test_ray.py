"""Common Crawl items spread over a local Ray instance give what the local executor gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.execute.conftest import ray_instance  # noqa: F401  (the module's Ray fixture)
from tests.sources.commoncrawl.crawl import CRAWL, Snapshot, build
from tests.sources.commoncrawl.servers import Servers, cc_servers
from thresher.execute import ExecutorConfig
from thresher.extract.config import ExtractConfig
from thresher.extract.to_folder import extract_to_folder
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.stats import StepStats
from thresher.store.readers import read_documents

pytestmark = pytest.mark.usefixtures("ray_instance")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Snapshot, Servers]]:
    snap = build(tmp_path / "data")
    with cc_servers(snap.root, {CRAWL: snap.rows}) as s:
        yield snap, s


@pytest.mark.parametrize("spec", [f"cc:{CRAWL}", f"cc:{CRAWL}/*.example.org"])
def test_items_on_ray_match_the_local_executor(
    servers: tuple[Snapshot, Servers],
    tmp_path: Path,
    spec: str,
) -> None:
    _, srv = servers
    cc = CommonCrawlConfig(index_server=srv.index_url, data_server=srv.data_url)
    config = ExtractConfig(cc=cc)
    runs = {}
    for kind in ("local", "ray"):
        stats = StepStats("extract")
        out = tmp_path / kind
        before = len(srv.data.served)
        extract_to_folder([spec], out, config, stats=stats,
                          executor=ExecutorConfig(kind=kind, workers=2))  # type: ignore[arg-type]  # fmt: skip
        runs[kind] = ([(d.id, d.source) for d in read_documents([out])], stats.counters,
                      len(srv.data.served) - before)  # fmt: skip
    assert runs["ray"] == runs["local"] and runs["ray"][0]
