"""The refine pipeline as a list of steps, built from the ``refine:`` configuration."""

from __future__ import annotations

from thresher.pipeline.base import Step
from thresher.refine.config import RefineConfig


def build_steps(config: RefineConfig | None = None) -> list[Step]:
    """The enabled steps in CCNet order: paragraph dedup, language id, length and quality
    filters, (perplexity, buckets, fuzzy dedup, classifier), PII redaction last."""
    from thresher.refine.dedup import ParagraphDedup
    from thresher.refine.langid import LanguageId
    from thresher.refine.pii import PIIRedactor
    from thresher.refine.quality import LengthFilter, quality_steps

    config = config or RefineConfig()
    steps: list[Step] = []
    if config.dedup.enabled:
        steps.append(ParagraphDedup(config.dedup))
    if config.langid.enabled:
        steps.append(LanguageId(config.langid))
    if config.length.enabled:
        steps.append(LengthFilter(config.length))
    steps.extend(
        quality_steps(config.gopher_repetition, config.gopher_quality, config.c4, config.fineweb)
    )
    steps.extend(model_steps(config))
    if config.pii.enabled:
        steps.append(PIIRedactor(config.pii))
    return steps


def model_steps(config: RefineConfig) -> list[Step]:
    """Steps that need trained models: perplexity and buckets, fuzzy dedup, classifier.

    Left empty until those steps are wired in; a document leaves refine in bucket ``all``
    when no step sets its bucket.
    """
    return []
