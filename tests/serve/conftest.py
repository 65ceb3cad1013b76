from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawl.site import SiteServer


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """A local site on 127.0.0.1 that logs every request (tests add routes)."""
    server = SiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def other_site() -> Iterator[SiteServer]:
    """A second origin (another port)."""
    server = SiteServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The reader's default cache goes under the test's folder, never the user's."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home
