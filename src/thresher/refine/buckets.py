"""Perplexity buckets, as CCNet: ``head`` / ``middle`` / ``tail`` per language.

A language's two cutoffs are the 30th and 60th percentiles of its documents' perplexity.
They are given in the config, or measured once on a sample of the corpus by the refine runner
(:meth:`Buckets.calibrate`, the same cutoffs for every worker). A language still without
cutoffs is measured on the first ``sample`` documents of that language in the stream (they wait
until the cutoffs are known). A document without perplexity (no model for its language) goes
to bucket ``all``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from thresher.document import Document
from thresher.refine.corpus_step import Calibrated
from thresher.settings_base import Section

log = logging.getLogger(__name__)

HEAD, MIDDLE, TAIL, ALL = "head", "middle", "tail", "all"

Cutoffs = tuple[float, float]


class LmConfig(Section):
    """Perplexity with the models of ``lm_dir`` and CCNet's head/middle/tail buckets."""

    enabled: bool = Field(True, description="score perplexity when a model folder is given")
    languages: list[str] | None = Field(
        None, description="score only these languages (null: every language with a model)"
    )
    percentiles: tuple[float, float] = Field(
        (30.0, 60.0), description="percentiles of perplexity that end head and middle (CCNet)"
    )
    cutoffs: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="fixed perplexity cutoffs per language {lang: [head_max, middle_max]}",
    )
    sample: int = Field(
        2000,
        ge=0,
        description="documents per language measured for cutoffs not given (0: bucket 'all')",
    )

    @field_validator("cutoffs")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for lang, (lo, hi) in value.items():
            if lo > hi:
                raise ValueError(f"{lang}: the head cutoff {lo} is above the middle cutoff {hi}")
        return value


def cutoffs_from_sample(
    perplexities: Mapping[str, Sequence[float]],
    percentiles: tuple[float, float] = (30.0, 60.0),
) -> dict[str, Cutoffs]:
    """Per-language cutoffs: the given percentiles of each language's perplexities."""
    out: dict[str, Cutoffs] = {}
    for lang, values in perplexities.items():
        if len(values) == 0:
            continue
        lo, hi = np.percentile(np.asarray(values, dtype=np.float64), percentiles)
        out[lang] = (round(float(lo), 2), round(float(hi), 2))
    return out


BUCKET_ORDER = (HEAD, MIDDLE, TAIL, ALL)


def by_language_and_bucket(by_folder: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``{"en/head": 3, ...}`` (a corpus manifest's ``by_folder``) as ``{"en": {"head": 3}}``;
    a folder without a bucket part counts as bucket ``all``."""
    out: dict[str, dict[str, int]] = {}
    for folder, n in by_folder.items():
        lang, _, bucket = folder.partition("/")
        per = out.setdefault(lang, {})
        per[bucket or ALL] = per.get(bucket or ALL, 0) + n
    return out


def buckets_present(table: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The buckets that occur in a :func:`by_language_and_bucket` table, head first."""
    seen = {b for per in table.values() for b in per}
    return [b for b in BUCKET_ORDER if b in seen] + sorted(seen - set(BUCKET_ORDER))


def bucket_of(perplexity: float | None, cutoffs: Cutoffs | None) -> str:
    """CCNet's rule: below the first cutoff ``head``, below the second ``middle``, else ``tail``."""
    if perplexity is None or perplexity < 0 or cutoffs is None:
        return ALL
    if perplexity < cutoffs[0]:
        return HEAD
    if perplexity < cutoffs[1]:
        return MIDDLE
    return TAIL


class Buckets(Calibrated):
    """Sets ``doc.bucket`` from the perplexity and the cutoffs of the document's language."""

    name: ClassVar[str] = "buckets"

    def __init__(
        self,
        cutoffs: Mapping[str, Sequence[float]] | None = None,
        sample: int = 2000,
        percentiles: tuple[float, float] = (30.0, 60.0),
        max_buffered: int = 50_000,
        min_sample: int = 20,
    ) -> None:
        super().__init__()
        self.cutoffs: dict[str, Cutoffs] = {}
        for lang, pair in (cutoffs or {}).items():
            lo, hi = (float(x) for x in pair)
            self.cutoffs[lang] = (lo, hi)
        #: Languages whose cutoffs were measured here (not given).
        self.measured: set[str] = set()
        self.sample = sample
        self.percentiles = percentiles
        self.max_buffered = max(1, max_buffered)
        self.min_sample = min_sample

    @classmethod
    def from_config(cls, config: LmConfig) -> Buckets:
        return cls(config.cutoffs, sample=config.sample, percentiles=config.percentiles)

    def calibrate(self, docs: Iterable[Document]) -> dict[str, Any]:
        """Cutoffs of every language not given that has ``min_sample`` scored documents."""
        values: dict[str, list[float]] = {}
        for doc in docs:
            if doc.perplexity is not None and doc.language and doc.language not in self.cutoffs:
                values.setdefault(doc.language, []).append(doc.perplexity)
        enough = {k: v for k, v in values.items() if len(v) >= self.min_sample}
        cutoffs = cutoffs_from_sample(enough, self.percentiles)
        return {
            "cutoffs": {k: list(v) for k, v in sorted(cutoffs.items())},
            "documents": {k: len(v) for k, v in sorted(values.items())},
        }

    def load_calibration(self, state: dict[str, Any]) -> None:
        """Use cutoffs measured on the corpus sample (languages given in the config win)."""
        for lang, (lo, hi) in state.get("cutoffs", {}).items():
            if lang not in self.cutoffs:
                self.cutoffs[lang] = (float(lo), float(hi))
                self.measured.add(lang)

    def _assign(self, doc: Document) -> Document:
        doc.bucket = bucket_of(doc.perplexity, self.cutoffs.get(doc.language or ""))
        self.stats.count(f"bucket:{doc.bucket}")
        self.stats.kept += 1
        return doc

    def _calibrate(self, lang: str, docs: list[Document]) -> None:
        values = [d.perplexity for d in docs if d.perplexity is not None]
        self.cutoffs.update(cutoffs_from_sample({lang: values}, self.percentiles))
        self.measured.add(lang)
        log.info(
            "perplexity cutoffs for %r from %d documents: %s", lang, len(values), self.cutoffs[lang]
        )

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        waiting: dict[str, list[Document]] = {}
        buffered = 0
        for doc in docs:
            self.stats.seen += 1
            lang = doc.language or ""
            if doc.perplexity is None or lang in self.cutoffs or self.sample == 0:
                yield self._assign(doc)
                continue
            queue = waiting.setdefault(lang, [])
            queue.append(doc)
            buffered += 1
            if len(queue) < self.sample and buffered <= self.max_buffered:
                continue
            if len(queue) < self.sample:  # too much held: settle the largest waiting language
                lang = max(waiting, key=lambda k: len(waiting[k]))
                queue = waiting[lang]
            self._calibrate(lang, queue)
            del waiting[lang]
            buffered -= len(queue)
            for held in queue:
                yield self._assign(held)
        for lang, queue in waiting.items():
            self._calibrate(lang, queue)
            for held in queue:
                yield self._assign(held)
