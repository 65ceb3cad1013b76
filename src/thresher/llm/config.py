"""Settings of schema-driven extraction with a model (the YAML ``extract.llm:`` section and the
``--llm-*`` options): where the endpoint is, how hard to push it, how pages are cut."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from thresher.settings_base import Section

DEFAULT_PROMPT = (
    "Extract the information described by the JSON Schema from the web page below. "
    "Use only what the page says; leave out a field the page does not give."
)


class LLMConfig(Section):
    """One OpenAI-compatible chat-completions endpoint and what to ask it. Settings that do
    not change the records (cache, limits, timeouts, prices) are ``exclude``: they stay out of
    the manifest and the run's fingerprint, so changing them still resumes a run."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    base_url: str = Field(..., description="the endpoint's base URL, e.g. http://127.0.0.1:8000/v1")
    model: str = Field(..., description="model name sent with every request")
    schema_: dict[str, Any] | str | None = Field(
        None,
        alias="schema",
        description="JSON Schema of one page's record: a file path or inline (needed by extract)",
    )
    prompt: str = Field(DEFAULT_PROMPT, description="what to extract, in words")
    only: bool = Field(False, description="write just the records, not the documents")
    cache: str | None = Field(
        None,
        description="response cache folder (default $XDG_CACHE_HOME/thresher/llm)",
        exclude=True,
    )
    use_cache: bool = Field(True, description="read and write the response cache", exclude=True)
    structured: Literal["auto", "json_schema", "prompt"] = Field(
        "auto",
        description="auto: response_format with the schema, instructions in the prompt when the "
        "server rejects it; json_schema: never fall back; prompt: never send response_format",
    )
    max_in_flight: int = Field(8, ge=1, description="requests at once", exclude=True)
    per_minute: int = Field(
        0, ge=0, description="requests started per minute at most (0: any)", exclude=True
    )
    timeout: float = Field(120.0, gt=0, description="seconds one request may take", exclude=True)
    attempts: int = Field(
        6,
        ge=1,
        description="tries of one request through 429, 5xx, timeouts, lost connections",
        exclude=True,
    )
    backoff: float = Field(
        1.0, gt=0, description="first backoff in seconds (doubles, jittered)", exclude=True
    )
    backoff_max: float = Field(
        60.0, gt=0, description="longest wait between two tries", exclude=True
    )
    reasks: int = Field(
        2, ge=0, description="times an invalid answer is asked again with the validation error"
    )
    max_tokens: int = Field(1024, ge=16, description="answer budget of the first request")
    max_tokens_cap: int = Field(
        8192,
        ge=16,
        description="a truncated answer is asked again with twice the budget, up to this",
    )
    temperature: float = Field(0.0, ge=0, description="sampling temperature")
    chunk_tokens: int = Field(
        3000, ge=64, description="page tokens per request (estimated: see docs/llm.md)"
    )
    chunk_overlap: int = Field(200, ge=0, description="tokens shared by consecutive chunks")
    max_chunks: int = Field(
        32, ge=1, description="a page needing more chunks fails as too_long, nothing sent"
    )
    batch: int = Field(64, ge=1, description="pages of a shard sent at once", exclude=True)
    price_input: float | None = Field(
        None,
        ge=0,
        description="price of a million prompt tokens (for the cost estimate)",
        exclude=True,
    )
    price_output: float | None = Field(
        None, ge=0, description="price of a million completion tokens", exclude=True
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="environment variable of the key", exclude=True
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")) or len(v.split("://", 1)[1]) < 1:
            raise ValueError(f"{v!r} is not an http:// or https:// URL")
        return v

    @field_validator("schema_")
    @classmethod
    def _read_schema(cls, v: str | dict[str, Any] | None) -> dict[str, Any] | None:
        """A schema file is read and checked at once (a bad one is one line naming it), so
        workers get the schema itself and the run's fingerprint covers its content."""
        if v is None:
            return None
        from thresher.llm.answers import load_schema

        return load_schema(v)

    def cache_dir(self) -> Path:
        """The response cache folder: ``cache``, else ``$XDG_CACHE_HOME/thresher/llm``."""
        if self.cache:
            return Path(self.cache)
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "thresher" / "llm"

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """Estimated cost of these tokens in the prices' currency (None without prices)."""
        if self.price_input is None and self.price_output is None:
            return None
        return (
            prompt_tokens * (self.price_input or 0.0)
            + completion_tokens * (self.price_output or 0.0)
        ) / 1e6
