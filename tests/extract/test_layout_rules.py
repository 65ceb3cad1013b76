"""Rules of the block walk and the page types found on real pages of many kinds (issue 20):
each test is a small hand-written page showing one cause of lost or extra text."""

from __future__ import annotations

import pytest

from thresher.extract import extract_html

pytestmark = pytest.mark.timeout(60)

CONSENT_TEXT = (
    "We process your data to deliver content or advertisements and measure the delivery of "
    "such content or advertisements to extract insights about our website. We share this "
    "information with our partners on the basis of consent and legitimate interest. You may "
    "exercise your right to consent or object to a legitimate interest, based on a specific "
    "purpose below or at a partner level in the link under each purpose."
)
CARDS = "".join(
    f'<li class="card"><a href="/recipes/{i}"><img src="/img/{i}.jpg" alt="">'
    f"<h3>{name} for busy weeknights</h3></a><span>{i + 12} ratings</span></li>"
    for i, name in enumerate(
        ["Sheet pan chicken", "Slow cooker chili", "Lemon pasta", "Beef tacos", "Veggie curry"]
    )
)
LISTING = """<html><head><title>Dinner recipes</title></head><body>
<main><h1>Dinner recipes</h1><p>Quick ideas for the evening meal.</p>
<ul class="cards">{cards}</ul></main>
{overlay}</body></html>"""


@pytest.mark.parametrize(
    "overlay",
    [
        f'<div id="onetrust-consent-sdk"><div class="pc-text"><h2>Your privacy</h2>'
        f"<p>{CONSENT_TEXT}</p><p>{CONSENT_TEXT}</p></div></div>",
        f'<form id="banner" role="dialog"><p>{CONSENT_TEXT}</p><p>{CONSENT_TEXT}</p></form>',
        f'<div aria-modal="true"><p>{CONSENT_TEXT}</p><p>{CONSENT_TEXT}</p></div>',
    ],
    ids=["consent-class", "role-dialog", "aria-modal"],
)
def test_consent_dialog_is_never_the_content(overlay: str) -> None:
    # the dialog holds the page's only long paragraphs; it is still no wrapper of the content
    doc = extract_html(LISTING.format(cards=CARDS, overlay=overlay), "https://example.org/dinner")
    assert doc is not None
    assert "legitimate interest" not in doc.text
    assert "Lemon pasta for busy weeknights" in doc.text


def _post(n: int, author: str, body: str) -> str:
    return f"""<article class="cPost" id="elComment_{n}">
  <aside class="cAuthorPane"><a href="/profile/{n}-{author.lower()}/">{author}</a></aside>
  <div class="comment-{n}_wrap"><p class="meta">Posted March {n}, 2024</p>
    <div class="richText"><p>{body}</p></div></div></article>"""


def test_thread_kept_when_the_walk_finds_no_prose() -> None:
    # the posts sit in a block named "comments": the article walk leaves them out and finds
    # only menus, so the thread is the content
    page = f"""<html><head><title>Two holes in the case</title></head><body>
<nav><a href="/">Forums</a> <a href="/blog">Blog</a> <a href="/gallery">Gallery</a></nav>
<main><h1>Two holes in the case</h1><div id="comments" class="topic">
{
        _post(
            1,
            "Rabbids",
            "Does anyone know what the two round openings under the power supply "
            "are for? The manual says nothing about them.",
        )
    }
{
        _post(
            2,
            "DevBiker",
            "I heard the rear one is meant for an external connection of lighting "
            "devices, but I am not sure about the one by the fans.",
        )
    }
</div></main></body></html>"""
    doc = extract_html(page, "https://forum.example.org/topic/1-two-holes/")
    assert doc is not None
    assert doc.metadata["page_type"] == "forum"
    assert "round openings under the power supply" in doc.text
    assert "external connection of lighting" in doc.text
    assert len(doc.metadata["posts"]) == 2 and "fallback" not in doc.metadata


def _topic(slug: str, title: str, desc: str) -> str:
    return (
        f'<div class="topic"><h2><a href="/en/actions/workflows/{slug}">{title}</a></h2>'
        f"<div><p>{desc}</p></div></div>"
    )


DOCS_INDEX = f"""<html><head><title>Writing workflows</title></head><body>
<nav class="sidebar"><ul><li><a href="/en/actions">Actions</a></li>
<li><a href="/en/actions/workflows">Workflows</a></li></ul></nav>
<main><h1>Writing workflows</h1>
<p>Workflows automate tasks throughout the software development lifecycle of a project:
building, testing and shipping code, labelling issues and answering new contributors.</p>
{_topic("templates", "Using workflow templates", "Templates exist for many languages and tools.")}
{_topic("triggers", "Choosing when your workflow runs", "Run on a schedule or on events.")}
{_topic("runners", "Choosing where your workflow runs", "Pick the machines your jobs use.")}
<p>Many tasks that you complete by hand can be converted to a workflow, and a workflow can
call other workflows so that common steps are written once and shared by every repository of
an organisation, with secrets and settings kept in one place.</p>
</main></body></html>"""


