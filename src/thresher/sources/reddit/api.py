"""Reddit's API through PRAW: listings of a subreddit and each submission's whole comment
tree, as Reddit's raw JSON (the same objects the dumps hold).

PRAW is only the transport: OAuth with the user's credentials (``praw_client_id``,
``praw_client_secret``, ``praw_user_agent`` in the environment, or a ``praw.ini`` site),
``x-ratelimit-*`` headers honoured by prawcore's rate limiter, 5xx answers retried by
prawcore. A 429 (prawcore raises it at once) is waited out here, for its ``retry-after`` or
``x-ratelimit-reset`` seconds, before the request is tried again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from thresher.errors import ConfigError, InputError
from thresher.stats import StepStats

log = logging.getLogger("thresher.reddit")

SORTS = ("new", "top", "hot")
TIME_FILTERS = ("all", "year", "month", "week", "day", "hour")
PAGE = 100  # the most items Reddit gives in one listing page
MORE_BATCH = 100  # the most comment ids /api/morechildren takes at once
ENDPOINTS = ("oauth_url", "reddit_url")
CREDENTIALS = "set praw_client_id, praw_client_secret and praw_user_agent (or a praw.ini site)"


def connect(site: str | None = None, **settings: Any) -> Any:
    """A read-only ``praw.Reddit`` from the environment or ``praw.ini`` (``settings`` win;
    ``praw_oauth_url`` / ``praw_reddit_url`` are read from the environment as well); a
    missing credential, or PRAW not installed, is one ConfigError line. No update check (no
    network but Reddit)."""
    import configparser

    try:
        import praw
        from praw.exceptions import MissingRequiredAttributeException
    except ImportError:
        raise ConfigError(
            "thresher reddit needs the praw package: pip install 'thresher[reddit]'"
        ) from None

    for key in ENDPOINTS:  # PRAW reads these from praw.ini only; the environment too here
        if os.environ.get(f"praw_{key}") and key not in settings:
            settings[key] = os.environ[f"praw_{key}"]
    try:
        reddit = praw.Reddit(site_name=site, check_for_updates=False, **settings)
    except MissingRequiredAttributeException as e:
        missing = str(e).split("'")[1] if "'" in str(e) else "a setting"
        raise ConfigError(f"Reddit credentials: {missing} is missing; {CREDENTIALS}") from None
    except configparser.NoSectionError:
        raise ConfigError(f"praw.ini has no site [{site}]") from None
    secret = reddit.config.client_secret
    if secret is None or secret is reddit.config.CONFIG_NOT_SET:
        raise ConfigError(f"Reddit credentials: client_secret is missing; {CREDENTIALS}")
    reddit.read_only = True
    return reddit


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


class RedditAPI:
    """Raw JSON from Reddit's API through one PRAW instance; waits and errors in ``stats``."""

    def __init__(
        self,
        reddit: Any,
        stats: StepStats,
        *,
        attempts: int = 6,
        max_wait: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reddit = reddit
        self.stats = stats
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep

    def get(self, path: str, **params: Any) -> Any:
        """The parsed JSON of one GET; a 429 is waited out and tried again."""
        import prawcore

        params = {"raw_json": 1, **params}
        for attempt in range(self.attempts):
            try:
                return self.reddit.request(method="GET", path=path, params=params)
            except prawcore.exceptions.TooManyRequests as e:
                headers = e.response.headers
                wait = _seconds(headers.get("retry-after"))
                if wait is None:
                    wait = _seconds(headers.get("x-ratelimit-reset"))
                wait = min(self.max_wait, 2.0**attempt if wait is None else wait)
                self.stats.count("api:rate_limited")
                self.stats.count("api:waited_seconds", round(wait))
                log.warning("%s: 429 Too Many Requests; waiting %.0f s", path, wait)
                self.sleep(wait)
            except prawcore.exceptions.OAuthException as e:
                raise ConfigError(f"Reddit refused the credentials: {e}") from None
            except prawcore.exceptions.Redirect:  # a ResponseException too
                raise InputError(f"{path}: no such subreddit (Reddit redirects)") from None
            except prawcore.exceptions.ResponseException as e:
                status = e.response.status_code
                if status == 401 or "access_token" in str(e.response.url):
                    raise ConfigError(f"Reddit refused the credentials (HTTP {status})") from None
                raise InputError(f"{path}: HTTP {status}") from None
            except prawcore.exceptions.RequestException as e:
                raise InputError(f"{path}: cannot reach Reddit: {e.original_exception}") from None
        raise InputError(f"{path}: still rate limited after {self.attempts} attempts")

    def submissions(
        self, subreddit: str, sort: str, limit: int, time_filter: str = "all"
    ) -> Iterator[dict[str, Any]]:
        """Up to ``limit`` submissions of a listing, page by page (raw ``t3`` data)."""
        after: str | None = None
        given = 0
        while given < limit:
            params: dict[str, Any] = {"limit": min(PAGE, limit - given)}
            if after:
                params["after"] = after
            if sort == "top":
                params["t"] = time_filter
            page = self.get(f"/r/{subreddit}/{sort}", **params)
            data = page.get("data", {}) if isinstance(page, dict) else {}
            children = [c for c in data.get("children") or [] if c.get("kind") == "t3"]
            for child in children[: limit - given]:
                given += 1
                yield child["data"]
            after = data.get("after")
            if not children or not after:
                return

    def comments(self, submission_id: str) -> list[dict[str, Any]]:
        """Every comment of a submission (raw ``t1`` data, ``replies`` emptied), the "more
        comments" stubs fetched through /api/morechildren."""
        answer = self.get(f"/comments/{submission_id}", limit=500, sort="confidence")
        out: list[dict[str, Any]] = []
        more: list[str] = []
        if isinstance(answer, list) and len(answer) > 1:
            self._walk(answer[1].get("data", {}).get("children") or [], out, more)
        asked: set[str] = set()
        while more:
            batch = [m for m in more[:MORE_BATCH] if m not in asked]
            more = more[MORE_BATCH:]
            if not batch:
                continue
            asked.update(batch)
            reply = self.get(
                "/api/morechildren",
                link_id=f"t3_{submission_id}",
                children=",".join(batch),
                api_type="json",
            )
            things = (reply or {}).get("json", {}).get("data", {}).get("things") or []
            self._walk(things, out, more)
        return out

    def _walk(self, children: list[Any], out: list[dict[str, Any]], more: list[str]) -> None:
        stack = list(reversed(children))
        while stack:
            child = stack.pop()
            if not isinstance(child, dict):
                continue
            data = child.get("data") or {}
            if child.get("kind") == "more":
                ids = [str(i) for i in data.get("children") or []]
                if ids:
                    more.extend(ids)
                elif data.get("count"):
                    self.stats.count("api:deep_threads_not_followed")
                continue
            if child.get("kind") != "t1":
                continue
            replies = data.get("replies")
            out.append({**data, "replies": ""})
            if isinstance(replies, dict):
                stack.extend(reversed(replies.get("data", {}).get("children") or []))
