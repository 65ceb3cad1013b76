"""``thresher tokenize``: a corpus to tokenized shards, a job on the stage runner.

:class:`TokenizeJob` tokenizes one input part per shard into a run of ids (in parallel, on
local processes or Ray, resumed by shard markers: :class:`~thresher.ship.tokens.job.TokenRunsJob`);
its :meth:`~TokenizeJob.commit` then samples the mix, shuffles every document with the seed,
packs the shards and commits them (:meth:`~thresher.execute.run_folder.RunFolder.commit_built`).
The folder rules are the runner's (docs/outputs.md): the output is locked, a finished run of
the same inputs and settings is left as it is, another run's is refused without
``overwrite``, and the runs of a killed attempt are kept for the rerun.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from thresher.errors import ConfigError, NothingToDoError
from thresher.execute.config import ExecutorConfig
from thresher.execute.run_folder import ManifestInfo
from thresher.execute.stage import run_stage
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
from thresher.store.manifest import read_manifest, read_stats
from thresher.store.remote import RemoteFolder, is_remote
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


class TokenizeJob(TokenRunsJob):
    """The tokenize stage: its shards tokenize the input parts into runs
    (:class:`TokenRunsJob`); its commit mixes, shuffles and packs them into the shards."""

    kind = KIND

    def __init__(self, corpus: str | Path, settings: TokenizeSettings) -> None:
        self.options = settings
        tokenizer = load_tokenizer(settings.tokenizer)
        self.vocab_size = vocab_size(tokenizer)
        self.eos_id = resolve_eos(tokenizer, settings.eos, settings.eos_id)
        self.token_dtype = token_dtype(self.vocab_size)
        digest = tokenizer_digest(settings.tokenizer)
        super().__init__(
            str(corpus), str(Path(settings.tokenizer).resolve()), digest, self.token_dtype.str
        )

    def config(self) -> dict[str, Any]:
        return {
            **asdict(self.options),
            "tokenizer_sha256": self.digest,
            "vocab_size": self.vocab_size,
            "eos_id": self.eos_id,
            "dtype": self.token_dtype.name,
        }

    def settings(self) -> str:
        """The run's identity beside its inputs (the tokenizer by content, not by path)."""
        config = {k: v for k, v in self.config().items() if k != "tokenizer"}
        return json.dumps({"kind": KIND, **config}, sort_keys=True)

    def commit(
        self,
        folder: Any,
        infos: list[dict[str, Any]],
        stats: list[StepStats],
        state: dict[str, dict[str, Any]],
    ) -> TokenizeResult:
        """Mix, shuffle and pack the shards' runs into the final shards, in a local scratch
        folder, then commit them with the manifest."""
        root = str(folder.slots.url if is_remote(folder.where) else folder.slots.root)
        runs = [f"{i:05d}/{p['path']}" for i, info in enumerate(infos) for p in info["parts"]]
        with _scratch(folder.work) as tmp:  # beside the output: the shards move, not copy
            built = self.pack(root, runs, tmp)
            info = ManifestInfo(self.config(), self.inputs, [*stats, built["mix"]],
                                {"tokens": built["tokens"]})  # fmt: skip
            result = folder.commit_built(tmp / "shards", [Part(**p) for p in built["parts"]], info)
        return _result(result.out_dir, {"tokens": built["tokens"], "parts": built["parts"]},
                       skipped=False)  # fmt: skip

    def pack(self, runs: str, found: list[str], work: Path) -> dict[str, Any]:
        """Mix, shuffle and pack the runs ``found`` under ``runs`` (a folder or a bucket's
        URL) into ``work/shards``; the parts, the manifest's ``tokens`` and the mix's stats."""
        table, arrays = flatten_runs(runs, found, work / "flat", self.eos_id, self.token_dtype)
        if len(table) == 0:
            raise NothingToDoError(self.nothing([]))
        read = table.by_group()
        mix_stats = StepStats("mix")
        mix_stats.seen = len(table)
        if self.options.mix:
            languages, names = table.languages()
            keep = sample_mix(languages, table.length, names, self.options.mix,
                              self.options.seed)  # fmt: skip
            table = table.take(keep)
            if len(table) == 0:
                raise NothingToDoError(self.nothing([]))
        mix_stats.kept = len(table)
        if mix_stats.seen > mix_stats.kept:
            mix_stats.drop("mix_share", mix_stats.seen - mix_stats.kept)
        table = table.take(shuffle(len(table), self.options.seed))
        shards = work / "shards"
        write = megatron.write_shard if self.options.format == "megatron" else (
            numpy_format.write_shard)  # fmt: skip
        shards.mkdir(parents=True, exist_ok=True)
        parts = list(pack(table, arrays, self.options.shard_tokens, write, shards))
        return {"parts": parts, "tokens": self._tokens(table, read), "mix": mix_stats}

    def _tokens(self, table: DocTable, read: dict[str, dict[str, int]]) -> dict[str, Any]:
        written = table.by_group()
        tokens: dict[str, Any] = {
            "format": self.options.format,
            "dtype": (
                self.token_dtype
                if self.options.format == "numpy"
                else megatron.megatron_dtype(self.token_dtype)
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


@contextlib.contextmanager
def _scratch(work: Path | None) -> Iterator[Path]:
    """Where the packing happens: in the run's local work folder (on the output's disk), or
    in a temporary folder for a run that stages in a bucket only."""
    if work is None:
        with tempfile.TemporaryDirectory(prefix="thresher-tokenize-") as tmp:
            yield Path(tmp)
        return
    scratch = work / "pack"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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

    result = run_stage(TokenizeJob(corpus, settings), out, executor=executor, overwrite=overwrite)
    if isinstance(result, TokenizeResult):
        write_card(out)
        return result
    # the folder already held this run: what its manifest says
    done = RemoteFolder(str(out)).manifest() if is_remote(str(out)) else read_manifest(out)
    return _result(result.out_dir, done or {}, skipped=True)
