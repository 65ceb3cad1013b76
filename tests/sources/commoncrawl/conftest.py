"""A Common Crawl snapshot of our own (WARC and WET files, its index rows) served by a local
CDX index server and a range-capable data server, for every test of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.commoncrawl.crawl import CRAWL, Snapshot, build
from tests.sources.commoncrawl.servers import Servers, cc_servers


@pytest.fixture
def snap(tmp_path: Path) -> Snapshot:
    return build(tmp_path / "data")


@pytest.fixture
def servers(snap: Snapshot) -> Iterator[Servers]:
    with cc_servers(snap.root, {CRAWL: snap.rows}) as s:
        yield s
