"""Comments grouped by submission on disk, so memory does not grow with the dump.

Comments are appended to an SQLite table as they stream in (only the fields a thread keeps,
as compact JSON), then copied once in submission order (SQLite sorts with bounded memory,
spilling to temporary files) and indexed, so a submission's comments are read back as one
run of neighbouring pages. Memory is SQLite's page cache and sorter (``CACHE_KIB``) plus
one batch of rows; disk is about the kept fields of every comment, twice during the copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

#: SQLite's page cache (and so its sorter's memory) in KiB
CACHE_KIB = 64 * 1024
BATCH = 5000


class CommentIndex:
    """A temporary on-disk table of comments, looked up by submission id."""

    def __init__(self, work_dir: str | None = None) -> None:
        if work_dir:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="thresher-reddit-", dir=work_dir)
        self.db = sqlite3.connect(os.path.join(self.dir, "comments.sqlite"))
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            f"cache_size=-{CACHE_KIB}",
            "temp_store=FILE",
            "locking_mode=EXCLUSIVE",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE incoming (link TEXT NOT NULL, data BLOB NOT NULL)")
        self.db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.rows = 0
        self._ready = False

    def add(self, comments: Iterable[dict[str, Any]]) -> None:
        """Store comments (dicts of :func:`thresher.sources.reddit.records.comment`)."""
        batch: list[tuple[str, bytes]] = []
        for c in comments:
            batch.append((c["link"], orjson.dumps(c)))
            if len(batch) >= BATCH:
                self._insert(batch)
        self._insert(batch)

    def _insert(self, batch: list[tuple[str, bytes]]) -> None:
        if batch:
            self.db.executemany("INSERT INTO incoming VALUES (?, ?)", batch)
            self.rows += len(batch)
            batch.clear()

    def finish(self) -> None:
        """Copy the comments in submission order and index them (once, after the last add).
        The sorter spills into this index's folder, not the system temp (a process-wide
        SQLite setting, so it is set for the copy only)."""
        if "'" not in self.dir:  # a pragma takes no bound parameter
            self.db.execute(f"PRAGMA temp_store_directory = '{self.dir}'")
        try:
            self.db.execute(
                "CREATE TABLE comments AS SELECT link, data FROM incoming ORDER BY link, rowid"
            )
            self.db.execute("DROP TABLE incoming")
            self.db.execute("CREATE INDEX by_link ON comments (link)")
            self.db.commit()
        finally:
            self.db.execute("PRAGMA temp_store_directory = ''")
        self._ready = True

    def of(self, link: str) -> list[dict[str, Any]]:
        """The comments of one submission, each once (the first copy when a comment is in
        several dumps), in the order they were added."""
        assert self._ready, "finish() first"
        out: dict[str, dict[str, Any]] = {}
        for (data,) in self.db.execute("SELECT data FROM comments WHERE link = ?", (link,)):
            c = orjson.loads(data)
            out.setdefault(c["id"], c)
        return list(out.values())

    def first_time(self, submission_id: str) -> bool:
        """True the first time a submission id is offered (dumps may overlap)."""
        cur = self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (submission_id,))
        return cur.rowcount == 1

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> CommentIndex:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
