"""``thresher tokenize``: a corpus to tokenized shards in two halves. First the stage runner
runs :class:`~thresher.ship.tokens.job.TokenRunsJob` (one shard per input part, in parallel,
on local processes or Ray, resumed by shard markers) into a private folder of runs under the
output's work folder; then :meth:`TokenizeJob.finish` samples the mix, shuffles every
document with the seed and packs the shards, and the output is committed. The folder rules
are the project's (docs/outputs.md): the output is locked, a finished run of the same inputs
and settings is left as it is, another run's is refused without ``overwrite``, and the runs
of a killed attempt are kept for the rerun.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import ConfigError, NothingToDoError
from thresher.execute.config import ExecutorConfig
from thresher.execute.stage import run_stage
from thresher.output import lock_folder
from thresher.ship.tokens import megatron, numpy_format
from thresher.ship.tokens.job import TokenRunsJob
from thresher.ship.tokens.mix import sample_mix
from thresher.ship.tokens.pack import DocTable, flatten_runs, pack, shuffle
from thresher.ship.tokens.vocab import (
    load_tokenizer,
    resolve_eos,
    token_dtype,
    tokenizer_digest,
    vocab_size,
)
from thresher.stats import StepStats
from thresher.store.folder import check_published, prior_run, remove_output
from thresher.store.identity import run_fingerprint
from thresher.store.manifest import MANIFEST, read_manifest, read_stats, write_manifest
from thresher.store.remote import RemoteFolder, is_remote, local_copy
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
            raise ConfigError(f"--format {self.format}: choose {' or '.join(FORMATS)}")
        if self.shard_tokens < 1:
            raise ConfigError(f"--shard-tokens {self.shard_tokens}: must be at least 1")


@dataclass
class TokenizeResult:
    """What a run wrote (or found written): its folder, documents, tokens and shards."""

    out: Path | str
    documents: int
    tokens: int
    shards: int
    skipped: bool = False  # the folder already held this run
    by_folder: dict[str, dict[str, int]] = field(default_factory=dict)


class TokenizeJob:
    """The tokenize stage: its runs (:attr:`runs`, a job for the stage runner), then
    :meth:`finish`, which packs the shards."""

    kind = KIND

    def __init__(self, corpus: str | Path, settings: TokenizeSettings) -> None:
        self.corpus = str(corpus)
        self.options = settings
        tokenizer = load_tokenizer(settings.tokenizer)
        self.vocab_size = vocab_size(tokenizer)
        self.eos_id = resolve_eos(tokenizer, settings.eos, settings.eos_id)
        self.dtype = token_dtype(self.vocab_size)
        self.digest = tokenizer_digest(settings.tokenizer)
        self.runs = TokenRunsJob(
            self.corpus, str(Path(settings.tokenizer).resolve()), self.digest, self.dtype.str
        )

    def config(self) -> dict[str, Any]:
        return {
            **asdict(self.options),
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
        """The run's identity: the one rule of every stage (inputs by content)."""
        return run_fingerprint(self.settings(), self.runs.files())

    def finish(self, stage: str, work: Path) -> dict[str, Any]:
        """Mix, shuffle and pack the runs in ``stage`` (the runs job's output: a local folder
        or a bucket's URL) into ``work/shards``; the manifest's parts and ``tokens`` object
        and the stats."""
        manifest, steps = _runs_manifest(stage)
        found = sorted(p["path"] for p in manifest.get("parts", []))
        table, arrays = flatten_runs(stage, found, work / "flat", self.eos_id, self.dtype)
        if len(table) == 0:
            raise NothingToDoError(self.runs.nothing([]))
        read = table.by_group()
        mix_stats = StepStats("mix")
        mix_stats.seen = len(table)
        if self.options.mix:
            languages, names = table.languages()
            keep = sample_mix(languages, table.length, names, self.options.mix,
                              self.options.seed)  # fmt: skip
            table = table.take(keep)
            if len(table) == 0:
                raise NothingToDoError(self.runs.nothing([]))
        mix_stats.kept = len(table)
        if mix_stats.seen > mix_stats.kept:
            mix_stats.drop("mix_share", mix_stats.seen - mix_stats.kept)
        table = table.take(shuffle(len(table), self.options.seed))
        shards = work / "shards"
        write = megatron.write_shard if self.options.format == "megatron" else (
            numpy_format.write_shard)  # fmt: skip
        shards.mkdir(parents=True, exist_ok=True)
        parts = list(pack(table, arrays, self.options.shard_tokens, write, shards))
        return {"parts": parts, "tokens": self._tokens(table, read), "stats": [*steps, mix_stats]}

    def _tokens(self, table: DocTable, read: dict[str, dict[str, int]]) -> dict[str, Any]:
        written = table.by_group()
        tokens: dict[str, Any] = {
            "format": self.options.format,
            "dtype": (
                self.dtype
                if self.options.format == "numpy"
                else megatron.megatron_dtype(self.dtype)
            ).name,  # little-endian
            "eos_id": self.eos_id,
            "vocab_size": self.vocab_size,
            "tokenizer_sha256": self.digest,
            "tokenizers_version": _tokenizers_version(),
            "numpy_version": np.__version__,  # its PCG64 permutation makes the shuffle
            "seed": self.options.seed,
            "shard_tokens": self.options.shard_tokens,
            "documents": len(table),
            "total": int(table.length.sum()),
            "text_tokens": sum(v["tokens"] for v in written.values()),
            "by_folder": written,
        }
        if self.options.mix:
            total = tokens["total"] or 1
            shares: dict[str, float] = {}
            for name, v in written.items():
                lang = name.split("/", 1)[0]
                shares[lang] = shares.get(lang, 0.0) + (v["tokens"] + v["documents"]) / total
            tokens["mix"] = {
                lang: {"target": round(w, 6), "share": round(shares.get(lang, 0.0), 6)}
                for lang, w in sorted(self.options.mix.items())
            }
            tokens["read_by_folder"] = read
        return tokens


