"""Instruction-tuning export (``thresher sft``): forum threads to Alpaca or chat-messages JSONL.

The question is the thread's first post (title and text). The answer is the accepted reply,
else the highest-scored one, else the first reply by another author: never the asker's own
follow-up, and with quotes of earlier posts removed. In ``messages`` form the dialogue goes
on after the answer: the asker's later posts are user turns, each followed by the next reply
of another author as the assistant turn. Threads that cannot give a clean example are skipped
and counted by reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from thresher.errors import ConfigError, NothingToDoError
from thresher.execute.config import ExecutorConfig
from thresher.execute.job import ShardSpec
from thresher.execute.stage import run_stage
from thresher.pipeline.base import Step
from thresher.refine.normalize import dedup_key
from thresher.ship.rows import RowsJob
from thresher.ship.template import Template
from thresher.ship.threads import Post, Thread, threads_from_records, without_quotes
from thresher.stats import StepStats
from thresher.store.readers import DocumentReader, iter_document_files
from thresher.store.sniff import wrong_kind_hint

KIND = "sft"
SFT_FORMATS = ("alpaca", "messages")


@dataclass
class SftConfig:
    """Settings of one export (all are part of the run's fingerprint)."""

    format: Literal["alpaca", "messages"] = "alpaca"
    template: str | None = None  # the template's text (str.format)
    template_path: str | None = None
    min_question_chars: int = 10
    min_answer_chars: int = 10
    languages: list[str] = field(default_factory=list)  # empty: every language
    min_language_score: float = 0.5
    buckets: list[str] = field(default_factory=list)  # empty: every bucket
    dedup: bool = True  # exact duplicates (normalised question + answer)
    near_dedup: bool = True  # MinHash LSH near duplicates
    meta: bool = True  # a "meta" object of provenance on every line

    def check(self) -> None:
        if self.format not in SFT_FORMATS:
            raise ConfigError(
                f"--format {self.format!r}: unknown; choose one of {', '.join(SFT_FORMATS)}"
            )
        if self.min_question_chars < 0 or self.min_answer_chars < 0:
            raise ConfigError("--min-question-chars and --min-answer-chars must be 0 or more")
        if not 0.0 <= self.min_language_score <= 1.0:
            raise ConfigError("--min-language-score must be between 0 and 1")
        bad = sorted(set(self.buckets) - {"head", "middle", "tail"})
        if bad:
            raise ConfigError(f"--buckets: unknown bucket {bad[0]!r}; use head, middle, tail")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "template"} | {
            "template_sha256": hashlib.sha256(self.template.encode()).hexdigest()
            if self.template is not None
            else None
        }


@dataclass
class Answer:
    post: Post
    text: str
    rule: str  # accepted, score or first_reply


def choose_answer(thread: Thread) -> Answer | str:
    """The answer of a thread, or the reason there is none (``no_answer``, ``empty_answer``)."""
    asker = thread.posts[0].author
    replies = [p for p in thread.posts[1:] if p.author and p.author != asker]
    if not replies:
        return "no_answer"
    ranked: list[tuple[str, list[Post]]] = [
        ("accepted", [p for p in replies if p.accepted]),
        ("score", sorted((p for p in replies if p.score is not None), key=lambda p: -p.score)),  # type: ignore[operator]
        ("first_reply", replies),
    ]
    for rule, candidates in ranked:
        for post in candidates:
            text = without_quotes(post, thread.posts[: post.position])
            if text:
                return Answer(post, text, rule)
    return "empty_answer"


def _question(thread: Thread) -> str:
    first = thread.posts[0]
    return without_quotes(first, [])


def dialogue(thread: Thread, answer: Answer) -> list[dict[str, str]]:
    """User and assistant turns: the question, the answer, then each later post of the asker
    (a user turn, consecutive ones merged) and the first reply of someone else after it."""
    asker = thread.posts[0].author
    turns = [{"role": "assistant", "content": answer.text}]
    for post in thread.posts[answer.post.position + 1 :]:
        if not post.author:
            continue
        role = "user" if post.author == asker else "assistant"
        if role == "assistant" and turns[-1]["role"] == "assistant":
            continue  # other replies to the same turn are not part of the dialogue
        text = without_quotes(post, thread.posts[: post.position])
        if not text:
            continue
        if turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + text
        else:
            turns.append({"role": role, "content": text})
    if turns[-1]["role"] == "user":
        turns.pop()  # an unanswered follow-up ends nothing
    return turns


class _Seen:
    """Exact and near-duplicate memory of the examples written so far."""

    def __init__(self, exact: bool, near: bool) -> None:
        self.exact = exact
        self.hashes: set[bytes] = set()
        self.hasher: Any = None
        self.bands: set[tuple[int, int]] = set()
        if near:
            from thresher.refine.minhash import MinHasher

            self.hasher = MinHasher()

    def check(self, question: str, answer: str) -> str | None:
        """``duplicate`` / ``near_duplicate`` when seen before; otherwise remember it."""
        if self.exact:
            h = hashlib.sha1(
                b"\n".join(dedup_key(line) for line in f"{question}\n{answer}".split("\n"))
            ).digest()
            if h in self.hashes:
                return "duplicate"
            self.hashes.add(h)
        if self.hasher is not None:
            bands = self.hasher.band_keys(f"{question}\n{answer}")
            keys = [(b, int(k)) for b, k in enumerate(bands) if k]
            if any(k in self.bands for k in keys):
                return "near_duplicate"
            self.bands.update(keys)
        return None


