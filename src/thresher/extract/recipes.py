"""Recipes: YAML selectors that turn list and item pages (forums, catalogues) into records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from thresher.document import Document
from thresher.errors import ConfigError
from thresher.stats import StepStats


def load_recipe(path: str) -> Any:
    """Load and validate a recipe file."""
    raise ConfigError(f"{path}: recipes are not supported yet")


def extract_records(inputs: list[str], config: Any, *, stats: StepStats) -> Iterator[Document]:
    """Structured records from the pages a recipe matches."""
    load_recipe(config.recipe)
    yield from ()