def _tokenizers_version() -> str:
    """The ``tokenizers`` release that encoded the run (recorded, not part of its identity)."""
    import tokenizers

    return str(tokenizers.__version__)


def _runs_manifest(stage: str) -> tuple[dict[str, Any], list[StepStats]]:
    """The manifest and step stats of the runs folder (local or in a bucket)."""
    if is_remote(stage):
        folder = RemoteFolder(stage)
        return folder.manifest() or {}, folder.stats()
    return read_manifest(stage), read_stats(stage)


def _result(out: Path | str, manifest: dict[str, Any], skipped: bool) -> TokenizeResult:
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
    executor: ExecutorConfig | None = None,
    overwrite: bool = False,
) -> TokenizeResult:
    """Tokenize ``corpus`` (a refine output folder, or any document files) into shards in
    ``out`` (a folder or a bucket's URL) and write its manifest, stats and card."""
    from thresher.ship.card import write_card

    job = TokenizeJob(corpus, settings)
    if is_remote(out):
        result = _into_bucket(job, str(out), executor, overwrite)
    else:
        result = _into_folder(job, Path(out), executor, overwrite)
    if not result.skipped:
        write_card(out)
    return result


def _into_folder(
    job: TokenizeJob, target: Path, executor: ExecutorConfig | None, overwrite: bool
) -> TokenizeResult:
    """The run into a local folder: its runs and the packing in its hidden work folder."""
    fingerprint = job.fingerprint()
    with lock_folder(target):
        prior = prior_run(target, kind=KIND, fingerprint=fingerprint, overwrite=overwrite,
                          work=WORK, inputs=[job.corpus])  # fmt: skip
        if prior.done is not None:
            return _result(target, prior.done, skipped=True)
        work = target / WORK
        if not prior.resume:
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        (work / "plan.json").write_text(json.dumps({"fingerprint": fingerprint}))
        try:
            extra = _runs_then_pack(job, str(work / "runs"), work, executor)
        except NothingToDoError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if prior.replace or (target / MANIFEST).is_file():
            remove_output(target)
        for entry in extra["parts"]:
            os.replace(work / "shards" / entry["path"], target / entry["path"])
        manifest = _write_manifest(job, target, extra, fingerprint)
        shutil.rmtree(work, ignore_errors=True)
        return _result(target, manifest, skipped=False)


def _into_bucket(
    job: TokenizeJob, url: str, executor: ExecutorConfig | None, overwrite: bool
) -> TokenizeResult:
    """The run into a bucket: the runs staged there by the stage runner (so they resume,
    from any machine), packed in a local scratch folder, then published."""
    fingerprint = job.fingerprint()
    folder = RemoteFolder(url)
    with lock_folder(local_copy(folder.url)):
        folder.recover()
        done = check_published(folder.manifest(), url=folder.url, kind=KIND,
                               fingerprint=fingerprint, overwrite=overwrite)  # fmt: skip
        if done is not None:
            return _result(Path(url), done, skipped=True)
        runs = f"{folder.url}/{WORK}/{fingerprint}/runs"
        scratch = Path(tempfile.mkdtemp(prefix="thresher-tokenize-"))
        try:
            extra = _runs_then_pack(job, runs, scratch, executor)
            manifest = _write_manifest(job, scratch / "shards", extra, fingerprint)
            folder.publish(scratch / "shards")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(OSError):  # the runs: work, not output
            folder.fs.rm(folder.key(WORK), recursive=True)
        return _result(Path(url), manifest, skipped=False)


def _runs_then_pack(
    job: TokenizeJob, runs: str, work: Path, executor: ExecutorConfig | None
) -> dict[str, Any]:
    """The runs by the stage runner into ``runs`` (resumed shard by shard, reused whole when
    this run made them), then their packing into ``work/shards``."""
    run_stage(job.runs, runs, executor=executor, overwrite=True)
    shutil.rmtree(work / "shards", ignore_errors=True)
    return job.finish(runs, work)


def _write_manifest(
    job: TokenizeJob, target: Path, extra: dict[str, Any], fingerprint: str
) -> dict[str, Any]:
    path = write_manifest(
        target,
        kind=KIND,
        config=job.config(),
        inputs=[job.corpus],
        parts=[Part(**p) for p in extra["parts"]],
        stats=extra["stats"],
        extra={"fingerprint": fingerprint, "tokens": extra["tokens"]},
    )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest
