"""An OpenAI-compatible chat-completions client (aiohttp), polite toward its endpoint: a limit
on requests in flight and per minute, 429 and 5xx retried after ``Retry-After`` or an
exponential, jittered backoff (a 429's pause holds every request), timeouts retried.

One :class:`ChatClient` can be used by many pages and many event loops in turn: ``async with
client:`` opens a connection pool for one loop; the per-minute window and pauses outlive it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import aiohttp

from thresher import __version__
from thresher.errors import ThresherError
from thresher.retry import parse_retry_after

USER_AGENT = f"thresher/{__version__}"
#: longest Retry-After honoured (seconds); a longer one is waited for this long
MAX_RETRY_AFTER = 600.0


class EndpointError(ThresherError):
    """The endpoint cannot be used: unreachable, refusing the key or model, or failing after
    every retry. Stops the run (finished shards are kept)."""


class FormatRejected(Exception):
    """The server refused the request's ``response_format`` (HTTP 400/422)."""


class RequestTimeout(Exception):
    """No answer within the timeout, on every try."""


@dataclass
class ChatReply:
    """One completion: its text, why it ended, and the tokens the server counted."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int


class ChatClient:
    """Chat completions at ``base_url`` (``.../v1``): ``await client.complete(payload)``."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_in_flight: int = 8,
        per_minute: int = 0,
        attempts: int = 6,
        backoff: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self.api_key = api_key
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self.per_minute = per_minute
        self.attempts = attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        #: seconds of the rate window (``per_minute`` requests start in any such window)
        self.window = 60.0
        self._started: deque[float] = deque()  # monotonic start times within the last minute
        self._paused_until = 0.0
        #: the server answered 400/422 to response_format: send the instructions alone
        self.refuses_response_format = False
        self._answered = False  # has the endpoint ever answered? (fail fast before it has)
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._turn: asyncio.Lock | None = None

    @classmethod
    def from_config(cls, config: Any) -> ChatClient:
        """A client with the settings of an :class:`~thresher.llm.config.LLMConfig`."""
        return cls(
            config.base_url,
            api_key=config.api_key(),
            timeout=config.timeout,
            max_in_flight=config.max_in_flight,
            per_minute=config.per_minute,
            attempts=config.attempts,
            backoff=config.backoff,
            backoff_max=config.backoff_max,
        )

    @property
    def is_open(self) -> bool:
        """Inside ``async with client:`` (requests can be made)."""
        return self._session is not None

    async def __aenter__(self) -> ChatClient:
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self._session = aiohttp.ClientSession(
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.max_in_flight),
        )
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._turn = asyncio.Lock()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._slots = self._turn = None

    async def _wait_turn(self) -> None:
        """Wait out a server's pause and the per-minute window, then take a start slot."""
        assert self._turn is not None
        async with self._turn:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._started and now - self._started[0] >= self.window:
                    self._started.popleft()
                if self.per_minute and len(self._started) >= self.per_minute:
                    await asyncio.sleep(self.window - (now - self._started[0]))
                    continue
                self._started.append(now)
                return

    def _delay(self, attempt: int, server_says: float | None) -> float:
        """Seconds before try ``attempt + 1``: the server's Retry-After when given, else a
        full-jitter exponential backoff (base × 2^attempt, capped)."""
        if server_says is not None:
            return min(server_says, MAX_RETRY_AFTER)
        return random.uniform(0, min(self.backoff_max, self.backoff * 2**attempt))

    async def complete(self, payload: dict[str, Any], counts: Counter[str]) -> ChatReply:
        """POST one chat completion; retries 429, 5xx, timeouts and lost connections. Raises
        FormatRejected (400/422 with ``response_format``), RequestTimeout, EndpointError."""
        if self._session is None or self._slots is None:
            raise RuntimeError("use 'async with client:' around requests")
        last = ""
        timeouts = 0
        delay = 0.0
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(delay)
            server_says: float | None = None
            async with self._slots:  # a slot first: a pause set meanwhile holds this request
                await self._wait_turn()
                counts["llm:requests"] += 1
                try:
                    async with self._session.post(self.url, json=payload) as resp:
                        body = await resp.read()
                        status = resp.status
                        server_says = parse_retry_after(resp.headers.get("Retry-After"))
                except TimeoutError:
                    counts["llm:retries:timeout"] += 1
                    timeouts += 1
                    last = f"no answer within {self.timeout:g} s"
                    delay = self._delay(attempt, None)
                    continue
                except aiohttp.ClientConnectorError as e:
                    last = f"cannot connect: {e.os_error.strerror or e.os_error}"
                    if not self._answered and attempt >= 1:  # never reached: down or wrong URL
                        raise EndpointError(f"{self.url}: {last}") from None
                    counts["llm:retries:connection"] += 1
                    delay = self._delay(attempt, None)
                    continue
                except aiohttp.ClientError as e:
                    counts["llm:retries:connection"] += 1
                    last = f"connection lost: {type(e).__name__}"
                    delay = self._delay(attempt, None)
                    continue
            self._answered = True
            if status == 200:
                return self._reply(body)
            message = _error_message(body)
            if status == 429 or status >= 500:
                counts[f"llm:retries:{status}"] += 1
                last = f"HTTP {status}: {message}"
                delay = self._delay(attempt, server_says)
                if status == 429 and server_says is not None:
                    self._paused_until = max(self._paused_until, time.monotonic() + delay)
                continue
            if status in (400, 422) and "response_format" in payload:
                raise FormatRejected(message)
            raise EndpointError(f"{self.url}: HTTP {status}: {message}")
        if timeouts == self.attempts:
            raise RequestTimeout(last)
        raise EndpointError(f"{self.url}: {last} (after {self.attempts} tries)")

    def _reply(self, body: bytes) -> ChatReply:
        try:
            data = json.loads(body)
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.url}: the answer is not a chat completion: {body[:120]!r}"
            ) from None
        return ChatReply(
            content=str(content),
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )


def _error_message(body: bytes) -> str:
    """The server's error message in one short line."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        err = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(err, dict):
            text = str(err.get("message") or err)
        elif isinstance(err, str):
            text = err
    except ValueError:
        pass
    line = " ".join(text.split())
    return line[:200] or "(no message)"
