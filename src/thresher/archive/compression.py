"""Bounded streaming decompression: the one home of every codec thresher reads.

:class:`MemberStream` reads archives (gzip, lz4, none) and remembers where each compressed
member begins: WARC and ARC files are usually compressed one record per gzip member (or lz4
frame), and the offset of that member is what ``source`` points at. :func:`iter_decoded`
streams gzip, deflate, br and zstd in output pieces of bounded size, and
:func:`decode_bounded` undoes an HTTP ``Content-Encoding`` up to a limit. No call ever
holds more than a few MiB of output it was not asked for, so a decompression bomb costs
time up to the limit, not memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Iterator
from typing import Any, BinaryIO, Protocol

from thresher.errors import InputError

CHUNK = 1 << 16
#: compressed bytes handed at once to a decoder that cannot bound its own output (zstd,
#: lz4, and gzip inside MemberStream): zstd expands at most ~32,768x (8 MiB per feed), gzip
#: ~1,032x (16 MiB), lz4 ~255x (4 MiB). Feeds this small cost nothing measurable.
FEED = {"zstd": 256, "gzip": 16 << 10, "lz4": 16 << 10}
#: output pieces of the decoders that can bound their output (gzip, deflate, br)
PIECE = 1 << 20
#: zstd windows accepted by default (zstd's own default limit, 128 MiB); Reddit dumps need 2 GiB
ZSTD_WINDOW = 1 << 27


class TruncatedInput(InputError):
    """The compressed or archive stream ends in the middle of a member or record."""


class CorruptInput(InputError):
    """The stream holds bytes that cannot be decompressed or parsed."""


class TooLarge(InputError):
    """Decompressed data would grow beyond its limit (a decompression bomb, or just too big)."""


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


def _gzip() -> _Decompressor:
    return zlib.decompressobj(wbits=31)  # type: ignore[return-value]


def _lz4() -> _Decompressor:
    import lz4.frame

    return lz4.frame.LZ4FrameDecompressor()  # type: ignore[no-any-return]


#: the first bytes of every compressed format thresher reads: the one place they are written
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
MAGIC = {"gzip": GZIP_MAGIC, "zstd": ZSTD_MAGIC, "lz4": LZ4_MAGIC}
#: the codecs a web archive (WARC, ARC, an HTML file) may be compressed with
ARCHIVE_CODECS = ("gzip", "lz4")


def detect_compression(head: bytes, among: Collection[str] = ("gzip", "zstd", "lz4")) -> str:
    """The codec (one of ``among``: ``gzip``, ``zstd``, ``lz4``) whose magic bytes start
    ``head`` (a file's or body's first bytes), or ``none``: by content, never by name."""
    for codec in among:
        if head.startswith(MAGIC[codec]):
            return codec
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
            compression = detect_compression(head, ARCHIVE_CODECS)
        self.compression = compression
        self._factory = {"gzip": _gzip, "lz4": _lz4}.get(compression)
        self._dec: _Decompressor | None = self._factory() if self._factory else None
        self._feed = FEED.get(compression, CHUNK)
        self._pending = head  # compressed bytes read but not yet fed
        self._eof = False
        # (decompressed offset where a member starts, compressed offset of that member)
        self._marks: list[tuple[int, int]] = [(0, 0)]
        self._out_total = 0  # decompressed bytes produced so far (absolute)
        self._consumed_abs = 0  # absolute decompressed offset of _buf[0]

    # -- filling -----------------------------------------------------------------------
    def _fill(self) -> bool:
        """Add decompressed bytes to the buffer; False at a clean end of input. Compressed
        bytes are fed ``FEED`` at a time, so one call adds a bounded amount."""
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
            feed, self._pending = data[: self._feed], data[self._feed :]
            try:
                out = self._dec.decompress(feed)
            except (zlib.error, RuntimeError, OSError) as e:
                raise CorruptInput(f"{self.name}: corrupt {self.compression} data: {e}") from None
            if self._dec.eof:
                rest = self._dec.unused_data or b""
                self._raw_pos += len(feed) - len(rest)
                self._pending = rest + self._pending
                self._dec = self._factory()  # type: ignore[misc]
                self._marks.append((self._out_total + len(out), self._raw_pos))
                self._check_next_member()
            else:
                self._raw_pos += len(feed)
            if out:
                self._append(out)
                return True

    def _check_next_member(self) -> None:
        """After a gzip member: the next one, zero padding up to the end, or an error."""
        if self.compression != "gzip":
            return
        if len(self._pending) < 2:
            self._pending += self.raw.read(CHUNK)
        data = self._pending
        if data and not data.startswith(GZIP_MAGIC):
            if data.strip(b"\x00"):
                raise CorruptInput(f"{self.name}: garbage after gzip member")
            self._pending = b""  # zero padding after the last member

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

    def read_salvaged(self, n: int) -> tuple[bytes, bool]:
        """Up to ``n`` bytes and whether all of them came: input that ends early, or whose
        compressed stream breaks off inside a member, gives what arrived (and ends here)."""
        while len(self._buf) - self._pos < n:
            try:
                if not self._fill():
                    break
            except TruncatedInput:
                self._eof = True
                break
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += len(out)
        return out, len(out) == n

    @property
    def ended(self) -> bool:
        """True once the input is used up (or broke off)."""
        return self._eof and self._pos >= len(self._buf)


# -- streams and payloads -----------------------------------------------------------------

#: ``Content-Encoding`` names → codec of :func:`iter_decoded`
CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br", "zstd": "zstd"}


def _decoder(codec: str, head: bytes, zstd_window: int) -> Any:
    if codec == "gzip":
        return zlib.decompressobj(wbits=47)  # gzip or zlib header
    if codec == "deflate":  # HTTP "deflate" is zlib-wrapped, but servers send raw deflate too
        return zlib.decompressobj(wbits=15 if head[:1] == b"\x78" else -15)
    if codec == "br":
        import brotli

        return brotli.Decompressor()
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor(max_window_size=zstd_window).decompressobj()
    if codec == "lz4":
        return _lz4()
    raise ValueError(f"unknown codec {codec!r}")


def _pieces(dec: Any, codec: str, data: bytes) -> Iterator[bytes]:
    """Output of ``data`` in bounded pieces; returns the input left after the member ends."""
    if codec in ("gzip", "deflate"):
        while True:
            out = dec.decompress(data, PIECE)
            if out:
                yield out
            data = dec.unconsumed_tail
            if dec.eof:
                return bytes(dec.unused_data)
            if not data and len(out) < PIECE:
                return b""
    if codec == "br":
        out = dec.process(data, output_buffer_limit=PIECE)
        if out:
            yield out
        while not dec.can_accept_more_data():
            out = dec.process(b"", output_buffer_limit=PIECE)
            if not out:
                break
            yield out
        return b""  # brotli has one stream and no trailer
    if codec == "lz4":  # the frame keeps what max_length held back until asked again
        while data or not dec.needs_input:
            out = dec.decompress(data, max_length=PIECE)
            data = b""
            if out:
                yield out
            if dec.eof:
                return bytes(dec.unused_data or b"")
        return b""
    feed = FEED["zstd"]
    for i in range(0, len(data), feed):
        out = dec.decompress(data[i : i + feed])
        if out:
            yield out
        if dec.eof:
            return bytes(dec.unused_data) + data[i + feed :]
    return b""


def _finished(dec: Any, codec: str) -> bool:
    return bool(dec.is_finished()) if codec == "br" else bool(dec.eof)


def iter_decoded(
    chunks: Iterable[bytes],
    codec: str,
    *,
    name: str = "stream",
    multi: bool = True,
    zstd_window: int = ZSTD_WINDOW,
) -> Iterator[bytes]:
    """The decompressed bytes of ``chunks`` (``gzip``, ``deflate``, ``br``, ``zstd``, ``lz4``) in
    pieces of bounded size; every member/frame when ``multi``, else the first only.
    :class:`TruncatedInput` after the last piece when the last member is incomplete; the
    codec's own error (``zlib.error``, ``brotli.error``, ``ZstdError``) on corrupt data."""
    dec: Any = None
    started = False  # bytes went into a member that has not ended
    for chunk in chunks:
        data = chunk
        while data:
            if dec is None:
                dec = _decoder(codec, data, zstd_window)
            started = True
            data = yield from _pieces(dec, codec, data)
            if not _finished(dec, codec):
                break
            started, dec = False, None
            if not multi:
                return
    if started:
        raise TruncatedInput(f"{name}: truncated {codec} stream")


