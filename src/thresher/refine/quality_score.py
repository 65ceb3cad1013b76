"""The ``quality_model`` refine step: scores every document with a model made by
``thresher train-quality`` (``metadata.quality_score``), drops those below a threshold or
keeps the best fraction of each language, and, with ``refine.bucket_by: quality``, puts
documents into head / middle / tail buckets by score instead of perplexity.

A fraction per language needs the whole corpus: the step is :class:`Calibrated` (as the
perplexity buckets), its cut-offs measured once on the run's sample (``refine.sample_docs``)
and the same in every shard. A language with fewer than ``min_sample`` documents in that
sample takes the cut-off of all languages pooled (counted ``pooled_cutoff:LANG``). Used on
its own over one stream, the step measures its cut-offs on the first ``max_buffered``
documents, which wait until then.

What the report draws comes from the step's counters (summed over shards): ``hist:LANG:BB``
counts scores in 20 equal bins of the model's range; ``cutoff_sum_micro:LANG`` and
``cutoff_shards:LANG`` give the cut-off a language was filtered at (sum / shards / 1e6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from thresher.document import Document
from thresher.errors import ConfigError
from thresher.pipeline.base import Step
from thresher.refine.corpus_step import Calibrated
from thresher.settings_base import Section

#: bins of the score histogram (over the model's score range)
BINS = 20
POOLED = "*"
HEAD, MIDDLE, TAIL = "head", "middle", "tail"


class QualityModelConfig(Section):
    """Scores from a ``thresher train-quality`` model; filter and buckets by score."""

    enabled: bool = Field(False, description="score documents with a train-quality model")
    model_dir: str | None = Field(None, description="folder written by thresher train-quality")
    threshold: float | None = Field(
        None, description="drop documents scored below this (null: keep every score)"
    )
    top_fraction: float | None = Field(
        None,
        gt=0,
        le=1,
        description="keep this best fraction of each language (cut-offs measured on "
        "refine.sample_docs documents; null: no such cut)",
    )
    min_sample: int = Field(
        10,
        ge=1,
        description="documents of a language the sample needs for its own cut-offs (else the "
        "cut-offs of all languages pooled)",
    )
    bucket_percentiles: tuple[float, float] = Field(
        (30.0, 60.0),
        description="with refine.bucket_by: quality, head = the best 30 % of a language, "
        "middle the next 30 %, tail the rest",
    )
    batch: int = Field(256, ge=1, description="documents scored at once", exclude=True)
    about: dict[str, Any] | None = Field(
        None,
        description="read from model_dir's quality_model.json (how the model was made); "
        "recorded in the manifest and the dataset card, not set by hand",
    )

    @field_validator("bucket_percentiles")
    @classmethod
    def _percentiles(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0 < lo < hi < 100:
            raise ValueError(f"must be 0 < head < middle < 100, got [{lo}, {hi}]")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_about(cls, data: Any) -> Any:
        """The model's description is read when the folder is named (a bad folder is one
        line), so the manifest, the card and the run's identity cover the model itself."""
        if isinstance(data, dict) and data.get("model_dir"):
            from thresher.refine.quality_model import read_meta

            meta = read_meta(data["model_dir"])
            return {**data, "about": meta}
        return data


def quality_cutoffs(
    scores: dict[str, list[float]],
    top_fraction: float | None,
    percentiles: tuple[float, float] | None,
    min_sample: int,
) -> dict[str, Any]:
    """Per language (and pooled, ``*``): the score a document must reach to be in the top
    fraction, and the lowest scores of head and middle."""
    pooled = [s for values in scores.values() for s in values]
    groups = {k: v for k, v in scores.items() if len(v) >= min_sample}
    if pooled:
        groups[POOLED] = pooled
    cut: dict[str, float] = {}
    buckets: dict[str, list[float]] = {}
    for lang, values in sorted(groups.items()):
        arr = np.asarray(values, dtype=np.float64)
        if top_fraction is not None:
            cut[lang] = round(float(np.quantile(arr, 1.0 - top_fraction)), 6)
        if percentiles is not None:
            lo, hi = percentiles
            head, middle = np.quantile(arr, [1.0 - lo / 100.0, 1.0 - hi / 100.0])
            buckets[lang] = [round(float(head), 6), round(float(middle), 6)]
    return {"cutoffs": cut, "buckets": buckets}


