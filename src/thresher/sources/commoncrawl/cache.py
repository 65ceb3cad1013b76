"""What one slice item has fetched, kept in the work folder so a rerun fetches nothing twice.

Per item: ``captures.json`` (the index page's wanted captures and the index counts, written
once, atomically), ``records.warc.gz`` (the fetched ranges appended as they arrive: gzip
members, i.e. a valid WARC file) and ``journal.jsonl`` (one line per finished capture, written
after its bytes: where they are, or why the fetch failed). A kill can leave a last record or
journal line half-written; opening the cache cuts both back to the last whole entry.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from thresher.atomic import write_json
from thresher.sources.commoncrawl.index import Capture


@dataclass(frozen=True)
class Entry:
    """A finished capture ``n``: ``size`` bytes at ``at`` in the records file, or ``failure``;
    ``retries`` it took. ``unfinished``: a failure a rerun tries again (never journalled)."""

    n: int
    at: int = 0
    size: int = 0
    retries: int = 0
    failure: str | None = None
    unfinished: bool = False


class ItemCache:
    """The cache of one item under ``root`` (None: keep nothing, e.g. outside a run folder)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._records: IO[bytes] | None = None
        self._journal: IO[str] | None = None
        self.entries: dict[int, Entry] = {}
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
            self.entries = self._repair()

    # -- the index page -----------------------------------------------------------------
    def captures(self) -> tuple[list[Capture], dict[str, int]] | None:
        """The item's captures and index counts when an earlier attempt saved them."""
        if self.root is None or not (self.root / "captures.json").is_file():
            return None
        data = json.loads((self.root / "captures.json").read_text(encoding="utf-8"))
        return [Capture.from_dict(c) for c in data["captures"]], dict(data["counters"])

    def save_captures(self, captures: list[Capture], counters: dict[str, int]) -> None:
        if self.root is not None:
            data = {"captures": [c.to_dict() for c in captures], "counters": counters}
            write_json(self.root / "captures.json", data)

    # -- fetched records ----------------------------------------------------------------
    def _repair(self) -> dict[int, Entry]:
        """The whole journal entries; the files are cut back to them (a killed attempt)."""
        assert self.root is not None
        journal, records = self.root / "journal.jsonl", self.root / "records.warc.gz"
        entries: dict[int, Entry] = {}
        good = 0
        if journal.is_file():
            raw = journal.read_bytes()
            for line in raw.splitlines(keepends=True):
                if not line.endswith(b"\n"):
                    break
                try:
                    entry = Entry(**json.loads(line))
                except (ValueError, TypeError):
                    break
                entries[entry.n] = entry
                good += len(line)
            if good < len(raw):
                with open(journal, "r+b") as f:
                    f.truncate(good)
        end = max((e.at + e.size for e in entries.values() if e.failure is None), default=0)
        if records.is_file() and records.stat().st_size > end:
            with open(records, "r+b") as f:
                f.truncate(end)
        return entries

    def add(self, n: int, data: bytes | None, retries: int, failure: str | None) -> Entry:
        """Record capture ``n`` as finished (its bytes first, then its journal line); safe to
        call from several fetching threads."""
        with self._lock:
            if self.root is None:
                return Entry(n, 0, len(data or b""), retries, failure)
            if self._records is None:
                # kept open for the item's life (closed by close())
                self._records = open(self.root / "records.warc.gz", "ab")  # noqa: SIM115
                self._journal = open(self.root / "journal.jsonl", "a", encoding="utf-8")  # noqa: SIM115
            assert self._journal is not None
            at = self._records.seek(0, os.SEEK_END)
            if data:
                self._records.write(data)
                self._records.flush()
            entry = Entry(n, at, len(data or b""), retries, failure)
            self._journal.write(json.dumps(_compact(asdict(entry))) + "\n")
            self._journal.flush()
            self.entries[n] = entry
            return entry

    def read(self, entry: Entry) -> bytes:
        """The bytes an earlier attempt fetched for ``entry``."""
        assert self.root is not None
        with open(self.root / "records.warc.gz", "rb") as f:
            return os.pread(f.fileno(), entry.size, entry.at)

    def close(self) -> None:
        with self._lock:
            for f in (self._records, self._journal):
                if f is not None:
                    f.close()
            self._records = self._journal = None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, 0) or k == "n"}
