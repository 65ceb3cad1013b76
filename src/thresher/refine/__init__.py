"""The refine stage: CCNet's pipeline (paragraph dedup, language id, perplexity buckets) with
the Gopher, C4 and FineWeb quality filters, fuzzy dedup and PII redaction.

From Python::

    from thresher.refine import RefineConfig, refine
    result = refine(["docs/"], "corpus/", RefineConfig())
    result.languages    # {'en': 1200, 'de': 310, ...}
"""

from thresher.refine.config import RefineConfig
from thresher.refine.runner import RefineResult, refine
from thresher.refine.steps import build_steps

__all__ = ["RefineConfig", "RefineResult", "build_steps", "refine"]
