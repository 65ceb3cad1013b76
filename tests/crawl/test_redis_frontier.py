"""Several crawler processes on one Redis frontier against a rate-limited local site: the
rate holds for all of them together, every page is archived exactly once across their WARC
files — also when one is killed with SIGKILL and started again, and when Redis restarts."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.pool import ThreadPool
from pathlib import Path

import pytest
from aiohttp import web

from tests.crawl.redis_server import RedisServer, free_port
from tests.crawl.site import (
    Hit,
    SiteServer,
    fast_config,
    flaky_site,
    page,
    refused_seed_then_up,
    text,
)
from tests.crawl.warcs import ok_responses, records
from thresher.crawl import crawl
from thresher.crawl.frontier import DONE, FAILED, PAGE, SKIPPED, CrawlFrontier, Frontier
from thresher.crawl.frontier.redis_frontier import RedisFrontier

pytestmark = pytest.mark.timeout(180)

LEASE = 3.0  # seconds a dead worker keeps its URLs


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def rds(redis_server: RedisServer) -> RedisServer:
    """The module's Redis, emptied for this test."""
    if redis_server.proc is None:
        redis_server.start()
    redis_server.flush()
    return redis_server


def _site(site: SiteServer, n_pages: int) -> None:
    """Pages linking to each other; each has an ETag and answers 304 when it matches."""
    site.routes["/robots.txt"] = text("User-agent: *\nDisallow: /nope/\n")
    site.routes["/.well-known/tdmrep.json"] = text("[]", content_type="application/json")

    async def handler(request: web.Request) -> web.Response:
        i = int(request.path.rsplit("/", 1)[-1].split(".")[0] or 0)
        etag = f'"p{i}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        links = "".join(f'<a href="/p/{(i * 7 + k) % n_pages}.html">x</a>' for k in range(1, 9))
        return web.Response(
            text=f"<html><body><h1>{i}</h1><p>page {i}</p>{links}"
            f"<a href='/nope/{i}'>n</a></body></html>",
            content_type="text/html",
            headers={"ETag": etag},
        )

    site.default = handler


class Worker:
    """``thresher crawl --frontier`` as a real process with its own output folder."""

    def __init__(
        self,
        site: SiteServer,
        out: Path,
        frontier: str,
        rate: float,
        extra: tuple[str, ...] = (),
        settings: str = "",
    ) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        cfg = out.parent / f"{out.name}.yaml"
        cfg.write_text(f"crawl:\n  checkpoint_interval: 0.3\n  frontier_lease: {LEASE}\n{settings}")
        self.cmd = [
            sys.executable, "-m", "thresher", "crawl", f"{site.base}/p/0.html",
            "-o", str(out), "--allow-private", "--rate", str(rate), "--per-host", "3",
            "--concurrency", "8", "--frontier", frontier, "--config", str(cfg), *extra,
        ]  # fmt: skip
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = ""

    def start(self) -> Worker:
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        return self

    def wait(self, timeout: float = 120) -> int:
        assert self.proc is not None
        _, err = self.proc.communicate(timeout=timeout)
        self.stderr += err
        return self.proc.returncode

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.wait()


def _page_hits(site: SiteServer) -> list[float]:
    return sorted(h.at for h in site.hits if h.path.startswith("/p/"))


def _archived(workers: list[Worker]) -> Counter[str]:
    """How often each page is archived as a 200 response across all workers' WARC files."""
    total: Counter[str] = Counter()
    for w in workers:
        total.update({u: n for u, n in ok_responses(w.out).items() if "/p/" in u})
    return total


def _assert_exactly_once(site: SiteServer, workers: list[Worker], n_pages: int) -> None:
    counts = _archived(workers)
    assert set(counts) == {f"{site.base}/p/{i}.html" for i in range(n_pages)}
    assert set(counts.values()) == {1}, {u: n for u, n in counts.items() if n != 1}
    assert not any(p.startswith("/nope/") for p in site.paths())


