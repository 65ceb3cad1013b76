"""A run's work folder in an object store, mirrored, for jobs with rounds (refine) whose
tasks share no disk with the driver (:class:`~thresher.execute.run_folder.MirroredRun`).

The work folder (the same layout as a local one) lives under the output's staging prefix,
``URL/.staging-FP/work/``. A task runs in a private local scratch folder: it downloads what
earlier rounds left for its shard (the files of the round summaries' ``step*`` folders named
with the shard's five-digit number, as every refine CorpusStep names them), runs, then
uploads what it wrote, its marker last. The driver mirrors the prefix into its own work
folder before each of its phases (a merge, a calibration, finalise) and uploads what it wrote
after, so a driver killed anywhere resumes from the marker objects, on this machine or
another one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from thresher.errors import OutputError
from thresher.store.markers import MARKER_SUFFIX
from thresher.store.paths import part_path
from thresher.store.remote import filesystem


def shard_files(shard: int) -> Callable[[str], bool]:
    """Whether a work-folder path is one of shard ``shard``'s CorpusStep summaries."""
    token = re.compile(rf"(?<!\d){shard:05d}(?!\d)")
    return lambda rel: rel.startswith("step") and bool(token.search(rel.rsplit("/", 1)[-1]))


def _local_files(root: Path) -> dict[str, int]:
    """Every file under ``root`` (relative path → size), temporary files aside."""
    if not root.is_dir():
        return {}
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            found[path.relative_to(root).as_posix()] = path.stat().st_size
    return found


class RemoteWork:
    """One run's work folder under an object-store prefix, mirrored to and from local ones."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = filesystem(self.url)

    def _listing(self, under: str = "") -> dict[str, int]:
        """Every object under the prefix (only in its top-level folders whose name starts
        with ``under``, when given): relative path → size."""
        self.fs.invalidate_cache(self.root)
        try:
            tops = [self.root]
            if under:
                tops = [
                    e for e in self.fs.ls(self.root, detail=False)
                    if e.rstrip("/").rsplit("/", 1)[-1].startswith(under)
                ]  # fmt: skip
            found: dict[str, Any] = {}
            for top in tops:
                found.update(self.fs.find(top, detail=True))
        except FileNotFoundError:
            return {}
        cut = len(self.root) + 1
        return {k[cut:]: int(v.get("size") or 0) for k, v in found.items() if len(k) > cut}

    def pull(self, local: Path, want: Callable[[str], bool] | None = None, under: str = "") -> None:
        """Download the objects ``local`` lacks (or holds at another size), those ``want``
        accepts when given (listing only the top-level folders named ``under*``); each
        lands under a temporary name and is renamed."""
        try:
            for rel, size in sorted(self._listing(under).items()):
                dst = part_path(local, rel, self.url)  # a key with '..' never lands outside
                if (want is not None and not want(rel)) or (
                    dst.is_file() and dst.stat().st_size == size
                ):
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                tmp = dst.with_name(f".{dst.name}.part")
                self.fs.get_file(f"{self.root}/{rel}", str(tmp))
                os.replace(tmp, dst)
        except (OSError, ValueError) as e:
            raise OutputError(f"{self.url}: cannot read the work folder: {e}") from None

    def push(self, local: Path, only: set[str] | None = None) -> None:
        """Upload the files of ``local`` the prefix lacks (or holds at another size), those
        in ``only`` when given; markers (``*.done.json``) last, so a marker object is never
        there before the files it vouches for."""
        remote = self._listing()
        todo = [
            rel
            for rel, size in _local_files(local).items()
            if (only is None or rel in only) and remote.get(rel) != size
        ]
        todo.sort(key=lambda rel: (rel.endswith(MARKER_SUFFIX), rel))
        try:
            for rel in todo:
                self.fs.put_file(str(local / rel), f"{self.root}/{rel}")
        except (OSError, ValueError) as e:
            raise OutputError(f"{self.url}: cannot write the work folder: {e}") from None

    def run_in_scratch(
        self, shard: int, root_of: Callable[[Path], Path], body: Callable[[Path], Any]
    ) -> Any:
        """Run ``body(scratch)`` in a private scratch folder holding shard ``shard``'s
        summaries (in ``root_of(scratch)``, the work folder), then upload what it wrote."""
        from thresher.store.remote_shards import remove_scratch, scratch_folder

        scratch = scratch_folder()
        try:
            root = root_of(scratch)
            root.mkdir(parents=True, exist_ok=True)
            self.pull(root, shard_files(shard), under="step")  # not every shard's parts
            before = set(_local_files(root))
            result = body(scratch)
            self.push(root, set(_local_files(root)) - before)
            return result
        finally:
            remove_scratch(scratch)
