"""A local stand-in for the parts of the Hugging Face Hub that ``datasets`` and
``huggingface_hub.HfFileSystem`` call to list and read a dataset repository's files.

Repositories are folders ``ROOT/ORG/NAME``; every one is at one fixed commit. Endpoints (as
huggingface_hub 2.x calls them): repo info ``/api/datasets/R[/revision/REV]``, the file tree
``/api/datasets/R/tree/REV[/PATH]``, paths info ``POST /api/datasets/R/paths-info/REV`` and
file bytes ``/datasets/R/resolve/REV/PATH`` (HEAD and GET, with ranges). Every request is logged;
``refuse`` makes chosen files fail mid-dataset.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SHA = "0123456789abcdef0123456789abcdef01234567"


class HubStandIn:
    """Serves dataset repositories from ``root`` on 127.0.0.1 (a context manager)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[str] = []
        #: files whose bytes are refused (403) when their path contains one of these
        self.refuse: set[str] = set()
        stand_in = self

        class Handler(_Handler):
            hub = stand_in

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def repo(self, repo_id: str) -> Path | None:
        folder = self.root / repo_id
        return folder if repo_id.count("/") == 1 and folder.is_dir() else None


def _entry(repo: Path, rel: str) -> dict[str, Any]:
    path = repo / rel
    if path.is_dir():
        return {"type": "directory", "oid": hashlib.sha1(rel.encode()).hexdigest(), "path": rel}
    data = path.read_bytes()
    return {
        "type": "file",
        "oid": hashlib.sha1(data).hexdigest(),
        "size": len(data),
        "path": rel,
    }


class _Handler(BaseHTTPRequestHandler):
    hub: HubStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._route(body=False)

    def do_GET(self) -> None:
        self._route(body=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode()
        self._route(body=True, form=form)

    def _route(self, *, body: bool, form: str = "") -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        self.hub.log.append(f"{self.command} {path}{'?' + url.query if url.query else ''}")
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "datasets"] and len(parts) >= 4:
            self._api(parts[2:], parse_qs(url.query), form, body)
        elif parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            self._file("/".join(parts[1:3]), "/".join(parts[5:]), body)
        else:
            self._send(404, b"not found", {"X-Error-Code": "EntryNotFound"}, body)

    def _api(self, parts: list[str], query: dict[str, list[str]], form: str, body: bool) -> None:
        repo_id = "/".join(parts[:2])
        repo = self.hub.repo(repo_id)
        if repo is None:
            self._json(404, {"error": "Repository not found"}, body, "RepositoryNotFound")
            return
        rest = parts[2:]
        if not rest or rest[0] == "revision":
            files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
            info = {
                "_id": repo_id,
                "id": repo_id,
                "sha": SHA,
                "private": False,
                "disabled": False,
                "gated": False,
                "siblings": [{"rfilename": f} for f in files],
                "cardData": {},
                "tags": [],
            }
            self._json(200, info, body)
        elif rest[0] == "tree" and len(rest) >= 2:
            self._tree(repo, "/".join(rest[2:]), query.get("recursive") == ["true"], body)
        elif rest[0] == "paths-info":
            fields = parse_qs(form) if "=" in form else json.loads(form or "{}")
            wanted = fields.get("paths", [])
            found = [_entry(repo, p) for p in wanted if (repo / p).exists()]
            self._json(200, found, body)
        else:
            self._json(404, {"error": "not found"}, body, "EntryNotFound")

    def _tree(self, repo: Path, rel: str, recursive: bool, body: bool) -> None:
        base = repo / rel if rel else repo
        if not base.is_dir():
            self._json(404, {"error": "not found"}, body, "EntryNotFound")
            return
        found = base.rglob("*") if recursive else base.iterdir()
        entries = [_entry(repo, p.relative_to(repo).as_posix()) for p in sorted(found)]
        self._json(200, entries, body)

    def _file(self, repo_id: str, rel: str, body: bool) -> None:
        repo = self.hub.repo(repo_id)
        if repo is None:
            self._send(404, b"no repo", {"X-Error-Code": "RepositoryNotFound"}, body)
            return
        path = repo / rel
        if not path.is_file():
            self._send(404, b"no file", {"X-Error-Code": "EntryNotFound"}, body)
            return
        if body and any(part in rel for part in self.hub.refuse):
            self._send(403, b"refused", {"X-Error-Code": "Forbidden"}, body)
            return
        data = path.read_bytes()
        headers = {
            "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
            "X-Repo-Commit": SHA,
            "Accept-Ranges": "bytes",
        }
        status, start, end = 200, 0, len(data)
        ranged = self.headers.get("Range")
        if ranged and ranged.startswith("bytes="):
            first, _, last = ranged[len("bytes=") :].partition("-")
            start = int(first or 0)
            end = min(int(last) + 1, len(data)) if last else len(data)
            if start >= len(data):
                self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"}, body)
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        self._send(status, data[start:end], headers, body)

    def _json(self, status: int, data: Any, body: bool, error_code: str | None = None) -> None:
        headers = {"Content-Type": "application/json"}
        if error_code is not None:
            headers["X-Error-Code"] = error_code
        self._send(status, json.dumps(data).encode(), headers, body)

    def _send(self, status: int, data: bytes, headers: dict[str, str], body: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)
