"""Output folders in object storage (``s3://``, ``gs://``, any fsspec URL but ``file://``).

Object stores have no rename, so a folder there cannot be swapped whole. A run that writes to
``URL`` stages its work under ``URL/.staging-FP/`` (FP: the run's fingerprint), so that its
tasks need no disk shared with the driver: extract's shards are uploaded there by the tasks
(:mod:`thresher.store.remote_shards`), refine's work folder lives there
(:mod:`thresher.store.mirror`) and its finalised corpus is built in a local working copy
(under the user's cache folder). The output is then *published*:

1. every part (and ``stats.json``) is staged under ``URL/.staging-FP/`` (uploaded from the
   local copy, or copied from the shards' keys); an upload already there with the same size
   is not sent again;
2. ``URL/.staging-FP/manifest.json`` is written: the staged copy is complete;
3. each staged part is copied (server-side) to its final key, then ``URL/manifest.json`` is
   written: that write is the commit;
4. the staging keys, and parts of the earlier output the new manifest does not list, go.

A publish stopped after step 2 is finished by the next run into ``URL`` before anything else;
one stopped earlier is redone. Readers trust ``manifest.json``: a folder
in an object store is read through the parts it lists, and ``thresher verify URL`` checks them.
Credentials and endpoints come from the usual settings of the store's fsspec back end (for S3:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL_S3``, ...).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from thresher.errors import InputError, OutputError
from thresher.store.paths import check_manifest

MANIFEST = "manifest.json"
STATS = "stats.json"
_STAGING = ".staging-"


def is_remote(path: str | Path) -> bool:
    """True for an fsspec URL other than ``file://`` (a local path is never remote)."""
    return isinstance(path, str) and "://" in path and not path.startswith("file://")


