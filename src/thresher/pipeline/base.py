"""The step protocol, in datatrove's shape: ``run()`` takes items and yields items.

Every stage's per-item work is a :class:`Step`: refine's steps take and yield documents,
extract's first steps take pages and yield documents, ``chunks`` takes documents and yields
rows. A step that drops an item counts why in its own :class:`~thresher.stats.StepStats`;
nothing disappears without a reason. A *drop sink* (``step.drop_sink``), when set, is also
given every dropped item with the step's name and the reason (``refine --keep-dropped``).
:func:`run_steps` chains steps; :func:`fold_stats` folds the counts of one stage's steps into
the stage's single entry (extract's ``stats.json`` holds one ``extract`` entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from thresher.document import Document
from thresher.stats import StepStats

In = TypeVar("In")
Out = TypeVar("Out")

#: receives (item, step name, reason) for every item a step drops (a document, or a page)
DropSink = Callable[[Any, str, str], None]


class Step(Generic[In, Out]):
    """A unit of a stage. Subclasses override :meth:`process` (one item in, one out) or
    :meth:`run` (when they need the whole stream, e.g. dedup, or ask a model in batches).
    ``Step[Page, Document]`` names what goes in and out; refine's steps take documents."""

    name: ClassVar[str] = "step"
    drop_sink: DropSink | None = None

    def __init__(self) -> None:
        self.stats = StepStats(self.name)

    def drop(self, item: In, reason: str) -> None:
        """Count ``item`` as dropped for ``reason`` and hand it to the drop sink, if any."""
        self.stats.dropped[reason] += 1
        if self.drop_sink is not None:
            self.drop_sink(item, self.stats.name, reason)

    def process(self, item: In) -> Out | str:
        """Return the (possibly changed) item, or a drop reason as a string."""
        return item  # type: ignore[return-value]

    def run(self, items: Iterable[In]) -> Iterator[Out]:
        stats, process, drop = self.stats, self.process, self.drop
        for item in items:
            stats.seen += 1
            result = process(item)
            if isinstance(result, str):
                drop(item, result)
            else:
                stats.kept += 1
                yield result

    def close(self) -> None:
        """Release resources held by the step (files, models). Called once after the stream."""


class Split(Step[In, Out]):
    """A step that makes several items of one (a page's forum posts, a document's chunks):
    override :meth:`split` to return them or a drop reason. ``kept`` counts the items that
    gave at least one, the counter named ``outputs`` how many they gave."""

    outputs: ClassVar[str] = "outputs"

    def split(self, item: In) -> list[Out] | str:
        raise NotImplementedError

    def run(self, items: Iterable[In]) -> Iterator[Out]:
        stats, split, drop, outputs = self.stats, self.split, self.drop, self.outputs
        for item in items:
            stats.seen += 1
            result = split(item)
            if isinstance(result, str):
                drop(item, result)
                continue
            stats.kept += 1
            stats.count(outputs, len(result))
            yield from result


class Filter(Step[Document, Document]):
    """A step that only keeps or drops: override :meth:`reject` to return a reason or None."""

    name: ClassVar[str] = "filter"

    def reject(self, doc: Document) -> str | None:
        return None

    def process(self, doc: Document) -> Document | str:
        reason = self.reject(doc)
        return doc if reason is None else reason


def run_steps(steps: Sequence[Step[Any, Any]], items: Iterable[Any]) -> Iterator[Any]:
    """``items`` through ``steps`` one after another, lazily (nothing runs until read)."""
    stream: Iterable[Any] = items
    for step in steps:
        stream = step.run(stream)
    return iter(stream)


def fold_stats(into: StepStats, steps: Sequence[Step[Any, Any]], *, first: bool = True) -> None:
    """Add the counts of consecutive steps of one stage to the stage's entry ``into``: the
    stage saw what its first step saw (``first=False``: an earlier part of the stage counted
    it already), dropped what any step dropped, kept the rest; counters add up. A step that
    splits items keeps counting inputs, so a page with three posts is one page kept."""
    if not steps:
        return
    if first:
        into.seen += steps[0].stats.seen
        into.kept += steps[0].stats.seen
    for step in steps:
        into.kept -= sum(step.stats.dropped.values())
        into.dropped.update(step.stats.dropped)
        into.counters.update(step.stats.counters)


class Pipeline:
    """A list of steps run lazily one after another (:func:`run_steps`), closed after."""

    def __init__(self, steps: Sequence[Step[Any, Any]]) -> None:
        self.steps = list(steps)

    def run(self, items: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from run_steps(self.steps, items)
        finally:
            for step in self.steps:
                step.close()

    @property
    def stats(self) -> list[StepStats]:
        return [s.stats for s in self.steps]
