"""The part of a crawler's local SQLite state both frontiers keep: committed WARC lengths and
small settings (the ``warc`` and ``meta`` tables)."""

from __future__ import annotations

import sqlite3


class LocalState:
    """Reads and writes the ``warc`` and ``meta`` tables of ``self.db``."""

    db: sqlite3.Connection

    def warc_lengths(self) -> dict[str, int]:
        """Committed length of every WARC file, as of the last commit."""
        return dict(self.db.execute("SELECT name, committed FROM warc").fetchall())

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
