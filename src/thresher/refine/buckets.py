"""Perplexity buckets, as CCNet: ``head`` / ``middle`` / ``tail`` per language.

A language's two cutoffs are the 30th and 60th percentiles of its documents' perplexity.
They are given in the config, or measured once on a sample of the whole corpus by the refine
runner (:meth:`Buckets.calibrate`, saved in the run's work folder: the same cutoffs for every
shard and worker, kept on resume). In such a run a language with fewer than
:data:`MIN_CALIBRATION_DOCS` scored documents in that sample is not bucketed (bucket ``all``,
counted ``not_calibrated:LANG``): cutoffs from a handful of documents would be noise, and
measured per shard they would differ between shards.

Used on its own (one stream, no calibration loaded), a language without cutoffs is measured on
the first ``sample`` documents of that language in the stream (they wait until the cutoffs are
known). A document without perplexity (no model for its language) goes to bucket ``all``.
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

#: scored documents of a language the calibration sample needs to give it cutoffs
MIN_CALIBRATION_DOCS = 10


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

    @field_validator("percentiles")
    @classmethod
    def _percentiles(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not (0 <= lo <= 100 and 0 <= hi <= 100):
            raise ValueError(f"percentiles must be between 0 and 100, got [{lo}, {hi}]")
        if lo >= hi:
            raise ValueError(f"percentiles must be strictly increasing, got [{lo}, {hi}]")
        return value

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


def _source(applied: Mapping[str, Any], lang: str) -> str:
    if lang in applied.get("given", []):
        return "configured"
    lo, hi = applied.get("percentiles", (30.0, 60.0))
    return f"percentiles {lo:g}/{hi:g} of a sample of {applied.get('sampled', 0):,} documents"


def cutoff_rows(applied: Mapping[str, Any]) -> list[list[str]]:
    """``[language, head below, tail from, where from]`` for every language of a manifest's
    ``buckets`` (see :meth:`Buckets.applied`), then the languages scored but not bucketed."""
    rows = [
        [lang, f"{lo:,.1f}", f"{hi:,.1f}", _source(applied, lang)]
        for lang, (lo, hi) in applied.get("cutoffs", {}).items()
    ]
    for lang, info in applied.get("not_bucketed", {}).items():
        rows.append(
            [lang, "-", "-", f"not bucketed, {info['documents']:,} documents in 'all': "
             f"{info['reason']}"]
        )  # fmt: skip
    return rows


def summary_lines(applied: Mapping[str, Any]) -> list[str]:
    """One line per language: the cutoffs applied, or why it was not bucketed."""
    out = []
    for lang, lo, hi, source in cutoff_rows(applied):
        if lo == "-":
            out.append(f"buckets {lang}: {source}")
        else:
            out.append(f"buckets {lang}: head < {lo} <= middle < {hi} <= tail ({source})")
    return out


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
        min_sample: int = MIN_CALIBRATION_DOCS,
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
        #: True once a corpus-wide calibration is loaded: nothing is measured in the stream
        self.calibrated = False

    @classmethod
    def from_config(cls, config: LmConfig) -> Buckets:
        return cls(config.cutoffs, sample=config.sample, percentiles=config.percentiles)

    def calibrate(self, docs: Iterable[Document]) -> dict[str, Any]:
        """Cutoffs of every language not given that has ``min_sample`` scored documents in
        ``docs``; the others are listed under ``too_few`` (they will not be bucketed)."""
        values: dict[str, list[float]] = {}
        sampled = 0
        for doc in docs:
            sampled += 1
            if doc.perplexity is not None and doc.language and doc.language not in self.cutoffs:
                values.setdefault(doc.language, []).append(doc.perplexity)
        enough = {k: v for k, v in values.items() if len(v) >= self.min_sample}
        cutoffs = cutoffs_from_sample(enough, self.percentiles)
        return {
            "cutoffs": {k: list(v) for k, v in sorted(cutoffs.items())},
            "documents": {k: len(v) for k, v in sorted(values.items())},
            "too_few": {k: len(v) for k, v in sorted(values.items()) if k not in enough},
            "sampled": sampled,
            "min_documents": self.min_sample,
            "percentiles": list(self.percentiles),
        }

    def load_calibration(self, state: dict[str, Any]) -> None:
        """Use the cutoffs measured on the corpus sample (languages given in the config win);
        from now on no language is measured in the stream."""
        self.calibrated = True
        for lang, (lo, hi) in state.get("cutoffs", {}).items():
            if lang not in self.cutoffs:
                self.cutoffs[lang] = (float(lo), float(hi))
                self.measured.add(lang)

    def applied(
        self, state: Mapping[str, Any] | None, counters: Mapping[str, int]
    ) -> dict[str, Any]:
        """What the manifest says of the buckets of a run: the cutoffs applied per language
        (``given`` in the config or measured on the corpus sample), and every language that
        had perplexity but was not bucketed, with why (``counters``: this step's merged ones)."""
        state = state or {}
        cutoffs = {k: [float(v[0]), float(v[1])] for k, v in state.get("cutoffs", {}).items()}
        cutoffs.update({k: [lo, hi] for k, (lo, hi) in self.cutoffs.items()})
        sampled = int(state.get("sampled", 0))
        in_sample = state.get("documents", {})
        not_bucketed: dict[str, dict[str, Any]] = {}
        for key, n in sorted(counters.items()):
            if key.startswith("not_calibrated:") and n:
                lang = key.split(":", 1)[1]
                not_bucketed[lang] = {
                    "documents": int(n),
                    "reason": self._too_few(int(in_sample.get(lang, 0)), sampled, state),
                }
        return {
            "percentiles": list(self.percentiles),
            "min_documents": self.min_sample,
            "sampled": sampled,
            "cutoffs": dict(sorted(cutoffs.items())),
            "given": sorted(self.cutoffs),
            "not_bucketed": not_bucketed,
        }

    def _too_few(self, seen: int, sampled: int, state: Mapping[str, Any]) -> str:
        docs = f"{seen} scored document{'s' if seen != 1 else ''}"
        if state.get("whole_corpus"):
            return f"only {docs} in the corpus, fewer than {self.min_sample}"
        return (
            f"{docs} in the calibration sample of {sampled}, fewer than {self.min_sample} "
            "(a larger sample: refine.sample_docs)"
        )

    def _assign(self, doc: Document) -> Document:
        cutoffs = self.cutoffs.get(doc.language or "")
        if cutoffs is None and doc.perplexity is not None:
            self.stats.count(f"not_calibrated:{doc.language or '<none>'}")
        doc.bucket = bucket_of(doc.perplexity, cutoffs)
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
            if (
                doc.perplexity is None
                or lang in self.cutoffs
                or self.sample == 0
                or self.calibrated
            ):
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
