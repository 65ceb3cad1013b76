"""Reddit dumps as an extract source: ``thresher extract RS_2024-01.zst RC_2024-01.zst``.

Every submission file and comment file of one run is one work item (comments must meet
their submissions, and a comment may sit in a later month's file than its post). The item
streams the comment files into an on-disk index (:mod:`.grouping`), then the submission
files, yielding one thread page per submission kept by the ``extract.reddit`` filters.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from thresher.errors import InputError
from thresher.sources.reddit.grouping import CommentIndex
from thresher.sources.reddit.lines import iter_objects
from thresher.sources.reddit.names import KIND, PREFIX, dump_role
from thresher.sources.reddit.records import Submission, comment, submission
from thresher.sources.reddit.tree import thread_page
from thresher.sources.registry import work_folder

if TYPE_CHECKING:
    from thresher.extract.config import ExtractConfig
    from thresher.sources.page import Page
    from thresher.sources.reddit.settings import RedditSettings
    from thresher.stats import StepStats


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


class RedditDumps:
    """The :class:`thresher.sources.registry.Source` of Reddit dumps."""

    def expand(self, spec: str, config: ExtractConfig) -> list[tuple[str, str]]:
        return self.expand_all([spec], config)

    def expand_all(self, specs: list[str], config: ExtractConfig) -> list[tuple[str, str]]:
        """One item holding every dump of the run. The locator names each file with its
        size, so a grown or replaced dump is another run."""
        files: dict[str, list[list[Any]]] = {"submissions": [], "comments": []}
        for spec in specs:
            if spec.startswith(PREFIX):
                return [(spec, KIND)]
            role = dump_role(spec)
            assert role is not None
            if "://" not in spec and not os.path.isfile(spec):
                raise InputError(f"{spec}: no such file")
            files[role].append([spec, _size(spec)])
        if not files["submissions"]:
            names = ", ".join(f for f, _ in files["comments"])
            raise InputError(
                f"{names}: comment dumps need their submission dump (RS_YYYY-MM.zst) too"
            )
        return [(PREFIX + json.dumps(files, sort_keys=True), KIND)]

    def iter_pages(self, locator: str, config: ExtractConfig, stats: StepStats) -> Iterator[Page]:
        try:
            files = json.loads(locator.removeprefix(PREFIX))
            subs = [str(f[0]) for f in files["submissions"]]
            coms = [str(f[0]) for f in files["comments"]]
        except (ValueError, KeyError, TypeError, IndexError):
            raise InputError(f"{locator[:80]}: not a Reddit dumps item") from None
        yield from dump_threads(subs, coms, config.reddit, stats)


def dump_threads(
    submission_files: list[str],
    comment_files: list[str],
    settings: RedditSettings,
    stats: StepStats,
) -> Iterator[Page]:
    """Thread pages of the submissions kept by ``settings``, with their comments."""
    keep = Filter(settings)
    # beside the run's staged shards by default, so a killed run leaves nothing in the temp
    # folder (the work folder goes when the run is committed)
    where = settings.work_dir or (str(work_folder()) if work_folder() is not None else None)
    with CommentIndex(where) as index:
        for path in comment_files:
            index.add(_comments(path, keep, stats))
        index.finish()
        stats.count("reddit:comments_indexed", index.rows)
        for path in submission_files:
            for raw in iter_objects(path, stats, keep.lines):
                sub = submission(raw)
                if sub is None:
                    stats.count("reddit_skip:no_id")
                    continue
                reason = keep.submission(sub)
                if reason is None and not index.first_time(sub.id):
                    reason = "repeated_submission"
                if reason is not None:
                    stats.seen += 1
                    stats.drop(reason)
                    continue
                yield thread_page(sub, index.of(sub.id), f"{path}#t3_{sub.id}")


def _comments(path: str, keep: Filter, stats: StepStats) -> Iterator[dict[str, Any]]:
    for raw in iter_objects(path, stats, keep.lines):
        if not keep.subreddit(raw.get("subreddit")):
            continue
        c = comment(raw)
        if c is None:
            stats.count("reddit_skip:no_id")
            continue
        stats.count(f"reddit:comments_{c['status']}")
        yield c


class Filter:
    """The ``extract.reddit`` rules: subreddits, time window, self posts, removed posts."""

    def __init__(self, settings: RedditSettings) -> None:
        self.names = set(settings.subreddits)
        #: lines that can be of a kept subreddit (names are [A-Za-z0-9_], never escaped)
        self.lines = (
            re.compile(
                rb'"subreddit"\s*:\s*"(?:'
                + b"|".join(re.escape(n.encode()) for n in sorted(self.names))
                + rb')"',
                re.IGNORECASE,
            )
            if self.names
            else None
        )
        self.since, self.until = settings.window()
        self.link_posts = settings.link_posts

    def subreddit(self, name: Any) -> bool:
        return not self.names or (isinstance(name, str) and name.lower() in self.names)

    def submission(self, sub: Submission) -> str | None:
        """The reason a submission is not a thread, or None to keep it."""
        if not self.subreddit(sub.subreddit):
            return "other_subreddit"
        if self.since is not None and (sub.created is None or sub.created < self.since):
            return "before_since"
        if self.until is not None and (sub.created is None or sub.created >= self.until):
            return "not_before_until"
        if sub.status != "ok":
            return f"submission_{sub.status}"
        if not sub.is_self and not self.link_posts:
            return "link_post"
        return None
