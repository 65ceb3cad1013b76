"""Settings of the refine pipeline (the YAML ``refine:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from thresher.settings_base import Section


class DedupConfig(Section):
    enabled: bool = True
    policy: Literal["ccnet", "keep-first"] = Field(
        "ccnet", description="ccnet: every copy of a repeated paragraph goes; keep-first: first stays"
    )
    min_chars: int = Field(0, ge=0, description="shorter paragraphs are never deduplicated")


class LangIdConfig(Section):
    enabled: bool = True
    threshold: float = Field(0.5, ge=0, le=1, description="keep when the top score reaches this")
    languages: list[str] | None = Field(None, description="keep only these languages")


class RefineConfig(Section):
    normalize: bool = Field(True, description="normalise whitespace and Unicode of the text")
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    langid: LangIdConfig = Field(default_factory=LangIdConfig)
    min_chars: int = Field(1, ge=0, description="drop documents with less text after dedup")
    lm_dir: str | None = Field(None, description="folder of train-lm models for perplexity")
    workers: int = Field(1, ge=1, description="processes")
