"""The refine stage: CCNet's pipeline (paragraph dedup, language id, perplexity buckets) with
the Gopher, C4 and FineWeb quality filters, fuzzy dedup and PII redaction.

From Python::

    from thresher.refine import RefineConfig, refine
    result = refine(["docs/"], "corpus/", RefineConfig())
    result.languages    # {'en': 1200, 'de': 310, ...}

The names below load on first use, so ``thresher langid`` (which needs only
:mod:`thresher.refine.langid`) starts without pydantic, numpy and the steps.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thresher.refine.config import RefineConfig
    from thresher.refine.runner import RefineResult, refine
    from thresher.refine.steps import build_steps

_EXPORTS = {
    "RefineConfig": "thresher.refine.config",
    "RefineResult": "thresher.refine.runner",
    "refine": "thresher.refine.runner",
    "build_steps": "thresher.refine.steps",
}

__all__ = ["RefineConfig", "RefineResult", "build_steps", "refine"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'thresher.refine' has no attribute {name!r}")
    return getattr(import_module(module), name)