class QualityScore(Step):
    """Sets ``metadata.quality_score``; drops below the cut-off; buckets by score. Made by
    :meth:`from_config` as :class:`CalibratedQualityScore` when a fraction or buckets need
    cut-offs from the corpus (a threshold alone needs no calibration pass)."""

    name: ClassVar[str] = "quality_model"

    def __init__(
        self,
        model_dir: str,
        *,
        threshold: float | None = None,
        top_fraction: float | None = None,
        bucket: bool = False,
        percentiles: tuple[float, float] = (30.0, 60.0),
        min_sample: int = 10,
        batch: int = 256,
        max_buffered: int = 50_000,
    ) -> None:
        from thresher.refine.quality_model import load_model

        super().__init__()
        self.model = load_model(model_dir)
        self.threshold = threshold
        self.top_fraction = top_fraction
        self.bucket = bucket
        self.percentiles = percentiles
        self.min_sample = min_sample
        self.batch = batch
        self.max_buffered = max(1, max_buffered)
        self.cutoffs: dict[str, float] = {}
        self.bucket_cutoffs: dict[str, list[float]] = {}
        self.calibrated = not self.needs_calibration
        self._seen_langs: set[str] = set()
        span = self.model.high - self.model.low
        self._bin_width = span / BINS if span > 0 else 1.0

    @property
    def needs_calibration(self) -> bool:
        return self.top_fraction is not None or self.bucket

    @classmethod
    def from_config(cls, config: QualityModelConfig, *, bucket: bool = False) -> QualityScore:
        if config.model_dir is None:
            raise ConfigError("refine.quality_model.model_dir: required when the step is enabled")
        kind = CalibratedQualityScore if config.top_fraction is not None or bucket else cls
        return kind(
            config.model_dir,
            threshold=config.threshold,
            top_fraction=config.top_fraction,
            bucket=bucket,
            percentiles=config.bucket_percentiles,
            min_sample=config.min_sample,
            batch=config.batch,
        )

    # -- calibration -----------------------------------------------------------------------
    def calibrate(self, docs: Iterable[Document]) -> dict[str, Any]:
        """Cut-offs from the scores of a sample of the corpus (see :func:`quality_cutoffs`)."""
        scores: dict[str, list[float]] = {}
        sampled = 0
        for group in _batches(docs, self.batch):
            sampled += len(group)
            values = self.model.predict([d.text for d in group])
            for doc, s in zip(group, values, strict=True):
                scores.setdefault(doc.language or "", []).append(float(s))
        state = quality_cutoffs(
            scores,
            self.top_fraction,
            self.percentiles if self.bucket else None,
            self.min_sample,
        )
        state["documents"] = {k: len(v) for k, v in sorted(scores.items())}
        state["sampled"] = sampled
        return state

    def load_calibration(self, state: dict[str, Any]) -> None:
        self.cutoffs = {k: float(v) for k, v in state.get("cutoffs", {}).items()}
        self.bucket_cutoffs = {k: list(v) for k, v in state.get("buckets", {}).items()}
        self.calibrated = True

    # -- the pass --------------------------------------------------------------------------
    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        it = iter(docs)
        if not self.calibrated:  # on its own: measure on the first documents
            held = list(islice(it, self.max_buffered))
            self.load_calibration(self.calibrate(held))
            it = iter([*held, *it]) if held else it
        for group in _batches(it, self.batch):
            values = self.model.predict([d.text for d in group])
            for doc, score in zip(group, values, strict=True):
                self.stats.seen += 1
                out = self._decide(doc, float(score))
                if isinstance(out, str):
                    self.drop(doc, out)
                else:
                    self.stats.kept += 1
                    yield out

    def _cutoff(self, lang: str) -> float | None:
        """The score a document of ``lang`` must reach (threshold and top fraction)."""
        cut = self.threshold
        if self.top_fraction is not None:
            own = self.cutoffs.get(lang, self.cutoffs.get(POOLED))
            if lang not in self.cutoffs and own is not None:
                self.stats.count(f"pooled_cutoff:{lang or '<none>'}")
            if own is not None:
                cut = own if cut is None else max(cut, own)
        return cut

    def _decide(self, doc: Document, score: float) -> Document | str:
        lang = doc.language or ""
        doc.metadata["quality_score"] = round(score, 4)
        b = min(BINS - 1, max(0, int((score - self.model.low) / self._bin_width)))
        self.stats.count(f"hist:{lang or '<none>'}:{b:02d}")
        cut = self._cutoff(lang)
        if lang not in self._seen_langs:  # once per shard: the report divides by shards
            self._seen_langs.add(lang)
            if cut is not None:
                self.stats.count(f"cutoff_sum_micro:{lang or '<none>'}", round(cut * 1e6))
                self.stats.count(f"cutoff_shards:{lang or '<none>'}")
        if self.threshold is not None and score < self.threshold:
            return "below_threshold"
        if cut is not None and score < cut:
            return "below_top_fraction"
        if self.bucket:
            doc.bucket = self._bucket_of(lang, score)
            self.stats.count(f"bucket:{doc.bucket}")
        return doc

    def _bucket_of(self, lang: str, score: float) -> str:
        cuts = self.bucket_cutoffs.get(lang) or self.bucket_cutoffs.get(POOLED)
        if cuts is None:
            return "all"
        if score >= cuts[0]:
            return HEAD
        return MIDDLE if score >= cuts[1] else TAIL


