"""``thresher tokenize``: a corpus to tokenized shards, as a job in two halves — one task per
input part tokenizes it into a staged run (:func:`~thresher.ship.tokens.encode.tokenize_part`,
in parallel), then :meth:`TokenizeJob.finish` samples the mix, shuffles every document with
the seed and packs the shards. The folder rules are the project's (docs/outputs.md): the
output is locked, a finished run of the same inputs and settings is left as it is, another
run's is refused without ``overwrite``, finished runs are kept for a rerun after a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import InputError, NothingToDoError, OutputError
from thresher.execute.local import LocalExecutor
from thresher.output import lock_folder
from thresher.ship.tokens import megatron, numpy_format
from thresher.ship.tokens.encode import RunInfo, tokenize_part
from thresher.ship.tokens.mix import sample_mix
from thresher.ship.tokens.pack import DocTable, load_table, pack, shuffle
from thresher.ship.tokens.vocab import (
    load_tokenizer,
    resolve_eos,
    token_dtype,
    tokenizer_digest,
    vocab_size,
)
from thresher.stats import StepStats, merge_stats
from thresher.store.folder import fingerprint_files, prior_run, remove_output
from thresher.store.manifest import MANIFEST, write_manifest
from thresher.store.readers import iter_document_files
from thresher.store.remote import is_remote, local_path
from thresher.store.writers import Part

KIND = "tokens"
WORK = ".tokens-work"
FORMATS = ("numpy", "megatron")
DEFAULT_SHARD_TOKENS = 1 << 27


@dataclass
class TokenizeSettings:
    """What, beside the corpus, makes a tokenize run (all of it in the manifest's config)."""

    tokenizer: str
    format: str = "numpy"
    shard_tokens: int = DEFAULT_SHARD_TOKENS
    eos: str | None = None
    eos_id: int | None = None
    mix: dict[str, float] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InputError(f"--format {self.format}: choose {' or '.join(FORMATS)}")
        if self.shard_tokens < 1:
            raise InputError(f"--shard-tokens {self.shard_tokens}: must be at least 1")


@dataclass
class TokenizeResult:
    """What a run wrote (or found written): its folder, documents, tokens and shards."""

    out: Path
    documents: int
    tokens: int
    shards: int
    skipped: bool = False  # the folder already held this run
    by_folder: dict[str, dict[str, int]] = field(default_factory=dict)


def _folder_of(file: Path | str, corpus: str) -> str:
    """The part's folder relative to the corpus root (``en/head``), ``.`` for a lone file."""
    name, root = str(file).replace("\\", "/"), str(corpus).replace("\\", "/").rstrip("/")
    if not is_remote(corpus) and not local_path(corpus).is_dir():
        return "."
    if not is_remote(corpus):
        name = Path(file).relative_to(local_path(corpus)).as_posix()
    elif name.startswith(root + "/"):
        name = name[len(root) + 1 :]
    return name.rsplit("/", 1)[0] if "/" in name else "."


class TokenizeJob:
    """The tokenize stage: :meth:`plan` the tasks (one per input part), run each with
    :func:`tokenize_part`, then :meth:`finish` packs the shards. Picklable."""

    kind = KIND

    def __init__(self, corpus: str | Path, settings: TokenizeSettings) -> None:
        self.corpus = str(corpus)
        self.settings_ = settings
        tokenizer = load_tokenizer(settings.tokenizer)
        self.vocab_size = vocab_size(tokenizer)
        self.eos_id = resolve_eos(tokenizer, settings.eos, settings.eos_id)
        self.dtype = token_dtype(self.vocab_size)
        self.digest = tokenizer_digest(settings.tokenizer)
        self.files = list(iter_document_files([self.corpus]))

    def config(self) -> dict[str, Any]:
        return {
            **asdict(self.settings_),
            "tokenizer_sha256": self.digest,
            "vocab_size": self.vocab_size,
            "eos_id": self.eos_id,
            "dtype": self.dtype.name,
        }

    def settings(self) -> str:
        """The run's identity beside its inputs (the tokenizer by content, not by path)."""
        config = {k: v for k, v in self.config().items() if k != "tokenizer"}
        return json.dumps({"kind": KIND, **config}, sort_keys=True)

    def fingerprint(self) -> str:
        return fingerprint_files([str(f) for f in self.files], self.settings())

    def plan(self, stage: Path) -> list[dict[str, Any]]:
        """One task per input part, in the corpus's order."""
        return [
            {
                "name": f"run-{i:05d}",
                "input": str(f),
                "folder": _folder_of(f, self.corpus),
                "tokenizer": str(Path(self.settings_.tokenizer).resolve()),
                "eos_id": self.eos_id,
                "dtype": self.dtype.str,
                "stage": str(stage),
            }
            for i, f in enumerate(self.files)
        ]

    def nothing(self) -> str:
        return (
            f"{self.corpus}: no document to tokenize (an empty corpus, or every text gave no "
            "token); run refine first or check the input"
        )

    def finish(self, stage: Path, shards: Path, infos: list[RunInfo]) -> dict[str, Any]:
        """Mix, shuffle and pack the staged runs into ``shards``; the manifest's extra fields
        (``parts`` and ``tokens``) and the stats of the mix."""
        table = load_table(stage, infos)
        if len(table) == 0:
            raise NothingToDoError(self.nothing())
        read = table.by_group()
        mix_stats = StepStats("mix")
        mix_stats.seen = len(table)
        if self.settings_.mix:
            languages, names = table.languages()
            keep = sample_mix(languages, table.length, names, self.settings_.mix,
                              self.settings_.seed)  # fmt: skip
            table = table.take(keep)
            if len(table) == 0:
                raise NothingToDoError(self.nothing())
        mix_stats.kept = len(table)
        if mix_stats.seen > mix_stats.kept:
            mix_stats.drop("mix_share", mix_stats.seen - mix_stats.kept)
        table = table.take(shuffle(len(table), self.settings_.seed))
        runs = [_tokens_of(stage, info, self.dtype) for info in infos]
        write = megatron.write_shard if self.settings_.format == "megatron" else (
            numpy_format.write_shard)  # fmt: skip
        shards.mkdir(parents=True, exist_ok=True)
        parts = list(pack(table, runs, self.settings_.shard_tokens, write, shards))
        return {"parts": parts, "tokens": self._tokens(table, read), "stats": [mix_stats]}

    def _tokens(self, table: DocTable, read: dict[str, dict[str, int]]) -> dict[str, Any]:
        written = table.by_group()
        tokens: dict[str, Any] = {
            "format": self.settings_.format,
            "dtype": (
                self.dtype
                if self.settings_.format == "numpy"
                else megatron.megatron_dtype(self.dtype)
            ).name,  # little-endian
            "eos_id": self.eos_id,
            "vocab_size": self.vocab_size,
            "tokenizer_sha256": self.digest,
            "tokenizers_version": _tokenizers_version(),
            "seed": self.settings_.seed,
            "shard_tokens": self.settings_.shard_tokens,
            "documents": len(table),
            "total": int(table.length.sum()),
            "text_tokens": sum(v["tokens"] for v in written.values()),
            "by_folder": written,
        }
        if self.settings_.mix:
            total = tokens["total"] or 1
            shares: dict[str, float] = {}
            for name, v in written.items():
                lang = name.split("/", 1)[0]
                shares[lang] = shares.get(lang, 0.0) + (v["tokens"] + v["documents"]) / total
            tokens["mix"] = {
                lang: {"target": round(w, 6), "share": round(shares.get(lang, 0.0), 6)}
                for lang, w in sorted(self.settings_.mix.items())
            }
            tokens["read_by_folder"] = read
        return tokens


def _tokenizers_version() -> str:
    """The ``tokenizers`` release that encoded the run (recorded, not part of its identity)."""
    import tokenizers

    return str(tokenizers.__version__)


def _tokens_of(stage: Path, info: RunInfo, dtype: np.dtype[Any]) -> np.ndarray:
    path = stage / f"{info.name}.tokens"
    if info.tokens == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")


def _done_runs(stage: Path) -> dict[str, RunInfo]:
    """Runs a killed earlier attempt finished (their JSON is written last)."""
    found: dict[str, RunInfo] = {}
    for path in stage.glob("run-*.json"):
        try:
            info = RunInfo.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError):
            continue
        found[info.name] = info
    return found


