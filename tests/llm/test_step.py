"""``AskLLM``, the extract stage's model step: its own counts (pages asked, ``llm_failed``
drops with ``only``), a drop sink, batches in order, and ``llm_documents`` folding its counts
into the stage's entry as before (a dropped record takes one from ``kept``, not ``seen``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.llm.fake_chat import FakeChat
from thresher.document import Document
from thresher.llm import LLMConfig
from thresher.llm.step import AskLLM, llm_documents
from thresher.stats import StepStats


def _docs() -> list[Document]:
    return [
        Document(text="Title: Blue kettle\nPrice: 25", id="a", title="Kettle"),
        Document(text="Title: Mug\nPrice: 4\n[bad-always]", id="b", title="Mug"),
        Document(text="Desk lamp", id="c", title="Lamp", markdown="Title: Desk lamp\nPrice: 12"),
    ]


def _config(chat: FakeChat, schema: Path, cache: Path, **kw: Any) -> LLMConfig:
    return LLMConfig(
        base_url=chat.url, model="fake", schema=str(schema), cache=str(cache), batch=2, **kw
    )


def test_ask_llm_keeps_failed_records_as_errors(tmp_path: Path, schema_file: Path) -> None:
    with FakeChat() as chat:
        step = AskLLM(_config(chat, schema_file, tmp_path / "c"), keep_markdown=False)
        docs = list(step.run(_docs()))
    assert [d.id for d in docs] == ["a", "b", "c"]  # in order across batches of two
    assert docs[0].metadata["llm"] == {"title": "Blue kettle", "price": 25.0}
    assert docs[1].metadata["llm"] is None and docs[1].metadata["llm_error"].startswith("invalid")
    assert docs[2].markdown is None  # asked for the model only
    st = step.stats
    assert (st.name, st.seen, st.kept, dict(st.dropped)) == ("llm", 3, 3, {})
    assert st.counters["llm:pages"] == 3 and st.counters["llm:failed:invalid"] == 1


def test_ask_llm_only_drops_failed_records_to_the_sink(tmp_path: Path, schema_file: Path) -> None:
    sunk: list[tuple[str | None, str, str]] = []
    with FakeChat() as chat:
        step = AskLLM(_config(chat, schema_file, tmp_path / "c", only=True))
        step.drop_sink = lambda doc, name, reason: sunk.append((doc.id, name, reason))
        docs = list(step.run(_docs()))
    assert [d.id for d in docs] == ["a", "c"] and docs[0].metadata == {
        "llm": {"title": "Blue kettle", "price": 25.0}
    }
    assert (step.stats.seen, step.stats.kept, dict(step.stats.dropped)) == (3, 2, {"llm_failed": 1})
    assert sunk == [("b", "llm", "llm_failed")]


def test_llm_documents_folds_into_the_stage_entry(tmp_path: Path, schema_file: Path) -> None:
    stats = StepStats("extract")
    stats.seen = stats.kept = 3  # the pages, counted by extraction
    with FakeChat() as chat:
        config = _config(chat, schema_file, tmp_path / "c", only=True)
        docs = list(llm_documents(_docs(), config, stats))
    assert len(docs) == 2
    assert (stats.seen, stats.kept, dict(stats.dropped)) == (3, 2, {"llm_failed": 1})
    assert stats.counters["llm:pages"] == 3 and stats.counters["llm:records"] == 2
