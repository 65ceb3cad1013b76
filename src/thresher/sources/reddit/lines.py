"""Reading a dump file as JSON objects, one per line: zstd (with Reddit dumps' 2 GiB window),
gzip or plain. Damage is counted, never raised: a line that is not a JSON object is skipped
with its reason, and a file cut short yields its complete lines and one ``truncated`` error.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from thresher.archive import open_binary
from thresher.stats import StepStats

log = logging.getLogger("thresher.reddit")

#: Pushshift / Arctic Shift dumps are compressed with ``--long=31``: zstandard refuses
#: windows above 128 MiB unless told otherwise.
MAX_WINDOW = 2**31
CHUNK = 1 << 20
#: compressed bytes fed to the decompressor at once: its output comes in one piece, and
#: Reddit JSON inflates 10x and more (so memory does not follow the compression ratio)
FEED = 8 * 1024
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"


class Truncated(Exception):
    """The compressed stream ended inside a frame or member."""


def _raw_chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(CHUNK):
        yield chunk


def _fed(raw: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in raw:
        for i in range(0, len(chunk), FEED):
            yield chunk[i : i + FEED]


def _decoded(raw: Iterator[bytes], new: Callable[[], Any], name: str) -> Iterator[bytes]:
    """Decompressed bytes of every frame (zstd) or member (gzip) in ``raw``, one
    decompressor per frame; :class:`Truncated` when the last one is incomplete (zstandard's
    stream reader would end quietly instead)."""
    obj = new()
    pending = False  # bytes fed to a frame that has not ended yet
    for data in _fed(raw):
        while data:
            pending = True
            out = obj.decompress(data)
            if out:
                yield out
            if not obj.eof:
                break
            data = obj.unused_data  # the next frame starts here
            obj = new()
            pending = False
    if pending:
        raise Truncated(f"the last {name} is incomplete")


def _zstd() -> Any:
    import zstandard

    return zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).decompressobj()


def decoded_chunks(f: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes, decompressed by what its first bytes say (zstd, gzip or plain)."""
    raw = _raw_chunks(f)
    head = next(raw, b"")
    chunks = itertools.chain([head], raw)
    if head[:4] == ZSTD_MAGIC:
        return _decoded(chunks, _zstd, "zstd frame")
    if head[:2] == GZIP_MAGIC:
        return _decoded(chunks, lambda: zlib.decompressobj(wbits=31), "gzip member")
    return chunks


def iter_objects(
    path: str, stats: StepStats, wanted: re.Pattern[bytes] | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON objects of one dump file, by their first bytes (zstd, gzip or plain).

    Skips are counted in ``stats``: ``reddit_skip:not_json``, ``reddit_skip:not_an_object``;
    a damaged file adds ``errors`` and ``error:truncated`` / ``error:corrupt`` once. Lines
    ``wanted`` does not find are passed over unparsed (``reddit_skip:unwanted_lines``): a
    cheap test before the JSON parse, which is most of the cost of a line."""
    rest = b""
    unwanted = 0
    try:
        with open_binary(path) as f:
            for chunk in decoded_chunks(f):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if wanted is not None and wanted.search(line) is None:
                        unwanted += 1
                        continue
                    obj = _parse(line, stats)
                    if obj is not None:
                        yield obj
        if rest.strip() and (wanted is None or wanted.search(rest) is not None):
            obj = _parse(rest, stats)
            if obj is not None:
                yield obj
    except Truncated as e:
        log.warning("%s: truncated: %s", path, e)
        stats.count("errors")
        stats.count("error:truncated")
    except (zlib.error, OSError, ValueError, _zstd_error()) as e:
        log.warning("%s: corrupt: %s", path, e)
        stats.count("errors")
        stats.count("error:corrupt")
    finally:
        if unwanted:
            stats.count("reddit_skip:unwanted_lines", unwanted)


def _parse(line: bytes, stats: StepStats) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    try:
        obj = orjson.loads(line)
    except ValueError:  # orjson refuses a few things json reads (NaN, huge integers)
        try:
            obj = json.loads(line)
        except ValueError:
            stats.count("reddit_skip:not_json")
            return None
    if not isinstance(obj, dict):
        stats.count("reddit_skip:not_an_object")
        return None
    return obj


def _zstd_error() -> type[Exception]:
    import zstandard

    return zstandard.ZstdError
