from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.site import SiteServer


def _serve() -> Iterator[SiteServer]:
    server = SiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """A local site on 127.0.0.1 (an empty one: tests add routes)."""
    yield from _serve()


@pytest.fixture
def other_site() -> Iterator[SiteServer]:
    """A second origin (another port), for tests about more than one host."""
    yield from _serve()
