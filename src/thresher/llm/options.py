"""The ``--llm-*`` options of ``thresher extract`` over the YAML's ``extract.llm`` section:
merged key by key, checked, and the schema file read once in the driver (so workers on other
machines need no copy, and the schema's content is part of the run's fingerprint)."""

from __future__ import annotations

from typing import Any

from thresher.errors import ConfigError
from thresher.llm.config import LLMConfig
from thresher.settings_base import checked, given

#: option name of each LLMConfig field the command line sets
OPTIONS = {
    "schema_": "--llm-schema",
    "base_url": "--llm-base-url",
    "model": "--llm-model",
    "prompt": "--llm-prompt",
    "only": "--llm-only",
    "cache": "--llm-cache",
}


#: what a missing setting is, when some --llm options were given
NEEDED = "is needed with the other --llm options"


def merge_llm(
    current: LLMConfig | None, *, need_schema: bool = True, **options: Any
) -> LLMConfig | None:
    """``current`` (from the YAML, or None) with the options that were given; None when
    neither asks for the model. A missing setting is one line naming its option; the schema
    is needed unless ``need_schema`` is false (recipe suggest)."""
    set_now = given(options)
    if current is None and not set_now:
        return None
    # every field is kept, the ones left out of dumps (limits, cache) too
    data = {k: getattr(current, k) for k in LLMConfig.model_fields} if current else {}
    config = checked(LLMConfig, data | set_now, OPTIONS, "extract.llm", NEEDED)
    if config.schema_ is None:
        if not need_schema:
            return config
        raise ConfigError(f"--llm-schema: {NEEDED}")
    return config
