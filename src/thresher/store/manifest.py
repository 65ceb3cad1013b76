"""The manifest of an output folder and its verification.

``manifest.json`` records the thresher version, the resolved configuration, the inputs and
every part with its SHA-256, document count and size; ``stats.json`` records what each step
kept and dropped, and why. :func:`verify` checks a folder against its manifest.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from thresher import __version__
from thresher.atomic import write_json
from thresher.errors import VerifyError
from thresher.stats import StepStats
from thresher.store.paths import check_manifest, part_path
from thresher.store.readers import count_documents
from thresher.store.remote import RemoteFolder, is_remote
from thresher.store.writers import Part, sha256_file

MANIFEST = "manifest.json"
STATS = "stats.json"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_manifest(
    out_dir: str | Path,
    *,
    kind: str,
    config: Any = None,
    inputs: Sequence[str | Path] = (),
    parts: Iterable[Part] = (),
    stats: Iterable[StepStats] = (),
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json`` and ``stats.json`` into ``out_dir`` (atomically) and return the
    manifest's path. ``config`` may be a pydantic model or a plain mapping."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    if hasattr(config, "model_dump"):
        config = config.model_dump(mode="json")
    part_list = sorted((p.to_dict() for p in parts), key=lambda p: p["path"])
    primary = primary_format(part_list)
    by_folder: dict[str, int] = {}
    for p in part_list:
        if _fmt(p["path"]) == primary:
            folder = p["path"].rsplit("/", 1)[0] if "/" in p["path"] else "."
            by_folder[folder] = by_folder.get(folder, 0) + p["documents"]
    step_stats = [s.to_dict() for s in stats]
    manifest = {
        "thresher_version": __version__,
        "kind": kind,
        "created_at": utc_now(),
        "python": platform.python_version(),
        "config": config,
        "inputs": [str(i) for i in inputs],
        "counts": {"documents": sum(by_folder.values()), "by_folder": by_folder},
        "parts": part_list,
        **(extra or {}),
    }
    write_json(root / STATS, {"steps": step_stats}, fsync=True)
    write_json(root / MANIFEST, manifest, fsync=True)
    return root / MANIFEST


def _fmt(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.split(".", 1)[1] if "." in name else ""


def primary_format(parts: list[dict[str, Any]]) -> str | None:
    """Each format of a corpus holds the same documents: counts come from one of them."""
    formats = {_fmt(p["path"]) for p in parts}
    for fmt in ("parquet", "jsonl.zst", "jsonl.gz", "jsonl", "csv"):
        if fmt in formats:
            return fmt
    return next(iter(sorted(formats)), None)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest of a local folder, refused in one line when it is missing, unreadable or
    lists a path outside the folder (:func:`~thresher.store.paths.check_manifest`)."""
    path = Path(out_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"{path}: no manifest") from None
    except (OSError, ValueError) as e:
        raise VerifyError(f"{path}: unreadable manifest: {e}") from None
    if not isinstance(manifest, dict):
        raise VerifyError(f"{path}: damaged manifest: not a JSON object")
    check_manifest(manifest, path, Path(out_dir))
    return manifest


