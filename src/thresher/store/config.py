"""Settings of the output (the YAML ``output:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from thresher.settings_base import Section

Format = Literal["jsonl", "jsonl.gz", "jsonl.zst", "parquet"]


class OutputConfig(Section):
    dir: str | None = Field(None, description="output folder")
    formats: list[Format] = Field(
        default_factory=lambda: ["jsonl.gz"], description="one or more part formats"
    )
    part_bytes: int = Field(
        256 * 1024 * 1024, ge=1024, description="rotate parts at this many uncompressed bytes"
    )
    csv: bool = Field(False, description="also export a CSV per part (nested fields as JSON)")
    keep_dropped: bool = Field(
        False,
        description="refine: also write the documents a step dropped, with the step and reason, "
        "to DIR/dropped/ (its own manifest) to audit the filters",
    )
    license: str = Field(
        "other",
        min_length=1,
        description="licence of the corpus for its dataset card (a Hugging Face licence id such "
        "as cc-by-4.0 or odc-by; 'other' when the crawled sites' terms decide)",
    )
