"""The frontier shared by several crawler processes: queue, seen set, leases, robots.txt and
tdmrep.json caches and per-host request slots in one Redis database.

Each crawler keeps its own WARC files and a :class:`Ledger` in its own output folder. The
protocol that archives every page exactly once (docs/crawl.md, "Several crawlers, one crawl"):

1. a URL is *leased* to one crawler under a token; the crawler renews its leases at every
   checkpoint, and a lease not renewed for ``frontier_lease`` seconds expires: the URL goes
   back to the queue for any crawler;
2. after the fetch, before any record of it is written, the crawler *claims* the URL — only
   if it still holds the lease; a claim does not expire; an answer whose lease is gone is
   dropped (another crawler has the URL);
3. the outcome is written to the crawler's outbox in the same local commit as the WARC
   lengths that hold its records, then *settled* in Redis (only under its token);
4. a crawler started again first settles its outbox, then puts back every claim and lease
   of its own that was not settled: their records were cut off with the uncommitted WARC tail.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, TypeVar

from thresher.crawl.frontier import redis_scripts as S
from thresher.crawl.frontier.base import (
    FAILED,
    QUEUED,
    STATE_NAMES,
    Entry,
    HostRecord,
    Row,
)
from thresher.crawl.frontier.ledger import Ledger
from thresher.errors import ConfigError, ThresherError

__all__ = ["PREFIX", "RedisFrontier"]

PREFIX = "thresher:"
T = TypeVar("T")
_SITE_LOCK_MS = 30_000
_SETTLE_BATCH = 500
_SCAN_BATCH = 1000  # URL records scanned per script call (a recrawl's or a rerun's requeue)
RECRAWL_META = "recrawl"
_HOST_FIELDS = (
    "robots",
    "robots_status",
    "robots_fetched",
    "robots_attempts",
    "tdmrep",
    "tdmrep_status",
    "tdmrep_fetched",
)


def _redacted(url: str) -> str:
    """A Redis URL without its password, for messages."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


