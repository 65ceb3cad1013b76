"""Fixtures of the LLM tests: the stand-in server and a schema file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.llm.fake_chat import FakeChat

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "price": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title"],
    "additionalProperties": False,
}


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    with FakeChat(slow=1.5) as server:
        yield server


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "product.schema.json"
    path.write_text(json.dumps(SCHEMA))
    return path