class CalibratedQualityScore(QualityScore, Calibrated):
    """The step when its cut-offs come from the corpus: the refine runner measures them once
    on its sample (:meth:`QualityScore.calibrate`) for every shard."""


def _batches(docs: Iterable[Document], n: int) -> Iterator[list[Document]]:
    it = iter(docs)
    while group := list(islice(it, n)):
        yield group


def histogram(counters: dict[str, int], lang: str | None = None) -> list[int]:
    """The 20 bins of a language's scores (None: every language) from the step's counters."""
    bins = [0] * BINS
    for key, n in counters.items():
        if key.startswith("hist:"):
            k_lang, b = key[5:].rsplit(":", 1)
            if lang is None or k_lang == lang:
                bins[int(b)] += int(n)
    return bins


def cutoffs_from_counters(counters: dict[str, int]) -> dict[str, float]:
    """The cut-off each language was filtered at (see the module docstring)."""
    out: dict[str, float] = {}
    for key, n in counters.items():
        if key.startswith("cutoff_shards:") and n:
            lang = key.split(":", 1)[1]
            out[lang] = counters.get(f"cutoff_sum_micro:{lang}", 0) / n / 1e6
    return dict(sorted(out.items()))


def languages_of(counters: dict[str, int]) -> list[str]:
    """Languages with scores in the counters, most documents first."""
    per: dict[str, int] = {}
    for key, n in counters.items():
        if key.startswith("hist:"):
            lang = key[5:].rsplit(":", 1)[0]
            per[lang] = per.get(lang, 0) + int(n)
    return sorted(per, key=lambda k: (-per[k], k))


def describe_model(about: dict[str, Any] | None) -> list[str]:
    """Lines saying how a train-quality model was made (for the card and summaries)."""
    if not about:
        return []
    data, sizes = about.get("data", {}), about.get("sizes", {})
    trainer = about.get("trainer", {})
    metrics = (about.get("metrics") or {}).get("held_out") or {}
    lines = [
        f"Trainer: {trainer.get('name', '?')} {trainer.get('version', '')} on "
        f"{trainer.get('features', '?')}; target {about.get('target', '?')} "
        f"(quality_score = {about.get('quality_score', '?')}).",
    ]
    if data.get("recipe") == "annotations":
        lines.append(
            f"Data: {sizes.get('documents', '?')} documents annotated with the "
            f"{', '.join(data.get('prompts', {})) or '?'} prompt by "
            f"{', '.join(data.get('annotators', {})) or '?'}; scores {data.get('by_score', {})}."
        )
    else:
        lab = data.get("by_label", {})
        lines.append(
            f"Data: {lab.get('positive', '?')} positive and {lab.get('negative', '?')} negative "
            "texts (DCLM recipe)."
        )
    if metrics:
        shown = ", ".join(f"{k} {v}" for k, v in metrics.items() if k != "documents")
        lines.append(f"Held-out ({metrics.get('documents', '?')} documents): {shown}.")
    return lines


def quality_model_card(config: dict[str, Any]) -> str:
    """The dataset card's section on the quality model (from the manifest's configuration):
    how it was made, and how the run used it; empty when the step was off."""
    section = config.get("quality_model") or {}
    if not section.get("enabled"):
        return ""
    used = []
    if section.get("threshold") is not None:
        used.append(f"documents scored below {section['threshold']:g} were dropped")
    if section.get("top_fraction") is not None:
        used.append(
            f"the best {section['top_fraction']:.0%} of each language were kept (cut-offs "
            "measured on a sample of the corpus)"
        )
    if config.get("bucket_by") == "quality":
        lo, hi = section.get("bucket_percentiles") or (30, 60)
        used.append(
            f"buckets by score: head = the best {lo:g} % of a language, middle up to {hi:g} %"
        )
    lines = [
        "### Quality classifier\n",
        "Every document carries `metadata.quality_score` from a classifier made by "
        "`thresher train-quality`"
        + (f"; {'; '.join(used)}." if used else " (scores recorded, nothing dropped)."),
        "",
        *(f"- {line}" for line in describe_model(section.get("about"))),
        "",
    ]
    return "\n".join(lines)