class RedisFrontier:
    """One crawler's view of a crawl whose state lives in Redis."""

    lease_batch = 32
    shared = True

    def __init__(
        self, client: Any, url: str, ledger: Ledger, *, lease_seconds: float = 30.0
    ) -> None:
        import redis

        self.r = client
        self.url = _redacted(url)
        self.ledger = ledger
        self.lease_seconds = lease_seconds
        self._drops = (redis.ConnectionError, redis.TimeoutError)
        worker = ledger.get_meta("worker")
        if worker is None:
            worker = uuid.uuid4().hex[:16]
            ledger.set_meta("worker", worker)
            ledger.commit({}, [])
        self.worker = worker
        self._scripts = {
            name: client.register_script(getattr(S, name))
            for name in S.__all__  # one Script object each: reloaded after a Redis restart
        }
        self._held: dict[int, tuple[str, str]] = {}  # fp → (lease token, host)
        self._ops: list[list[Any]] = []
        self.reconnects = 0

    @classmethod
    def open(
        cls, url: str, out: Path, *, fsync: bool = True, lease_seconds: float = 30.0
    ) -> RedisFrontier:
        """Connect to the crawl at ``url`` (one line if Redis or the extra is missing)."""
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "--frontier redis:// needs the redis extra: pip install 'thresher[redis]'"
            ) from None
        try:
            client = redis.Redis.from_url(url, socket_timeout=15, socket_connect_timeout=5)
            client.ping()
        except (ValueError, redis.RedisError) as e:
            raise ThresherError(f"{_redacted(url)}: cannot use the Redis frontier: {e}") from None
        return cls(
            client, url, Ledger(out / "worker.sqlite", fsync=fsync), lease_seconds=lease_seconds
        )

    # -- Redis calls that survive a dropped connection ---------------------------------
    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` until Redis answers: a drop pauses this crawler, it does not end it."""
        delay = 0.1
        down_since: float | None = None
        while True:
            try:
                out = fn()
            except self._drops as e:
                if down_since is None:
                    down_since = time.monotonic()
                    self.reconnects += 1
                    print(
                        f"thresher: {self.url}: Redis unreachable ({e}); waiting for it",
                        file=sys.stderr,
                        flush=True,
                    )
                time.sleep(delay)
                delay = min(2.0, delay * 2)
                continue
            if down_since is not None:
                print(
                    f"thresher: {self.url}: Redis is back after"
                    f" {time.monotonic() - down_since:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
            return out

    def _run(self, name: str, *args: object) -> Any:
        script = self._scripts[name]
        return self._call(lambda: script(keys=[], args=[PREFIX, *args]))

    def _pairs(self, fps: Iterable[int]) -> list[str]:
        out: list[str] = []
        for fp in fps:
            held = self._held.get(fp)
            if held is not None:
                out += [str(fp), held[0]]
        return out

    # -- recovery and local state ------------------------------------------------------
    def recover(self) -> None:
        """Settle the outbox of the last run, then put back this crawler's unsettled claims
        and leases (their records, if any, were cut off with the uncommitted WARC tail)."""
        ops, last = self.ledger.outbox()
        self._settle(ops)
        self.ledger.delivered(last)
        self.ledger.commit({}, [])
        self._run("RECONCILE", self.worker)

    def warc_lengths(self) -> dict[str, int]:
        return self.ledger.warc_lengths()

    def get_meta(self, key: str) -> str | None:
        """This crawler's own settings; ``recrawl`` is the crawl's: the pass in progress once
        its scan has queued every done page (None before, so a crawler started with
        ``--recrawl`` goes on with a scan another one left unfinished)."""
        if key == RECRAWL_META:
            raw = self._call(lambda: self.r.hmget(f"{PREFIX}recrawl", ["pass", "scanned"]))
            return raw[0].decode() if raw[0] is not None and raw[1] == b"1" else None
        return self.ledger.get_meta(key)

    def set_meta(self, key: str, value: str | None) -> None:
        """Clearing ``recrawl`` ends the crawl's pass (only once its scan is complete);
        :meth:`requeue_done` starts one."""
        if key == RECRAWL_META:
            if value is None:
                self._run("END_RECRAWL")
            return
        self.ledger.set_meta(key, value)

    # -- queue -------------------------------------------------------------------------
    def add(self, rows: Iterable[Row], state: int = QUEUED, reason: str | None = None) -> list[Row]:
        fresh = list(rows)
        if not fresh:
            return []
        args: list[object] = [state, reason or ""]
        by_fp: dict[str, Row] = {}
        for row in fresh:
            fp, url, host, depth, kind, hops, via = row
            rec: dict[str, object] = {"u": url, "h": host, "d": depth, "k": kind, "hp": hops}
            if via is not None:
                rec["v"] = via
            key = str(fp)
            by_fp[key] = row
            args += [key, host, json.dumps(rec)]
        new = self._run("ADD", *args)
        return [by_fp[fp.decode()] for fp in new]

    def lease(self, host: str, limit: int, now: float | None = None) -> list[Entry]:
        got = self._run("LEASE", host, limit, self.worker, self.lease_seconds)
        out = []
        for fp_raw, token_raw, raw in got:
            fp, token, rec = int(fp_raw), token_raw.decode(), json.loads(raw)
            self._held[fp] = (token, host)
            out.append(
                Entry(
                    fp,
                    rec["u"],
                    rec["h"],
                    rec["d"],
                    rec["k"],
                    rec.get("a", 0),
                    rec.get("hp", 0),
                    rec.get("v"),
                    rec.get("et"),
                    rec.get("lm"),
                    rec.get("pd"),
                    rec.get("ri"),
                    rec.get("wd"),
                    lease=token,
                )
            )
        return out

    def release(self, fps: Iterable[int]) -> None:
        fps = list(fps)
        pairs = self._pairs(fps)
        for fp in fps:
            self._held.pop(fp, None)
        if pairs:
            self._run("RELEASE", *pairs)

    def hosts_ready(self, now: float | None = None) -> list[str]:
        return [h.decode() for h in self._run("READY")]

    def next_ready_at(self) -> float | None:
        wait = self._run("NEXT")
        return None if not wait else time.time() + float(wait)

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
        """Record an outcome; it reaches Redis at the commit that holds its records."""
        held = self._held.pop(fp, None)
        if held is None:
            return
        fields = {
            "s": state,
            "st": status,
            "r": reason,
            "dc": decision,
            "et": etag,
            "lm": last_modified,
            "pd": payload_digest,
            "ri": record_id,
            "wd": warc_date,
            "ft": time.time(),
        }
        self._ops.append(
            [str(fp), held[0], "f", {k: v for k, v in fields.items() if v is not None}]
        )

    def retry(self, fp: int, next_at: float, reason: str) -> None:
        held = self._held.pop(fp, None)
        if held is not None:
            self._ops.append([str(fp), held[0], "r", next_at, reason])

    def defer_host(self, host: str, next_at: float) -> None:
        """Hold the host back for every crawler: no leases, no request slots until then."""
        self._run("HOLD", host, max(0.0, next_at - time.time()))

    def fail_host(self, host: str, reason: str) -> int:
        mine = [fp for fp, (_, h) in self._held.items() if h == host]
        n = int(self._run("FAIL_HOST", host, reason, *self._pairs(mine)))
        for fp in mine:
            self._held.pop(fp, None)
        return n

    def requeue_failed(self, reasons: Collection[str]) -> int:
        """Queue again, attempts reset, the crawl's URLs that failed for one of ``reasons``
        before this call (a rerun may fetch them: the server up, other settings), scanning
        the URL records in batches (one atomic script each, so Redis never stalls). URLs
        leased by other crawlers, and failures that happen during the scan, are left alone,
        so crawlers started together queue each URL once."""
        if not reasons:
            return 0
        since, cursor, total = "", "0", 0
        while True:
            since_raw, cursor_raw, n = self._run(
                "REQUEUE_FAILED", since, cursor, _SCAN_BATCH, *sorted(reasons)
            )
            since, cursor = since_raw.decode(), cursor_raw.decode()
            total += int(n)
            if cursor == "0":
                return total

    def requeue_done(self) -> int:
        """Start a recrawl pass of the whole crawl (or join the one in progress) and queue
        its done pages again, in batches (one atomic script each, so Redis never stalls);
        the pages keep their validators, so the fetch is conditional."""
        pass_id = f"{time.time():.6f}-{self.worker}"
        total = 0
        while True:
            _, n, complete = self._run("RECRAWL", pass_id, _SCAN_BATCH)
            total += int(n)
            if int(complete):
                return total

    def reserve_page(self, entry: Entry, max_pages: int | None, cap: int | None) -> str:
        """Take one unit of the crawl's ``max_pages`` and of the host's ``cap`` for ``entry``
        before fetching it, counted in Redis for all crawlers (see RESERVE's answers)."""
        held = self._held.get(entry.fp)
        if held is None:
            return "lost"
        mp = "" if max_pages is None else str(max_pages)
        hc = "" if cap is None else str(cap)
        answer = self._run("RESERVE", str(entry.fp), held[0], mp, hc)
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    # -- coordination ------------------------------------------------------------------
    async def reserve_slot(self, host: str, interval: float) -> float:
        """The host's next request slot among all crawlers (Redis's clock)."""
        return float(self._run("SLOT", host, interval))

    async def claim(self, entry: Entry) -> bool:
        if entry.lease is None or entry.fp not in self._held:
            return False
        return bool(self._run("CLAIM", str(entry.fp), entry.lease, self.worker))

    def may_fetch_site_file(self, host: str, name: str) -> bool:
        key = f"{PREFIX}sitelock:{host}:{name}"
        got = self._call(lambda: self.r.set(key, self.worker, nx=True, px=_SITE_LOCK_MS))
        return bool(got) or self._call(lambda: self.r.get(key)) == self.worker.encode()

    def heartbeat(self) -> None:
        """Renew this crawler's leases (the URLs in memory and in flight)."""
        pairs = self._pairs(list(self._held))
        for i in range(0, len(pairs), 2 * _SETTLE_BATCH):
            self._run("RENEW", self.lease_seconds, *pairs[i : i + 2 * _SETTLE_BATCH])

    # -- hosts -------------------------------------------------------------------------
    def get_host(self, host: str) -> HostRecord | None:
        raw = self._call(lambda: self.r.hgetall(f"{PREFIX}site:{host}"))
        if not raw:
            return None
        v = {k.decode(): val for k, val in raw.items()}

        def text(name: str) -> str | None:
            return v[name].decode() if name in v else None

        def number(name: str) -> float | None:
            return float(v[name]) if name in v else None

        return HostRecord(
            host,
            v.get("robots"),
            text("robots_status"),
            number("robots_fetched"),
            int(v.get("robots_attempts", b"0")),
            v.get("tdmrep"),
            text("tdmrep_status"),
            number("tdmrep_fetched"),
        )

    def _put_site(self, host: str, name: str, values: dict[str, Any]) -> None:
        key = f"{PREFIX}site:{host}"
        drop = [k for k, val in values.items() if val is None]
        keep = {k: val for k, val in values.items() if val is not None}

        def write() -> None:
            pipe = self.r.pipeline()
            if keep:
                pipe.hset(key, mapping=keep)
            if drop:
                pipe.hdel(key, *drop)
            pipe.delete(f"{PREFIX}sitelock:{host}:{name}")
            pipe.execute()

        self._call(write)

    def put_host(self, rec: HostRecord) -> None:
        values = {
            "robots": rec.robots,
            "robots_status": rec.robots_status,
            "robots_fetched": rec.robots_fetched,
            "robots_attempts": rec.robots_attempts,
        }
        self._put_site(rec.host, "robots.txt", values)

    def put_tdmrep(self, host: str, body: bytes | None, status: str, fetched: float) -> None:
        values = {"tdmrep": body, "tdmrep_status": status, "tdmrep_fetched": fetched}
        self._put_site(host, "tdmrep.json", values)

    # -- counts ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        raw = self._call(lambda: self.r.hgetall(f"{PREFIX}count"))
        out = {name: 0 for name in STATE_NAMES.values()}
        for state, n in raw.items():
            out[STATE_NAMES.get(int(state), state.decode())] = int(n)
        return out

    def failures(self) -> dict[str, int]:
        return self.reasons(FAILED)

    def reasons(self, state: int) -> dict[str, int]:
        raw = self._call(lambda: self.r.hgetall(f"{PREFIX}reasons:{state}"))
        return {k.decode(): int(n) for k, n in raw.items() if int(n) > 0}

    def outcomes(self, fps: Iterable[int]) -> dict[int, tuple[int, str | None]]:
        fps = list(fps)
        if not fps:
            return {}
        raw = self._call(lambda: self.r.hmget(f"{PREFIX}url", [str(fp) for fp in fps]))
        out: dict[int, tuple[int, str | None]] = {}
        for fp, rec in zip(fps, raw, strict=True):
            if rec is not None:
                d = json.loads(rec)
                out[fp] = (d["s"], d.get("r"))
        return out

    def host_pages(self, host: str) -> int:
        return int(self._call(lambda: self.r.hget(f"{PREFIX}hostpages", host)) or 0)

    # -- durability --------------------------------------------------------------------
    def _settle(self, ops: list[list[Any]]) -> None:
        """Apply outcomes in Redis under their lease tokens (a retry's wall-clock time
        becomes seconds from now: Redis keeps its own clock)."""
        now = time.time()
        ready = [op if op[2] == "f" else [*op[:3], op[3] - now, op[4]] for op in ops]
        for i in range(0, len(ready), _SETTLE_BATCH):
            self._run("SETTLE", self.worker, json.dumps(ready[i : i + _SETTLE_BATCH]))

    def commit(self, warc_lengths: dict[str, int]) -> None:
        """Commit the outcomes with their WARC lengths locally, then settle them in Redis."""
        ops, self._ops = self._ops, []
        last = self.ledger.commit(warc_lengths, ops)
        if ops:
            self._settle(ops)
            self.ledger.delivered(last)

    def abandon(self) -> None:
        """Drop the uncommitted outcomes; their claims are put back when this crawler runs
        again (and its leases expire for the others)."""
        self._ops = []
        self.ledger.abandon()
        self.r.close()

    def close(self) -> None:
        self.ledger.close()
        self.r.close()
