"""Paths a manifest (or a shard marker) lists: always relative, always inside their folder.

A manifest is data read from disk or a bucket, so a damaged or hand-edited one must not make
a command read, replace or delete files elsewhere. Every path it lists is checked here, once,
before the command does anything: an absolute path, a ``..`` / ``.`` / empty segment, a
backslash, a drive letter or a NUL is refused, and on a local disk so is a path that resolves
outside its folder through a symlink. The refusal is one line (:class:`VerifyError`, exit 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from thresher.errors import VerifyError

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_reason(rel: object) -> str | None:
    """Why ``rel`` cannot name a file inside a folder, or None when it can (by its text)."""
    if not isinstance(rel, str) or not rel:
        return "is not a relative path text"
    if "\0" in rel:
        return "holds a NUL character"
    if "\\" in rel:
        return "holds a backslash"
    if rel.startswith("/") or _DRIVE.match(rel):
        return "is absolute"
    if any(seg in ("", ".", "..") for seg in rel.split("/")):
        return "has an empty, '.' or '..' segment"
    return None


def _refuse(where: object, rel: object, reason: str) -> VerifyError:
    return VerifyError(
        f"{where}: lists {rel!r}, not a path inside the folder (it {reason}); the manifest "
        "is damaged or was edited: restore it or remove the folder"
    )


def check_rel(rel: object, where: object) -> str:
    """``rel`` when its text names a file inside a folder; :class:`VerifyError` otherwise
    (``where`` names the manifest or marker in the message)."""
    reason = unsafe_reason(rel)
    if reason is not None:
        raise _refuse(where, rel, reason)
    return str(rel)


def part_path(root: Path, rel: object, where: object = None) -> Path:
    """``root / rel`` for a path a manifest lists, after checking that it stays inside
    ``root`` once symlinks are followed (the unresolved path is returned)."""
    where = root if where is None else where
    path = root / check_rel(rel, where)
    if not path.resolve().is_relative_to(root.resolve()):
        raise _refuse(where, rel, "leads outside through a symbolic link")
    return path


def listed_paths(manifest: dict[str, Any], where: object) -> list[str]:
    """Every path a manifest lists (its parts and side files), checked for shape: ``parts`` a
    list of objects, each with a ``path``."""
    parts = manifest.get("parts", [])
    if not isinstance(parts, list) or not all(isinstance(p, dict) and "path" in p for p in parts):
        raise VerifyError(f"{where}: damaged manifest: 'parts' is not a list of parts")
    rels = [p["path"] for p in parts]
    hashes = manifest.get("hashes")
    if isinstance(hashes, dict) and "path" in hashes:
        rels.append(hashes["path"])
    return rels


def check_manifest(manifest: dict[str, Any], where: object, root: Path | None = None) -> None:
    """Refuse a manifest that lists a path outside its folder (``root``: the local folder,
    checked through symlinks too; None for an object store, where only the text counts)."""
    for rel in listed_paths(manifest, where):
        if root is None:
            check_rel(rel, where)
        else:
            part_path(root, rel, where)


def check_marker(info: dict[str, Any], where: object) -> dict[str, Any]:
    """A shard marker whose part paths (``parts``, and ``dropped`` for refine) name files
    inside its shard's stage; refused in one line otherwise."""
    for key in ("parts", "dropped"):
        listed = info.get(key)
        for p in listed if isinstance(listed, list) else []:
            check_rel(p.get("path") if isinstance(p, dict) else p, where)
    return info


def check_folder(root: Path) -> None:
    """Refuse a local folder read as input whose manifest lists a path outside it (a folder
    without a manifest, or with one that is not readable JSON, is read by its files)."""
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(manifest, dict):
        check_manifest(manifest, root / "manifest.json", root)
