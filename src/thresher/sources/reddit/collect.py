"""``thresher reddit``: collect subreddits through the API into a folder, resumably.

``DIR/state.sqlite`` remembers every submission whose comments were archived and every
comment archived, so a second run fetches only what is new (a listing is read again: it
changes). Raw JSON goes to ``DIR/raw/RS_api-NNNNN.jsonl.gz`` / ``RC_api-NNNNN.jsonl.gz``
(one pair per run, one gzip member per submission, flushed before the state records it),
the same objects the dumps hold (with ``retrieved_on``, the time of collection, as
there); ``DIR/documents`` is then built from all of ``DIR/raw`` by the dump reader, so API
and dump threads are the same documents.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thresher.errors import InputError, OutputError
from thresher.sources.reddit.api import RedditAPI
from thresher.sources.reddit.records import bare_id
from thresher.sources.reddit.settings import subreddit_name

STATE = "state.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, subreddit TEXT, comments INTEGER, run INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS comments (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, subreddits TEXT, sort TEXT);
"""


@dataclass
class Collected:
    """What one run added, and the documents folder built afterwards."""

    new_submissions: int = 0
    new_comments: int = 0
    known_submissions: int = 0
    failed: list[str] = field(default_factory=list)
    documents: int = 0
    documents_dir: str = ""


class State:
    """The collection's memory in ``DIR/state.sqlite``."""

    def __init__(self, root: Path) -> None:
        self.db = sqlite3.connect(root / STATE)
        self.db.executescript(SCHEMA)
        self.db.commit()

    def new_run(self, subreddits: Sequence[str], sort: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (subreddits, sort) VALUES (?, ?)", (",".join(subreddits), sort)
        )
        self.db.commit()
        return int(cur.lastrowid or 0)

    def has(self, submission_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM submissions WHERE id = ?", (submission_id,))
        return row.fetchone() is not None

    def unseen(self, comment_ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for i in range(0, len(comment_ids), 500):
            chunk = comment_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT id FROM comments WHERE id IN ({marks})", chunk)
            seen.update(r[0] for r in rows)
        return set(comment_ids) - seen

    def record(self, submission_id: str, subreddit: str, comment_ids: list[str], run: int) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?)",
                (submission_id, subreddit, len(comment_ids), run),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO comments VALUES (?)", [(c,) for c in comment_ids]
            )

    def close(self) -> None:
        self.db.close()


class RawArchive:
    """This run's raw files; each submission's objects are one gzip member, appended and
    synced before the state records the submission (files appear with their first member)."""

    def __init__(self, root: Path, run: int) -> None:
        raw = root / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        self.paths = (raw / f"RS_api-{run:05d}.jsonl.gz", raw / f"RC_api-{run:05d}.jsonl.gz")

    def add(self, submission: dict[str, Any], comments: list[dict[str, Any]]) -> None:
        for path, objs in zip(self.paths, ([submission], comments), strict=True):
            if not objs:
                continue
            lines = b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objs)
            with open(path, "ab") as f:
                f.write(gzip.compress(lines, mtime=0))
                f.flush()
                os.fsync(f.fileno())


def check_collection(root: Path) -> None:
    """Refuse a folder that holds something else than a collection (one line)."""
    if root.is_dir() and any(root.iterdir()) and not (root / STATE).exists():
        raise OutputError(
            f"{root}: not a Reddit collection (no {STATE}); give an empty or new folder"
        )


def collect(
    api: RedditAPI,
    subreddits: Sequence[str],
    root: Path,
    *,
    sort: str = "new",
    limit: int = 100,
    time_filter: str = "all",
) -> Collected:
    """Archive new submissions and comments of ``subreddits`` into ``root``."""
    names = [subreddit_name(s) for s in subreddits]
    state = State(root)
    result = Collected()
    run = state.new_run(names, sort)
    archive = RawArchive(root, run)
    stats = api.stats
    try:
        for name in names:
            try:
                listing = list(api.submissions(name, sort, limit, time_filter))
            except InputError as e:
                result.failed.append(str(e))
                stats.count("errors")
                continue
            for raw in listing:
                sid = bare_id(raw.get("id") or raw.get("name"))
                if not sid:
                    stats.count("api:no_id")
                    continue
                if state.has(sid):
                    result.known_submissions += 1
                    continue
                try:
                    comments = api.comments(sid)
                except InputError as e:  # e.g. a 500 prawcore's retries did not get past
                    result.failed.append(str(e))
                    stats.count("errors")
                    continue  # not recorded: the next run tries it again
                ids = [bare_id(c.get("id") or c.get("name")) for c in comments]
                fresh = state.unseen([i for i in ids if i])
                new = [c for c, i in zip(comments, ids, strict=True) if i in fresh]
                now = int(time.time())  # as the dumps note when they fetched an object
                archive.add({**raw, "retrieved_on": now}, [{**c, "retrieved_on": now} for c in new])
                state.record(sid, name, [i for i in ids if i], run)
                result.new_submissions += 1
                result.new_comments += len(new)
    finally:
        state.close()
    stats.count("api:submissions", result.new_submissions)
    stats.count("api:comments", result.new_comments)
    return result


def raw_files(root: Path) -> list[str]:
    """Every raw file of the collection, in run order."""
    raw = root / "raw"
    return sorted(str(p) for p in raw.glob("R[SC]_api-*.jsonl.gz")) if raw.is_dir() else []
