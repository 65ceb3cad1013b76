"""A crawler's own durable record beside a shared frontier: one SQLite file in its output
folder with its WARC lengths, its meta (worker id, runs), and the outbox of outcomes that were
committed with their WARC records but may not have reached the shared frontier yet."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from thresher.crawl.frontier.local_state import LocalState

__all__ = ["Ledger"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS warc (name TEXT PRIMARY KEY, committed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, op TEXT NOT NULL);
"""


class Ledger(LocalState):
    """WARC lengths, meta and outbox in one transaction per :meth:`commit`."""

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            from thresher.errors import InputError

            raise InputError(f"{self.path}: not a usable crawl state: {e}") from None
        self.db.execute("BEGIN")

    def outbox(self) -> tuple[list[list[Any]], int]:
        """Committed outcomes not yet known to be in the shared frontier, and the last id."""
        rows = self.db.execute("SELECT id, op FROM outbox ORDER BY id").fetchall()
        return [json.loads(op) for _, op in rows], (rows[-1][0] if rows else 0)

    def commit(self, warc_lengths: dict[str, int], ops: list[list[Any]]) -> int:
        """Make ``ops`` durable with the WARC lengths that hold their records; returns the
        id of the last op (0 when none)."""
        last = 0
        if ops:
            cur = self.db.executemany(
                "INSERT INTO outbox (op) VALUES (?)", [(json.dumps(op),) for op in ops]
            )
            del cur
            last = self.db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
        if warc_lengths:
            self.db.executemany(
                "INSERT OR REPLACE INTO warc VALUES (?, ?)", list(warc_lengths.items())
            )
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")
        return last

    def delivered(self, last: int) -> None:
        """The ops up to ``last`` reached the shared frontier (forgotten at the next commit;
        delivering them twice is harmless: the frontier skips an op whose lease is gone)."""
        if last:
            self.db.execute("DELETE FROM outbox WHERE id <= ?", (last,))

    def abandon(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        self.db.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):
            self.db.execute("COMMIT")
        self.db.close()
