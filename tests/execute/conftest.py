"""A real local Ray instance for the tests of one module (skipped where ray is not installed)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    """``ray`` connected to a local instance with 2 CPUs; stopped after the module."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        object_store_memory=128 * 1024 * 1024,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
