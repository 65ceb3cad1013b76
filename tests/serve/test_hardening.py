"""``thresher serve`` against hostile clients, over real sockets on 127.0.0.1: DNS rebinding
(foreign Host), cross-site browser requests, slow clients, empty keys, malformed requests,
and pages that would hold the parser for minutes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

from tests.serve.pages import Served, request, running_serve

pytestmark = pytest.mark.timeout(120)

PAGE = (
    "<html><body><article><p>" + "Words of an ordinary page. " * 20 + "</p></article></body></html>"
)
BOMB = "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>"


def _raw(srv: Served, data: bytes, timeout: float = 10) -> tuple[int, dict[str, object], bytes]:
    """Send raw bytes; (status, JSON body, whole answer) of what comes back."""
    parts = urlsplit(srv.base)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}, answer


def _get(
    srv: Served, path: str, headers: str = "", host: str | None = None
) -> tuple[int, dict[str, object], bytes]:
    host = host if host is not None else urlsplit(srv.base).netloc
    req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n"
    return _raw(srv, req.encode("latin-1"))


def _post(
    srv: Served, body: bytes, ctype: str = "application/json", extra: str = ""
) -> tuple[int, dict[str, object], bytes]:
    head = (
        f"POST /extract HTTP/1.1\r\nHost: {urlsplit(srv.base).netloc}\r\nConnection: close\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return _raw(srv, head.encode() + body, timeout=60)


def test_host_and_origin_must_be_this_servers() -> None:
    with running_serve("--no-cache", "--allow-host", "api.example.org") as srv:
        port = urlsplit(srv.base).port
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "api.example.org:443"):
            assert _get(srv, "/health", host=host)[0] == 200, host
        for host in (
            "rebind.attacker.example",
            f"rebind.attacker.example:{port}",
            "localhost:1",
            "",
        ):
            status, body, _ = _get(srv, "/health", host=host)
            assert (
                status == 421 and body["status"] == 421 and "--allow-host" in str(body["error"])
            ), host
        cross = [
            "Origin: https://attacker.example\r\n",
            "Origin: null\r\n",
            "Sec-Fetch-Site: cross-site\r\n",
        ]
        for header in cross:
            status, body, _ = _get(srv, "/health", header)
            assert status == 403 and "another site" in str(body["error"]), header
        assert _get(srv, "/health", f"Origin: http://localhost:{port}\r\n")[0] == 200
        # a form POST (the only kind a page can send another site without asking) is refused
        status, body, _ = _post(srv, b"html=<p>x</p>", "application/x-www-form-urlencoded")
        assert status == 415 and "application/json" in str(body["error"])
        status, _, _ = _post(srv, json.dumps({"html": PAGE}).encode(), "text/plain")
        assert status == 415
        assert _post(srv, json.dumps({"html": PAGE}).encode())[0] == 200


def test_client_errors_are_json_400s_that_do_not_echo_the_input() -> None:
    with running_serve("--no-cache", "--api-key", "k3y") as srv:
        key = "X-API-Key: k3y\r\n"
        cases = [
            (_post(srv, b'{"html": "\\ud800<p>x</p>"}', extra=key), "lone surrogate"),
            (_post(srv, b'{"html": "x"}', "application/json; charset=bogus-8", key), "utf-8"),
            (_post(srv, b"[" * 100_000 + b"]" * 100_000, extra=key), "nests too deeply"),
            (_post(srv, b'{"html": "\xff\xfe"}', extra=key), "not UTF-8"),
            (_get(srv, "/read?url=" + "a" * 20_000, key), "longer than 8190"),
            (_get(srv, "/health", "X-" + "b" * 9000 + ": 1\r\n" + key), "longer than 8190"),
        ]
        for (status, body, raw), expect in cases:
            assert status == 400 and body["status"] == 400, (expect, raw[:300])
            assert expect in str(body["error"]) and b"Content-Type: application/json" in raw
            assert b"aaaaaaaaaa" not in raw and b"bbbbbbbbbb" not in raw
        status, body, _ = _raw(
            srv,
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"X-API-Key: \xff\xfe\r\n\r\n",
        )
        assert status == 401 and body["status"] == 401  # a key that is not UTF-8 is a wrong key
        status, body, _ = _raw(srv, b"\x16\x03\x01garbage\r\n\r\n")
        assert status == 400 and body["error"] == "malformed HTTP request"


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [(["--api-key", ""], {}, "--api-key"), ([], {"THRESHER_API_KEY": ""}, "THRESHER_API_KEY"),
     (["--api-key", " k "], {}, "spaces")],
)  # fmt: skip
def test_an_empty_api_key_is_refused(args: list[str], env: dict[str, str], names: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "serve", "--port", "0", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )  # fmt: skip
    err = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(err) == 1 and names in err[0], run.stderr


def test_slow_clients_are_cut_off() -> None:
    with running_serve("--no-cache", "--header-timeout", "1", "--body-timeout", "1") as srv:
        parts = urlsplit(srv.base)
        # slowloris: a header line trickled a byte at a time never completes the request head
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            t0 = time.monotonic()
            closed = False
            while time.monotonic() - t0 < 8:
                try:
                    s.sendall(b"a")
                    s.settimeout(0.2)
                    if s.recv(1024) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
            assert closed and time.monotonic() - t0 < 4
        # an idle connection that never sends anything is closed too
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
            t0 = time.monotonic()
            assert s.recv(1024) == b"" and time.monotonic() - t0 < 4
        # a body that stops arriving: 408 and the connection is closed
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
            s.sendall(
                b"POST /extract HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"html": '
            )
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive within 1s" in answer
        assert request(srv.base + "/health").status == 200  # the server is still well


def _in_thread(fn: object) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)  # type: ignore[operator]
    t.start()
    return t, out


def test_a_deeply_nested_page_is_refused_before_parsing() -> None:
    with running_serve("--no-cache") as srv:
        t0 = time.monotonic()
        status, body, _ = _post(srv, json.dumps({"html": BOMB}).encode())
        assert status == 422 and "too_deep" in str(body["error"]), body
        assert time.monotonic() - t0 < 10  # parsing it takes over 20 s


def test_a_page_past_the_hard_limit_is_stopped_and_health_answers_meanwhile() -> None:
    args = ("--no-cache", "--max-depth", "0", "--extract-timeout", "3", "--extract-workers", "1")
    with running_serve(*args) as srv:
        assert _post(srv, json.dumps({"html": PAGE}).encode())[0] == 200  # the worker is up
        t0 = time.monotonic()
        worker, out = _in_thread(lambda: _post(srv, json.dumps({"html": BOMB}).encode()))
        time.sleep(0.5)
        for _ in range(3):  # the event loop is free while the bomb is being parsed
            h0 = time.monotonic()
            assert request(srv.base + "/health").status == 200
            assert time.monotonic() - h0 < 1
            time.sleep(0.3)
        worker.join(30)
        status, body, _ = out[0]  # type: ignore[misc]
        assert status == 504 and "longer than 3s" in str(body["error"]), body
        assert time.monotonic() - t0 < 15
        # a fresh worker takes the next page
        assert _post(srv, json.dumps({"html": PAGE}).encode())[0] == 200


def test_sigterm_stops_the_server_while_a_page_is_parsed() -> None:
    with running_serve("--no-cache", "--max-depth", "0", "--extract-timeout", "120") as srv:
        worker, out = _in_thread(lambda: _post(srv, json.dumps({"html": BOMB}).encode()))
        time.sleep(1.5)
        assert not out  # still parsing
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(15) == 0
        assert time.monotonic() - t0 < 8
        worker.join(10)
