"""Shard markers: how a shard run by any executor says it is complete, and how a rerun knows.

A shard stages its output in its own folder and writes a JSON *marker* last (atomically), so
a marker means the shard is complete and a shard without one is done again from scratch.
``extract`` (:class:`~thresher.store.folder.DocumentsFolder`) and ``refine``
(:mod:`thresher.refine.work`) both keep their shards as :class:`ShardSlots`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from thresher.atomic import write_json
from thresher.store.paths import check_marker

MARKER_SUFFIX = ".done.json"


def read_marker(path: Path) -> dict[str, Any] | None:
    """What a finished task recorded in its marker; None when it has not finished."""
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return check_marker(data, path) if isinstance(data, dict) else data


def write_marker(path: Path, info: dict[str, Any]) -> None:
    """Record a task as finished (atomically: the marker is there whole or not at all)."""
    write_json(path, info)


def fresh_stage(stage: Path) -> Path:
    """The staging folder of a task about to run, emptied of what a killed attempt left."""
    if stage.exists():
        shutil.rmtree(stage)
    return stage


class ShardSlots:
    """The numbered shards under one folder: ``NNNNN/`` stages a shard's output and
    ``NNNNN.done.json`` is its marker."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def stage(self, shard: int) -> Path:
        """The folder where shard ``shard`` stages its parts (beside its marker)."""
        return self.root / f"{shard:05d}"

    def marker(self, shard: int) -> Path:
        """The marker a finished shard leaves (JSON: its parts, documents and stats)."""
        return self.root / f"{shard:05d}{MARKER_SUFFIX}"

    def done(self, shard: int) -> dict[str, Any] | None:
        """The marker of shard ``shard`` when it finished, else None."""
        return read_marker(self.marker(shard))

    def unfinished(self, shards: int) -> list[int]:
        """The shards among ``0..shards-1`` without a marker, in order."""
        return [i for i in range(shards) if not self.marker(i).is_file()]
