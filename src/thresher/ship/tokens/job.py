"""The first half of ``thresher tokenize`` as a job on the stage runner: one shard per input
part, each tokenized into a run (:class:`~thresher.ship.tokens.encode.RunSink`). The runner
gives it the lock, the run's identity, resume by shard markers, local processes or Ray and
object-store staging; its output is a private folder of runs that the second half
(:mod:`thresher.ship.tokens.run`) shuffles and packs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from thresher.execute.job import Job, ShardSpec
from thresher.ship.tokens.encode import Batch, RunSink, encode_documents
from thresher.stats import StepStats
from thresher.store.readers import DocumentReader, iter_document_files
from thresher.store.remote import is_remote, local_path

if TYPE_CHECKING:
    from tokenizers import Tokenizer

_TOKENIZERS: dict[str, Tokenizer] = {}


def folder_of(file: Path | str, corpus: str) -> str:
    """The part's folder relative to the corpus root (``en/head``), ``.`` for a lone file."""
    name, root = str(file).replace("\\", "/"), corpus.replace("\\", "/").rstrip("/")
    if is_remote(corpus):
        name = name[len(root) + 1 :] if name.startswith(root + "/") else name.rsplit("/", 1)[-1]
    elif local_path(corpus).is_dir():
        name = Path(file).relative_to(local_path(corpus)).as_posix()
    else:
        return "."
    return name.rsplit("/", 1)[0] if "/" in name else "."


class TokenRunsJob(Job):
    """Tokenize every part of ``corpus`` with the tokenizer in ``tokenizer`` (its content is
    ``digest``) into runs of ids of ``dtype``."""

    kind: ClassVar[str] = "token-runs"
    formats = ("parquet",)

    def __init__(self, corpus: str, tokenizer: str, digest: str, dtype: str) -> None:
        super().__init__([corpus])
        self.corpus = corpus
        self.tokenizer = tokenizer
        self.digest = digest
        self.dtype = dtype
        self.parts = [str(f) for f in iter_document_files([corpus])]

    def settings(self) -> str:
        return json.dumps(
            {"kind": self.kind, "tokenizer_sha256": self.digest, "dtype": self.dtype},
            sort_keys=True,
        )  # fmt: skip

    def files(self) -> list[str]:
        return self.parts

    def plan(self, workers: int) -> list[ShardSpec]:
        return [{"input": f, "folder": folder_of(f, self.corpus)} for f in self.parts]

    def stats(self) -> list[StepStats]:
        return [StepStats("read"), StepStats("tokenize")]

    def _tokenizer(self) -> Tokenizer:
        """Loaded once per worker process."""
        from thresher.ship.tokens.vocab import load_tokenizer

        found = _TOKENIZERS.get(self.tokenizer)
        if found is None:
            found = _TOKENIZERS[self.tokenizer] = load_tokenizer(self.tokenizer)
        return found

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterator[Batch]:
        reader = DocumentReader([shard["input"]])
        tokenize = stats[1]
        try:
            for batch in encode_documents(reader, shard["folder"], self._tokenizer(),
                                          np.dtype(self.dtype)):  # fmt: skip
                empty = int((batch.lengths == 0).sum())
                tokenize.seen += len(batch.lengths)
                tokenize.kept += len(batch.lengths) - empty
                if empty:
                    tokenize.drop("no_tokens", empty)
                yield batch
        finally:
            stats[0].merge(reader.stats)

    def writer(self, stage: Path) -> RunSink:
        return RunSink(stage, np.dtype(self.dtype))

    def config(self) -> Any:
        return json.loads(self.settings())

    def nothing(self, stats: list[StepStats]) -> str:
        return (
            f"{self.corpus}: no document to tokenize (an empty corpus, or every text gave no "
            "token); run refine first or check the input"
        )
