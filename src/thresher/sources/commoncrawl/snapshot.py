"""Whole snapshots: the paths file of a crawl, and each of its files streamed.

``{data}/crawl-data/CRAWL/wet.paths.gz`` (or ``warc.paths.gz``) lists the snapshot's files,
one path a line. A file is read as it arrives (never written to disk); when the connection
drops mid-file, it is asked for again with ``Range: bytes=REACHED-``, at most
``reconnects`` times. A file that cannot be fetched (an error status, the retries or the
reconnects used up) is :class:`~thresher.errors.Unfinished`: its item gets no marker and the
rerun reads it again.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Iterator
from typing import Any

from urllib3.exceptions import HTTPError

from thresher.archive import CorruptInput, MemberStream, TruncatedInput, read_arc, read_warc
from thresher.archive import sniff_format as sniff_archive
from thresher.archive.compression import TooLarge, decode_bounded
from thresher.errors import InputError, Unfinished
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.commoncrawl.http import Client
from thresher.sources.commoncrawl.spec import parse_shards
from thresher.sources.page import Page, record_to_page
from thresher.stats import StepStats

log = logging.getLogger("thresher.sources.commoncrawl")


#: a line of a paths file: a relative path of plain characters
_PATH = re.compile(r"^[A-Za-z0-9._\-][A-Za-z0-9._\-/]*$")


#: a paths file as sent (gzip) and as read (a snapshot's warc.paths: about 90,000 lines,
#: 11 MB of text)
MAX_PATHS_BYTES = 32 << 20
MAX_PATHS_TEXT = 256 << 20


def data_url(config: CommonCrawlConfig, path: str) -> str:
    return f"{config.data_server.rstrip('/')}/{path.lstrip('/')}"


def snapshot_paths(client: Client, config: CommonCrawlConfig, crawl: str) -> list[str]:
    """The files of ``crawl``'s paths file that ``config.shards`` selects, in its order."""
    url = data_url(config, f"crawl-data/{crawl}/{config.kind}.paths.gz")
    answer = client.get_bounded(url, MAX_PATHS_BYTES)
    if answer.status == 404:
        raise InputError(f"{url}: HTTP 404 (is {crawl} a crawl with {config.kind} files?)")
    if answer.status != 200:
        raise InputError(f"{url}: HTTP {answer.status}")
    try:
        raw, complete = decode_bounded(answer.body, "gzip", MAX_PATHS_TEXT)
        if not complete:
            raise EOFError
        text = raw.decode("utf-8")
    except TooLarge:
        raise InputError(f"{url}: more than {MAX_PATHS_TEXT >> 20} MiB of paths; refused") from None
    except (OSError, EOFError, ValueError, zlib.error):
        raise InputError(f"{url}: not a gzip-compressed list of paths") from None
    paths = [line.strip() for line in text.splitlines() if line.strip()]
    if not paths or not all(_PATH.match(p) for p in paths):
        raise InputError(f"{url}: not a list of crawl-data/ paths")
    return [paths[i] for i in parse_shards(config.shards, len(paths), url)]


class RangeStream(io.RawIOBase):
    """A remote file read front to back; a dropped connection is resumed with a Range from
    the byte reached (``reconnects`` times at most)."""

    def __init__(self, client: Client, url: str, reconnects: int) -> None:
        self.client = client
        self.url = url
        self.max_reconnects = reconnects
        self.reconnects = 0
        self.retries = 0
        self.position = 0
        self.size: int | None = None
        self._resp: Any = None

    def readable(self) -> bool:
        return True

    def _open(self) -> None:
        headers = {"Range": f"bytes={self.position}-"} if self.position else None
        answer = self.client.get(self.url, headers, stream=True)
        self.retries += answer.retries
        want = 206 if self.position else 200
        if answer.status != want and not (answer.status == 206 and not self.position):
            answer.response.close()  # a listed file not served: the rerun asks again
            raise Unfinished(f"{self.url}: HTTP {answer.status} (asked from byte {self.position})")
        if self.size is None:
            length = answer.headers.get("content-length")
            self.size = int(length) if length and length.isdigit() else None
        self._resp = answer.response

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._resp is None:
                if self.size is not None and self.position >= self.size:
                    return 0
                self._open()
            try:
                n = self._resp.readinto(buffer)
            except (HTTPError, OSError) as e:
                self._drop()
                self._reconnect(e)
                continue
            if n == 0:
                self._drop()
                if self.size is not None and self.position < self.size:
                    self._reconnect(None)
                    continue
                return 0
            self.position += n
            return int(n)

    def _reconnect(self, error: BaseException | None) -> None:
        self.reconnects += 1
        if self.reconnects > self.max_reconnects:
            why = f"{type(error).__name__}" if error is not None else "stream ended early"
            raise Unfinished(
                f"{self.url}: connection lost {self.reconnects} time(s), last at byte "
                f"{self.position} ({why})"
            )
        log.info("%s: reconnecting at byte %d", self.url, self.position)

    def _drop(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    def close(self) -> None:
        self._drop()
        super().close()


def file_pages(
    client: Client, config: CommonCrawlConfig, path: str, max_record_bytes: int,
    stats: StepStats,
) -> Iterator[Page]:  # fmt: skip
    """The pages of one snapshot file (its records counted by type, as for local files)."""

    def seen(kind: str) -> None:
        stats.count(f"records:{kind}")

    raw = RangeStream(client, data_url(config, path), config.reconnects)
    try:
        stream = MemberStream(raw, path)  # type: ignore[arg-type]
        fmt = sniff_archive(stream)
        if fmt not in ("warc", "arc"):
            raise InputError(f"{raw.url}: not a WARC or ARC file")
        reader = read_warc if fmt == "warc" else read_arc
        for rec in reader(stream, path, max_record_bytes=max_record_bytes, seen=seen):
            if rec.error == "too_large":
                stats.seen += 1
                stats.drop("too_large")
                continue
            yield record_to_page(rec)
    except (TruncatedInput, CorruptInput) as e:
        log.warning("%s", e)
        stats.count("errors")
        stats.count("error:truncated" if isinstance(e, TruncatedInput) else "error:corrupt")
    finally:
        stats.count("cc_fetch:bytes", raw.position)
        stats.count("cc_fetch:files")
        if raw.reconnects:
            stats.count("cc_fetch:reconnects", raw.reconnects)
        if raw.retries:
            stats.count("cc_fetch:retries", raw.retries)
        raw.close()
