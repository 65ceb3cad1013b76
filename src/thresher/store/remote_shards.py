"""Shards staged in an object store, for runs whose tasks share no disk with the driver.

A task writes its shard's parts into a private local scratch folder, uploads them under the
run's staging prefix and writes its marker object last; the driver reads only objects (the
plan, the markers, the staged parts) and commits by the publish of :mod:`thresher.store.remote`:
final parts staged, the staged manifest, server-side copies to the final keys, the manifest.

Layout under ``URL/.staging-FP/`` (FP: the run's fingerprint)::

    plan.json                      the shards, saved by the first attempt (a resume keeps it)
    shards/NNNNN/part-*.FMT        what shard NNNNN wrote
    shards/NNNNN.done.json         its marker: parts, documents, stats (written last)
    part-NNNNN.FMT, stats.json     the committed parts, staged (then manifest.json)

Object stores write an object whole or not at all, so a marker object means its shard is
complete; a shard without one is done again from scratch.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from thresher.errors import OutputError
from thresher.stats import StepStats
from thresher.store.join import Final, join_parts, plan_finals
from thresher.store.manifest import MANIFEST, STATS, write_manifest
from thresher.store.markers import MARKER_SUFFIX
from thresher.store.paths import check_marker
from thresher.store.remote import RemoteFolder, filesystem, read_object, staging_name
from thresher.store.writers import DEFAULT_PART_BYTES, Part, sha256_file

PLAN = "plan.json"


def _rm(fs: Any, path: str) -> None:
    """Remove a prefix and everything under it (nothing there is fine)."""
    with contextlib.suppress(FileNotFoundError):
        fs.rm(path, recursive=True)


class RemoteSlots:
    """The numbered shards under one object-store prefix, like
    :class:`~thresher.store.markers.ShardSlots`: ``NNNNN/`` holds a shard's parts and
    ``NNNNN.done.json`` is its marker. Stages and markers are URLs."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = filesystem(self.url)

    def stage(self, shard: int) -> str:
        return f"{self.url}/{shard:05d}"

    def marker(self, shard: int) -> str:
        return f"{self.url}/{shard:05d}{MARKER_SUFFIX}"

    def done(self, shard: int) -> dict[str, Any] | None:
        """The marker object of shard ``shard`` when it finished, else None."""
        path = f"{self.root}/{shard:05d}{MARKER_SUFFIX}"
        info = read_object(self.fs, path, self.marker(shard))
        return None if info is None else check_marker(info, self.marker(shard))

    def finished(self) -> set[int]:
        """The shards with a marker object (one listing, not one request per shard)."""
        try:
            names = [n.rstrip("/").rsplit("/", 1)[-1] for n in self.fs.ls(self.root, detail=False)]
        except FileNotFoundError:
            return set()
        return {int(n[: -len(MARKER_SUFFIX)]) for n in names if n.endswith(MARKER_SUFFIX)}


def scratch_folder() -> Path:
    """A private local folder for one task's parts (under the task's own TMPDIR)."""
    return Path(tempfile.mkdtemp(prefix="thresher-shard-"))


def upload_shard(local: Path, parts: Sequence[Part], stage: str, marker: str,
                 info: dict[str, Any]) -> None:  # fmt: skip
    """Upload a finished shard's ``parts`` from ``local`` to ``stage``, then its marker.

    Whatever a killed attempt left under ``stage`` goes first; the marker is the last
    write, so the driver never sees a marker whose parts are not all there."""
    fs, root = filesystem(stage)
    _, marker_path = filesystem(marker)
    try:
        fs.invalidate_cache(root)
        _rm(fs, root)
        for p in parts:
            fs.put_file(str(local / p.path), f"{root}/{p.path}")
        fs.pipe_file(marker_path, json.dumps(info, ensure_ascii=False).encode())
    except (OSError, ValueError) as e:
        raise OutputError(f"{stage}: cannot upload the shard: {e}") from None


class RemoteRun:
    """The staging prefix of one run into an object-store folder: plan, shard slots, commit."""

    def __init__(self, folder: RemoteFolder, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.name = staging_name(fingerprint)
        self.url = f"{folder.url}/{self.name}"
        self.shards = RemoteSlots(f"{self.url}/shards")

    def plan(self) -> dict[str, Any] | None:
        """The plan an earlier attempt of this run saved, or None."""
        self.folder.fs.invalidate_cache(self.folder.key(self.name))
        plan = read_object(self.folder.fs, self.folder.key(f"{self.name}/{PLAN}"), self.url)
        return plan if plan is not None and plan.get("fingerprint") == self.fingerprint else None

    def save_plan(self, plan: dict[str, Any]) -> None:
        data = {**plan, "fingerprint": self.fingerprint}
        self._put(PLAN, json.dumps(data, ensure_ascii=False).encode())

    def abort(self) -> None:
        """Drop everything this run staged (the folder's committed output stays)."""
        _rm(self.folder.fs, self.folder.key(self.name))

    def _put(self, rel: str, data: bytes) -> None:
        try:
            self.folder.fs.pipe_file(self.folder.key(f"{self.name}/{rel}"), data)
        except (OSError, ValueError) as e:
            raise OutputError(f"{self.url}/{rel}: cannot write: {e}") from None

    def commit_shards(
        self,
        shards: Sequence[Sequence[Part]],
        *,
        kind: str,
        formats: Sequence[str],
        part_bytes: int = DEFAULT_PART_BYTES,
        config: Any = None,
        inputs: Sequence[str | Path] = (),
        stats: Iterable[StepStats] = (),
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Stage the final parts (server-side copies; joined parts through a driver-local
        temporary folder), ``stats.json`` and the manifest, then publish; the manifest."""
        finals = plan_finals(shards, formats, part_bytes)
        with tempfile.TemporaryDirectory(prefix="thresher-commit-") as tmp:
            try:
                parts = [self._stage_final(f, Path(tmp)) for f in finals]
            except (OSError, ValueError) as e:
                raise OutputError(f"{self.url}: cannot stage the final parts: {e}") from None
            extra = {"fingerprint": self.fingerprint, **(extra or {})}
            write_manifest(tmp, kind=kind, config=config, inputs=inputs, parts=parts,
                           stats=stats, extra=extra)  # fmt: skip
            self._put(STATS, (Path(tmp) / STATS).read_bytes())
            manifest: dict[str, Any] = json.loads((Path(tmp) / MANIFEST).read_text("utf-8"))
        self.folder.commit_staged(self.fingerprint, manifest)
        return manifest

    def _stage_final(self, final: Final, tmp: Path) -> Part:
        fs = self.folder.fs
        dst = self.folder.key(f"{self.name}/{final.path}")
        keys = [f"{self.shards.root}/{i:05d}/{p.path}" for i, p in final.sources]
        if len(keys) == 1:
            fs.copy(keys[0], dst)
            p = final.sources[0][1]
            return Part(final.path, p.sha256, p.documents, p.bytes)
        srcs = []
        for n, key in enumerate(keys):
            local = tmp / f"src-{n:05d}.{final.fmt}"
            fs.get_file(key, str(local))
            srcs.append(local)
        joined = tmp / final.path
        join_parts(srcs, joined, final.fmt)
        fs.put_file(str(joined), dst)
        part = Part(final.path, sha256_file(joined), sum(p.documents for _, p in final.sources),
                    joined.stat().st_size)  # fmt: skip
        for f in [*srcs, joined]:
            f.unlink()
        return part


def remove_scratch(path: Path) -> None:
    """Delete a task's scratch folder (its parts are uploaded, or the task failed)."""
    shutil.rmtree(path, ignore_errors=True)
