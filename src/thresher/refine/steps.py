"""The refine pipeline as a list of steps, built from the ``refine:`` configuration."""

from __future__ import annotations

from thresher.pipeline.base import Step
from thresher.refine.config import RefineConfig


def build_steps(config: RefineConfig | None = None) -> list[Step]:
    """The enabled steps in CCNet order: paragraph dedup, language id, length and quality
    filters, (perplexity, buckets, fuzzy dedup, classifier), decontamination (when benchmarks
    are given: fewest documents left to check), PII redaction last."""
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
    if config.decontaminate.active:
        from thresher.refine.decontaminate import Decontaminate

        steps.append(Decontaminate(config.decontaminate))
    if config.pii.enabled:
        steps.append(PIIRedactor(config.pii))
    return steps


def model_steps(config: RefineConfig) -> list[Step]:
    """Fuzzy dedup, then perplexity and buckets (with a model folder), classifier, quality
    model.

    MinHash goes first so that duplicates are not scored; without ``lm_dir`` documents leave
    refine in bucket ``all``.
    """
    from thresher.refine.buckets import Buckets
    from thresher.refine.lm import Perplexity
    from thresher.refine.minhash import MinHashDedup

    steps: list[Step] = []
    if config.minhash.enabled:
        steps.append(MinHashDedup.from_config(config.minhash))
    if config.lm.enabled and config.lm_dir is not None:
        steps.append(Perplexity(config.lm_dir, config.lm.languages))
        if config.bucket_by == "perplexity":
            steps.append(Buckets.from_config(config.lm))
    if config.classifier.enabled:
        from thresher.refine.classifier import Classifier

        steps.append(Classifier.from_config(config.classifier))
    steps.extend(quality_model_steps(config))
    return steps


def quality_model_steps(config: RefineConfig) -> list[Step]:
    """The train-quality model's scores, filter and (``bucket_by: quality``) buckets."""
    from thresher.errors import ConfigError
    from thresher.refine.quality_score import QualityScore

    by_quality = config.bucket_by == "quality"
    if not config.quality_model.enabled:
        if by_quality:
            raise ConfigError("refine.bucket_by: quality needs the quality_model step enabled")
        return []
    return [QualityScore.from_config(config.quality_model, bucket=by_quality)]
