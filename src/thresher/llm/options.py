"""The ``--llm-*`` options of ``thresher extract`` over the YAML's ``extract.llm`` section:
merged key by key, checked, and the schema file read once in the driver (so workers on other
machines need no copy, and the schema's content is part of the run's fingerprint)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from thresher.errors import ConfigError
from thresher.llm.config import LLMConfig

#: option name of each LLMConfig field the command line sets
OPTIONS = {
    "schema_": "--llm-schema",
    "base_url": "--llm-base-url",
    "model": "--llm-model",
    "prompt": "--llm-prompt",
    "only": "--llm-only",
    "cache": "--llm-cache",
}


def merge_llm(
    current: LLMConfig | None, *, need_schema: bool = True, **options: Any
) -> LLMConfig | None:
    """``current`` (from the YAML, or None) with the options that were given; None when
    neither asks for the model. A missing setting is one line naming its option; the schema
    is needed unless ``need_schema`` is false (recipe suggest)."""
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    if current is None and not given:
        return None
    data = current.model_dump(by_alias=False) if current is not None else {}
    if current is not None:  # fields left out of dumps (limits, cache) are kept too
        data.update({k: getattr(current, k) for k in LLMConfig.model_fields})
    data.update(given)
    try:
        config = LLMConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        where = OPTIONS.get(name, f"extract.llm.{name.rstrip('_')}")
        what = "is needed with the other --llm options" if err["type"] == "missing" else err["msg"]
        raise ConfigError(f"{where}: {what}") from None
    if config.schema_ is None:
        if not need_schema:
            return config
        raise ConfigError("--llm-schema: is needed with the other --llm options")
    return config