def _assert_rate(site: SiteServer, rate: int) -> None:
    """At most ``rate`` requests in any one second window (3 % slack for the time a request
    takes from its slot to the server: a loaded event loop sends some a few ms late), and
    no burst (a worker woken late takes a new slot rather than send at once): three requests
    in a row span at least 3/4 of an interval. (Two in a row may come closer: one request
    logged late — by a loaded sender or the server thread's own clock — and the next on
    time; that is no excess over the rate, and a burst would put three together.)"""
    times = sorted(h.at for h in site.hits)
    tight = [b - a for a, b in zip(times, times[rate:], strict=False)]
    assert tight and min(tight) >= 0.97, f"{rate + 1} requests within {min(tight):.3f} s"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    spans = [b - a for a, b in zip(times, times[2:], strict=False)]
    print(f"tightest {rate + 1} requests: {min(tight):.3f} s; closest two {min(gaps) * rate:.2f}"
          f" intervals, closest three {min(spans) * rate:.2f}")  # fmt: skip
    assert min(spans) >= 0.75 / rate, "a burst: three requests within one interval"


def test_three_workers_share_the_rate_and_archive_each_page_once(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    n_pages, rate = 150, 40
    _site(site, n_pages)
    workers = [Worker(site, tmp_path / f"w{i}", rds.url, rate).start() for i in range(3)]
    codes = [w.wait() for w in workers]
    assert codes == [0, 0, 0], [w.stderr[-800:] for w in workers]
    _assert_exactly_once(site, workers, n_pages)
    _assert_rate(site, rate)
    # robots.txt was fetched once for the crawl, not once per worker
    assert site.paths().count("/robots.txt") == 1
    per_worker = [sum(ok_responses(w.out).values()) for w in workers]
    assert sum(1 for n in per_worker if n > 0) >= 2, per_worker  # the work was shared
    # without a cap, 150 pages at 40/s take at least 150/40 s in all
    span = _page_hits(site)[-1] - _page_hits(site)[0]
    assert span >= (n_pages - 1) / rate * 0.95


def test_killed_worker_is_taken_over_then_restarted_without_loss(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    n_pages, rate = 240, 60
    _site(site, n_pages)
    workers = [Worker(site, tmp_path / f"w{i}", rds.url, rate).start() for i in range(3)]
    victim = workers[0]
    deadline = time.monotonic() + 60
    while len(_page_hits(site)) < 70 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.kill()
    hits_at_kill = len(_page_hits(site))
    assert hits_at_kill < n_pages, "the crawl ended before the kill"
    # The others finish the crawl: the victim's leases expire and they take its URLs.
    assert [w.wait() for w in workers[1:]] == [0, 0], [w.stderr[-800:] for w in workers[1:]]
    # Started again, the victim settles what it had committed and redoes what it had not.
    victim.start()
    assert victim.wait() == 0, victim.stderr[-800:]
    _assert_exactly_once(site, workers, n_pages)
    _assert_rate(site, rate)


def test_redis_restart_pauses_workers_and_they_resume(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    n_pages, rate = 200, 50
    _site(site, n_pages)
    workers = [Worker(site, tmp_path / f"w{i}", rds.url, rate).start() for i in range(3)]
    deadline = time.monotonic() + 60
    while len(_page_hits(site)) < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    rds.stop()
    time.sleep(2.0)
    during = len(_page_hits(site))
    rds.start()
    codes = [w.wait() for w in workers]
    assert codes == [0, 0, 0], [w.stderr[-800:] for w in workers]
    assert during < n_pages, "the crawl ended before Redis stopped"
    assert any("Redis unreachable" in w.stderr for w in workers)
    assert any("Redis is back" in w.stderr for w in workers)
    _assert_exactly_once(site, workers, n_pages)
    _assert_rate(site, rate)


def _requests(site: SiteServer) -> list[Hit]:
    return [h for h in site.hits if h.path.startswith("/p/")]


def test_a_recrawl_on_redis_revisits_every_page_once_across_workers(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    n_pages, rate = 150, 30
    _site(site, n_pages)
    first = [Worker(site, tmp_path / f"w{i}", rds.url, rate).start() for i in range(3)]
    assert [w.wait() for w in first] == [0, 0, 0], [w.stderr[-800:] for w in first]
    _assert_exactly_once(site, first, n_pages)
    site.hits.clear()
    # started together, the first opens the pass and the others join it (or go on with its
    # scan): a second pass would ask for pages twice. (Workers are not started while the
    # site serves: a fork of this process stalls the server thread and skews its log.)
    again = [
        Worker(site, tmp_path / f"w{i}", rds.url, rate, ("--recrawl",)).start() for i in range(3)
    ]
    assert [w.wait() for w in again] == [0, 0, 0], [w.stderr[-800:] for w in again]
    asked = _requests(site)
    # every page asked once in the pass, each with its validator; all unchanged: revisits
    assert sorted(h.path for h in asked) == sorted(f"/p/{i}.html" for i in range(n_pages))
    assert all(h.headers.get("If-None-Match") == f'"p{h.path[3:-5]}"' for h in asked)
    recs = [r for w in again for r in records(w.out)]
    firsts = {str(r["url"]): r for r in recs if r["type"] == "response" and "/p/" in str(r["url"])}
    revisits = Counter(str(r["url"]) for r in recs if r["type"] == "revisit")
    assert set(revisits) == set(firsts) and set(revisits.values()) == {1}
    assert sum(1 for w in again if any(r["type"] == "revisit" for r in records(w.out))) >= 2
    for r in recs:
        if r["type"] == "revisit":
            h = r["headers"]
            first_headers = firsts[str(r["url"])]["headers"]
            assert h["WARC-Refers-To"] == first_headers["WARC-Record-ID"]
            assert h["WARC-Payload-Digest"] == first_headers["WARC-Payload-Digest"]
    _assert_rate(site, rate)
    # the pass is over for the crawl: a worker started again fetches no page
    site.hits.clear()
    late = Worker(site, tmp_path / "w0", rds.url, rate).start()
    assert late.wait() == 0 and not _requests(site), late.stderr[-800:]


@pytest.mark.parametrize(
    ("extra", "settings", "reason"),
    [(("--max-pages", "40"), "", None), ((), "  max_pages_per_host: 40\n", "host-page-cap")],
)
def test_page_caps_hold_for_all_workers_together(
    site: SiteServer,
    rds: RedisServer,
    tmp_path: Path,
    extra: tuple[str, ...],
    settings: str,
    reason: str | None,
) -> None:
    n_pages, rate, cap = 150, 100, 40
    _site(site, n_pages)
    workers = [
        Worker(site, tmp_path / f"w{i}", rds.url, rate, extra, settings).start() for i in range(3)
    ]
    assert [w.wait() for w in workers] == [0, 0, 0], [w.stderr[-800:] for w in workers]
    # never more pages asked for than the cap, across the three workers: each archived once
    assert len(_requests(site)) == cap
    archived = _archived(workers)
    assert sum(archived.values()) == cap and set(archived.values()) == {1}
    assert sum(1 for w in workers if ok_responses(w.out)) >= 2, "the work was shared"
    if reason is not None:  # the rest of the host's pages: skipped for the cap
        f = _redis_frontier(rds, tmp_path / "probe")
        assert f.reasons(SKIPPED).get(reason, 0) > 0
        f.close()


# -- the protocol, step by step, on a real Redis --------------------------------------------
def _rows(host: str, n: int) -> list[tuple[int, str, str, int, int, int, str | None]]:
    return [(1000 + i, f"{host}/{i}", host, 1, PAGE, 0, None) for i in range(n)]


def _redis_frontier(rds: RedisServer, out: Path) -> RedisFrontier:
    out.mkdir(parents=True, exist_ok=True)
    f = RedisFrontier.open(rds.url, out, fsync=False, lease_seconds=LEASE)
    f.recover()
    return f


def test_both_frontiers_answer_alike(rds: RedisServer, tmp_path: Path) -> None:
    """The same calls on the SQLite and the Redis frontier give the same answers."""
    host = "http://a.test"
    frontiers: list[CrawlFrontier] = [
        Frontier(tmp_path / "frontier.sqlite", fsync=False),
        _redis_frontier(rds, tmp_path / "redis"),
    ]
    for f in frontiers:
        assert len(f.add(_rows(host, 4))) == 4
        assert f.add(_rows(host, 5)) == [_rows(host, 5)[4]]  # the seen set
        assert f.hosts_ready() == [host]
        got = f.lease(host, 3)
        assert [e.url for e in got] == [f"{host}/0", f"{host}/1", f"{host}/2"]
        f.finish(got[0].fp, DONE, status=200)
        f.finish(got[1].fp, FAILED, status=404, reason="http-404")
        f.retry(got[2].fp, time.time() + 60, "timeout")
        f.commit({})
        assert f.counts() == {"queued": 3, "leased": 0, "done": 1, "failed": 1, "skipped": 0}
        assert f.reasons(FAILED) == {"http-404": 1}
        assert f.host_pages(host) == 1
        assert f.outcomes([got[1].fp]) == {got[1].fp: (FAILED, "http-404")}
        rest = f.lease(host, 10)
        assert [e.url for e in rest] == [f"{host}/3", f"{host}/4"]  # the retry waits
        f.release(e.fp for e in rest)
        nxt = f.next_ready_at()
        assert nxt is not None and nxt <= time.time() + 0.1
        assert f.fail_host(host, "dns-error") == 3
        assert f.next_ready_at() is None
        f.close()


def test_restart_settles_committed_work_and_redoes_the_rest(
    rds: RedisServer, tmp_path: Path
) -> None:
    host = "http://a.test"
    out = tmp_path / "w"
    f = _redis_frontier(rds, out)
    f.add(_rows(host, 3))
    a, b, c = f.lease(host, 3)
    assert all(pytest.importorskip("asyncio").run(f.claim(e)) for e in (a, b))
    f.finish(a.fp, DONE, status=200)
    f.commit({"x.warc.gz": 100})  # a is in the local commit and settled
    f.finish(b.fp, DONE, status=200)
    f.ledger.commit({"x.warc.gz": 200}, f._ops)  # b committed locally, then the kill
    # (c was leased, d never existed; the process dies here without settling b)
    f2 = _redis_frontier(rds, out)
    assert f2.worker == f.worker
    assert f2.warc_lengths() == {"x.warc.gz": 200}
    assert f2.outcomes([a.fp, b.fp, c.fp]) == {
        a.fp: (DONE, None),
        b.fp: (DONE, None),  # settled from the outbox
        c.fp: (0, None),  # its lease was given back at once
    }
    assert f2.counts()["queued"] == 1 and f2.counts()["leased"] == 0


def test_an_expired_lease_goes_to_another_worker_and_the_late_answer_is_dropped(
    rds: RedisServer, tmp_path: Path
) -> None:
    import asyncio

    host = "http://a.test"
    slow = _redis_frontier(rds, tmp_path / "slow")
    other = _redis_frontier(rds, tmp_path / "other")
    slow.add(_rows(host, 1))
    (late,) = slow.lease(host, 1)
    assert other.lease(host, 1) == []  # leased: nobody else gets it
    time.sleep(LEASE + 0.2)  # slow stops renewing (a hang, a partition)
    assert other.hosts_ready() == [host]  # the expired lease is back in the queue
    (mine,) = other.lease(host, 1)
    assert asyncio.run(slow.claim(late)) is False  # slow must not archive it
    assert asyncio.run(other.claim(mine)) is True
    slow.finish(late.fp, DONE, status=200)
    slow.commit({})
    assert slow.counts()["done"] == 0  # a stale token changes nothing


def test_page_reservations_are_shared_and_given_back(rds: RedisServer, tmp_path: Path) -> None:
    host = "http://a.test"
    one = _redis_frontier(rds, tmp_path / "one")
    two = _redis_frontier(rds, tmp_path / "two")
    one.add(_rows(host, 6))
    a, b = one.lease(host, 2)
    c, d = two.lease(host, 2)
    assert [one.reserve_page(e, 3, None) for e in (a, b)] == ["ok", "ok"]
    assert two.reserve_page(c, 3, None) == "ok"
    assert two.reserve_page(d, 3, None) == "wait"  # three in flight: none left for now
    one.retry(a.fp, time.time() + 60, "timeout")
    one.commit({})
    assert two.reserve_page(d, 3, None) == "ok"  # the retried page gave its unit back
    one.finish(b.fp, DONE, status=200)
    one.commit({})
    for e in (c, d):
        two.finish(e.fp, DONE, status=200)
    two.commit({})
    (e,) = one.lease(host, 1)
    assert one.reserve_page(e, 3, None) == "budget"  # three pages answered in all
    assert one.reserve_page(e, None, 3) == "cap"  # and three done on the host
    assert one.reserve_page(e, None, 4) == "ok"
    one.release([e.fp])  # its unit goes back with the lease
    (e,) = two.lease(host, 1)
    assert two.reserve_page(e, None, 4) == "ok"
    assert one.reserve_page(e, None, 4) == "lost"  # not one's lease
    one.close()
    two.close()


def test_shared_request_slots_space_all_workers(rds: RedisServer, tmp_path: Path) -> None:
    import asyncio

    fronts = [_redis_frontier(rds, tmp_path / f"w{i}") for i in range(3)]

    async def go() -> list[float]:
        return [await f.reserve_slot("http://a.test", 0.2) for f in fronts * 2]

    waits = asyncio.run(go())
    # six reservations back to back: each 0.2 s after the one before
    assert waits[0] < 0.05
    assert all(abs((b - a) - 0.2) < 0.05 for a, b in itertools.pairwise(waits)), waits


# -- a rerun on Redis: failures a new setting or a server now up can lift are tried again --
def _fail(f: RedisFrontier, host: str, rows: int, reason: str, status: int | None = None) -> None:
    """Lease ``rows`` URLs of ``host`` and settle each as failed for ``reason``."""
    for e in f.lease(host, rows):
        f.finish(e.fp, FAILED, status=status, reason=reason)
    f.commit({})


def test_rerun_requeues_each_failed_url_once_and_leaves_leased_ones(
    rds: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two crawlers started together, scans in small batches over 300 records (a hash too
    big to come back in one HSCAN answer): each failed URL queued once, attempts reset; a
    404, a URL in flight at another crawler and a failure after the scan began stay as are."""
    from thresher.crawl.frontier import redis_frontier as RF
    from thresher.crawl.outcomes import RERUN_REASONS

    monkeypatch.setattr(RF, "_SCAN_BATCH", 7)
    host, other = "http://a.test", "http://b.test"
    one, two, busy = (_redis_frontier(rds, tmp_path / n) for n in ("one", "two", "busy"))
    one.add(_rows(host, 300))
    one.add([(5000 + i, f"{other}/{i}", other, 1, PAGE, 0, None) for i in range(3)])
    _fail(one, host, 200, "connection-refused")
    _fail(one, host, 50, "http-404", 404)
    _fail(one, host, 50, "blocked-private-address")
    (in_flight,) = busy.lease(other, 1)
    busy.finish(in_flight.fp, FAILED, reason="connection-refused")  # not settled yet
    assert one.counts()["failed"] == 300
    assert one.reasons(FAILED) == {
        "connection-refused": 200, "http-404": 50, "blocked-private-address": 50
    }  # fmt: skip
    # one starts its scan; between its batches the URLs it queued are fetched and fail
    # again: a failure of this run, not queued a second time by the same scan
    since, cursor, n = one._run("REQUEUE_FAILED", "", "0", 7, *sorted(RERUN_REASONS))
    assert int(n) > 0 and cursor != b"0"
    refailed = one.lease(host, 300)
    for e in refailed:
        one.finish(e.fp, FAILED, reason="connection-refused")
    one.commit({})
    rest = 0
    while cursor != b"0":
        since, cursor, k = one._run(
            "REQUEUE_FAILED", since.decode(), cursor.decode(), 7, *sorted(RERUN_REASONS)
        )
        rest += int(k)
    assert int(n) + rest == 250 and len(refailed) == int(n)
    # both crawlers now start at once: the refailed URLs are queued again, each once
    with ThreadPool(2) as pool:
        got = pool.map(lambda f: f.requeue_failed(RERUN_REASONS), [one, two])
    assert sum(got) == len(refailed), got
    assert one.counts() == {"queued": 252, "leased": 1, "done": 0, "failed": 50, "skipped": 0}
    assert one.reasons(FAILED) == {"http-404": 50}
    queued = one.lease(host, 300) + one.lease(other, 3)
    assert len(queued) == 252 and {e.attempts for e in queued} == {0}
    assert in_flight.fp not in {e.fp for e in queued}
    busy.commit({})  # the in-flight answer settles under its own lease
    assert one.outcomes([in_flight.fp]) == {in_flight.fp: (FAILED, "connection-refused")}
    assert two.requeue_failed(set()) == 0
    for f in (one, two, busy):
        f.close()


def test_redis_rerun_fetches_a_private_seed_with_allow_private(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    site.routes["/robots.txt"] = text("")
    site.routes["/"] = page(["/a"])
    site.routes["/a"] = page([])
    out = tmp_path / "out"
    first = crawl(fast_config(site, allow_private=False, frontier=rds.url), out)
    assert first.seed_failures == {"blocked-private-address": 1}
    assert site.hits == []
    second = crawl(fast_config(site, frontier=rds.url), out)
    assert second.pages == 2 and second.failures == {}
    assert second.stats["this_run"]["requeued_failed"] == 1
    third = crawl(fast_config(site, frontier=rds.url), out)
    assert third.fetched == 0 and third.stats["this_run"]["requeued_failed"] == 0
    asked = Counter(p for p in site.paths() if not p.startswith("/.well-known/"))
    assert asked == {"/robots.txt": 1, "/": 1, "/a": 1}


def test_redis_rerun_fetches_a_refused_seed_once_the_server_is_up(
    rds: RedisServer, tmp_path: Path
) -> None:
    first, second, site = refused_seed_then_up(free_port(), tmp_path / "out", frontier=rds.url)
    assert first.seed_failures == {"connection-refused": 1}
    assert second.pages == 2 and second.failures == {}
    assert second.stats["this_run"]["requeued_failed"] == 1
    assert Counter(site.paths())["/"] == 1


def test_redis_rerun_asks_transient_failures_again_not_404s_nor_done_pages(
    site: SiteServer, rds: RedisServer, tmp_path: Path
) -> None:
    state = flaky_site(site)
    out = tmp_path / "out"
    cfg = fast_config(site, max_retries=0, frontier=rds.url)
    first = crawl(cfg, out)
    assert first.failures == {"http-503": 1, "http-404": 1}
    state["up"] = True
    second = crawl(cfg, out)
    assert second.failures == {"http-404": 1}  # a 404 is an answer: not asked again
    assert second.stats["this_run"]["requeued_failed"] == 1
    hits = Counter(site.paths())
    assert hits["/flaky"] == 2 and hits["/ok"] == 1 and hits["/"] == 1 and hits["/gone"] == 1


# -- bad settings: one line, exit 2 --------------------------------------------------------
@pytest.mark.parametrize(
    ("frontier", "extra", "message"),
    [
        ("mysql://x", [], "must be sqlite or a redis://HOST:PORT/DB URL"),
        ("redis://127.0.0.1:{port}/0", [], "cannot use the Redis frontier"),
    ],
)
def test_bad_frontier_is_one_line(
    tmp_path: Path, frontier: str, extra: list[str], message: str
) -> None:
    port = free_port()  # nothing listens there
    if extra:  # a live Redis, so the error is the option's, not the connection's
        server = RedisServer(tmp_path / "redis").start()
        port = server.port
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "thresher", "crawl", "http://127.0.0.1:9/", "-o",
             str(tmp_path / "out"), "--frontier", frontier.format(port=port), *extra],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        if extra:
            server.stop()
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("thresher: error:"), proc.stderr
    assert message in lines[0]
