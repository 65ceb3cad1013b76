"""Settings of extraction (the YAML ``extract:`` section and the ``thresher extract`` options)."""

from __future__ import annotations

from pydantic import Field

from thresher.settings_base import Section


class ExtractConfig(Section):
    markdown: bool = Field(False, description="also produce the main content as Markdown")
    recipe: str | None = Field(None, description="path of a YAML recipe for structured records")
    include_comments: bool = Field(False, description="keep comment sections")
    min_text_chars: int = Field(1, ge=0, description="documents with less text are dropped")
    workers: int = Field(1, ge=1, description="processes")
