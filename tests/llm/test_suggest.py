"""``thresher recipe suggest``: the model's recipe is run on the sample pages, what fails is sent
back, the working recipe is written and then runs in ``thresher extract --recipe``."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.llm.fake_chat import FakeChat
from thresher.cli import main
from thresher.extract.recipes.loader import load_recipe
from thresher.extract.recipes.suggest import clean_html
from thresher.store import read_documents

PRODUCTS = [("Kettle", "25"), ("Lamp", "12"), ("Mug", "4")]
HTML = (
    "<html><head><title>Shop</title><script>var x = 1;</script><style>.a{}</style></head><body>"
    '<div class="products" style="color: red">'
    + "".join(
        f'<div class="product" data-id="{i}"><h2 class="name">{n}</h2>'
        f'<span class="price">{p}</span><a class="more" href="/p/{i}">more</a></div>'
        for i, (n, p) in enumerate(PRODUCTS)
    )
    + "</div></body></html>"
)
GOOD: dict[str, Any] = {
    "name": "anything",
    "pages": [
        {
            "name": "list",
            "match": {"css": "div.product"},
            "records": {
                "each": "div.product",
                "type": "product",
                "text_field": "name",
                "fields": {
                    "name": {"css": "h2.name"},
                    "price": {"css": "span.price"},
                    "link": {"css": "a.more", "attr": "href", "url": True},
                },
            },
        }
    ],
}


def _variant(**fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    records = data["pages"][0]["records"]
    for key, value in fields.items():
        if key == "each":
            records["each"] = value
        else:
            records["fields"][key] = value
    return data


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "shop.html"
    path.write_text(HTML)
    return path


def _args(chat: FakeChat, out: Path, *sources: str) -> list[str]:
    return ["recipe", "suggest", *sources, "-o", str(out), "--llm-base-url", chat.url,
            "--llm-model", "fake"]  # fmt: skip


def test_failures_sent_back_until_the_recipe_works(
    tmp_path: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = [
        _variant(each="li.item"),  # no record
        "Here you go:\n```json\n"
        + json.dumps(_variant(price={"css": ".cost"}))
        + "\n```",  # a field empty everywhere, in prose
        GOOD,
    ]
    out = tmp_path / "shop.yaml"
    with FakeChat(recipes=answers) as chat:
        assert main(_args(chat, out, str(page))) == 0
        second = chat.payloads[1]["messages"][-1]["content"]
        third = chat.payloads[2]["messages"][-1]["content"]
        sent = chat.payloads[0]
    assert "page type 'list' finds no record" in second and "'li.item'" in second
    assert "field 'price' is empty in every record" in third
    assert sent["response_format"]["json_schema"]["schema"]["title"] == "Recipe"
    shown = sent["messages"][1]["content"]
    assert '<h2 class="name">Kettle</h2>' in shown
    assert "var x" not in shown and "data-id" not in shown and "style=" not in shown
    recipe = load_recipe(out)
    assert recipe.name == "shop"  # named after the file, whatever the model said
    assert "3 records" in capsys.readouterr().err
    docs_out = tmp_path / "docs"
    assert main(["extract", str(page), "-o", str(docs_out), "--recipe", str(out)]) == 0
    docs = sorted(read_documents([docs_out]), key=lambda d: d.text)
    assert [(d.text, d.metadata["fields"]["price"]) for d in docs] == sorted(PRODUCTS)


def test_unknown_key_is_sent_back(tmp_path: Path, page: Path) -> None:
    bad = copy.deepcopy(GOOD)
    bad["pages"][0]["records"]["selector"] = "div.product"
    with FakeChat(recipes=[bad, GOOD]) as chat:
        assert main(_args(chat, tmp_path / "r.yaml", str(page))) == 0
        assert "unknown key" in chat.payloads[1]["messages"][-1]["content"]


def test_no_working_recipe_is_one_line_and_no_file(
    tmp_path: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.yaml"
    with FakeChat(recipes=[_variant(each="li.x")] * 2) as chat:
        assert main([*_args(chat, out, str(page)), "--tries", "2"]) == 2
        assert chat.requests == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no working recipe after 2 tries" in err[0] and "li.x" in err[0]
    assert not out.exists()


def test_missing_sample_and_endpoint_are_one_line(
    tmp_path: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeChat() as chat:
        assert main(_args(chat, tmp_path / "r.yaml", str(tmp_path / "nope.html"))) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"thresher: error: {tmp_path / 'nope.html'}: no such file"
    )
    assert main(["recipe", "suggest", str(page), "-o", str(tmp_path / "r.yaml")]) == 2
    assert "--llm-base-url" in capsys.readouterr().err


SEEN: list[str] = []  # paths the site was asked for


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "shop.html").write_text(HTML)
    (root / "private.html").write_text(HTML)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private\n")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            SEEN.append(self.path)

    SEEN.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sample_urls_read_politely(
    tmp_path: Path, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.yaml"
    with FakeChat(recipes=[GOOD]) as chat:
        assert main([*_args(chat, out, f"{site}/shop.html"), "--allow-private"]) == 0
        assert f"page 1: {site}/shop.html" in chat.payloads[0]["messages"][1]["content"]
        assert main([*_args(chat, out, f"{site}/private.html"), "--allow-private"]) == 2
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.startswith("thresher: error: ") and "disallowed by robots.txt" in last
        assert "/private.html" not in SEEN and "/robots.txt" in SEEN
        assert main(_args(chat, out, f"{site}/shop.html")) == 2  # loopback without permission
        assert "private" in capsys.readouterr().err
        assert chat.requests == 1


def test_clean_html_cuts_to_the_budget() -> None:
    big = "<html><body>" + "<p class='x'>word word word</p>" * 2000 + "</body></html>"
    from thresher.llm.chunks import estimate_tokens

    assert estimate_tokens(clean_html(big, 500)) <= 500


def test_server_without_response_format(tmp_path: Path, page: Path) -> None:
    with FakeChat(reject_response_format=True, recipes=[GOOD]) as chat:
        assert main(_args(chat, tmp_path / "r.yaml", str(page))) == 0
        assert chat.statuses[400] == 1 and chat.statuses[200] == 1
        assert "response_format" not in chat.payloads[1]
        assert "JSON Schema" in chat.payloads[1]["messages"][0]["content"]


def test_truncated_recipe_is_one_line(
    tmp_path: Path, page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class Cut(FakeChat):
        def answer(self, payload):  # type: ignore[no-untyped-def]
            return (
                200,
                {},
                {"choices": [{"message": {"content": '{"na'}, "finish_reason": "length"}]},
            )

    config = tmp_path / "c.yaml"
    with Cut() as chat:
        config.write_text(
            f"extract:\n  llm:\n    base_url: {chat.url}\n    model: m\n    max_tokens_cap: 8192\n"
        )
        out = tmp_path / "r.yaml"
        assert main(["recipe", "suggest", str(page), "-o", str(out), "--config", str(config)]) == 2
        assert [p["max_tokens"] for p in chat.payloads] == [4096, 8192]
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["thresher: error: no recipe: the answer was cut at 8192 tokens"]
    assert not out.exists()


def test_sample_urls_without_a_fetcher_are_one_error() -> None:
    """The recipe code fetches nothing itself (it sits below the reader): a URL needs one."""
    from thresher.errors import InputError
    from thresher.extract.recipes.suggest import read_samples

    with pytest.raises(InputError, match="need a fetcher"):
        read_samples(["https://example.org/"])
