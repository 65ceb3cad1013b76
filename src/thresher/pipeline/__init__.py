"""Pipeline building blocks: a step takes a stream of items (pages, documents) and yields
items, counting what it drops and why; :func:`run_steps` chains steps."""

from thresher.pipeline.base import Filter, Pipeline, Split, Step, fold_stats, run_steps

__all__ = ["Filter", "Pipeline", "Split", "Step", "fold_stats", "run_steps"]
