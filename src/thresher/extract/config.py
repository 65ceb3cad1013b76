"""Settings of extraction (the YAML ``extract:`` section and the ``thresher extract`` options)."""

from __future__ import annotations

from pydantic import Field, field_validator

from thresher.llm.config import LLMConfig
from thresher.settings_base import Section
from thresher.sources.commoncrawl.config import CommonCrawlConfig
from thresher.sources.reddit.settings import RedditSettings


class ExtractConfig(Section):
    markdown: bool = Field(False, description="also produce the main content as Markdown")
    recipe: str | None = Field(None, description="path of a YAML recipe for structured records")
    include_comments: bool = Field(False, description="keep comment sections")
    min_text_chars: int = Field(1, ge=0, description="documents with less text are dropped")
    workers: int = Field(
        1, ge=1, description="shards at once (older key; the executor: section's workers wins)"
    )
    links: bool = Field(True, description="keep the page's links (URL, anchor text) in metadata")
    max_html_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="pages larger than this are cut to this size"
    )
    max_record_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="archive records larger than this are skipped"
    )
    timeout: float = Field(
        10.0, gt=0, description="seconds one page may take before it is cut off and counted"
    )
    max_depth: int = Field(
        3000,
        ge=0,
        description="pages whose elements nest deeper than this are skipped before parsing"
        " (too_deep; parsing time grows with the square of the depth; 0: no limit)",
    )
    batch_size: int = Field(
        32, ge=1, description="unused: extract runs in shards (kept so older files still load)"
    )
    fallback_below: int = Field(
        300,
        ge=0,
        description="pages whose own result holds less prose than this many bytes get "
        "trafilatura's choice of blocks (0: never)",
    )
    block_model: bool = Field(
        True,
        description="let the learned block model reconsider the rules' choice of blocks "
        "(thresher.extract.blockmodel); false: the rules alone",
    )
    page_types: list[str] | None = Field(
        None,
        description="keep only pages of these types (article, forum, product, collection, "
        "listing, documentation, service, other); the others are dropped as page_type:TYPE",
    )
    # -- schema-driven extraction with a model (thresher.llm, docs/llm.md) --
    llm: LLMConfig | None = Field(
        None, description="ask an OpenAI-compatible model for each page's record (metadata.llm)"
    )
    # -- Reddit dumps (thresher.sources.reddit, docs/reddit.md) --
    reddit: RedditSettings = Field(
        default_factory=RedditSettings, description="which submissions of Reddit dumps to keep"
    )
    # -- Common Crawl slices and snapshots (thresher.sources.commoncrawl, docs/commoncrawl.md) --
    cc: CommonCrawlConfig = Field(
        default_factory=CommonCrawlConfig,
        description="cc:CRAWL/PATTERN and cc:CRAWL inputs: servers, filters, retries",
    )

    @field_validator("page_types", mode="before")
    @classmethod
    def _known_types(cls, v: object) -> list[str] | None:
        """A comma-separated string or a list of known type names (an unknown one is one
        line naming the known ones)."""
        if v is None:
            return None
        from thresher.extract.pagetype import PAGE_TYPES

        names = v.split(",") if isinstance(v, str) else v
        if not isinstance(names, list):
            raise ValueError("a list of page types, e.g. article,forum")
        out = [str(n).strip().lower() for n in names if str(n).strip()]
        unknown = [n for n in out if n not in PAGE_TYPES]
        if unknown or not out:
            raise ValueError(
                f"unknown page type {', '.join(unknown) or '(none given)'}; "
                f"known: {', '.join(PAGE_TYPES)}"
            )
        return out
