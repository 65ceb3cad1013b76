"""``thresher sft`` over threads from Reddit dumps: the comment tree as a conversation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from thresher.cli import main
from thresher.document import Document
from thresher.ship.threads import thread_from_tree, threads_from_records
from thresher.stats import StepStats

from .dumps import post, reply, sky_thread, write_zst


def _sft(tmp_path: Path, posts: list[Any], comments: list[Any], *args: str) -> list[Any]:
    rs = write_zst(tmp_path / "RS_2024-01.zst", posts)
    rc = write_zst(tmp_path / "RC_2024-01.zst", comments)
    docs = tmp_path / "docs"
    assert main(["extract", str(rs), str(rc), "-o", str(docs)]) == 0
    out = tmp_path / "sft"
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "sft", str(docs), "-o", str(out), *args],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return [json.loads(x) for x in (out / "part-00000.jsonl").open()]


def test_the_best_live_top_level_reply_answers_and_the_branch_goes_on(tmp_path: Path) -> None:
    posts, comments = sky_thread()
    [line] = _sft(tmp_path, posts, comments, "--format", "messages")
    assert [m["role"] for m in line["messages"]] == ["user", "assistant", "user", "assistant"]
    contents = [m["content"] for m in line["messages"]]
    assert contents[0].startswith("Why is the sky blue?\n\nI always wondered")
    # not the deleted (99), removed (80) or AutoModerator (500) comment, all scored higher
    assert contents[1] == "Rayleigh scattering: short wavelengths scatter much more."
    assert contents[2:] == [
        "Thanks! But why is it not violet then?",
        "Our eyes are much less sensitive to violet light.",
    ]
    assert line["meta"]["answer_rule"] == "score" and line["meta"]["answer_id"] == "t1_c1"
    (tmp_path / "a").mkdir()
    [alpaca] = _sft(tmp_path / "a", posts, comments)
    assert alpaca["output"] == contents[1] and alpaca["instruction"] == contents[0]


def test_threads_without_a_usable_answer_are_skipped_by_reason(tmp_path: Path) -> None:
    posts = [
        post("q1", "Only the bot answered this one", "Is anyone here at all?"),
        post("q2", "Only I answered myself here", "Talking to myself again, it seems."),
        post("q3", "A nested reply is not an answer", "Does a reply to a reply count here?"),
        post("q4", "A real question with an answer", "What is the boiling point of water?"),
    ]
    comments = [
        reply("r1", "q1", "Your post must follow the rules.", author="AutoModerator"),
        reply("r2", "q2", "Answering my own question, sadly.", author="alice"),
        reply("r3", "q3", "[removed]", author="mallory", score=9),
        reply("r4", "q3", "A good answer, but to a removed comment.", parent="r3", score=50),
        reply("r5", "q4", "One hundred degrees Celsius at sea level.", score=3),
    ]
    lines = _sft(tmp_path, posts, comments)
    assert [x["meta"]["thread"] for x in lines] == ["t3_q4"]
    stats = json.loads((tmp_path / "sft" / "stats.json").read_text())["steps"]
    assert stats[-1]["dropped"] == {"no_answer": 3}


def test_a_tree_document_becomes_a_thread_beside_forum_records() -> None:
    tree = [
        {"id": "t3_x", "parent": None, "author": "ann", "score": 2, "text": "Q?", "status": "ok"},
        {"id": "t1_a", "parent": "t3_x", "author": "bo", "score": 1, "text": "A.", "status": "ok"},
        {"id": "t1_b", "parent": "t3_x", "author": "cy", "score": 5, "text": "B.", "status": "ok"},
        {"id": "t1_c", "parent": "t1_a", "author": "dee", "score": 90, "text": "C.",
         "status": "ok"},
    ]  # fmt: skip
    meta = {"record_type": "thread_tree", "tree": tree, "reddit_id": "t3_x", "site": "reddit"}
    doc = Document(text="Q?", title="Q?", metadata=meta)
    thread = thread_from_tree(doc)
    # B (5) beats A (1) at the top level; C's 90 is a reply to A, never the answer
    assert [p.id for p in thread.posts] == ["t3_x", "t1_b"]
    assert [p.score for p in thread.posts] == [None, 5.0]
    post_meta = {"record_type": "post", "thread": "t1", "page": 0, "position": 0}
    forum = Document(text="hello", url="https://f.example/t/1", metadata=post_meta)
    stats = StepStats("threads")
    got = list(threads_from_records([doc, forum], stats))
    assert [t.id for t in got] == ["t3_x", "t1"]
