from __future__ import annotations

import pytest

from thresher.document import FIELDS, Document, stable_id


def test_fields_follow_the_contract_order() -> None:
    doc = Document(text="hello", url="http://a.example/")
    assert list(doc.to_dict()) == list(FIELDS)
    assert FIELDS[0] == "id" and FIELDS[-1] == "metadata"


def test_id_is_stable_and_kept() -> None:
    a = Document(text="x", url="http://a.example/", source="f.warc.gz@0")
    b = Document(text="y", url="http://a.example/", source="f.warc.gz@0")
    assert a.id == b.id and len(a.id) == 32
    assert Document(text="x", id="given").id == "given"
    assert stable_id("a", "b") != stable_id("ab", "")


def test_text_only_records_get_distinct_ids() -> None:
    assert Document(text="one").id != Document(text="two").id


def test_from_dict_keeps_known_fields_and_moves_unknown_to_metadata() -> None:
    doc = Document.from_dict(
        {"text": "t", "id": "k", "language": "en", "extra": 3, "metadata": {"a": 1}}
    )
    assert doc.id == "k" and doc.language == "en"
    assert doc.metadata == {"a": 1, "extra": 3}
    assert doc.title is None and doc.perplexity is None


def test_from_dict_requires_text() -> None:
    with pytest.raises(ValueError):
        Document.from_dict({"url": "http://a.example/"})
    with pytest.raises(ValueError):
        Document.from_dict({"text": 5})


def test_round_trip() -> None:
    doc = Document(
        text="a\nb",
        url="u",
        title="T",
        language="fr",
        language_score=0.9,
        metadata={"links": [{"href": "x"}]},
    )
    assert Document.from_dict(doc.to_dict()) == doc
