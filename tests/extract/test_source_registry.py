"""The source registry: an input a source claims becomes its items, read as pages in shards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from thresher.errors import InputError
from thresher.extract.config import ExtractConfig
from thresher.extract.inputs import Page
from thresher.extract.to_folder import extract_to_folder
from thresher.sources.registry import SOURCES, SourceEntry, register
from thresher.stats import StepStats
from thresher.store.readers import read_documents


class Letters:
    """A toy source: ``letters:abc`` has one item per letter, each one text page; ``x`` is
    an item that cannot be read."""

    def expand(self, spec: str, config: ExtractConfig) -> list[tuple[str, str]]:
        letters = spec.removeprefix("letters:")
        if not letters:
            raise InputError(f"{spec}: no letters")
        return [(f"letters:{c}", "letters") for c in letters]

    def iter_pages(self, locator: str, config: ExtractConfig, stats: StepStats) -> Iterator[Page]:
        c = locator.removeprefix("letters:")
        if c == "x":
            raise InputError(f"{locator}: unreadable")
        text = f"The letter {c} is a fine letter of the alphabet."
        yield Page(source=locator, url=f"https://example.org/{c}", fetched_at=None,
                   payload=text.encode(), kind="text", metadata={"letter": c})  # fmt: skip


@pytest.fixture
def letters() -> Iterator[None]:
    saved = list(SOURCES)
    register(SourceEntry("letters", lambda s: s.startswith("letters:"), f"{__name__}:Letters"))
    yield
    SOURCES[:] = saved


def test_a_claimed_input_is_read_through_its_source_and_an_unreadable_item_is_counted(
    letters: None, tmp_path: Path
) -> None:
    stats = StepStats("extract")
    out = tmp_path / "docs"
    extract_to_folder(["letters:abxc"], out, stats=stats)
    docs = list(read_documents([out]))
    assert [d.metadata["letter"] for d in docs] == ["a", "b", "c"]
    assert stats.counters["errors"] == 1 and stats.counters["error:unreadable"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 3
    # the same run again is recognised by its items' names (they are not files)
    again = StepStats("extract")
    extract_to_folder(["letters:abxc"], out, stats=again)
    assert len(list(read_documents([out]))) == 3


def test_a_spec_its_source_rejects_is_one_input_error(letters: None, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no letters"):
        extract_to_folder(["letters:"], tmp_path / "docs")
    assert not (tmp_path / "docs").exists()
