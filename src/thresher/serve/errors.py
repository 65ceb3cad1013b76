"""Why one page could not be read: one line for ``thresher read`` (exit 2) and an HTTP status
for ``thresher serve`` (``status``), from the same exception. Why a page could not be fetched
(robots.txt, the address guard, the site) is :mod:`thresher.crawl.page_errors`, named here too;
what is added here is about extraction and the API's requests."""

from __future__ import annotations

from thresher.crawl.page_errors import (
    BadURL,
    PageError,
    PrivateAddress,
    RenderUnavailable,
    RobotsDisallowed,
    RobotsUnavailable,
    UpstreamError,
    UpstreamTimeout,
)

__all__ = [
    "BadRequest",
    "BadURL",
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


#: the base of every error here; the fetch errors are the polite fetcher's own
ReadError = PageError


class BadRequest(ReadError):
    """A request without what it needs, or with it in the wrong shape."""

    status = 400


class NotReadable(ReadError):
    """The answer is not an HTML page, or holds no main content."""

    status = 422


class SchemaUnsupported(ReadError):
    """A schema was sent but schema-driven extraction is not available in this install."""

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
