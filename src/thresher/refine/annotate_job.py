"""``thresher annotate`` as a job of the stage runner: the sample is chosen in the driver
(every input document read once, :class:`~thresher.refine.annotate.Sampler`), saved in the
plan as each shard's (file, sample keys), and each shard reads its file again for those
documents and asks the model for their scores. The runner owns the folder (lock, resume of
unfinished shards, commit, manifest)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from thresher.document import Document
from thresher.execute.job import Job, ShardSpec
from thresher.llm.config import LLMConfig
from thresher.refine.annotate import MAX_CHARS, Sampler, annotate_documents, sample_key
from thresher.refine.annotate_prompts import Prompt
from thresher.stats import StepStats

#: sampled documents per shard at most (a shard is also the unit of resume)
SHARD_DOCS = 256


class AnnotateJob(Job):
    """Score a stratified sample of ``inputs`` (document files) with a model."""

    kind = "annotations"

    def __init__(
        self,
        inputs: Sequence[str],
        files: Sequence[str],
        llm: LLMConfig,
        prompt: Prompt,
        *,
        sample: int,
        seed: int = 0,
        max_chars: int = MAX_CHARS,
        formats: Sequence[str] = ("jsonl.gz",),
    ) -> None:
        super().__init__(inputs)
        self.input_files = [str(f) for f in files]
        self.llm = llm
        self.prompt = prompt
        self.sample = sample
        self.seed = seed
        self.max_chars = max_chars
        self.formats = tuple(formats)

    def settings(self) -> str:
        """The model, prompt, sample and budgets; not the endpoint's URL (the same model
        served elsewhere resumes the run) nor limits, prices and the cache."""
        return json.dumps(
            {
                "llm": self.llm.model_dump(mode="json", exclude={"base_url"}),
                "prompt": {**self.prompt.describe(), "text": self.prompt.text},
                "sample": self.sample,
                "seed": self.seed,
                "max_chars": self.max_chars,
                "formats": self.formats,
            },
            sort_keys=True,
        )

    def files(self) -> list[str]:
        return list(self.input_files)

    def plan(self, workers: int) -> list[ShardSpec]:
        """The sample, as runs of at most SHARD_DOCS keys of one input file each."""
        from thresher.store import read_documents

        sampler = Sampler(self.sample, self.seed)
        where: dict[int, str] = {}
        for f in self.input_files:
            for doc in read_documents(f):
                sampler.add(doc)
                where.setdefault(sample_key(doc, self.seed), f)
        per_file: dict[str, list[int]] = {}
        for key, _ in sampler.chosen():
            per_file.setdefault(where[key], []).append(key)
        shards: list[ShardSpec] = []
        for f in self.input_files:
            keys = per_file.get(f, [])
            for i in range(0, len(keys), SHARD_DOCS):
                shards.append(
                    {
                        "file": f,
                        "seed": self.seed,
                        "keys": [str(k) for k in keys[i : i + SHARD_DOCS]],
                    }
                )
        return shards

    def stats(self) -> list[StepStats]:
        return [StepStats("annotate")]

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterable[Document]:
        return annotate_documents(
            _picked(shard), self.llm, self.prompt, stats[0], max_chars=self.max_chars
        )

    def config(self) -> Any:
        return {
            "llm": self.llm.model_dump(mode="json"),
            "prompt": self.prompt.describe(),
            "sample": self.sample,
            "seed": self.seed,
            "max_chars": self.max_chars,
        }

    def nothing(self, stats: list[StepStats]) -> str:
        st = stats[0] if stats else StepStats("annotate")
        if not st.seen:
            return f"{', '.join(self.inputs)}: no documents to annotate"
        why = ", ".join(f"{k} {v}" for k, v in sorted(st.dropped.items()))
        return f"no answer of the model could be used ({why}): see --llm-base-url, --prompt"


def _picked(shard: ShardSpec) -> Iterator[Document]:
    """The documents of the shard's file whose keys it lists, once each, in key order."""
    from thresher.store import read_documents

    wanted = {int(k) for k in shard["keys"]}
    found: dict[int, Document] = {}
    seed = int(shard.get("seed", 0))
    for doc in read_documents(shard["file"]):
        key = sample_key(doc, seed)
        if key in wanted and key not in found:
            found[key] = doc
    for k in sorted(found):
        yield found[k]
