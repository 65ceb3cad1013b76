"""The ``extract: reddit:`` settings: which submissions of a dump become threads."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, field_validator

from thresher.settings_base import Section


def parse_time(value: str) -> int:
    """Unix seconds of an ISO date or date-time (``2024-01-15``, ``2024-01-15T08:00:00Z``);
    a time without a zone is UTC. ValueError names what is wrong."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO date-time)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def subreddit_name(value: str) -> str:
    """``askscience`` from ``r/AskScience``, ``/r/askscience/`` or ``askscience``."""
    name = value.strip().strip("/")
    if name.lower().startswith("r/"):
        name = name[2:]
    return name.strip("/").lower()


class RedditSettings(Section):
    subreddits: list[str] = Field(
        default_factory=list, description="keep only these subreddits (any case; empty: all)"
    )
    since: str | None = Field(None, description="keep submissions created at or after this")
    until: str | None = Field(None, description="keep submissions created before this")
    link_posts: bool = Field(
        False, description="also keep link posts (title only; skipped and counted by default)"
    )
    work_dir: str | None = Field(
        None, description="folder for the on-disk comment index (default: the output's work folder)"
    )

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [subreddit_name(v) for v in value]
        if any(not n for n in names):
            raise ValueError("an empty subreddit name")
        return names

    @field_validator("since", "until")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_time(value)
        return value

    def window(self) -> tuple[int | None, int | None]:
        """(since, until) in Unix seconds, None where open."""
        return (
            parse_time(self.since) if self.since else None,
            parse_time(self.until) if self.until else None,
        )


#: key of :class:`RedditSettings` → its ``thresher extract`` option
OPTIONS = {
    "subreddits": "--subreddit",
    "since": "--since",
    "until": "--until",
    "link_posts": "--link-posts",
}
