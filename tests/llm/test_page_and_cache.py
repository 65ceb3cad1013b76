"""What the model is sent (the page's title and headings with its main content) and the
response cache in the user's cache folder: shared by runs into any output folder, damaged or
oversized entries asked again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llm.conftest import SCHEMA
from tests.llm.fake_chat import FakeChat
from thresher.cli import main
from thresher.extract.page import MAX_HEADING_CHARS, MAX_HEADINGS, extract_html
from thresher.llm.cache import MAX_ENTRY_BYTES, ResponseCache
from thresher.llm.config import LLMConfig
from thresher.llm.extractor import Extractor, page_head
from thresher.store import read_documents

#: a shop page: the product's name only in the <title> and an <h1> outside the article
PRODUCT = (
    "<html><head><title>Blue kettle | Kitchen Shop</title></head><body>"
    "<header><nav><a href='/'>Kitchen Shop</a></nav><h1>Blue kettle</h1></header>"
    "<article><h2>Description</h2><p>Price: 25</p><p>A steel kettle of 1.7 litres that boils "
    "water quickly, with a lid that opens wide and a handle that stays cool.</p>"
    "<p>It switches itself off when the water boils and stands on a base with a long cable."
    "</p></article></body></html>"
)


def _args(site: Path, out: Path, chat: FakeChat, schema: Path) -> list[str]:
    return [
        "extract", str(site), "-o", str(out), "--llm-schema", str(schema),
        "--llm-base-url", chat.url, "--llm-model", "fake",
    ]  # fmt: skip


def _user_messages(chat: FakeChat) -> list[str]:
    return [m["content"] for p in chat.payloads for m in p["messages"] if m["role"] == "user"]


def test_the_model_sees_title_and_h1_and_a_run_into_another_folder_asks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the default cache folder
    schema_file = tmp_path / "product.json"
    props = {"name": {"type": "string"}, "price": {"type": "number"}}
    schema_file.write_text(json.dumps({"type": "object", "properties": props}))
    site = tmp_path / "site"
    site.mkdir()
    (site / "kettle.html").write_text(PRODUCT)
    with FakeChat() as chat:
        assert main(_args(site, tmp_path / "one", chat, schema_file)) == 0
        assert chat.requests == 1
        [sent] = _user_messages(chat)
        assert "Page title: Blue kettle | Kitchen Shop" in sent
        assert "\n# Blue kettle\n" in sent and "\n## Description\n" in sent
        assert sent.index("Main content:") > sent.index("# Blue kettle")
        assert "Price: 25" in sent.split("Main content:", 1)[1]
        [doc] = read_documents([tmp_path / "one"])
        assert doc.metadata["llm"] == {"price": 25.0}
        assert "headings" not in doc.metadata  # carried for the model only
        entries = list((tmp_path / "xdg" / "thresher" / "llm").rglob("*.json"))
        assert len(entries) == 1

        assert main(_args(site, tmp_path / "two", chat, schema_file)) == 0
        assert chat.requests == 1  # another output folder: every answer from the cache
        [again] = read_documents([tmp_path / "two"])
        assert again.metadata["llm"] == doc.metadata["llm"]


@pytest.mark.parametrize(
    "damage",
    [
        b'{"record": {"title": "Blue',  # cut short by a crash of another tool
        b"\x00\xff\xfe not json",
        b"[" * 100_000 + b"]" * 100_000,  # nested past the parser's depth
        b'{"record": {"title": 42}}',  # an edited entry the schema refuses
        b'{"record": {"title": "x"}, "pad": "' + b"x" * MAX_ENTRY_BYTES + b'"}',  # oversized
    ],
)
def test_a_damaged_cache_entry_is_a_miss_not_a_crash(tmp_path: Path, damage: bytes) -> None:
    cache = tmp_path / "cache"
    with FakeChat() as chat:
        settings = LLMConfig(base_url=chat.url, model="fake", cache=str(cache))
        page = "Title: Desk lamp\nPrice: 12"
        first = Extractor(settings, SCHEMA).run([page], ["Page title: Lamps"])[0]
        assert first.record == {"title": "Desk lamp", "price": 12.0} and chat.requests == 1
        [entry] = cache.rglob("*.json")
        entry.write_bytes(damage)
        second = Extractor(settings, SCHEMA).run([page], ["Page title: Lamps"])[0]
        assert second.record == first.record and chat.requests == 2  # asked again
        assert json.loads(entry.read_text())["record"] == first.record  # and rewritten


def test_cache_entries_are_bounded_and_written_whole(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("ab" + "0" * 62, {"record": "x" * (MAX_ENTRY_BYTES + 1)})
    assert not list(tmp_path.rglob("*.json"))  # not kept
    cache.put("cd" + "0" * 62, {"record": {"title": "\ud800 lone surrogate"}})  # no crash
    cache.put("ef" + "0" * 62, {"record": {"title": "ok"}})
    assert cache.get("ef" + "0" * 62) == {"record": {"title": "ok"}}
    assert not list(tmp_path.rglob("*.tmp"))  # temporary names renamed or removed


def test_headings_and_title_sent_are_bounded() -> None:
    heads = "".join(f"<h{1 + i % 3}>Heading {i} {'long ' * 80}</h{1 + i % 3}>" for i in range(50))
    html = f"<html><head><title>T</title></head><body>{heads}<p>{'Text. ' * 80}</p></body></html>"
    doc = extract_html(html, "https://x.example/", headings=True)
    assert doc is not None
    got = doc.metadata["headings"]
    assert len(got) == MAX_HEADINGS and all(len(t) <= MAX_HEADING_CHARS for _, t in got)
    assert [lvl for lvl, _ in got[:4]] == [1, 2, 3, 1] and got[0][1].startswith("Heading 0 ")
    head = page_head("A " * 1000, got)
    assert len(head) < 300 + MAX_HEADINGS * (MAX_HEADING_CHARS + 5) + 40
    assert "headings" not in (extract_html(html, "https://x.example/") or doc).metadata
