"""HTTP GETs against the index and data servers with bounded retries.

503 "SlowDown", 429 and other transient answers (500, 502, 504, a dropped connection, a
timeout) are retried with exponential backoff and jitter, honouring ``Retry-After``; after
``tries`` attempts the request is a :class:`FetchFailed` that names its reason. One
:class:`Client` (a urllib3 pool) is shared by the threads of one process.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError

from thresher.errors import InputError, Unfinished
from thresher.retry import parse_retry_after
from thresher.sources.commoncrawl.config import CommonCrawlConfig

#: answers worth another attempt (the bucket's SlowDown, rate limits, passing trouble)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchFailed(Unfinished):
    """A request that did not succeed within its attempts; ``reason`` is a counter key
    (``http_503``, ``network``, ``timeout``, ...). Inside an item it leaves the item
    unfinished (a rerun tries again); before the run (a paths file, an index's page count)
    it is a one-line input error."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Backoff:
    """How long to wait before attempt ``n`` (1-based retries): doubling from ``first``,
    jittered to between half and all of it, at most ``most``; a server's Retry-After wins
    when it asks for longer (still at most ``most``)."""

    first: float
    most: float

    def wait(self, retry: int, retry_after: float | None) -> float:
        step = min(self.most, self.first * 2 ** (retry - 1))
        delay = random.uniform(step / 2, step)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.most)


@dataclass
class Answer:
    """A successful response: status, headers, body (empty when streamed) and the retries
    it took; ``response`` is the open response of a streamed request."""

    status: int
    headers: dict[str, str]
    body: bytes
    retries: int
    response: Any = None


class Client:
    """GETs with retries through one connection pool (thread-safe)."""

    def __init__(self, config: CommonCrawlConfig) -> None:
        self.tries = config.tries
        self.backoff = Backoff(config.backoff, config.backoff_max)
        self.pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max(config.fetchers, 2),
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=config.timeout, read=config.timeout),
            headers={"User-Agent": config.user_agent},
        )

    def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        stream: bool = False,
        max_body: int | None = None,
    ) -> Answer:
        """The response to ``GET url`` after at most ``tries`` attempts; any status outside
        RETRY_STATUSES is returned as it is. The body is read unless ``stream`` (at most
        ``max_body`` bytes: a server that ignores a Range does not send a whole file)."""
        reason = "network"
        wait_for: float | None = None
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.backoff.wait(attempt, wait_for))
            wait_for = None
            try:
                resp = self.pool.request(
                    "GET", url, headers=headers, preload_content=False, decode_content=False
                )
            except (HTTPError, OSError) as e:
                reason = _network_reason(e)
                continue
            if resp.status in RETRY_STATUSES:
                reason = f"http_{resp.status}"
                wait_for = parse_retry_after(resp.headers.get("Retry-After"))
                _discard(resp)
                continue
            answer_headers = {k.lower(): v for k, v in resp.headers.items()}
            if stream:
                return Answer(resp.status, answer_headers, b"", attempt, resp)
            try:
                body = resp.read(max_body) if max_body is not None else resp.read()
            except (HTTPError, OSError) as e:
                reason = _network_reason(e)
                resp.close()
                continue
            if resp.length_remaining:
                resp.close()  # more than asked for: drop the connection, not read the rest
            else:
                resp.release_conn()
            return Answer(resp.status, answer_headers, body, attempt)
        raise FetchFailed(f"{url}: gave up after {self.tries} attempt(s): {reason}", reason)

    def get_bounded(self, url: str, limit: int) -> Answer:
        """``get`` of a whole answer (an index page, a paths file) that may not exceed
        ``limit`` bytes: a larger one is refused in one line, never read whole."""
        answer = self.get(url, max_body=limit + 1)
        if len(answer.body) > limit:
            raise InputError(f"{url}: the answer is larger than {limit >> 20} MiB; refused")
        return answer

    def close(self) -> None:
        self.pool.clear()


def _network_reason(e: BaseException) -> str:
    name = type(e).__name__
    if "Timeout" in name:
        return "timeout"
    return "network"


def _discard(resp: Any) -> None:
    with contextlib.suppress(HTTPError, OSError):
        resp.drain_conn()
    resp.release_conn()


_clients: dict[tuple[Any, ...], Client] = {}
_lock = threading.Lock()


def client_for(config: CommonCrawlConfig) -> Client:
    """The process's client for these settings (a pool is made once per worker process)."""
    key = (config.tries, config.backoff, config.backoff_max, config.fetchers, config.timeout,
           config.user_agent)  # fmt: skip
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = Client(config)
        return client
