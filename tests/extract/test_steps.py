"""Extract's per-page work as steps: each counts its own drops by reason, hands dropped items
to a drop sink, and chained they give what ``extract_pages`` gives, with the same counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.extract.warcs import page
from thresher.extract.config import ExtractConfig
from thresher.extract.run import (
    ApplyRecipe,
    ExtractContent,
    Triage,
    extract_pages,
    extract_steps,
    page_steps,
)
from thresher.pipeline import Pipeline, fold_stats, run_steps
from thresher.sources.page import Page
from thresher.stats import StepStats

FIX = Path(__file__).parent / "fixtures"
TOPIC = "https://board.example.org/viewtopic.php?t=102"


def _page(url: str, payload: bytes, **kw: Any) -> Page:
    kw.setdefault("status", 200)
    kw.setdefault("content_type", "text/html")
    return Page("test", url, "2024-05-01T12:00:00Z", payload, **kw)


def _pages() -> list[Page]:
    """A good page, and one of each drop of triage and of extraction."""
    return [
        _page("http://a/ok", page("Kept", "A page with enough prose to keep, and more. " * 5)),
        _page("http://a/gone", page("Gone", "Not found."), status=404),
        _page("http://a/json", b'{"a": 1}', content_type="application/json"),
        _page("http://a/feed", b'<?xml version="1.0"?><urlset></urlset>'),
        _page("http://a/deep", b"<div>" * 5000 + b"deep"),
        _page("http://a/short", b"<html><body><p>Just a few words of text.</p></body></html>"),
    ]


def test_triage_counts_its_drops_and_passes_the_rest() -> None:
    step = Triage()
    kept = list(step.run(_pages()))
    assert [p.url for p in kept] == ["http://a/ok", "http://a/deep", "http://a/short"]
    st = step.stats
    assert (st.name, st.seen, st.kept) == ("triage", 6, 3)
    assert st.dropped == {"non_200_status": 1, "not_html": 2}
    assert st.counters == {
        "status:404": 1,
        "content_type:application/json": 1,
        "content_type:text/html:not_html": 1,
    }


def test_extract_content_counts_its_drops() -> None:
    step = ExtractContent(ExtractConfig(min_text_chars=200))
    docs = list(step.run(_pages()[:1] + _pages()[4:]))
    assert [d.url for d in docs] == ["http://a/ok"]
    assert (step.stats.name, step.stats.seen, step.stats.kept) == ("content", 3, 1)
    assert step.stats.dropped == {"too_deep": 1, "too_short": 1}
    assert step.stats.counters["page_type:other"] == 2  # the deep page was never parsed

    by_type = ExtractContent(ExtractConfig(page_types=["article"]))
    assert list(by_type.run(_pages()[:1])) == []
    assert by_type.stats.dropped == {"page_type:other": 1}


def test_apply_recipe_counts_pages_kept_and_records() -> None:
    topic = _page(TOPIC, (FIX / "phpbb_topic.html").read_bytes())
    other = _page("https://board.example.org/x", page("Plain", "No posts on this page."))
    step = ApplyRecipe(ExtractConfig(recipe="phpbb"))
    docs = list(step.run([topic, other]))
    assert len(docs) > 1 and all(d.metadata["recipe"] == "phpbb" for d in docs)
    st = step.stats
    assert (st.name, st.seen, st.kept) == ("recipe", 2, 1)  # pages, not records
    assert st.dropped == {"no_records": 1} and st.counters["records"] == len(docs)


def test_a_drop_sink_receives_every_extract_drop() -> None:
    got: list[tuple[str, str, str]] = []
    steps = extract_steps(ExtractConfig(min_text_chars=200))
    for step in steps:
        step.drop_sink = lambda item, name, reason: got.append((item.url, name, reason))
    docs = list(run_steps(steps, _pages()))
    assert [d.url for d in docs] == ["http://a/ok"]
    assert got == [
        ("http://a/gone", "triage", "non_200_status"),
        ("http://a/json", "triage", "not_html"),
        ("http://a/feed", "triage", "not_html"),
        ("http://a/deep", "content", "too_deep"),
        ("http://a/short", "content", "too_short"),
    ]


def test_the_chain_gives_what_extract_pages_gives_with_the_same_counts() -> None:
    config = ExtractConfig(min_text_chars=200)
    stats = StepStats("extract")
    stats.seen, stats.counters["files"] = 1, 1  # what a reader counted before the steps
    stats.dropped["too_large"] = 1
    wrapped = [d.to_dict() for d in extract_pages(_pages(), config, stats)]

    steps = page_steps(config)
    chained = [d.to_dict() for d in run_steps(steps, _pages())]
    assert [d.pop("fetched_at") for d in chained] == [d.pop("fetched_at") for d in wrapped]
    assert chained == wrapped
    assert [s.stats.name for s in steps] == ["triage", "content"]
    folded = StepStats("extract")
    folded.seen, folded.counters["files"] = 1, 1
    folded.dropped["too_large"] = 1
    fold_stats(folded, steps)
    assert folded.to_dict() == stats.to_dict()
    # the stage's one entry: every page seen once, kept or dropped for one reason
    assert (stats.seen, stats.kept) == (7, 1)
    assert stats.dropped == {"too_large": 1, "non_200_status": 1, "not_html": 2,
                             "too_deep": 1, "too_short": 1}  # fmt: skip


def test_extract_steps_per_config() -> None:
    assert [type(s).__name__ for s in extract_steps(ExtractConfig())] == [
        "Triage",
        "ExtractContent",
    ]
    recipe = extract_steps(ExtractConfig(recipe="phpbb"))
    assert [type(s).__name__ for s in recipe] == ["Triage", "ApplyRecipe"]
    llm = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}
    asked = extract_steps(ExtractConfig.model_validate({"llm": llm}))
    assert [type(s).__name__ for s in asked] == ["Triage", "ExtractContent", "AskLLM"]
    content, ask = asked[1], asked[2]
    assert isinstance(content, ExtractContent) and content.config.markdown  # for the model
    assert not ask.keep_markdown  # type: ignore[attr-defined]  # not written: not asked for


def test_a_pipeline_closes_its_steps_when_left_early() -> None:
    closed: list[str] = []

    class Closing(Triage):
        def close(self) -> None:
            closed.append(self.name)

    pipeline = Pipeline([Closing(), ExtractContent(ExtractConfig())])
    stream = pipeline.run(_pages())
    assert next(stream).url == "http://a/ok"
    stream.close()  # the reader stopped after one document
    assert closed == ["triage"]
    assert [s.name for s in pipeline.stats] == ["triage", "content"]
