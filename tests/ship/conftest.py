"""Shared fixtures of the ship tests: one real demo run (crawl → extract → refine on the
shipped site served on 127.0.0.1), made once per session and only read by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from thresher.demo.run import run_demo

    out = tmp_path_factory.mktemp("demo") / "run"
    run_demo(out)
    return out
