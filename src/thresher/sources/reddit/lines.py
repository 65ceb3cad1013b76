"""Reading a dump file as JSON objects, one per line: zstd (with Reddit dumps' 2 GiB window),
gzip or plain. Damage is counted, never raised: a line that is not a JSON object, or is
longer than ``MAX_LINE_BYTES``, is skipped with its reason, and a file cut short yields its
complete lines and one ``truncated`` error.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import zlib
from collections.abc import Iterator
from typing import IO, Any

import orjson

from thresher.archive import TruncatedInput, open_binary
from thresher.archive.compression import detect_compression, iter_decoded
from thresher.stats import StepStats
from thresher.store.formats import MAX_LINE_BYTES, split_lines

log = logging.getLogger("thresher.reddit")

#: Pushshift / Arctic Shift dumps are compressed with ``--long=31``: zstandard refuses
#: windows above 128 MiB unless told otherwise.
MAX_WINDOW = 2**31
CHUNK = 1 << 20


def _raw_chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(CHUNK):
        yield chunk


def decoded_chunks(f: IO[bytes], name: str = "dump") -> Iterator[bytes]:
    """The file's bytes, decompressed by what its first bytes say (zstd, gzip or plain), in
    pieces of bounded size (:func:`thresher.archive.compression.iter_decoded`: a bomb
    costs time, not memory); TruncatedInput when the last frame or member is incomplete."""
    raw = _raw_chunks(f)
    head = next(raw, b"")
    chunks = itertools.chain([head], raw)
    codec = detect_compression(head)
    if codec in ("zstd", "gzip"):
        return iter_decoded(chunks, codec, name=name, zstd_window=MAX_WINDOW)
    return chunks


def iter_objects(
    path: str, stats: StepStats, wanted: re.Pattern[bytes] | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON objects of one dump file, by their first bytes (zstd, gzip or plain).

    Skips are counted in ``stats``: ``reddit_skip:not_json``, ``reddit_skip:not_an_object``;
    a damaged file adds ``errors`` and ``error:truncated`` / ``error:corrupt`` once. Lines
    ``wanted`` does not find are passed over unparsed (``reddit_skip:unwanted_lines``): a
    cheap test before the JSON parse, which is most of the cost of a line."""
    unwanted = 0
    try:
        with open_binary(path) as f:
            for line in split_lines(decoded_chunks(f, path), MAX_LINE_BYTES):
                if line is None:  # never parsed (orjson on a 2 GB line: SIGSEGV)
                    stats.count("reddit_skip:line_too_long")
                    continue
                if wanted is not None and wanted.search(line) is None:
                    unwanted += 1
                    continue
                obj = _parse(line, stats)
                if obj is not None:
                    yield obj
    except TruncatedInput as e:
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