def test_documentation_index_keeps_its_linked_topics() -> None:
    # a docs host: the page's linked section headings are its content
    doc = extract_html(DOCS_INDEX, "https://docs.example.com/en/actions/workflows")
    assert doc is not None
    assert doc.metadata["page_type"] == "documentation"
    for title in ("Using workflow templates", "Choosing where your workflow runs"):
        assert title in doc.text
    assert "Pick the machines your jobs use." in doc.text
    # on a news site the same linked headings are "read also" teasers and stay out
    news = extract_html(DOCS_INDEX, "https://www.example.com/en/actions/workflows")
    assert news is not None
    assert news.metadata["page_type"] != "documentation" and "fallback" not in news.metadata
    assert "Using workflow templates" not in news.text
    # the sidebar stays out either way
    assert "Actions\n" not in doc.text


def test_section_anchor_named_after_its_heading_is_no_boilerplate() -> None:
    # a generator's section id is the slug of its heading: "comments" in it means nothing
    para = (
        "<p>Your patch will almost certainly get comments from reviewers on ways in which "
        "it can be improved, in the form of a reply to your email; answer every one.</p>"
    )
    page = f"""<html><head><title>Submitting patches</title></head><body><div role="main">
<section id="write-a-good-description"><h2>Write a good description</h2>{
        para.replace("Your patch", "A description")
    }{para.replace("Your patch", "The changelog")}</section>
<section id="respond-to-review-comments"><h2>Respond to review comments</h2>{para}</section>
<div id="comments"><p>Log in to leave a comment about this page and what it says.</p></div>
</div></body></html>"""
    doc = extract_html(page, "https://example.org/doc/submitting-patches.html")
    assert doc is not None
    assert "Your patch will almost certainly get comments" in doc.text
    assert "Log in to leave a comment" not in doc.text


def test_docs_path_outweighs_long_paragraphs() -> None:
    # a manual's page under /docs/ reads like prose (long paragraphs, a date) but is
    # documentation: its linked topic list between paragraphs stays
    para = (
        "<p>Data types are the building blocks of every application that stores state in "
        "the server: each has its own commands, its own memory layout and its own limits, "
        "and choosing the right one early saves a migration later on in production.</p>"
    )
    page = f"""<html><head><title>Data types</title>
<meta property="article:published_time" content="2024-05-01"></head><body><main>
<h1>Data types</h1>{para * 4}
<ul><li><a href="/docs/latest/types/strings/">Strings</a></li>
<li><a href="/docs/latest/types/lists/">Lists</a></li>
<li><a href="/docs/latest/types/sets/">Sets</a></li></ul>{para}</main></body></html>"""
    doc = extract_html(page, "https://example.io/docs/latest/develop/data-types/")
    assert doc is not None
    assert doc.metadata["page_type"] == "documentation"
    assert "Strings\nLists\nSets" in doc.text


INTRO = (
    "<p>Every week our editors pick the courses that students rated highest, from short "
    "introductions you can finish in an afternoon to full certificate programmes that take "
    "a few months, all of them free to start and open to anyone with an internet link.</p>"
)


def _grid(cls: str) -> str:
    cards = "".join(
        f'<div class="card"><a href="/course/{i}"><img src="/c{i}.jpg" alt="">'
        f"<h3>Course number {i} on a useful subject</h3></a><p>Rated by {i + 90} students</p>"
        "</div>"
        for i in range(8)
    )
    return f'<div class="{cls}">{cards}</div>'


def test_one_intro_paragraph_does_not_make_a_grid_teasers() -> None:
    page = f"<html><body><main><h1>Top courses</h1>{INTRO}{_grid('grid')}</main></body></html>"
    doc = extract_html(page, "https://example.org/top-courses")
    assert doc is not None
    assert doc.metadata["page_type"] == "listing"


def test_one_paragraph_beside_a_carousel_is_no_listing() -> None:
    # a video page: its description, then a slider of "more from the show"
    page = f"""<html><body><main><h1>Top courses</h1>{INTRO}
<section class="more">{_grid("row swiper-wrapper")}</section></main></body></html>"""
    doc = extract_html(page, "https://example.org/video/top-courses")
    assert doc is not None
    assert doc.metadata["page_type"] != "listing"
