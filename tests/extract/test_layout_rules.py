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
