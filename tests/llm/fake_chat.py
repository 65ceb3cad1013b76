"""A stand-in for an OpenAI-compatible chat-completions server on 127.0.0.1 that "extracts" by
reading ``Key: value`` lines of the page it is sent, for the keys of the schema it is given,
with faults on purpose, chosen by markers in the page:

- ``[prose]``: the JSON inside prose and a code fence
- ``[bad-once]`` / ``[bad-always]``: JSON that breaks the schema (until asked again / always)
- ``[429-once]``: HTTP 429 with ``Retry-After: 1`` on the first request for the page
- ``[500-twice]``: HTTP 500 on the first two requests for the page
- ``[slow-once]`` / ``[slow-always]``: answers after ``slow`` seconds (then fast / never fast)
- ``[needs-tokens:N]``: cut off with ``finish_reason: length`` while ``max_tokens`` < N
- ``[garbage]`` / ``[garbage-once]``: an answer with no JSON and no number (always / until
  asked again)

``scorer`` (a function of the page) answers requests whose schema has a ``score`` (thresher
annotate): it returns the answer's text, or an object sent as JSON. ``fail_after=N`` answers
HTTP 401 to every request after the first N (a key revoked in the middle of a run).

``reject_response_format=True`` makes it answer 400 to any request with ``response_format``,
as servers without structured output do. ``latency`` delays every answer (benchmarks).
Requests for a recipe (their system prompt says ``thresher recipe``) are answered with the
``recipes`` given, one after the other.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_LINE = re.compile(r"^\s*(?:[-*]\s*)?\**([A-Za-z_]+)\**:\s*(.+?)\s*$", re.M)


class FakeChat:
    """Start with ``with FakeChat() as server:``; ``server.url`` is the ``/v1`` base URL."""

    def __init__(
        self,
        *,
        reject_response_format: bool = False,
        latency: float = 0.0,
        slow: float = 3.0,
        recipes: list[Any] | None = None,
        scorer: Callable[[str], Any] | None = None,
        fail_after: int | None = None,
    ) -> None:
        self.reject_response_format = reject_response_format
        self.latency = latency
        self.slow = slow
        self.recipes = list(recipes or [])
        self.scorer = scorer
        self.fail_after = fail_after
        self._served = 0
        self.payloads: list[dict[str, Any]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self.statuses: Counter[int] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> int:
        """Chat-completion requests received (every status)."""
        return len(self.payloads)

    def __enter__(self) -> FakeChat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering -------------------------------------------------------------------------

    def answer(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, body) for one request."""
        messages = payload.get("messages") or []
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        page = next((m["content"] for m in messages if m["role"] == "user"), "")
        if self.reject_response_format and "response_format" in payload:
            return 400, {}, {"error": {"message": "response_format is not supported"}}
        if "thresher recipe" in system:
            return self._recipe(payload)
        if self.fail_after is not None:
            with self._lock:
                self._served += 1
                if self._served > self.fail_after:
                    return 401, {}, {"error": {"message": "invalid api key"}}
        key = hashlib.sha1(page.encode()).hexdigest()
        with self._lock:
            self._seen[key] += 1
            n = self._seen[key]  # this is the page's n-th request
        if "[429-once]" in page and n == 1:
            return 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}
        if "[500-twice]" in page and n <= 2:
            return 500, {}, {"error": {"message": "internal error"}}
        if ("[slow-once]" in page and n == 1) or "[slow-always]" in page:
            time.sleep(self.slow)
        schema = _schema(payload, system)
        retried = any(m["role"] == "assistant" for m in messages)
        if "[garbage]" in page or ("[garbage-once]" in page and not retried):
            return 200, {}, _completion(payload, "I would rather not rate this page.", "stop")
        if self.scorer is not None and "score" in schema.get("properties", {}):
            answer = self.scorer(page)
            text = answer if isinstance(answer, str) else json.dumps(answer)
            return 200, {}, _completion(payload, text, "stop")
        record = read_record(page, schema)
        if "[bad-always]" in page or ("[bad-once]" in page and not retried):
            record = {**record, "title": 42}
        text = json.dumps(record)
        if "[prose]" in page:
            text = f"Sure! Here is the record:\n```json\n{text}\n```\nAnything else?"
        finish = "stop"
        need = re.search(r"\[needs-tokens:(\d+)\]", page)
        if need and int(payload.get("max_tokens") or 0) < int(need.group(1)):
            text, finish = text[: len(text) // 2], "length"
        return 200, {}, _completion(payload, text, finish)

    def _recipe(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            recipe = self.recipes.pop(0) if self.recipes else {}
        text = recipe if isinstance(recipe, str) else json.dumps(recipe)
        return 200, {}, _completion(payload, text, "stop")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
            disable_nagle_algorithm = True  # headers and body are two writes

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models
                self._send(200, {}, {"object": "list", "data": [{"id": "fake"}]})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {}, {"error": {"message": "not found"}})
                    return
                payload = json.loads(body)
                with fake._lock:
                    fake.payloads.append(payload)
                    fake.arrivals.append(time.monotonic())
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.latency:
                        time.sleep(fake.latency)
                    status, headers, data = fake.answer(payload)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                fake.statuses[status] += 1
                self._send(status, headers, data)

            def _send(self, status: int, headers: dict[str, str], data: Any) -> None:
                raw = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops connections of a busy client

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a run that gave up and closed its connections) is no
        error of the server's: socketserver's traceback on stderr would be read as the
        tool's own last line."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _schema(payload: dict[str, Any], system: str) -> dict[str, Any]:
    """The schema of the request: from response_format, else the system prompt's last line."""
    rf = payload.get("response_format")
    if rf:
        return rf["json_schema"]["schema"]
    return json.loads(system.strip().splitlines()[-1])


def read_record(page: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The page's ``Key: value`` lines for the schema's properties (arrays collect every line;
    numbers are parsed)."""
    props = schema.get("properties", {})
    record: dict[str, Any] = {}
    for key, value in _LINE.findall(page):
        key = key.lower()
        if key not in props:
            continue
        kind = props[key].get("type")
        if kind == "array":
            record.setdefault(key, []).append(value)
        elif key not in record:
            record[key] = float(value.split()[0]) if kind == "number" else value
    return record


def _completion(payload: dict[str, Any], text: str, finish: str) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", ""))) for m in payload.get("messages") or []) // 4
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": payload.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": len(text) // 4 + 1,
            "total_tokens": prompt + len(text) // 4 + 1,
        },
    }
