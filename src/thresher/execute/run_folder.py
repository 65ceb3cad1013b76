"""Where a run keeps its plan, its shards and, at the end, its output: a local folder or a
folder in an object store. The stage runner talks to both through :class:`RunFolder`.

- :class:`LocalRun`: the output folder's hidden work folder holds the plan and the shards'
  stages and markers (:class:`~thresher.store.folder.DocumentsFolder`); the commit moves the
  staged parts into place and writes the manifest.
- :class:`BucketRun`: the output URL's staging prefix holds them
  (:class:`~thresher.store.remote_shards.RemoteRun`), so tasks need no disk shared with the
  driver; the commit copies the staged parts to their final keys and publishes the manifest.
- :class:`MirroredRun`: a bucket run of a job with rounds (refine), whose tasks read what
  earlier rounds left beside their own shard: the work folder lives under the output URL's
  staging prefix (:class:`~thresher.store.mirror.RemoteWork`), each task runs in a scratch
  copy of its part of it, the
  driver mirrors it around each of its own phases, commits into a local working copy of the
  output and publishes that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from thresher.output import lock_folder
from thresher.stats import StepStats
from thresher.store.folder import DocumentsFolder, FolderResult, check_published
from thresher.store.manifest import write_manifest
from thresher.store.markers import ShardSlots, read_marker, write_marker
from thresher.store.mirror import RemoteWork
from thresher.store.remote import RemoteFolder, is_remote, local_copy, local_path, staging_name
from thresher.store.remote_shards import RemoteRun, RemoteSlots
from thresher.store.writers import DEFAULT_PART_BYTES, Part

Slots = ShardSlots | RemoteSlots


@dataclass
class ManifestInfo:
    """What a commit's manifest records beside the parts (and the run's fingerprint)."""

    config: Any
    inputs: Sequence[str]
    stats: list[StepStats]
    extra: dict[str, Any]


class RunFolder(Protocol):
    """One run's output folder, whatever stores it."""

    #: where a user finds the run's staged work (said when the run stops unfinished)
    where: str
    slots: Slots
    #: the driver's local work folder (None: the run stages in a bucket only)
    work: Path | None
    #: the work folder as tasks see it: a local path, or the URL of a mirrored one
    task_work: str
    #: True when tasks write into the driver's own work folder (a local run)
    shares_disk: bool
    #: True when a killed attempt of this run was found and is resumed
    resumed: bool

    def round_slots(self, name: str) -> ShardSlots:
        """The markers of a round's scans (``work/NAME/NNNNN.done.json``)."""
        ...

    def commit_built(self, built: Path, parts: list[Part], info: ManifestInfo) -> FolderResult:
        """Commit final parts the job built itself in the local folder ``built`` (e.g.
        shuffled across shards), with the manifest and stats."""
        ...

    def once(self, name: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The result saved as ``work/NAME.done.json``, computed and saved first if absent."""
        ...

    def pull(self) -> None:
        """Bring the tasks' markers and files into the driver's work folder (mirrored)."""
        ...

    def push(self) -> None:
        """Send what the driver wrote in its work folder to the tasks' (mirrored)."""
        ...

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

    def commit(self, staged: Sequence[Sequence[Part]], info: ManifestInfo) -> FolderResult:
        """Every shard's staged parts into place (numbered in shard order, small ones
        joined), then the manifest and stats: the commit."""
        ...

    def publish(self) -> Path | str:
        """After a job committed into the local folder itself (refine's finalise): make it the
        output (a mirrored bucket run uploads its working copy); where the output is."""
        ...


def published(
    remote: RemoteFolder, kind: str, fingerprint: str, overwrite: bool
) -> FolderResult | None:
    """The result when the bucket's folder already holds this run, else None (another run's
    output refused unless ``overwrite``); a publish left half-done is finished first, and
    this run's own staged work is kept for a resume."""
    remote.recover(keep=fingerprint)
    manifest = check_published(
        remote.manifest(), url=remote.url, kind=kind, fingerprint=fingerprint,
        overwrite=overwrite,
    )  # fmt: skip
    if manifest is None:
        return None
    return FolderResult(
        remote.url,
        documents=int(manifest.get("counts", {}).get("documents", 0)),
        parts=[Part(**p) for p in manifest.get("parts", [])],
        skipped=True,
    )


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
        work: str = "",
        slots: str = "shards",
    ) -> None:
        self.out = out
        self.part_bytes = part_bytes
        self.folder = DocumentsFolder(
            out, kind=kind, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
            inputs=inputs, work=work or None, slots=slots,
        )  # fmt: skip
        self.root = self.folder.work
        self.work: Path | None = self.root
        self.where = str(self.root)
        self.task_work = str(self.root)
        self.shares_disk = True
        self.slots: Slots = self.folder.shards
        self.resumed = False

    def lock(self) -> AbstractContextManager[Any]:
        return lock_folder(self.out)

    def open(self) -> FolderResult | None:
        done = self.folder.open(resume=True)
        self.resumed = self.folder.resumed
        return done

    def round_slots(self, name: str) -> ShardSlots:
        return ShardSlots(self.root / name)

    def once(self, name: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        path = self.root / f"{name}.done.json"
        done = read_marker(path)
        if done is None:
            done = compute()
            write_marker(path, done)
        return done

    def pull(self) -> None:
        """Nothing to bring: tasks write into this work folder."""

    def push(self) -> None:
        """Nothing to send: tasks read this work folder."""

    def shards(self, plan: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        if self.folder.resumed and "shards" in self.folder.plan:
            return list(self.folder.plan["shards"])
        shards = plan()
        self.folder.save_plan({"shards": shards})
        return shards

    def abort(self) -> None:
        self.folder.abort()

    def commit(self, staged: Sequence[Sequence[Part]], info: ManifestInfo) -> FolderResult:
        return self.folder.commit_shards(staged, part_bytes=self.part_bytes, **vars(info))

    def commit_built(self, built: Path, parts: list[Part], info: ManifestInfo) -> FolderResult:
        return self.folder.commit_built(built, parts, **vars(info))

    def publish(self) -> Path | str:
        """Nothing to upload: the folder is the output."""
        return self.out


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
        self.work: Path | None = None
        self.task_work = self.run.url
        self.shares_disk = False
        self.slots: Slots = self.run.shards
        self.resumed = False

    def lock(self) -> AbstractContextManager[Any]:
        return lock_folder(local_copy(self.remote.url))  # a second run on this machine stops

    def open(self) -> FolderResult | None:
        return published(self.remote, self.kind, self.fingerprint, self.overwrite)

    def round_slots(self, name: str) -> ShardSlots:
        raise NotImplementedError("a job with rounds writes to a bucket through MirroredRun")

    def once(self, name: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError("a job with rounds writes to a bucket through MirroredRun")

    def pull(self) -> None:
        """Nothing to bring: the driver reads the markers in the bucket."""

    def push(self) -> None:
        """Nothing to send: the driver writes nothing tasks read."""

    def shards(self, plan: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        saved = self.run.plan()
        if saved is not None and "shards" in saved:
            self.resumed = True
            return list(saved["shards"])
        shards = plan()
        self.run.save_plan({"shards": shards})
        return shards

    def abort(self) -> None:
        self.run.abort()

    def commit(self, staged: Sequence[Sequence[Part]], info: ManifestInfo) -> FolderResult:
        manifest = self.run.commit_shards(
            staged, kind=self.kind, formats=self.formats, part_bytes=self.part_bytes, **vars(info)
        )
        parts = [Part(**p) for p in manifest["parts"]]
        return FolderResult(
            self.remote.url, documents=int(manifest["counts"]["documents"]), parts=parts
        )

    def commit_built(self, built: Path, parts: list[Part], info: ManifestInfo) -> FolderResult:
        extra = {"fingerprint": self.fingerprint, **info.extra}
        write_manifest(built, kind=self.kind, parts=parts, **{**vars(info), "extra": extra})
        manifest = self.remote.publish(built)
        self.run.abort()  # the shards' staging: work, not output
        return FolderResult(
            self.remote.url, documents=int(manifest["counts"]["documents"]), parts=parts
        )

    def publish(self) -> Path | str:
        """Nothing to upload: every commit of a bucket run publishes."""
        return self.remote.url


class MirroredRun(LocalRun):
    """A run of a job with rounds into a folder of an object store: tasks work against the
    work folder under the output URL's staging prefix; the driver keeps a mirror of it in a
    local working copy of the output (kept between runs to resume), commits there and
    publishes the copy."""

    def __init__(
        self,
        url: str,
        *,
        kind: str,
        fingerprint: str,
        formats: Sequence[str],
        overwrite: bool,
        part_bytes: int = DEFAULT_PART_BYTES,
        work: str = "",
        slots: str = "shards",
    ) -> None:
        self.remote = RemoteFolder(url)
        self.kind = kind
        self.fingerprint = fingerprint
        self.overwrite = overwrite
        super().__init__(
            local_copy(self.remote.url), kind=kind, fingerprint=fingerprint, formats=formats,
            overwrite=True, inputs=(), part_bytes=part_bytes, work=work, slots=slots,
        )  # fmt: skip
        self.shared = RemoteWork(f"{self.remote.url}/{staging_name(fingerprint)}/work")
        self.where = self.shared.url
        self.task_work = self.shared.url
        self.shares_disk = False

    def open(self) -> FolderResult | None:
        done = published(self.remote, self.kind, self.fingerprint, self.overwrite)
        if done is not None:
            return done
        self.out.mkdir(parents=True, exist_ok=True)
        self.shared.pull(self.root)  # a killed driver's work, on this machine or another
        return super().open()

    def pull(self) -> None:
        self.shared.pull(self.root)

    def push(self) -> None:
        self.shared.push(self.root)

    def publish(self) -> Path | str:
        """The committed working copy to the bucket (its manifest written last)."""
        self.remote.publish(self.out)
        return self.remote.url

    def commit(self, staged: Sequence[Sequence[Part]], info: ManifestInfo) -> FolderResult:
        result = super().commit(staged, info)
        result.out_dir = self.publish()
        return result

    def commit_built(self, built: Path, parts: list[Part], info: ManifestInfo) -> FolderResult:
        result = super().commit_built(built, parts, info)
        result.out_dir = self.publish()
        return result


def run_folder(
    out: str | Path,
    *,
    kind: str,
    fingerprint: str,
    formats: Sequence[str],
    overwrite: bool,
    inputs: Sequence[str],
    part_bytes: int = DEFAULT_PART_BYTES,
    work: str = "",
    slots: str = "shards",
    mirrored: bool = False,
) -> RunFolder:
    """The run folder of ``out``: a bucket's for an object-store URL (mirrored for a job
    with rounds), else a local one."""
    if is_remote(str(out)) and mirrored:
        return MirroredRun(
            str(out), kind=kind, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
            part_bytes=part_bytes, work=work, slots=slots,
        )  # fmt: skip
    if is_remote(str(out)):
        return BucketRun(
            str(out), kind=kind, fingerprint=fingerprint, formats=formats, overwrite=overwrite,
            part_bytes=part_bytes,
        )  # fmt: skip
    return LocalRun(
        local_path(out), kind=kind, fingerprint=fingerprint, formats=formats,
        overwrite=overwrite, inputs=inputs, part_bytes=part_bytes, work=work, slots=slots,
    )  # fmt: skip
