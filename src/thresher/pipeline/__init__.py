"""Pipeline building blocks: a step takes a stream of documents and yields documents."""

from thresher.pipeline.base import Filter, Pipeline, Step

__all__ = ["Filter", "Pipeline", "Step"]
