"""``thresher chunks``: Markdown structure, sizes, overlap, images and links per chunk, JSONL
and Parquet outputs with a manifest, and bad options — the CLI in real subprocesses."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from thresher.document import Document
from thresher.ship.chunks import ChunkDocuments, blocks, chunk_markdown, count_tokens, rows_of
from thresher.stats import StepStats

pytestmark = pytest.mark.timeout(120)

PROSE = " ".join(f"Sentence number {i} tells the reader one more useful thing." for i in range(30))
MARKDOWN = f"""# Restoring a boat

We began with the hull. ![The bare hull](/img/hull.jpg) See [the log](/log) for dates.

## Tools

- a heat gun for the old paint
- scrapers in three sizes
- sandpaper, 80 to 240 grit

```sh
sand --grit 80 hull
sand --grit 240 hull
```

## Varnish

{PROSE}

### Drying

Each coat dried for a day. [Weather data](https://weather.example/june) helped.
"""


def thresher(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "thresher", *args], capture_output=True, text=True, env=env
    )


def _docs(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    records = [
        {"id": "boat", "url": "https://boats.example/restore", "title": "Restoring a boat",
         "text": "plain text", "markdown": MARKDOWN, "language": "en"},
        {"id": "post", "url": "https://board.example/viewtopic.php?t=1", "title": None,
         "text": "Steel, without a doubt.\nIt can be repaired anywhere.",
         "metadata": {"fields": {"images": ["https://board.example/a.png"],
                                 "links": ["https://maps.example/7"]}}},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_structure_sizes_overlap_and_media() -> None:
    assert [b.kind for b in blocks(MARKDOWN)] == [
        "heading", "paragraph", "heading", "list", "code", "heading", "paragraph", "heading",
        "paragraph",
    ]  # fmt: skip
    chunks = chunk_markdown(MARKDOWN, 60, 8, "https://boats.example/restore")
    assert all(c.tokens <= 60 and count_tokens(c.text) == c.tokens for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    first = chunks[0]
    assert first.headings == ["Restoring a boat"] and first.text.startswith("# Restoring")
    assert first.images == [{"src": "https://boats.example/img/hull.jpg", "alt": "The bare hull"}]
    assert first.links == [{"href": "https://boats.example/log", "text": "the log"}]
    tools = [c for c in chunks if c.headings == ["Restoring a boat", "Tools"]]
    # the list and the code block fit together: kept whole, in one chunk
    assert len(tools) == 1 and "- scrapers in three sizes" in tools[0].text
    assert "```sh\nsand --grit 80 hull\nsand --grit 240 hull\n```" in tools[0].text
    varnish = [c for c in chunks if c.headings == ["Restoring a boat", "Varnish"]]
    assert len(varnish) > 2  # the long paragraph is split by sentences
    for before, after in itertools.pairwise(varnish):
        tail = after.text.split(" Sentence number")[0]
        assert count_tokens(tail) == 8 and before.text.endswith(tail)  # the overlap
    drying = chunks[-1]
    assert drying.headings == ["Restoring a boat", "Varnish", "Drying"]
    assert drying.links == [{"href": "https://weather.example/june", "text": "Weather data"}]
    assert drying.images == [] and not any("weather" in str(c.links) for c in chunks[:-1])
    # a new section never starts with the end of the last one
    assert drying.text.startswith("### Drying")
    # without overlap nothing repeats: the chunks hold every word once
    plain = chunk_markdown(MARKDOWN, 60, 0)
    assert sum(c.tokens for c in plain) == count_tokens(MARKDOWN)


def test_oversized_blocks_are_split_by_lines_and_words() -> None:
    code = "```\n" + "\n".join(f"line_{i} = {i}" for i in range(40)) + "\n```"
    chunks = chunk_markdown(code, 30)
    assert len(chunks) > 1 and all(c.tokens <= 30 for c in chunks)
    assert all(c.text.startswith("```\n") and c.text.endswith("\n```") for c in chunks)
    words = chunk_markdown(" ".join(["word"] * 100), 7)
    assert [c.tokens for c in words] == [7] * 14 + [2]
    link = "[" + "x " * 20 + "](https://e.example/)"  # a link longer than a chunk
    assert all(c.tokens <= 10 for c in chunk_markdown(link, 10))


def test_chunks_cli_jsonl_and_parquet(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    out = tmp_path / "chunks"
    run = thresher("chunks", str(docs), "-o", str(out), "--max-tokens", "60", "--overlap", "8")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(x) for x in (out / "part-00000.jsonl").read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {"boat", "post"}
    assert all(r["tokens"] <= 60 for r in rows)
    boat = [r for r in rows if r["doc_id"] == "boat"]
    assert boat[0]["url"] == "https://boats.example/restore"
    assert boat[0]["title"] == "Restoring a boat" and boat[0]["headings"] == ["Restoring a boat"]
    assert [r["position"] for r in boat] == list(range(len(boat)))
    (post,) = [r for r in rows if r["doc_id"] == "post"]
    # a document without Markdown: its text, and the images/links its record lists
    assert post["text"] == "Steel, without a doubt.\n\nIt can be repaired anywhere."
    assert post["images"] == [{"src": "https://board.example/a.png", "alt": ""}]
    assert post["links"] == [{"href": "https://maps.example/7", "text": ""}]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "chunks" and manifest["counts"]["documents"] == len(rows)
    assert thresher("verify", str(out)).returncode == 0
    assert f"wrote {len(rows)} chunks of 2 documents" in run.stdout
    again = thresher("chunks", str(docs), "-o", str(out), "--max-tokens", "60", "--overlap", "8")
    assert again.returncode == 0 and "already complete" in again.stdout
    pout = tmp_path / "parquet"
    run = thresher("chunks", str(docs), "-o", str(pout), "--max-tokens", "60", "--overlap", "8",
                   "--format", "parquet")  # fmt: skip
    assert run.returncode == 0, run.stderr
    table = pq.read_table(pout / "part-00000.parquet")
    assert table.to_pylist() == rows
    assert thresher("verify", str(pout)).returncode == 0


def test_extracted_markdown_document(tmp_path: Path) -> None:
    """A real page through ``extract --markdown`` then ``chunks``: images land in their chunk."""
    fixture = Path(__file__).parents[1] / "extract" / "fixtures" / "heading_image.html"
    docs = tmp_path / "docs"
    assert thresher("extract", str(fixture), "-o", str(docs), "--markdown").returncode == 0
    out = tmp_path / "chunks"
    run = thresher("chunks", str(docs), "-o", str(out), "--max-tokens", "40")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(x) for x in (out / "part-00000.jsonl").read_text().splitlines()]
    assert rows[0]["headings"] == ["Stripping the hull"]
    assert [i["alt"] for i in rows[0]["images"]] == ["The bare hull"]
    assert rows[0]["images"][0]["src"].endswith("/img/hull.jpg")
    frames = [r for r in rows if r["headings"] == ["Replacing the frames"]]
    assert frames and all(r["tokens"] <= 40 for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-tokens", "0"], "--max-tokens 0: must be at least 1"),
        (["--max-tokens", "10", "--overlap", "10"], "--overlap 10: must be at least 0 and below"),
        (["--overlap", "-1"], "--overlap -1"),
        (["--format", "csv"], "--format 'csv': unknown; choose one of jsonl, parquet"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    run = thresher("chunks", str(_docs(tmp_path)), "-o", str(out), *args)
    assert run.returncode == 2
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("thresher: error: ")
    assert not out.exists()


def test_no_documents(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"no": "text"}\nnot json\n')
    out = tmp_path / "out"
    run = thresher("chunks", str(empty), "-o", str(out))
    assert run.returncode == 1 and "no document to chunk" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_a_failing_run_leaves_the_earlier_output_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error (here: Ctrl-C) half-way through a replacing run: the earlier part, manifest
    and stats stay as they were (the run's hidden work folder is kept to resume), and the
    same command again finishes the run."""
    from thresher.ship import chunks as module
    from thresher.store import verify

    docs = _docs(tmp_path)
    out = tmp_path / "chunks"
    module.export_chunks([docs], out, max_tokens=60, overlap=0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = module.document_chunks
    calls = []

    def interrupted(*args: object, **kw: object) -> list[dict[str, object]]:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "document_chunks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        module.export_chunks([docs], out, max_tokens=30, overlap=0, overwrite=True)
    shown = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert shown == before
    assert verify(out).ok
    monkeypatch.setattr(module, "document_chunks", real)
    n, _, done = module.export_chunks([docs], out, max_tokens=30, overlap=0, overwrite=True)
    assert n > 0 and not done and verify(out).ok
    assert not any(p.name.startswith(".") for p in out.iterdir())


def test_the_chunk_step_counts_chunks_and_drops_empty_documents() -> None:
    docs = [Document(text=PROSE, id="a"), Document(text=" \n ", id="b"), Document(text="x", id="c")]
    sunk: list[tuple[str | None, str, str]] = []
    step = ChunkDocuments(max_tokens=40, overlap=5)
    step.drop_sink = lambda doc, name, reason: sunk.append((doc.id, name, reason))
    rows = list(step.run(docs))
    assert [r["doc_id"] for r in rows][-1] == "c" and len(rows) > 2
    st = step.stats
    assert (st.name, st.seen, st.kept, st.counters["chunks"]) == ("chunks", 3, 2, len(rows))
    assert st.dropped == {"no_text": 1} and sunk == [("b", "chunks", "no_text")]
    stats = StepStats("chunks")  # the wrapper counts into the caller's stats
    assert list(rows_of(docs, 40, 5, stats)) == rows and stats.to_dict() == st.to_dict()
