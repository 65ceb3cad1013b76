"""Hugging Face datasets as inputs of ``refine`` (and every command that reads documents).

An input ``hf:SPEC`` names a dataset:

- ``hf:ORG/NAME[:CONFIG][/SPLIT]``: a dataset on the Hub, read with ``datasets`` in streaming
  mode (``HF_ENDPOINT``, ``HF_TOKEN`` as usual); with ``HF_HUB_OFFLINE=1`` or
  ``HF_DATASETS_OFFLINE=1``, from the local cache: a copy ``datasets`` prepared
  (``HF_DATASETS_CACHE``) or the repository's files in the Hub cache (``HF_HUB_CACHE``);
- ``hf:./PATH``, ``hf:/PATH``, ``hf:~/PATH`` (``[:CONFIG][/SPLIT]``): a local folder, either
  one written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` or a folder of data
  files (JSONL, CSV, Parquet, ...) as ``load_dataset`` reads them.

The split defaults to ``train``. Nothing is downloaded whole: rows stream in batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thresher.errors import InputError

PREFIX = "hf:"
DEFAULT_SPLIT = "train"
_BATCH = 1000


def is_dataset_spec(path: str | Path) -> bool:
    """True for an ``hf:`` dataset input (not an ``hf://`` file URL, which fsspec reads);
    commands that take inputs as paths pass ``Path("hf:ORG/NAME")``, which is one too."""
    text = str(path)
    return text.startswith(PREFIX) and not text.startswith("hf://")


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed ``hf:`` input: a Hub id or a local folder, its config and its split."""

    spec: str
    name: str  # ORG/NAME, or the local folder
    config: str | None
    split: str | None
    local: bool

    @property
    def split_or_default(self) -> str:
        return self.split or DEFAULT_SPLIT


def parse_spec(spec: str) -> DatasetSpec:
    """Parse ``hf:NAME[:CONFIG][/SPLIT]``; a local folder's last segment is its split only
    when the whole path is not a folder itself."""
    body = spec[len(PREFIX) :]
    local = body.startswith(("./", "../", "/", "~")) or body in (".", "..")
    config: str | None = None
    split: str | None = None
    if ":" in body:
        body, rest = body.split(":", 1)
        config, _, split_text = rest.partition("/")
        split = split_text or None
        config = config or None
    if local:
        folder = Path(body).expanduser()
        if split is None and not folder.exists() and _has_split(folder.parent, folder.name):
            folder, split = folder.parent, folder.name
        if not folder.is_dir():
            raise InputError(f"{spec}: no such dataset folder")
        return DatasetSpec(spec, str(folder), config, split, local=True)
    parts = [p for p in body.split("/") if p]
    if split is None and len(parts) == 3:
        parts, split = parts[:2], parts[2]
    if not 1 <= len(parts) <= 2:
        raise InputError(f"{spec}: not a dataset name (hf:ORG/NAME[:CONFIG][/SPLIT])")
    return DatasetSpec(spec, "/".join(parts), config, split, local=False)


def _has_split(folder: Path, split: str) -> bool:
    """Whether ``folder`` is a dataset with a split ``split``: a saved DatasetDict, or data
    files whose path names the split (as ``load_dataset`` infers splits)."""
    if not folder.is_dir():
        return False
    if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
        return True
    return any(split in f.relative_to(folder).as_posix() for f in folder.rglob("*") if f.is_file())


def iter_rows(spec: str, batch_rows: int = _BATCH) -> Iterator[dict[str, Any]]:
    """The rows of the dataset ``spec`` names, as dicts, streamed in batches."""
    dataset = _open(parse_spec(spec))
    for batch in dataset.iter(batch_size=batch_rows):
        names = list(batch)
        yield from (
            dict(zip(names, values, strict=True)) for values in zip(*batch.values(), strict=True)
        )


def identity(spec: str) -> str:
    """What a run's fingerprint records of a dataset: for a local folder its files' names,
    sizes and SHA-256; for the Hub the resolved revision and data files (or, offline, the
    cached copy's hash). Opens the dataset, so a missing one fails here, before any work."""
    parsed = parse_spec(spec)
    dataset = _open(parsed)  # an unknown split or config fails here, before any work
    if parsed.local:
        return f"{spec}\0{_folder_digest(Path(parsed.name))}"
    info = getattr(dataset, "info", None)
    config = getattr(dataset, "config_name", None) or parsed.config
    files = sorted(str(f) for f in _data_files(dataset))
    splits = sorted((getattr(info, "splits", None) or {}).keys()) if info is not None else []
    return f"{spec}\0{config}\0{getattr(dataset, '_fingerprint', '')}\0{files}\0{splits}"


def _data_files(dataset: Any) -> list[str]:
    """The files a streaming dataset reads (their Hub URLs name the resolved revision)."""
    shards = getattr(getattr(dataset, "_ex_iterable", None), "kwargs", {}) or {}
    found: list[str] = []
    for value in shards.values():
        if isinstance(value, list):
            found.extend(str(v) for v in _flatten(value) if v is not None)
    return found


def _flatten(value: list[Any]) -> Iterator[Any]:
    for v in value:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


def _folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(folder).as_posix()}\0{f.stat().st_size}\0".encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _open(spec: DatasetSpec) -> Any:
    """The dataset as an iterable with ``iter(batch_size)``; one-line errors for a dataset
    or split that does not exist, or a Hub that cannot be reached."""
    try:
        import datasets
    except ImportError:
        raise InputError(
            f"{spec.spec}: reading Hugging Face datasets needs the 'hf' extra "
            "(pip install 'thresher[hf]')"
        ) from None
    from datasets.utils.logging import disable_progress_bar, set_verbosity_error

    set_verbosity_error()  # "using the latest cached version" and progress bars: not ours
    disable_progress_bar()
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # its retry warnings: the error line says what failed
    try:
        if spec.local and _saved_to_disk(Path(spec.name)):
            return _from_disk(spec)
        name = spec.name
        if not spec.local and _offline():  # files fetched with `hf download`: a local folder
            name = _snapshot(spec.name) or name
        return datasets.load_dataset(name, spec.config, split=spec.split_or_default, streaming=True)
    except InputError:
        raise
    except ValueError as e:  # an unknown split or config
        raise InputError(f"{spec.spec}: {_first_line(e)}") from None
    except ConnectionError as e:
        if _offline():
            raise InputError(
                f"{spec.spec}: not in the local cache ({_cache()}) and offline mode is on "
                "(HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)"
            ) from None
        raise InputError(f"{spec.spec}: cannot reach the Hub: {_first_line(e)}") from None
    except (FileNotFoundError, datasets.exceptions.DatasetsError) as e:
        where = "in the local cache" if _offline() else "on the Hub or in the local cache"
        raise InputError(f"{spec.spec}: no such dataset {where} ({_first_line(e)})") from None
    except OSError as e:
        raise InputError(f"{spec.spec}: cannot read the dataset: {_first_line(e)}") from None


def _snapshot(repo_id: str) -> str | None:
    """The local copy of a dataset repository in the Hub cache (``HF_HUB_CACHE``), as
    ``hf download --repo-type dataset`` leaves it; ``datasets`` alone, offline, only finds
    datasets it prepared itself."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return str(snapshot_download(repo_id, repo_type="dataset", local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        return None


def _saved_to_disk(folder: Path) -> bool:
    return (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file()


def _from_disk(spec: DatasetSpec) -> Any:
    """A folder written by ``save_to_disk``: memory-mapped Arrow, read in batches."""
    import datasets

    loaded = datasets.load_from_disk(spec.name)
    if isinstance(loaded, datasets.DatasetDict):
        split = spec.split_or_default
        if split not in loaded:
            raise InputError(f"{spec.spec}: no split {split!r} (splits: {', '.join(loaded)})")
        return loaded[split]
    if spec.split is not None:
        raise InputError(f"{spec.spec}: the folder holds one dataset, not splits")
    return loaded


def _offline() -> bool:
    from datasets import config

    return bool(config.HF_HUB_OFFLINE)


def _cache() -> str:
    from datasets import config

    return str(config.HF_DATASETS_CACHE)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
