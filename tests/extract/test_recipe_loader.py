"""The one recipe loader: no import cycle, every selector checked on load for crawl and
extract alike, recipes from data (what ``recipe suggest`` hands over), and recipe extraction
under the page budgets on the same shards and worker pool as pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.import_graph import module_graph, reaches
from thresher.cli import main
from thresher.errors import ConfigError
from thresher.extract import ExtractConfig, extract
from thresher.extract.inputs import Page
from thresher.extract.recipes import builtin_recipes, load_recipe, page_records, parse_recipe
from thresher.extract.shards import plan_shards
from thresher.stats import StepStats

from .warcs import warc_record, write_warc

FIX = Path(__file__).parent / "fixtures"
TOPIC = (FIX / "phpbb_topic.html").read_bytes()
TOPIC_URL = "https://board.example.org/viewtopic.php?t=102"


def test_recipes_and_the_extract_runner_do_not_import_each_other() -> None:
    graph = module_graph()
    recipes = [m for m in graph if m.startswith("thresher.extract.recipes")]
    assert len(recipes) >= 4
    assert "thresher.extract.recipes" in graph["thresher.extract.run"]
    for module in recipes:
        assert not reaches(graph, module, "thresher.extract.run"), module
        assert not reaches(graph, module, "thresher.crawl.engine"), module
        assert not reaches(graph, module, module), f"{module} is in an import cycle"


def test_every_selector_is_checked_on_load(tmp_path: Path) -> None:
    bad_each = tmp_path / "each.yaml"
    bad_each.write_text(
        "name: x\npages:\n  - name: topic\n    records:\n      each: 'div[['\n"
        "      fields:\n        text: {css: p}\n"
    )
    with pytest.raises(ConfigError, match=r"each\.yaml: page 'topic': bad CSS selector 'div\[\['"):
        load_recipe(bad_each)
    bad_xpath = tmp_path / "xpath.yaml"
    bad_xpath.write_text(
        "name: x\npages:\n  - name: p\n    records:\n      each: div\n"
        "      fields:\n        text: {xpath: './/a[@'}\n"
    )
    with pytest.raises(ConfigError, match=r"bad XPath '\.//a\[@'"):
        load_recipe(bad_xpath)
    # The same line from extract and from crawl, before anything is read or fetched.
    page = tmp_path / "in.html"
    page.write_bytes(TOPIC)
    for args in (
        ["extract", str(page), "-o", str(tmp_path / "docs"), "--recipe", str(bad_each)],
        ["crawl", "http://127.0.0.1:9/", "-o", str(tmp_path / "crawl"), "--recipe", str(bad_each)],
    ):
        assert main(args) == 2
    assert not (tmp_path / "docs").exists() and not (tmp_path / "crawl").exists()


def test_parse_recipe_takes_data_as_a_model_would_write_it() -> None:
    data = {
        "name": "suggested",
        "pages": [
            {
                "name": "topic",
                "match": {"url": "viewtopic"},
                "records": {
                    "each": "div.post",
                    "type": "post",
                    "fields": {"text": {"css": "div.content"}, "author": {"css": ".author a"}},
                },
            }
        ],
    }
    recipe = parse_recipe(data, "model answer")
    posts = recipe.records(TOPIC, TOPIC_URL)
    assert [p.author for p in posts] == ["bob", "alice"]
    with pytest.raises(ConfigError, match=r"^model answer: pages\.0\.recordz: unknown key$"):
        parse_recipe({"name": "x", "pages": [{"name": "p", "recordz": {}}]}, "model answer")
    assert builtin_recipes() == ["discourse", "phpbb", "vbulletin", "xenforo"]


def _page(payload: bytes) -> Page:
    return Page(source="t.html", url=TOPIC_URL, fetched_at=None, payload=payload)


def test_recipe_records_have_the_page_budgets() -> None:
    recipe = load_recipe("phpbb")
    docs, reason, counters = page_records(_page(TOPIC), recipe, ExtractConfig())
    assert len(docs) == 2 and reason is None and counters == []
    # Cut at max_html_bytes: the second post lies beyond the cut.
    padded = b"<!-- " + b"x" * 2000 + b" -->" + TOPIC
    cut = ExtractConfig(max_html_bytes=padded.index(b'<div id="p1002"'))
    docs, reason, counters = page_records(_page(padded), recipe, cut)
    assert counters == ["cut_to_size"] and [d.author for d in docs] == ["bob"]
    # A page of many posts under a tiny deadline is dropped as a timeout, not run to the end.
    post = TOPIC[TOPIC.index(b'<div id="p1001"') : TOPIC.index(b'<div id="p1002"')]
    huge = TOPIC.replace(post, post * 20_000)
    docs, reason, _ = page_records(_page(huge), recipe, ExtractConfig(timeout=0.001))
    assert docs == [] and reason == "timeout"
    docs, reason, _ = page_records(_page(b"<html><body>FAQ</body></html>"), recipe, ExtractConfig())
    assert docs == [] and reason == "no_records"


def test_recipe_extraction_on_the_worker_pool_matches_one_process(tmp_path: Path) -> None:
    path = tmp_path / "forum.warc.gz"
    urls = [f"https://board.example.org/viewtopic.php?t={i}" for i in range(1000)]
    write_warc(path, [warc_record(u, TOPIC) for u in urls], "gzip")
    config = ExtractConfig(recipe="phpbb", workers=2)
    assert len(plan_shards([(str(path), "archive")], 2, config)) == 2  # record ranges
    one = StepStats("extract")
    serial = list(extract([str(path)], ExtractConfig(recipe="phpbb"), stats=one))
    two = StepStats("extract")
    pooled = list(extract([str(path)], config, stats=two))
    assert [d.id for d in pooled] == [d.id for d in serial] and len(serial) == 2000
    assert one.counters["records"] == two.counters["records"] == 2000
    assert one.seen == two.seen == 1000 and one.kept == two.kept == 1000