class SftBuilder(Step[Thread, dict[str, Any]]):
    """Turns threads into output lines, a step: every skip counted by reason in
    :attr:`stats`."""

    name = "sft"

    def __init__(self, config: SftConfig, template: Template | None = None) -> None:
        config.check()
        super().__init__()
        self.config = config
        self.template = template
        self.seen = _Seen(config.dedup, config.near_dedup)
        self._lid: Any = None
        if config.languages:
            from thresher.refine.langid import LanguageIdentifier

            self._lid = LanguageIdentifier()

    def examples(self, threads: Iterable[Thread]) -> Iterator[dict[str, Any]]:
        """The examples of ``threads`` (:meth:`run`)."""
        return self.run(threads)

    def process(self, thread: Thread) -> dict[str, Any] | str:
        return self.example(thread)

    def example(self, thread: Thread) -> dict[str, Any] | str:
        """One output line for a thread, or the reason it is skipped."""
        cfg, stats = self.config, self.stats
        if not thread.first_post_seen or not thread.posts:
            return "missing_first_post"
        if thread.expected_posts is not None and len(thread.posts) < thread.expected_posts:
            return "missing_posts"
        unnamed = sum(1 for p in thread.posts if not p.author)
        if unnamed:
            stats.count("posts_without_author", unnamed)
        first = thread.posts[0]
        if not first.author:
            return "question_without_author"
        question = _question(thread)
        if len(question) < max(cfg.min_question_chars, 1):
            return "short_question"
        answer = choose_answer(thread)
        if isinstance(answer, str):
            return answer
        if len(answer.text) < max(cfg.min_answer_chars, 1):
            return "short_answer"
        if cfg.buckets and first.bucket and first.bucket not in cfg.buckets:
            return "bucket"
        language = first.language
        if self._lid is not None:
            language, score = self._lid.predict(f"{thread.title or ''}\n{question}\n{answer.text}")
            if language not in cfg.languages or score < cfg.min_language_score:
                return "language"
        duplicate = self.seen.check(question, answer.text)
        if duplicate:
            return duplicate
        values = {
            "title": thread.title or "",
            "question": question,
            "author": first.author,
            "url": thread.url,
            "thread": thread.id,
            "date": first.date,
            "language": language,
            "source": thread.source,
        }
        instruction = self.instruction(values)
        stats.count(f"answer_{answer.rule}")
        line: dict[str, Any]
        if cfg.format == "alpaca":
            line = {"instruction": instruction, "input": "", "output": answer.text}
        else:
            turns = dialogue(thread, answer)
            stats.count("turns", 1 + len(turns))
            line = {"messages": [{"role": "user", "content": instruction}, *turns]}
        if cfg.meta:
            line["meta"] = {
                "thread": thread.id,
                "url": thread.url,
                "source": thread.source,
                "question_id": first.id,
                "answer_id": answer.post.id,
                "answer_rule": answer.rule,
                "language": language,
            }
        return line

    def instruction(self, values: dict[str, Any]) -> str:
        if self.template is not None:
            return self.template.render(values).strip()
        title, question = values["title"].strip(), values["question"]
        if title and not question.startswith(title) and not title.lower().startswith("re:"):
            return f"{title}\n\n{question}"
        return question


class SftJob(RowsJob):
    """The threads of every input as examples: one shard (threads span files and the
    duplicate checks span the whole export)."""

    kind = KIND

    def __init__(self, inputs: Sequence[str | Path], config: SftConfig) -> None:
        super().__init__(inputs, config.to_dict())
        self.sft_config = config

    def plan(self, workers: int) -> list[ShardSpec]:
        return [{"files": self.document_files}]

    def items(self, shard: ShardSpec, stats: list[StepStats]) -> Iterator[dict[str, Any]]:
        text = self.sft_config.template
        builder = SftBuilder(self.sft_config, Template(text) if text is not None else None)
        reader = DocumentReader(shard["files"])
        grouping = StepStats("threads")
        stats[:] = [reader.stats, grouping, builder.stats]
        threads = list(threads_from_records(reader, grouping))
        grouping.seen = grouping.kept = len(threads)
        yield from builder.examples(threads)

    def stats(self) -> list[StepStats]:
        return [StepStats("read"), StepStats("threads"), StepStats("sft")]

    def nothing(self, stats: list[StepStats]) -> str:
        by_name = {s.name: s for s in stats}
        threads = by_name["threads"].kept if "threads" in by_name else 0
        return f"{', '.join(self.inputs)}: {_nothing(threads, by_name.get('sft'))}"


def export_sft(
    inputs: Sequence[str | Path],
    out: str | Path,
    config: SftConfig,
    *,
    overwrite: bool = False,
    executor: ExecutorConfig | None = None,
) -> tuple[int, list[StepStats], bool]:
    """Write the examples of the threads in ``inputs`` to ``out`` (a folder or an
    object-store URL); returns (examples, stats, already_done). Nothing is written when the
    inputs give no example."""
    if config.template_path is not None:
        config.template = Template.from_file(config.template_path).text
    SftBuilder(config)  # checks the settings before any output
    for f in iter_document_files(inputs):
        hint = wrong_kind_hint(f, "documents")
        if hint is not None:
            raise NothingToDoError(hint)
    result = run_stage(SftJob(inputs, config), out, executor=executor, overwrite=overwrite)
    return result.documents, result.stats, result.skipped


def _nothing(threads: int, stats: StepStats | None) -> str:
    if not threads:
        return "no forum post records found: run `thresher extract --recipe NAME` first"
    skips = ", ".join(f"{k} {v}" for k, v in (stats.dropped if stats else {}).most_common())
    return f"no example from {threads} threads (skipped: {skips})"
