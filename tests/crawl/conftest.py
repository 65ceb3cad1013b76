from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.site import SiteServer


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer().start()
    yield server
    server.stop()
