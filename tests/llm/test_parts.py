"""The pieces without a server: token estimate and chunks, merge rules, JSON in answers, the
schema loader, Retry-After, the cache."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from thresher.errors import ConfigError
from thresher.llm.answers import BadAnswer, find_json, load_schema, parse_answer, relaxed
from thresher.llm.cache import ResponseCache, cache_key
from thresher.llm.chunks import estimate_tokens, merge_records, split_tokens


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("the cat sat") == 3  # short words: one each
    assert estimate_tokens("internationalisation") == 5  # 20 ASCII characters / 4
    assert estimate_tokens("日本語のテキスト") == 4  # 8 other characters / 2


def test_split_fits_in_one_chunk() -> None:
    assert split_tokens("a short page", 100, 10) == ["a short page"]


def test_split_budget_overlap_and_coverage() -> None:
    words = [f"w{i:04d}" for i in range(1000)]  # 5 characters: 2 tokens each
    text = " ".join(words)
    chunks = split_tokens(text, 100, 20)
    assert len(chunks) > 10
    assert all(estimate_tokens(c) <= 100 for c in chunks)
    for a, b in itertools.pairwise(chunks):
        tail = a.split()[-10:]  # 20 tokens of overlap = 10 words
        assert b.split()[:10] == tail
    seen = [w for c in chunks for w in c.split()]
    assert sorted(set(seen)) == words  # every word in some chunk


def test_split_prefers_line_breaks() -> None:
    paragraphs = [" ".join(f"p{p}w{i}" for i in range(12)) for p in range(30)]
    chunks = split_tokens("\n\n".join(paragraphs), 120, 0)
    assert all(c.endswith("\n\n") for c in chunks[:-1])


def test_split_cuts_a_giant_word() -> None:
    chunks = split_tokens("x" * 4000, 100, 0)
    assert "".join(chunks) == "x" * 4000 and all(estimate_tokens(c) <= 100 for c in chunks)


def test_merge_rules() -> None:
    records = [
        {"title": "A", "price": None, "tags": ["x", "y"], "seller": {"name": "S"}},
        {"title": "B", "price": 3, "tags": ["y", "z"], "seller": {"name": "T", "city": "C"}},
        {"tags": [{"k": 1}], "extra": ""},
        {"tags": [{"k": 1}], "extra": "E"},
    ]
    assert merge_records(records) == {
        "title": "A",  # the first chunk that has it
        "price": 3,  # null does not count
        "tags": ["x", "y", "z", {"k": 1}],  # concatenated, no repeats, in order
        "seller": {"name": "S", "city": "C"},  # objects merged key by key
        "extra": "E",  # an empty string does not count
    }
    assert merge_records([{}, {}]) == {}
    assert merge_records([records[0]]) == records[0]


def test_find_json() -> None:
    assert find_json('{"a": 1}') == {"a": 1}
    assert find_json('Sure!\n```json\n{"a": 1}\n```\nBye') == {"a": 1}
    assert find_json('The record is {"a": [1, 2]} as asked.') == {"a": [1, 2]}
    assert find_json('Note {not json} then {"a": 2}') == {"a": 2}
    with pytest.raises(BadAnswer, match="no JSON"):
        find_json("I cannot help with that.")


def test_parse_answer_reports_the_failing_place() -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "array", "items": {"type": "integer"}}},
    }
    with pytest.raises(BadAnswer, match=r"at n/1: 'x' is not of type 'integer'"):
        parse_answer('{"n": [1, "x"]}', schema)


def test_relaxed_drops_only_the_top_level_required() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "object", "required": ["b"]}},
    }
    assert relaxed(schema) == {"type": "object", "properties": schema["properties"]}
    assert relaxed({"type": "object"}) == {"type": "object"}


def test_load_schema_files(tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text("type: object\nproperties: {a: {type: string}}\n")
    assert load_schema(good)["properties"]["a"] == {"type": "string"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "object", "properties": {"a": {"type": 5}}}')
    with pytest.raises(
        ConfigError, match=r"bad\.json: not a valid JSON Schema at properties/a/type"
    ):
        load_schema(bad)


def test_cache_roundtrip_and_damage(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    key = cache_key("m", "prompt", {"type": "object"}, "page")
    assert cache.get(key) is None
    cache.put(key, {"record": {"a": 1}})
    assert cache.get(key) == {"record": {"a": 1}}
    (path,) = (tmp_path / "c").rglob("*.json")
    assert path.parent.name == key[:2]
    path.write_text("{half")
    assert cache.get(key) is None  # damaged: asked again
    assert cache_key("m", "prompt", {"type": "object"}, "page ") != key
    assert cache_key("m2", "prompt", {"type": "object"}, "page") != key
    assert json.loads(json.dumps(key)) == key