def local_path(path: str | Path) -> Path:
    """A local path from a path or a ``file://`` URL."""
    text = str(path)
    return Path(text[len("file://") :]) if text.startswith("file://") else Path(path)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it; one line when the back end
    is not installed (``s3://`` needs s3fs, ``gs://`` gcsfs)."""
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except ImportError as e:
        raise InputError(f"{url}: cannot use this URL: {e}") from None
    except (ValueError, OSError) as e:
        raise InputError(f"{url}: cannot use this URL: {e}") from None


def local_copy(url: str) -> Path:
    """The local working copy of an object-store output (kept between runs to resume)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha1(url.rstrip("/").encode(), usedforsecurity=False).hexdigest()[:16]
    return base / "thresher" / "outputs" / key


def open_remote(url: str) -> IO[bytes]:
    """A remote file opened for streaming reads."""
    fs, path = filesystem(url)
    try:
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise InputError(f"{url}: no such file") from None
    except OSError as e:
        raise InputError(f"{url}: cannot open: {e}") from None


def remote_identity(url: str) -> str:
    """A remote file's URL, size and content tag (ETag, checksum or modification time): what
    a run's fingerprint records of it, without reading it."""
    fs, path = filesystem(url)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise InputError(f"{url}: no such file") from None
    except OSError as e:
        raise InputError(f"{url}: cannot read: {e}") from None
    tag = info.get("ETag") or info.get("checksum") or info.get("blob_id")  # blob_id: hf://
    tag = tag or info.get("LastModified") or info.get("mtime")
    return f"{url}\0{info.get('size')}\0{tag}"


def staging_name(fingerprint: str | None) -> str:
    """The prefix (under the output URL) where a run of ``fingerprint`` stages its output."""
    return f"{_STAGING}{fingerprint or 'run'}"


def _side(manifest: dict[str, Any]) -> list[str]:
    """Files a manifest lists beside its parts (a refine corpus's paragraph hashes)."""
    entry = manifest.get("hashes")
    return [entry["path"]] if isinstance(entry, dict) and "path" in entry else []


def read_object(fs: Any, key: str, url: str, bad: str = "unreadable") -> dict[str, Any] | None:
    """The JSON object stored at ``key`` (None when there is none, or it is not an object);
    a damaged or unreachable one is an InputError naming ``url`` (``bad``: what to call
    damage)."""
    try:
        data = json.loads(fs.cat_file(key))
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise InputError(f"{url}: {bad}: {e}") from None
    except OSError as e:
        raise InputError(f"{url}: cannot read: {e}") from None
    return data if isinstance(data, dict) else None


class RemoteFolder:
    """A folder in an object store, written only through :meth:`publish`."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = filesystem(self.url)
        self.root = self.root.rstrip("/")
        # fsspec keeps one filesystem per process with a cache of listings: another process
        # (a worker, an earlier run) may have changed the folder since
        self.fs.invalidate_cache(self.root)

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def _read_json(self, rel: str) -> dict[str, Any] | None:
        return read_object(self.fs, self.key(rel), f"{self.url}/{rel}", "unreadable manifest")

    def _read_manifest(self, rel: str) -> dict[str, Any] | None:
        """A manifest of this folder, refused in one line when it lists a key outside it."""
        manifest = self._read_json(rel)
        if manifest is not None:
            check_manifest(manifest, f"{self.url}/{rel}")
        return manifest

    def stats(self) -> list[Any]:
        """The committed folder's step stats (empty when it has none)."""
        from thresher.stats import StepStats

        data = self._read_json(STATS) or {}
        return [StepStats.from_dict(s) for s in data.get("steps", [])]

    def manifest(self) -> dict[str, Any] | None:
        """The committed manifest, or None (a reader never writes: see :meth:`recover`)."""
        return self._read_manifest(MANIFEST)

    def _stagings(self) -> list[str]:
        try:
            entries = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        return sorted(
            e.rstrip("/").rsplit("/", 1)[-1]
            for e in entries
            if e.rstrip("/").rsplit("/", 1)[-1].startswith(_STAGING)
        )

    def recover(self, keep: str | None = None) -> None:
        """Finish a publish that stopped after its staged copy was complete; drop staged
        copies that never completed, except the one of fingerprint ``keep`` (a run about to
        resume from the shard markers it holds)."""
        for name in self._stagings():
            staged = self._read_manifest(f"{name}/{MANIFEST}")
            if staged is not None:
                self._commit(name, staged)
            elif keep is None or name != staging_name(keep):
                self.fs.rm(self.key(name), recursive=True)

    def publish(self, local: Path) -> dict[str, Any]:
        """Make the finished output in ``local`` the content of this folder (see module doc);
        returns its manifest."""
        manifest = json.loads((local / MANIFEST).read_text(encoding="utf-8"))
        check_manifest(manifest, local / MANIFEST, local)
        name = staging_name(manifest.get("fingerprint"))
        try:
            for rel in [p["path"] for p in manifest.get("parts", [])] + _side(manifest) + [STATS]:
                src = local / rel
                if not src.is_file():
                    continue
                dst = self.key(f"{name}/{rel}")
                if self.fs.exists(dst) and self.fs.size(dst) == src.stat().st_size:
                    continue  # uploaded by an attempt that stopped later
                self.fs.put_file(str(src), dst)
            self.fs.pipe_file(self.key(f"{name}/{MANIFEST}"), _dump(manifest))
            self._commit(name, manifest)
        except (OSError, ValueError) as e:
            raise OutputError(f"{self.url}: cannot publish: {e}") from None
        return manifest

    def commit_staged(self, fingerprint: str, manifest: dict[str, Any]) -> None:
        """Commit a staged copy written by the caller (its parts and ``stats.json`` under
        :func:`staging_name`): write its manifest there, then publish it (steps 2-4)."""
        name = staging_name(fingerprint)
        try:
            self.fs.pipe_file(self.key(f"{name}/{MANIFEST}"), _dump(manifest))
            self._commit(name, manifest)
        except (OSError, ValueError) as e:
            raise OutputError(f"{self.url}: cannot publish: {e}") from None

    def _commit(self, name: str, manifest: dict[str, Any]) -> None:
        check_manifest(manifest, f"{self.url}/{name}/{MANIFEST}")
        old = self._read_manifest(MANIFEST)
        keep = {p["path"] for p in manifest.get("parts", [])}
        for rel in sorted(keep):
            self.fs.copy(self.key(f"{name}/{rel}"), self.key(rel))
        for rel in _side(manifest):  # like the stats: copied when staged
            if self.fs.exists(self.key(f"{name}/{rel}")):
                self.fs.copy(self.key(f"{name}/{rel}"), self.key(rel))
        if self.fs.exists(self.key(f"{name}/{STATS}")):
            self.fs.copy(self.key(f"{name}/{STATS}"), self.key(STATS))
        self.fs.pipe_file(self.key(MANIFEST), _dump(manifest))  # the commit
        stale = {p["path"] for p in (old or {}).get("parts", [])} - keep
        stale |= {rel for rel in self.part_files() if rel not in keep}
        for rel in sorted(stale):
            self.fs.rm_file(self.key(rel))
        self.fs.rm(self.key(name), recursive=True)

    def sha256(self, rel: str) -> str:
        """SHA-256 of a file of the folder, streamed."""
        h = hashlib.sha256()
        with self.fs.open(self.key(rel), "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    def part_files(self) -> list[str]:
        """Relative paths of every part file under the folder, outside staging keys."""
        try:
            found = self.fs.find(self.root)
        except FileNotFoundError:
            return []
        rels = []
        for f in found:
            rel = f[len(self.root) + 1 :]
            segs = rel.split("/")
            if segs[-1].startswith("part-") and not any(s.startswith(".") for s in segs[:-1]):
                rels.append(rel)
        return rels


def _dump(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n").encode()
