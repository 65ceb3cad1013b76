"""The frontier and seen-URL set on disk: one SQLite file (WAL) in the crawl folder.

Every change between two checkpoints happens in one open transaction; :meth:`Frontier.commit`
stores the committed length of each WARC file in the same transaction. After a crash the
state is the last commit, and the WARC files are cut back to the lengths that commit knew
(see :meth:`Frontier.warc_lengths`), so a page is archived exactly once.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Collection, Iterable
from pathlib import Path

from thresher.crawl.frontier.base import FAILED, QUEUED, STATE_NAMES, Entry, HostRecord
from thresher.crawl.frontier.local_state import LocalState

__all__ = ["Frontier"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    fp INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    depth INTEGER NOT NULL,
    kind INTEGER NOT NULL DEFAULT 0,
    state INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    hops INTEGER NOT NULL DEFAULT 0,
    via TEXT,
    status INTEGER,
    reason TEXT,
    decision TEXT,
    etag TEXT,
    last_modified TEXT,
    payload_digest TEXT,
    record_id TEXT,
    warc_date TEXT,
    fetched_at REAL
);
CREATE INDEX IF NOT EXISTS queue ON urls (host, depth, seq) WHERE state = 0;
CREATE INDEX IF NOT EXISTS by_state ON urls (state, next_at);
CREATE TABLE IF NOT EXISTS known_hosts (host TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS hosts (
    host TEXT PRIMARY KEY,
    robots BLOB,
    robots_status TEXT,
    robots_fetched REAL,
    robots_attempts INTEGER NOT NULL DEFAULT 0,
    tdmrep BLOB,
    tdmrep_status TEXT,
    tdmrep_fetched REAL
);
CREATE TABLE IF NOT EXISTS warc (name TEXT PRIMARY KEY, committed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class Frontier(LocalState):
    """SQLite-backed queue, seen set and host table of one crawl (the default frontier)."""

    #: URLs of one host taken into memory at a time
    lease_batch = 256
    #: other crawler processes share this state (politeness and leases are then remote)
    shared = False

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self.db.execute("PRAGMA cache_size=-32768")  # 32 MiB
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(hosts)")}
        added = (("tdmrep", "BLOB"), ("tdmrep_status", "TEXT"), ("tdmrep_fetched", "REAL"))
        for name, kind in added:
            if name not in columns:  # state written before TDMRep files were read
                self.db.execute(f"ALTER TABLE hosts ADD COLUMN {name} {kind}")
        self._finished: list[tuple[object, ...]] = []
        self._hosts: set[str] = {r[0] for r in self.db.execute("SELECT host FROM known_hosts")}
        if not self._hosts:  # state written before the host list existed
            self.db.execute("INSERT OR IGNORE INTO known_hosts SELECT DISTINCT host FROM urls")
            self._hosts = {r[0] for r in self.db.execute("SELECT host FROM known_hosts")}
        self._seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM urls").fetchone()[0]
        self.db.execute("BEGIN")

    # -- recovery ----------------------------------------------------------------------
    def recover(self) -> None:
        """Return URLs leased by a run that died to the queue."""
        self.db.execute("UPDATE urls SET state = 0 WHERE state = 1")

    # -- queue -------------------------------------------------------------------------
    def add(
        self,
        rows: Iterable[tuple[int, str, str, int, int, int, str | None]],
        state: int = QUEUED,
        reason: str | None = None,
    ) -> list[tuple[int, str, str, int, int, int, str | None]]:
        """Insert ``(fp, url, host, depth, kind, hops, via)`` rows not seen before; returns the
        rows that were new."""
        fresh = list(rows)
        if not fresh:
            return []
        # Which of them does the database already know?
        known: set[int] = set()
        for i in range(0, len(fresh), 500):
            chunk = [r[0] for r in fresh[i : i + 500]]
            marks = ",".join("?" * len(chunk))
            known.update(
                r[0] for r in self.db.execute(f"SELECT fp FROM urls WHERE fp IN ({marks})", chunk)
            )
        new = [r for r in fresh if r[0] not in known]
        hosts = {r[2] for r in new} - self._hosts
        if hosts:
            self.db.executemany(
                "INSERT OR IGNORE INTO known_hosts VALUES (?)", [(h,) for h in hosts]
            )
            self._hosts |= hosts
        if new:
            base = self._seq
            self._seq += len(new)
            self.db.executemany(
                "INSERT OR IGNORE INTO urls (fp, seq, url, host, depth, kind, hops, via, state,"
                " reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (fp, base + i + 1, url, host, depth, kind, hops, via, state, reason)
                    for i, (fp, url, host, depth, kind, hops, via) in enumerate(new)
                ],
            )
        return new

    def lease(self, host: str, limit: int, now: float | None = None) -> list[Entry]:
        """Take up to ``limit`` ready URLs of ``host``, shallowest first, oldest first."""
        self.flush()
        now = time.time() if now is None else now
        rows = self.db.execute(
            "SELECT fp, url, host, depth, kind, attempts, hops, via, etag, last_modified,"
            " payload_digest, record_id, warc_date FROM urls INDEXED BY queue"
            " WHERE state = 0 AND host = ? AND next_at <= ? ORDER BY depth, seq LIMIT ?",
            (host, now, limit),
        ).fetchall()
        if rows:
            self.db.executemany("UPDATE urls SET state = 1 WHERE fp = ?", [(r[0],) for r in rows])
        return [Entry(*r) for r in rows]

    def release(self, fps: Iterable[int]) -> None:
        """Give leased URLs back to the queue (shutdown before they were fetched)."""
        self.flush()
        self.db.executemany("UPDATE urls SET state = 0 WHERE fp = ?", [(fp,) for fp in fps])

    def hosts_ready(self, now: float | None = None) -> list[str]:
        """Hosts with at least one URL ready to fetch (one indexed probe per known host)."""
        self.flush()
        now = time.time() if now is None else now
        probe = (
            "SELECT 1 FROM urls INDEXED BY queue"
            " WHERE state = 0 AND host = ? AND next_at <= ? LIMIT 1"
        )
        return [h for h in sorted(self._hosts) if self.db.execute(probe, (h, now)).fetchone()]

    def next_ready_at(self) -> float | None:
        """Earliest time a queued URL becomes ready (None when the queue is empty)."""
        self.flush()
        return self.db.execute("SELECT MIN(next_at) FROM urls WHERE state = 0").fetchone()[0]

    def finish(
        self,
        fp: int,
        state: int,
        *,
        status: int | None = None,
        reason: str | None = None,
        decision: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        payload_digest: str | None = None,
        record_id: str | None = None,
        warc_date: str | None = None,
    ) -> None:
        """Record the outcome of a URL (done, failed or skipped).

        Outcomes are batched and written before the next read, commit or count: fewer
        round trips into SQLite (each one releases and re-takes the GIL)."""
        self._finished.append(
            (
                state,
                status,
                reason,
                decision,
                etag,
                last_modified,
                payload_digest,
                record_id,
                warc_date,
                time.time(),
                fp,
            )
        )
        if len(self._finished) >= 512:
            self.flush()

    def flush(self) -> None:
        """Write batched outcomes."""
        if self._finished:
            rows, self._finished = self._finished, []
            self.db.executemany(
                "UPDATE urls SET state = ?, status = ?, reason = ?, decision = ?,"
                " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
                " payload_digest = COALESCE(?, payload_digest),"
                " record_id = COALESCE(?, record_id), warc_date = COALESCE(?, warc_date),"
                " fetched_at = ?, attempts = attempts + 1 WHERE fp = ?",
                rows,
            )

    def retry(self, fp: int, next_at: float, reason: str) -> None:
        """Put a URL back in the queue for another attempt at ``next_at``."""
        self.flush()
        self.db.execute(
            "UPDATE urls SET state = 0, attempts = attempts + 1, next_at = ?, reason = ?"
            " WHERE fp = ?",
            (next_at, reason, fp),
        )

    def defer_host(self, host: str, next_at: float) -> None:
        """Hold back every queued URL of a host until ``next_at``."""
        self.flush()
        self.db.execute(
            "UPDATE urls SET next_at = MAX(next_at, ?) WHERE host = ? AND state = 0",
            (next_at, host),
        )

    def fail_host(self, host: str, reason: str) -> int:
        """Fail every queued URL of a host (for example when its robots.txt stays unreachable)."""
        self.flush()
        cur = self.db.execute(
            "UPDATE urls SET state = 3, reason = ? WHERE host = ? AND state IN (0, 1)",
            (reason, host),
        )
        return cur.rowcount

    def requeue_failed(self, reasons: Collection[str]) -> int:
        """Queue again the failed URLs whose reason is in ``reasons`` (ones a rerun, with
        the server up or other settings, may fetch); pages fetched are left alone."""
        self.flush()
        if not reasons:
            return 0
        marks = ",".join("?" * len(reasons))
        cur = self.db.execute(
            "UPDATE urls SET state = 0, attempts = 0, next_at = 0, status = NULL, reason = NULL"
            f" WHERE state = 3 AND reason IN ({marks})",
            tuple(reasons),
        )
        return cur.rowcount

    def requeue_done(self) -> int:
        """Queue every fetched page again (a recrawl pass)."""
        self.flush()
        cur = self.db.execute(
            "UPDATE urls SET state = 0, attempts = 0, next_at = 0 WHERE state = 2 AND status = 200"
        )
        return cur.rowcount

    # -- coordination (one crawler: nothing to share) ---------------------------------
    async def reserve_slot(self, host: str, interval: float) -> float:
        """No other crawler sends to the host: the local spacing is the whole rule."""
        return 0.0

    async def claim(self, entry: Entry) -> bool:
        """A leased URL stays this crawler's until it is settled."""
        return True

    def may_fetch_site_file(self, host: str, name: str) -> bool:
        return True

    def reserve_page(self, entry: Entry, max_pages: int | None, cap: int | None) -> str:
        """One crawler: the scheduler's own budget and host counts are exact."""
        return "ok"

    def heartbeat(self) -> None:
        """Leases of one crawler do not expire."""

    # -- hosts -------------------------------------------------------------------------
    def get_host(self, host: str) -> HostRecord | None:
        row = self.db.execute(
            "SELECT host, robots, robots_status, robots_fetched, robots_attempts, tdmrep,"
            " tdmrep_status, tdmrep_fetched FROM hosts WHERE host = ?",
            (host,),
        ).fetchone()
        return None if row is None else HostRecord(*row)

    def put_host(self, rec: HostRecord) -> None:
        """Store the robots.txt of a host (its TDMRep columns are left as they are)."""
        self.db.execute(
            "INSERT INTO hosts (host, robots, robots_status, robots_fetched, robots_attempts)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET robots = excluded.robots,"
            " robots_status = excluded.robots_status, robots_fetched = excluded.robots_fetched,"
            " robots_attempts = excluded.robots_attempts",
            (rec.host, rec.robots, rec.robots_status, rec.robots_fetched, rec.robots_attempts),
        )

    def put_tdmrep(self, host: str, body: bytes | None, status: str, fetched: float) -> None:
        """Store the tdmrep.json of a host (its robots.txt columns are left as they are)."""
        self.db.execute(
            "INSERT INTO hosts (host, tdmrep, tdmrep_status, tdmrep_fetched) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (host) DO UPDATE SET tdmrep = excluded.tdmrep,"
            " tdmrep_status = excluded.tdmrep_status, tdmrep_fetched = excluded.tdmrep_fetched",
            (host, body, status, fetched),
        )

    # -- counts ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """URLs per state."""
        self.flush()
        out = {name: 0 for name in STATE_NAMES.values()}
        for state, n in self.db.execute("SELECT state, COUNT(*) FROM urls GROUP BY state"):
            out[STATE_NAMES.get(state, str(state))] = n
        return out

    def failures(self) -> dict[str, int]:
        """Final failures by reason."""
        return self.reasons(FAILED)

    def reasons(self, state: int) -> dict[str, int]:
        """URLs in ``state`` (failed, skipped) by reason, over every run of the crawl."""
        self.flush()
        return dict(
            self.db.execute(
                "SELECT COALESCE(reason, ''), COUNT(*) FROM urls WHERE state = ? GROUP BY reason",
                (state,),
            ).fetchall()
        )

    def outcomes(self, fps: Iterable[int]) -> dict[int, tuple[int, str | None]]:
        """State and reason of each known URL among ``fps`` (for instance the seeds)."""
        self.flush()
        out: dict[int, tuple[int, str | None]] = {}
        for fp in fps:
            row = self.db.execute("SELECT state, reason FROM urls WHERE fp = ?", (fp,)).fetchone()
            if row is not None:
                out[fp] = (row[0], row[1])
        return out

    def host_pages(self, host: str) -> int:
        self.flush()
        return self.db.execute(
            "SELECT COUNT(*) FROM urls WHERE host = ? AND state = 2", (host,)
        ).fetchone()[0]

    # -- durability --------------------------------------------------------------------
    def commit(self, warc_lengths: dict[str, int]) -> None:
        """Commit everything since the last commit, with the WARC lengths that match it."""
        self.flush()
        if warc_lengths:
            self.db.executemany(
                "INSERT OR REPLACE INTO warc VALUES (?, ?)", list(warc_lengths.items())
            )
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def abandon(self) -> None:
        """Roll back everything since the last commit and close (the archive failed)."""
        self._finished = []
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        self.db.close()

    def close(self) -> None:
        self.flush()
        with contextlib.suppress(sqlite3.OperationalError):
            self.db.execute("COMMIT")
        self.db.close()
