"""Why one page could not be fetched politely (:mod:`thresher.crawl.one_page`): one line for
the user, and ``status``, the HTTP status a service that fetched on a client's behalf answers
with (``thresher serve``). Kept apart from the fetcher so that catching them loads no HTTP
client."""

from __future__ import annotations

from thresher.errors import ThresherError

__all__ = [
    "BadURL",
    "PageError",
    "PrivateAddress",
    "RenderUnavailable",
    "RobotsDisallowed",
    "RobotsUnavailable",
    "UpstreamError",
    "UpstreamTimeout",
]


class PageError(ThresherError):
    """A page that could not be fetched or read; ``status`` is the HTTP status to answer with."""

    status = 502


class BadURL(PageError):
    """Not an http(s) URL: nothing can be fetched."""

    status = 400


class PrivateAddress(PageError):
    """The host is (or resolves to) a loopback, private or link-local address."""

    status = 403


class RobotsDisallowed(PageError):
    """robots.txt disallows the URL for the user agent: the page was not requested."""

    status = 403


class RobotsUnavailable(PageError):
    """robots.txt answered 5xx or could not be fetched: no page of the site is requested."""

    status = 502


class UpstreamError(PageError):
    """The site answered with an error status, a bad redirect, or not at all."""

    status = 502


class UpstreamTimeout(PageError):
    """The site did not answer in time."""

    status = 504


class RenderUnavailable(PageError):
    """Rendering was asked for but Playwright or Chromium cannot be started here."""

    status = 501
