"""Recipes on hand-written phpBB, XenForo and Discourse pages: records, fields, link rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.errors import ConfigError
from thresher.extract import ExtractConfig, extract
from thresher.extract.recipes import load_recipe
from thresher.stats import StepStats

from .warcs import warc_record, write_warc

FIX = Path(__file__).parent / "fixtures"
TEXT_1 = "I am planning a long tour this summer. Steel or aluminium frame?"
TEXT_2 = "Steel, without a doubt: it can be repaired anywhere."


def _posts(recipe: str, fixture: str, url: str) -> list:  # type: ignore[type-arg]
    return load_recipe(recipe).records((FIX / fixture).read_bytes(), url)


@pytest.mark.parametrize(
    ("recipe", "fixture", "url", "image", "author_date"),
    [
        ("phpbb", "phpbb_topic.html", "https://board.example.org/viewtopic.php?t=102",
         "https://board.example.org/images/route.png", "2024-03-01T10:00:00+00:00"),
        ("xenforo", "xenforo_thread.html", "https://forum.example.org/threads/which.55/",
         "https://forum.example.org/attachments/route.png", "2024-03-01T10:00:00+00:00"),
        ("vbulletin", "vbulletin_thread.html", "https://forum.example.org/showthread.php?t=55",
         "https://forum.example.org/attachment.php?attachmentid=7&d=1709287200",
         "2024-03-01T10:00:00"),
        ("discourse", "discourse_topic.html", "https://talk.example.org/t/which/12",
         "https://talk.example.org/uploads/default/route.png", "2024-03-01T10:00:00Z"),
    ],
)  # fmt: skip
def test_forum_posts(recipe: str, fixture: str, url: str, image: str, author_date: str) -> None:
    """Posts with author, date, text without the quote, the quote itself, images and links."""
    posts = _posts(recipe, fixture, url)
    assert len(posts) == 2
    first, second = posts
    assert first.author == "bob" and second.author == "alice"
    assert first.date == author_date
    assert TEXT_1 in first.text
    assert second.text.strip().endswith(TEXT_2)
    assert "Steel or aluminium" not in second.text  # the quote is its own field
    fields = second.metadata["fields"]
    assert fields["quote"] == "Steel or aluminium frame?"
    assert "bob" in fields["quoted_author"]
    assert first.metadata["fields"]["images"] == [image]
    assert first.metadata["fields"]["links"] == ["https://maps.example.org/route/7"]
    assert image not in fields["images"]  # the quoted post's media stay with the quote
    assert first.metadata["record_type"] == "post" and first.metadata["recipe"] == recipe
    assert first.id != second.id


def test_list_pages_give_threads_and_links() -> None:
    recipe = load_recipe("phpbb")
    html = (FIX / "phpbb_forum.html").read_bytes()
    url = "https://board.example.org/viewforum.php?f=2"
    threads = recipe.records(html, url)
    assert [t.text for t in threads] == ["Welcome to the board", "Which bike for touring?"]
    assert threads[1].metadata["fields"]["url"] == "https://board.example.org/viewtopic.php?t=102"
    assert threads[1].author == "bob"
    links = recipe.follow_links(html, url)
    assert ("https://board.example.org/viewtopic.php?t=101", "item") in links
    assert ("https://board.example.org/viewforum.php?f=2&start=25", "pagination") in links
    xf = load_recipe("xenforo")
    xf_links = xf.follow_links((FIX / "xenforo_forum.html").read_bytes(), "https://f.example/")
    assert ("https://f.example/threads/tyre-pressure.56/", "item") in xf_links
    assert ("https://f.example/forums/bikes.2/page-2", "pagination") in xf_links
    vb = load_recipe("vbulletin")
    vb_url = "https://forum.example.org/forumdisplay.php?f=2"
    vb_html = (FIX / "vbulletin_forum.html").read_bytes()
    vb_threads = vb.records(vb_html, vb_url)
    assert [(t.text, t.author) for t in vb_threads] == [
        ("Welcome to the board", "alice"),
        ("Which bike for touring?", "bob"),
    ]
    assert (
        vb_threads[1].metadata["fields"]["url"] == "https://forum.example.org/showthread.php?t=55"
    )
    assert vb.follow_links(vb_html, vb_url) == [
        ("https://forum.example.org/showthread.php?t=101", "item"),
        ("https://forum.example.org/showthread.php?t=55", "item"),
        ("https://forum.example.org/forumdisplay.php?f=2&page=2", "pagination"),
    ]
    vb_thread = "https://forum.example.org/showthread.php?t=55"
    assert vb.follow_links((FIX / "vbulletin_thread.html").read_bytes(), vb_thread) == [
        ("https://forum.example.org/showthread.php?t=55&page=2", "pagination")
    ]
    d = load_recipe("discourse")
    d_links = d.follow_links(
        (FIX / "discourse_topic.html").read_bytes(), "https://t.example/t/x/12"
    )
    assert d_links == [("https://t.example/t/which-bike-for-touring/12?page=2", "pagination")]


def test_xpath_fields_and_bad_recipes(tmp_path: Path) -> None:
    good = tmp_path / "r.yaml"
    good.write_text(
        "name: x\npages:\n  - name: p\n    records:\n      each: div.post\n      fields:\n"
        "        text: {css: div.content}\n        first_link: {xpath: './/a/@href'}\n"
    )
    (post,) = [
        p
        for p in load_recipe(good).records((FIX / "phpbb_topic.html").read_bytes(), None)
        if "tour" in p.text
    ]
    assert post.metadata["fields"]["first_link"] == "./memberlist.php?u=3"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\npages:\n  - name: p\n    recordz: {}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: pages\.0\.recordz: unknown key"):
        load_recipe(bad)
    with pytest.raises(ConfigError, match="nope"):
        load_recipe(tmp_path / "nope.yaml")


def test_extract_with_recipe_over_warc(tmp_path: Path) -> None:
    path = tmp_path / "forum.warc.gz"
    write_warc(
        path,
        [
            warc_record("https://board.example.org/viewtopic.php?t=102",
                        (FIX / "phpbb_topic.html").read_bytes()),
            warc_record("https://board.example.org/faq.php", b"<html><body>FAQ</body></html>"),
        ],
        "gzip",
    )  # fmt: skip
    stats = StepStats("extract")
    docs = list(extract([str(path)], ExtractConfig(recipe="phpbb"), stats=stats))
    assert [d.author for d in docs] == ["bob", "alice"]
    assert docs[0].source and docs[0].source.endswith("@0#0")
    assert stats.counters["records"] == 2 and stats.dropped["no_records"] == 1
    out = tmp_path / "out"
    assert main(["extract", str(path), "-o", str(out), "--recipe", "phpbb"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 2
