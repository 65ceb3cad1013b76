"""Where a run keeps its plan, its shards and, at the end, its output: a local folder or a
folder in an object store. The stage runner talks to both through :class:`RunFolder`.

- :class:`LocalRun`: the output folder's hidden work folder holds the plan and the shards'
  stages and markers (:class:`~thresher.store.folder.DocumentsFolder`); the commit moves the
  staged parts into place and writes the manifest.
- :class:`BucketRun`: the output URL's staging prefix holds them
  (:class:`~thresher.store.remote_shards.RemoteRun`), so tasks need no disk shared with the
  driver; the commit copies the staged parts to their final keys and publishes the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from thresher.output import lock_folder
from thresher.stats import StepStats
from thresher.store.folder import DocumentsFolder, FolderResult, check_published
from thresher.store.markers import ShardSlots
from thresher.store.remote import RemoteFolder, is_remote, local_copy, local_path
from thresher.store.remote_shards import RemoteRun, RemoteSlots
from thresher.store.writers import DEFAULT_PART_BYTES, Part

Slots = ShardSlots | RemoteSlots


class RunFolder(Protocol):
    """One run's output folder, whatever stores it."""

    #: where a user finds the run's staged work (said when the run stops unfinished)
    where: str
    slots: Slots

    def lock(self) -> AbstractContextManager[Any]:
        """Held for the whole run: a second run into the same output stops."""
        ...

    def open(self) -> FolderResult | None:
        """The finished result when the folder already holds this run, else None (then the
        folder is ready: another run's output removed with ``overwrite``, or refused)."""
        ...

    def shards(self, plan: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """The shards a killed attempt of this run saved, else ``plan()``'s, saved."""
        ...

    def abort(self) -> None:
        """Drop what the run staged; the folder's earlier output stays."""
        ...

    def commit(
        self,
        staged: Sequence[Sequence[Part]],
        *,
        config: Any,
        inputs: Sequence[str],
        stats: list[StepStats],
        extra: dict[str, Any],
    ) -> FolderResult:
        """Every shard's staged parts into place (numbered in shard order, small ones
        joined), then the manifest and stats: the commit."""
        ...


class LocalRun:
    """A run into a local folder."""

    def __init__(
        self,
        out: Path,
        *,
        kind: str,
        fingerprint: str,
        formats: Sequence[str],
        overwrite: bool,
        inputs: Sequence[str],
        part_bytes: int = DEFAULT_PART_BYTES,
    ) -> None:
        self.out = out
        self.part_bytes = part_bytes
        self.folder = DocumentsFolder(
            out, kind=kind, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
            inputs=inputs,
        )  # fmt: skip
        self.where = str(self.folder.work)
        self.slots: Slots = self.folder.shards

    def lock(self) -> AbstractContextManager[Any]:
        return lock_folder(self.out)

    def open(self) -> FolderResult | None:
        return self.folder.open(resume=True)

    def shards(self, plan: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        if self.folder.resumed and "shards" in self.folder.plan:
            return list(self.folder.plan["shards"])
        shards = plan()
        self.folder.save_plan({"shards": shards})
        return shards

    def abort(self) -> None:
        self.folder.abort()

    def commit(
        self,
        staged: Sequence[Sequence[Part]],
        *,
        config: Any,
        inputs: Sequence[str],
        stats: list[StepStats],
        extra: dict[str, Any],
    ) -> FolderResult:
        return self.folder.commit_shards(
            staged, part_bytes=self.part_bytes, config=config, inputs=inputs, stats=stats,
            extra=extra,
        )  # fmt: skip


class BucketRun:
    """A run into a folder of an object store (``s3://...``)."""

    def __init__(
        self,
        url: str,
        *,
        kind: str,
        fingerprint: str,
        formats: Sequence[str],
        overwrite: bool,
        part_bytes: int = DEFAULT_PART_BYTES,
    ) -> None:
        self.remote = RemoteFolder(url)
        self.kind = kind
        self.fingerprint = fingerprint
        self.formats = list(formats)
        self.overwrite = overwrite
        self.part_bytes = part_bytes
        self.run = RemoteRun(self.remote, fingerprint)
        self.where = self.run.url
        self.slots: Slots = self.run.shards

    def lock(self) -> AbstractContextManager[Any]:
        return lock_folder(local_copy(self.remote.url))  # a second run on this machine stops

    def open(self) -> FolderResult | None:
        self.remote.recover(keep=self.fingerprint)  # this run's staged shards kept to resume
        manifest = check_published(
            self.remote.manifest(), url=self.remote.url, kind=self.kind,
            fingerprint=self.fingerprint, overwrite=self.overwrite,
        )  # fmt: skip
        if manifest is None:
            return None
        return FolderResult(
            self.remote.url,
            documents=int(manifest.get("counts", {}).get("documents", 0)),
            parts=[Part(**p) for p in manifest.get("parts", [])],
            skipped=True,
        )

    def shards(self, plan: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        saved = self.run.plan()
        if saved is not None and "shards" in saved:
            return list(saved["shards"])
        shards = plan()
        self.run.save_plan({"shards": shards})
        return shards

    def abort(self) -> None:
        self.run.abort()

    def commit(
        self,
        staged: Sequence[Sequence[Part]],
        *,
        config: Any,
        inputs: Sequence[str],
        stats: list[StepStats],
        extra: dict[str, Any],
    ) -> FolderResult:
        manifest = self.run.commit_shards(
            staged, kind=self.kind, formats=self.formats, part_bytes=self.part_bytes,
            config=config, inputs=inputs, stats=stats, extra=extra,
        )  # fmt: skip
        parts = [Part(**p) for p in manifest["parts"]]
        return FolderResult(
            self.remote.url, documents=int(manifest["counts"]["documents"]), parts=parts
        )


def run_folder(
    out: str | Path,
    *,
    kind: str,
    fingerprint: str,
    formats: Sequence[str],
    overwrite: bool,
    inputs: Sequence[str],
    part_bytes: int = DEFAULT_PART_BYTES,
) -> RunFolder:
    """The run folder of ``out``: a bucket's for an object-store URL, else a local one."""
    if is_remote(str(out)):
        return BucketRun(
            str(out), kind=kind, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
            part_bytes=part_bytes,
        )  # fmt: skip
    return LocalRun(
        local_path(out), kind=kind, fingerprint=fingerprint, formats=formats,
        overwrite=overwrite, inputs=inputs, part_bytes=part_bytes,
    )  # fmt: skip
