"""Schema-driven extraction with any OpenAI-compatible chat-completions endpoint (vLLM,
llama.cpp's server, Ollama, OpenAI, gateways): a polite client, validated answers, chunked
pages merged into one record, a response cache (recipes suggested by the model are in
:mod:`thresher.extract.recipes.suggest`, above this package). See docs/llm.md.

Names are imported on first use, so reading the settings (``thresher.llm.config``) does not
load aiohttp and jsonschema."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "BadAnswer": "answers",
    "load_schema": "answers",
    "parse_answer": "answers",
    "ChatClient": "client",
    "ChatReply": "client",
    "EndpointError": "client",
    "LLMConfig": "config",
    "Extractor": "extractor",
    "LLMResult": "extractor",
    "extract_record": "extractor",
    "aextract_record": "extractor",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'thresher.llm' has no attribute {name!r}")
    return getattr(import_module(f"thresher.llm.{_WHERE[name]}"), name)
