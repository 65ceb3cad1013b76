"""thresher: turn the web into clean training data for language models.

crawl → WARC → extract → documents → refine → corpus (JSONL / Parquet + manifest).
"""

from __future__ import annotations

__version__ = "0.1.0"

from thresher.document import Document, stable_id
from thresher.errors import ConfigError, InputError, ThresherError, VerifyError
from thresher.pipeline import Filter, Pipeline, Step
from thresher.stats import StepStats

__all__ = [
    "ConfigError",
    "Document",
    "Filter",
    "InputError",
    "Pipeline",
    "Step",
    "StepStats",
    "ThresherError",
    "VerifyError",
    "__version__",
    "stable_id",
]