def read_stats(out_dir: str | Path) -> list[StepStats]:
    """The step stats saved beside a folder's manifest (none when the file is missing or
    unreadable: stats are for people, the manifest is what counts)."""
    try:
        data = json.loads((Path(out_dir) / STATS).read_text(encoding="utf-8"))
        return [StepStats.from_dict(s) for s in data.get("steps", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


@dataclass
class VerifyResult:
    """Outcome of :func:`verify` for one manifest."""

    manifest: Path | str  # a URL for a folder in an object store
    parts: int = 0
    documents: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(out_dir: str | Path, *, count: bool = True) -> VerifyResult:
    """Check every part listed in ``out_dir/manifest.json``: present, same size, same SHA-256
    and (with ``count``) the same number of documents; report unlisted part files too.
    ``out_dir`` may be an object-store URL (its committed manifest is checked)."""
    if is_remote(out_dir):
        folder = RemoteFolder(str(out_dir))
        manifest = folder.manifest()
        if manifest is None:
            raise VerifyError(f"{out_dir}/{MANIFEST}: no manifest")
        return check_parts(
            manifest,
            f"{folder.url}/{MANIFEST}",
            size=lambda rel: int(folder.fs.size(folder.key(rel))),
            digest=folder.sha256,
            count=(lambda rel: count_documents(f"{folder.url}/{rel}")) if count else None,
            present=folder.part_files(),
        )
    root = Path(out_dir)
    manifest = read_manifest(root)  # refused before any part is read when it points outside
    present = []
    for path in sorted(root.rglob("part-*")):
        rel = path.relative_to(root).as_posix()
        if any(seg.startswith(".") for seg in rel.split("/")[:-1]):
            continue  # a run's hidden work folder: staged parts, not output
        if path.is_file() and not _under_other_manifest(root, path):
            present.append(rel)
    return check_parts(
        manifest,
        root / MANIFEST,
        size=lambda rel: part_path(root, rel).stat().st_size,
        digest=lambda rel: sha256_file(part_path(root, rel)),
        count=(lambda rel: count_documents(part_path(root, rel))) if count else None,
        present=present,
    )


def check_parts(
    manifest: dict[str, Any],
    where: Path | str,
    *,
    size: Callable[[str], int],
    digest: Callable[[str], str],
    count: Callable[[str], int] | None,
    present: Iterable[str],
) -> VerifyResult:
    """Check the parts a manifest lists through the given accessors (a missing part raises
    FileNotFoundError from ``size``); ``present`` lists the part files the folder holds."""
    result = VerifyResult(manifest=where)
    primary = primary_format(manifest.get("parts", []))
    listed = set()
    for entry in manifest.get("parts", []):
        rel = entry["path"]
        listed.add(rel)
        result.parts += 1
        try:
            actual = size(rel)
        except FileNotFoundError:
            result.problems.append(f"{rel}: missing")
            continue
        if actual != entry["bytes"]:
            result.problems.append(f"{rel}: {actual} bytes, manifest says {entry['bytes']}")
            continue
        if digest(rel) != entry["sha256"]:
            result.problems.append(f"{rel}: SHA-256 differs from the manifest")
            continue
        if count is not None:
            try:
                n = count(rel)
            except Exception as e:
                result.problems.append(f"{rel}: unreadable: {type(e).__name__}: {e}")
                continue
            if n != entry["documents"]:
                result.problems.append(f"{rel}: {n} documents, manifest says {entry['documents']}")
                continue
        if _fmt(rel) == primary:  # the same documents in several formats count once
            result.documents += entry["documents"]
    for rel in present:
        if rel not in listed:
            result.problems.append(f"{rel}: part not listed in the manifest")
    _check_file(manifest.get("hashes"), result, size=size, digest=digest)
    return result


def _check_file(
    entry: Any, result: VerifyResult, *, size: Callable[[str], int], digest: Callable[[str], str]
) -> None:
    """Check a side file the manifest lists with its size and SHA-256 (a refine corpus's
    paragraph hashes)."""
    if not isinstance(entry, dict) or "path" not in entry:
        return
    rel = entry["path"]
    try:
        actual = size(rel)
    except FileNotFoundError:
        result.problems.append(f"{rel}: missing")
        return
    if actual != entry.get("bytes"):
        result.problems.append(f"{rel}: {actual} bytes, manifest says {entry.get('bytes')}")
    elif digest(rel) != entry.get("sha256"):
        result.problems.append(f"{rel}: SHA-256 differs from the manifest")


def _under_other_manifest(root: Path, path: Path) -> bool:
    parent = path.parent
    while parent != root and root in parent.parents:
        if (parent / MANIFEST).is_file():
            return True
        parent = parent.parent
    return False


def find_manifests(root: str | Path) -> list[Path]:
    """Folders under ``root`` (itself included) that hold a manifest."""
    base = Path(root)
    return sorted(p.parent for p in base.rglob(MANIFEST) if not p.name.startswith("."))
