"""Settings of the Common Crawl source: the YAML ``extract: cc:`` section and the
``--cc-*`` options of ``thresher extract``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from thresher.settings_base import Section

DEFAULT_INDEX = "https://index.commoncrawl.org"
DEFAULT_DATA = "https://data.commoncrawl.org"


class CommonCrawlConfig(Section):
    index_server: str = Field(
        DEFAULT_INDEX, pattern=r"^https?://[^/\s]+", description="CDX index server (pywb API)"
    )
    data_server: str = Field(
        DEFAULT_DATA, pattern=r"^https?://[^/\s]+", description="server of crawl-data/ files"
    )
    statuses: list[int] = Field([200], description="HTTP statuses of captures to fetch")
    mime_types: list[str] = Field(
        ["text/html", "application/xhtml+xml"],
        description="captures whose index 'mime' or 'mime-detected' is one of these are fetched",
    )
    kind: Literal["wet", "warc"] = Field(
        "wet", description="whole snapshots (cc:CRAWL): which paths file to read"
    )
    shards: str | None = Field(
        None,
        pattern=r"^\d+(-\d*)?$",
        description="whole snapshots: files A-B of the paths file (0-based, inclusive; 'A-' to "
        "the end)",
    )

    @field_validator("shards")
    @classmethod
    def _ordered(cls, value: str | None) -> str | None:
        """``A-B`` with B before A selects nothing: refused before the paths file is read."""
        if value is not None:
            first, _, last = value.partition("-")
            if last and int(last) < int(first):
                raise ValueError(f"{value}: the last file comes before the first")
        return value

    # how to fetch, not what: left out of the run's fingerprint (exclude=True), so a rerun
    # with other values resumes the same run
    fetchers: int = Field(
        4, ge=1, le=64, exclude=True, description="range requests at once per item"
    )
    tries: int = Field(
        6, ge=1, exclude=True, description="attempts per request (503/429/5xx/network)"
    )
    backoff: float = Field(
        1.0, ge=0, exclude=True, description="first retry delay in seconds (doubles)"
    )
    backoff_max: float = Field(
        60.0, ge=0, exclude=True, description="longest wait between attempts"
    )
    reconnects: int = Field(
        5,
        ge=0,
        exclude=True,
        description="whole files: reconnections (with a Range) after a dropped stream",
    )
    timeout: float = Field(
        60.0, gt=0, exclude=True, description="seconds to connect or between bytes read"
    )
    user_agent: str = Field("thresher (+https://github.com/thresher)", description="User-Agent")


#: key of :class:`CommonCrawlConfig` → its ``thresher extract`` option
OPTIONS = {
    "index_server": "--cc-index-server",
    "data_server": "--cc-data-server",
    "kind": "--kind",
    "shards": "--shards",
    "fetchers": "--cc-fetchers",
}