def _result(out: Path, manifest: dict[str, Any], skipped: bool) -> TokenizeResult:
    tokens = manifest.get("tokens", {})
    suffix = ".bin" if tokens.get("format") == "megatron" else numpy_format.TOKENS
    return TokenizeResult(
        out,
        int(tokens.get("documents", 0)),
        int(tokens.get("total", 0)),
        sum(1 for p in manifest.get("parts", []) if p["path"].endswith(suffix)),
        skipped,
        dict(tokens.get("by_folder", {})),
    )


def tokenize_corpus(
    corpus: str | Path,
    out: str | Path,
    settings: TokenizeSettings,
    *,
    workers: int = 1,
    overwrite: bool = False,
) -> TokenizeResult:
    """Tokenize ``corpus`` (a refine output folder, or any document files) into shards in
    ``out`` and write its manifest, stats and card."""
    from thresher.ship.card import write_card

    if is_remote(out):
        raise OutputError(f"{out}: tokenize writes to a local folder for now")
    job = TokenizeJob(corpus, settings)
    target = Path(out)
    fingerprint = job.fingerprint()
    with lock_folder(target):
        prior = prior_run(target, kind=KIND, fingerprint=fingerprint, overwrite=overwrite,
                          work=WORK, inputs=[job.corpus])  # fmt: skip
        if prior.done is not None:
            return _result(target, prior.done, skipped=True)
        work = target / WORK
        if not prior.resume:
            shutil.rmtree(work, ignore_errors=True)
        stage, packed = work / "runs", work / "shards"
        stage.mkdir(parents=True, exist_ok=True)
        (work / "plan.json").write_text(json.dumps({"fingerprint": fingerprint}))
        tasks = job.plan(stage)
        done = _done_runs(stage)
        todo = [t for t in tasks if t["name"] not in done]
        with LocalExecutor(workers) as executor:
            for d in executor.map(tokenize_part, todo):
                done[d["name"]] = RunInfo.from_dict(d)
        infos = [done[t["name"]] for t in tasks]
        shutil.rmtree(packed, ignore_errors=True)
        extra = job.finish(stage, packed, infos)
        stats = merge_stats([[StepStats.from_dict(s) for s in i.stats] for i in infos])
        if prior.replace or (target / MANIFEST).is_file():
            remove_output(target)
        for entry in extra["parts"]:
            os.replace(packed / entry["path"], target / entry["path"])
        manifest = write_manifest(
            target,
            kind=KIND,
            config=job.config(),
            inputs=[job.corpus],
            parts=[Part(**p) for p in extra["parts"]],
            stats=[*stats, *extra["stats"]],
            extra={"fingerprint": fingerprint, "tokens": extra["tokens"]},
        )
        shutil.rmtree(work, ignore_errors=True)
        write_card(target)
        return _result(target, json.loads(manifest.read_text(encoding="utf-8")), skipped=False)
