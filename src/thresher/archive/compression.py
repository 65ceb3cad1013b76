"""Streaming decompression (gzip, lz4, none) that remembers where each compressed member begins.

WARC and ARC files are usually compressed one record per gzip member (or lz4 frame); the
offset of that member in the file is what ``source`` points at, so the reader tracks it
while decompressing with bounded memory.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO, Protocol

from thresher.errors import InputError

CHUNK = 1 << 16


class TruncatedInput(InputError):
    """The compressed or archive stream ends in the middle of a member or record."""


class CorruptInput(InputError):
    """The stream holds bytes that cannot be decompressed or parsed."""


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


def _gzip() -> _Decompressor:
    return zlib.decompressobj(wbits=31)  # type: ignore[return-value]


def _lz4() -> _Decompressor:
    import lz4.frame

    return lz4.frame.LZ4FrameDecompressor()  # type: ignore[no-any-return]


def detect_compression(head: bytes) -> str:
    """``gzip``, ``lz4`` or ``none`` from the first bytes of a file."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    return "none"


class MemberStream:
    """A readable view of the decompressed bytes with ``member_start``: the compressed offset
    of the member that holds the next unread byte (the plain offset for uncompressed input)."""

    def __init__(self, raw: BinaryIO, name: str, compression: str | None = None) -> None:
        self.raw = raw
        self.name = name
        self._buf = bytearray()
        self._pos = 0  # read position inside _buf
        self._raw_pos = 0  # compressed bytes consumed from raw
        head = b""
        if compression is None:
            head = raw.read(CHUNK)
            compression = detect_compression(head)
        self.compression = compression
        self._factory = {"gzip": _gzip, "lz4": _lz4}.get(compression)
        self._dec: _Decompressor | None = self._factory() if self._factory else None
        self._pending = head  # compressed bytes read but not yet fed
        self._eof = False
        # (decompressed offset where a member starts, compressed offset of that member)
        self._marks: list[tuple[int, int]] = [(0, 0)]
        self._out_total = 0  # decompressed bytes produced so far (absolute)
        self._consumed_abs = 0  # absolute decompressed offset of _buf[0]

    # -- filling -----------------------------------------------------------------------
    def _fill(self) -> bool:
        """Add decompressed bytes to the buffer; False at a clean end of input."""
        while True:
            data = self._pending or self.raw.read(CHUNK)
            self._pending = b""
            if not data:
                if self._dec is not None and not self._dec.eof and self._member_started():
                    raise TruncatedInput(f"{self.name}: truncated {self.compression} stream")
                self._eof = True
                return False
            if self._dec is None:
                self._raw_pos += len(data)
                self._append(data)
                return True
            produced = False
            while data:
                before = len(data)
                try:
                    out = self._dec.decompress(data)
                except (zlib.error, RuntimeError, OSError) as e:
                    raise CorruptInput(
                        f"{self.name}: corrupt {self.compression} data: {e}"
                    ) from None
                if out:
                    self._append(out)
                    produced = True
                if self._dec.eof:
                    rest = self._dec.unused_data or b""
                    self._raw_pos += before - len(rest)
                    data = rest
                    self._dec = self._factory()  # type: ignore[misc]
                    self._marks.append((self._out_total, self._raw_pos))
                    if data and self.compression == "gzip" and data[:2] != b"\x1f\x8b":
                        if not data.strip(b"\x00"):
                            data = b""  # zero padding after the last member
                        else:
                            raise CorruptInput(f"{self.name}: garbage after gzip member")
                else:
                    self._raw_pos += before
                    data = b""
            if produced:
                return True

    def _member_started(self) -> bool:
        # a fresh decompressor that has seen no input is a clean end
        return self._raw_pos != self._marks[-1][1]

    def _append(self, data: bytes) -> None:
        if self._pos > CHUNK * 4:
            del self._buf[: self._pos]
            self._consumed_abs += self._pos
            self._pos = 0
        self._buf += data
        self._out_total += len(data)

    # -- reading -----------------------------------------------------------------------
    def tell(self) -> int:
        """Absolute decompressed offset of the next unread byte."""
        return self._consumed_abs + self._pos

    def member_start(self) -> int:
        """Compressed offset of the member holding the next unread byte."""
        at = self.tell()
        if self._dec is None and self._factory is None:
            return at
        if self._pos >= len(self._buf) and not self._eof:
            self._fill()  # so that a member boundary exactly at `at` is known
        marks = self._marks
        while len(marks) > 1 and marks[1][0] <= at:
            marks.pop(0)
        return marks[0][1]

    def readline(self, limit: int = 1 << 16) -> bytes:
        """One line including its ``\\n`` (fewer bytes at the end of input or at ``limit``)."""
        while True:
            i = self._buf.find(b"\n", self._pos, self._pos + limit)
            if i >= 0:
                line = bytes(self._buf[self._pos : i + 1])
                self._pos = i + 1
                return line
            if len(self._buf) - self._pos >= limit or not self._fill():
                n = min(limit, len(self._buf) - self._pos)
                line = bytes(self._buf[self._pos : self._pos + n])
                self._pos += n
                return line

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes without consuming them (fewer at the end of input)."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                break
        return bytes(self._buf[self._pos : self._pos + n])

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of input)."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                break
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += len(out)
        return out

    def skip(self, n: int) -> int:
        """Discard up to ``n`` bytes without holding them; returns how many were skipped."""
        done = 0
        while done < n:
            avail = len(self._buf) - self._pos
            if avail == 0 and not self._fill():
                break
            take = min(n - done, len(self._buf) - self._pos)
            self._pos += take
            done += take
        return done