def decode_bounded(body: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Undo an HTTP ``Content-Encoding`` (``gzip``, ``deflate``, ``br``, ``zstd``, or a
    list of them) keeping at most ``limit`` bytes: (payload, complete). A stream cut short
    gives what it held (complete False); an unknown coding leaves the body as it is.
    Raises :class:`TooLarge` past ``limit``, ValueError (or the codec's error) on corrupt data."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    data, complete = body, True
    for coding in reversed(codings):
        if coding == "identity":
            continue
        codec = CODINGS.get(coding)
        if codec is None:
            return data, complete
        pieces = iter_decoded([data], codec, multi=False)
        too_large = f"{coding} payload decodes to more than {limit} bytes"
        data, whole = collect_bounded(pieces, limit, too_large)
        complete = complete and whole
    return data, complete


def collect_bounded(pieces: Iterable[bytes], limit: int, too_large: str) -> tuple[bytes, bool]:
    """The decompressed ``pieces`` joined: (bytes, complete). A stream cut short
    (:class:`TruncatedInput`) gives what it held; :class:`TooLarge` with the message
    ``too_large`` once more than ``limit`` bytes came out (nothing past it is kept)."""
    out: list[bytes] = []
    total = 0
    try:
        for piece in pieces:
            total += len(piece)
            if total > limit:
                raise TooLarge(too_large)
            out.append(piece)
    except TruncatedInput:
        return b"".join(out), False
    return b"".join(out), True
