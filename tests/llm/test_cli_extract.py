"""``thresher extract --llm-*`` end to end: HTML files in, documents with their records out,
counted in stats, resumable, cached, and bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llm.fake_chat import FakeChat
from thresher.cli import main
from thresher.store import read_documents


def _page(name: str, body: str) -> str:
    return (
        f"<html><head><title>{name}</title></head><body><article><h1>{name}</h1>"
        f"{body}<p>This is a product page with a long enough description of the item so the "
        "extractor keeps it as the main content of the page.</p></article></body></html>"
    )


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    pages = {
        "a.html": _page("Kettle", "<p>Title: Blue kettle</p><p>Price: 25</p><p>Tags: kitchen</p>"),
        "b.html": _page("Lamp", "<p>Title: Desk lamp</p><p>Price: 12</p>"),
        "c.html": _page("Mug", "<p>Title: Mug</p><p>Price: 4</p><p>marker bad-always</p>"),
    }
    for name, html in pages.items():
        (site / name).write_text(html)
    return site


class MarkerChat(FakeChat):
    """The stand-in with its fault markers written in words (Markdown escapes brackets)."""

    def answer(self, payload):  # type: ignore[no-untyped-def]
        for m in payload["messages"]:
            if m["role"] == "user":
                m["content"] = m["content"].replace("marker bad-always", "[bad-always]")
        return super().answer(payload)


def _args(site: Path, out: Path, chat: FakeChat, schema: Path, cache: Path) -> list[str]:
    return [
        "extract", str(site), "-o", str(out), "--llm-schema", str(schema),
        "--llm-base-url", chat.url, "--llm-model", "fake", "--llm-cache", str(cache),
    ]  # fmt: skip


def test_records_in_metadata_stats_and_cache(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, cache = _site(tmp_path), tmp_path / "cache"
    with MarkerChat() as chat:
        out = tmp_path / "out"
        assert main(_args(site, out, chat, schema_file, cache)) == 0
        docs = {d.title: d for d in read_documents([out])}
        assert docs["Kettle"].metadata["llm"] == {
            "title": "Blue kettle",
            "price": 25.0,
            "tags": ["kitchen"],
        }
        assert docs["Lamp"].metadata["llm"] == {"title": "Desk lamp", "price": 12.0}
        mug = docs["Mug"].metadata
        assert mug["llm"] is None and mug["llm_error"].startswith("invalid: ")
        assert docs["Kettle"].markdown is None  # Markdown only went to the model
        err = capsys.readouterr().err
        assert "llm: 2 records from 3 pages; 1 failed (invalid 1); 5 requests" in err
        counters = json.loads((out / "stats.json").read_text())["steps"][0]["counters"]
        assert counters["llm:pages"] == 3 and counters["llm:records"] == 2
        assert counters["llm:requests"] == 5 and counters["llm:failed:invalid"] == 1
        assert counters["llm:tokens:prompt"] > 0 and counters["llm:reasks"] == 2
        sent = chat.requests

        assert main(_args(site, out, chat, schema_file, cache)) == 0  # finished: nothing to do
        assert chat.requests == sent

        again = tmp_path / "again"  # a new folder over the same pages: answers from the cache
        assert main(_args(site, again, chat, schema_file, cache)) == 0
        assert chat.requests == sent + 3  # only the failed page is asked again (1 + 2 reasks)
        counters = json.loads((again / "stats.json").read_text())["steps"][0]["counters"]
        assert counters["llm:cache_hits"] == 2


def test_llm_only_writes_just_the_records(tmp_path: Path, schema_file: Path) -> None:
    site = _site(tmp_path)
    with MarkerChat() as chat:
        out = tmp_path / "out"
        args = _args(site, out, chat, schema_file, tmp_path / "cache")
        assert main([*args, "--llm-only", "--markdown"]) == 0
    docs = sorted(read_documents([out]), key=lambda d: d.title or "")
    assert [json.loads(d.text) for d in docs] == [
        {"title": "Blue kettle", "price": 25.0, "tags": ["kitchen"]},
        {"title": "Desk lamp", "price": 12.0},
    ]
    assert all(set(d.metadata) == {"llm"} and d.markdown is None for d in docs)
    step = json.loads((out / "stats.json").read_text())["steps"][0]
    assert step["dropped"]["llm_failed"] == 1 and step["kept"] == 2


def test_yaml_section_and_cost(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    with MarkerChat() as chat:
        config = tmp_path / "pipeline.yaml"
        config.write_text(
            "extract:\n  llm:\n"
            f"    base_url: {chat.url}\n    model: fake\n    schema: {schema_file}\n"
            f"    cache: {tmp_path / 'cache'}\n    reasks: 0\n"
            "    price_input: 1000.0\n    price_output: 2000.0\n"
        )
        out = tmp_path / "out"
        assert main(["extract", str(site), "-o", str(out), "--config", str(config)]) == 0
        assert chat.requests == 3  # reasks: 0
    err = capsys.readouterr().err
    assert "estimated cost " in err
    counters = json.loads((out / "stats.json").read_text())["steps"][0]["counters"]
    expected = counters["llm:tokens:prompt"] * 1000 + counters["llm:tokens:completion"] * 2000
    assert abs(counters["llm:cost_micro"] - expected) <= 3
    manifest = json.loads((out / "manifest.json").read_text())
    llm = (
        manifest["config"]["llm"]
        if "llm" in manifest["config"]
        else manifest["config"]["extract"]["llm"]
    )
    assert llm["schema_"]["required"] == ["title"]  # the schema itself, not its path
    assert "cache" not in llm and "price_input" not in llm  # operational: not in the fingerprint


def test_workers_share_the_pages(tmp_path: Path, schema_file: Path) -> None:
    site = tmp_path / "many"
    site.mkdir()
    for i in range(40):
        (site / f"p{i:02d}.html").write_text(_page(f"Item {i}", f"<p>Title: Item {i}</p>"))
    with FakeChat() as chat:
        out = tmp_path / "out"
        args = _args(site, out, chat, schema_file, tmp_path / "cache")
        assert main([*args, "--workers", "2"]) == 0
        assert chat.requests == 40
    docs = list(read_documents([out]))
    assert sorted(d.metadata["llm"]["title"] for d in docs) == sorted(
        f"Item {i}" for i in range(40)
    )


@pytest.mark.parametrize(
    ("schema_text", "message"),
    [
        (None, "schema file does not exist"),
        ("{not json", "not valid JSON"),
        ('{"type": "objekt"}', "not a valid JSON Schema"),
        ("[1, 2]", "a JSON Schema must be an object"),
    ],
)
def test_bad_schema_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema_text: str | None, message: str
) -> None:
    site, schema = _site(tmp_path), tmp_path / "s.json"
    if schema_text is not None:
        schema.write_text(schema_text)
    args = _args(site, tmp_path / "out", FakeChat(), schema, tmp_path / "cache")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("thresher: error: ") and message in err[0]
    assert str(schema) in err[0]
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_missing_option_and_bad_url_are_one_line(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    assert (
        main(["extract", str(site), "-o", str(tmp_path / "o"), "--llm-schema", str(schema_file)])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["thresher: error: --llm-base-url: is needed with the other --llm options"]
    args = ["extract", str(site), "-o", str(tmp_path / "o"), "--llm-schema", str(schema_file),
            "--llm-model", "m", "--llm-base-url", "localhost:8000"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--llm-base-url" in err[0] and "not an http://" in err[0]


def test_unreachable_endpoint_is_one_line(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    args = ["extract", str(site), "-o", str(tmp_path / "out"), "--llm-schema", str(schema_file),
            "--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model", "m",
            "--llm-cache", str(tmp_path / "cache")]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "127.0.0.1:9/v1/chat/completions: cannot connect" in err[0]
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_long_page_chunked_in_the_shard(tmp_path: Path, schema_file: Path) -> None:
    site = tmp_path / "long"
    site.mkdir()
    items = "".join(f"<p>Tags: item {i:02d} with a few words around it</p>" for i in range(50))
    (site / "long.html").write_text(
        _page("Catalogue", f"<p>Title: Catalogue of the spring season, with many items</p>{items}")
    )
    with FakeChat() as chat:
        config = tmp_path / "x.yaml"
        config.write_text(
            f"extract:\n  llm:\n    base_url: {chat.url}\n    model: fake\n"
            f"    schema: {schema_file}\n    cache: {tmp_path / 'cache'}\n"
            "    chunk_tokens: 100\n    chunk_overlap: 30\n"
        )
        out = tmp_path / "out"
        assert main(["extract", str(site), "-o", str(out), "--config", str(config)]) == 0
        chunks = chat.requests
    (doc,) = read_documents([out])
    record = doc.metadata["llm"]
    assert record is not None, doc.metadata.get("llm_error")
    assert record["title"].startswith("Catalogue of the spring") and chunks > 4
    assert [t.split(" with")[0] for t in record["tags"]] == [f"item {i:02d}" for i in range(50)]
    counters = json.loads((out / "stats.json").read_text())["steps"][0]["counters"]
    assert counters["llm:chunks"] == chunks and counters["llm:records"] == 1


class BreakingChat(FakeChat):
    """Answers ``ok`` requests, then refuses the key (401) until ``ok`` is raised again."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def answer(self, payload):  # type: ignore[no-untyped-def]
        with self._lock:
            self.ok -= 1
            broken = self.ok < 0
        if broken:
            return 401, {}, {"error": {"message": "key revoked"}}
        return super().answer(payload)


def test_a_run_stopped_by_the_endpoint_resumes_without_asking_again(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "many"
    site.mkdir()
    for i in range(40):
        (site / f"p{i:02d}.html").write_text(_page(f"Item {i}", f"<p>Title: Item {i}</p>"))
    out, cache = tmp_path / "out", tmp_path / "cache"
    with BreakingChat(ok=20) as chat:
        args = [*_args(site, out, chat, schema_file, cache), "--workers", "3"]
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert "HTTP 401: key revoked" in err[-1] and not (out / "manifest.json").exists()
        chat.ok = 10_000
        assert main(args) == 0
        assert chat.statuses[200] == 40  # every page answered once over both runs
    docs = list(read_documents([out]))
    assert sorted(d.metadata["llm"]["title"] for d in docs) == sorted(
        f"Item {i}" for i in range(40)
    )
