"""Why one page could not be read: one line for ``thresher read`` (exit 2) and an HTTP status
for ``thresher serve`` (``status``), from the same exception."""

from __future__ import annotations

from thresher.errors import ThresherError

__all__ = [
    "BadRequest",
    "BodyTimeout",
    "CrossSite",
    "ExtractFailed",
    "ExtractTimeout",
    "MisdirectedRequest",
    "NotReadable",
    "PrivateAddress",
    "ReadError",
    "RenderUnavailable",
    "RobotsDisallowed",
    "RobotsUnavailable",
    "SchemaUnsupported",
    "UnsupportedMediaType",
    "UpstreamError",
    "UpstreamTimeout",
]


class ReadError(ThresherError):
    """A page that could not be read; ``status`` is the HTTP status the API answers with."""

    status = 502


class BadRequest(ReadError):
    """Not an http(s) URL, or a request without what it needs."""

    status = 400


class PrivateAddress(ReadError):
    """The host is (or resolves to) a loopback, private or link-local address."""

    status = 403


class RobotsDisallowed(ReadError):
    """robots.txt disallows the URL for thresher's user agent: the page was not requested."""

    status = 403


class RobotsUnavailable(ReadError):
    """robots.txt answered 5xx or could not be fetched: no page of the site is requested."""

    status = 502


class UpstreamError(ReadError):
    """The site answered with an error status, a bad redirect, or not at all."""

    status = 502


class UpstreamTimeout(ReadError):
    """The site did not answer in time."""

    status = 504


class NotReadable(ReadError):
    """The answer is not an HTML page, or holds no main content."""

    status = 422


class SchemaUnsupported(ReadError):
    """A schema was sent but schema-driven extraction is not available in this install."""

    status = 501


class RenderUnavailable(ReadError):
    """Rendering was asked for but Playwright or Chromium cannot be started here."""

    status = 501


class MisdirectedRequest(ReadError):
    """The ``Host`` header names no host this server answers for (DNS rebinding)."""

    status = 421


class CrossSite(ReadError):
    """A browser sent the request from another site (``Origin``, ``Sec-Fetch-Site``)."""

    status = 403


class UnsupportedMediaType(ReadError):
    """A POST body that is not ``Content-Type: application/json``."""

    status = 415


class BodyTimeout(ReadError):
    """The request body did not arrive in time."""

    status = 408


class ExtractTimeout(ReadError):
    """Extraction of the page ran past the hard time limit; its worker was stopped."""

    status = 504


class ExtractFailed(ReadError):
    """Extraction of the page failed in its worker (an error, or the worker died)."""

    status = 422
