"""The step protocol, in datatrove's shape: ``run()`` takes documents and yields documents.

A step that drops a document counts why in its :class:`~thresher.stats.StepStats`; nothing
disappears without a reason. A *drop sink* (``step.drop_sink``), when set, is also given every
dropped document with the step's name and the reason (``refine --keep-dropped`` keeps them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar

from thresher.document import Document
from thresher.stats import StepStats

#: receives (document, step name, reason) for every document a step drops
DropSink = Callable[[Document, str, str], None]


class Step:
    """A unit of the pipeline. Subclasses override :meth:`process` (one document at a time)
    or :meth:`run` (when they need the whole stream, e.g. dedup)."""

    name: ClassVar[str] = "step"
    drop_sink: DropSink | None = None

    def __init__(self) -> None:
        self.stats = StepStats(self.name)

    def drop(self, doc: Document, reason: str) -> None:
        """Count ``doc`` as dropped for ``reason`` and hand it to the drop sink, if any."""
        self.stats.dropped[reason] += 1
        if self.drop_sink is not None:
            self.drop_sink(doc, self.stats.name, reason)

    def process(self, doc: Document) -> Document | str:
        """Return the (possibly changed) document, or a drop reason as a string."""
        return doc

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        stats = self.stats
        process = self.process
        for doc in docs:
            stats.seen += 1
            result = process(doc)
            if isinstance(result, str):
                self.drop(doc, result)
            else:
                stats.kept += 1
                yield result

    def close(self) -> None:
        """Release resources held by the step (files, models). Called once after the stream."""


class Filter(Step):
    """A step that only keeps or drops: override :meth:`reject` to return a reason or None."""

    name: ClassVar[str] = "filter"

    def reject(self, doc: Document) -> str | None:
        return None

    def process(self, doc: Document) -> Document | str:
        reason = self.reject(doc)
        return doc if reason is None else reason


class Pipeline:
    """A list of steps run lazily one after another over a stream of documents."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream: Iterable[Document] = docs
        for step in self.steps:
            stream = step.run(stream)
        yield from stream
        for step in self.steps:
            step.close()

    @property
    def stats(self) -> list[StepStats]:
        return [s.stats for s in self.steps]
