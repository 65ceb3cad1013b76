"""``thresher reddit`` against a Reddit stand-in on 127.0.0.1 (PRAW pointed at it through
its ``oauth_url`` / ``reddit_url`` settings), in subprocesses."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from thresher.store import read_documents

from .dumps import T0, post, reply
from .fake_reddit import CLIENT_ID, CLIENT_SECRET, FakeReddit, Node, serve


def _post(pid: str, title: str, **kw: Any) -> dict[str, Any]:
    return post(pid, title, f"The question behind {title.lower()}", **kw)


def _reply(cid: str, pid: str, body: str, **kw: Any) -> Node:
    return Node(reply(cid, pid, body, **kw))


@pytest.fixture
def fake() -> Iterator[FakeReddit]:
    data = FakeReddit(
        listings={"askscience": [
            _post("b3", "Why do cats purr?", at=T0 + 300),
            _post("b2", "How do magnets work?", at=T0 + 200),
            _post("b1", "Why is the sea salty?", at=T0 + 100),
        ]},
        trees={
            "b1": [
                Node(
                    reply("d1", "b1", "Rivers carry dissolved minerals into the sea.", score=40),
                    replies=[Node(
                        reply("d2", "b1", "Which minerals, mostly?", parent="d1", author="alice"),
                        hidden=[_reply("d9", "b1", "Sodium and chloride, mostly.", parent="d2",
                                       author="zed", score=3)],
                    )],
                ),
                _reply("d3", "b1", "[deleted]", author="[deleted]", score=90),
                _reply("d4", "b1", "Please read the rules.", author="AutoModerator", score=99),
            ],
            "b2": [_reply("e1", "b2", "Aligned electron spins add up to a field.", score=12)],
            "b3": [_reply("f1", "b3", "Nobody is quite sure, it is the larynx.", score=5)],
        },
        fail_429={"/r/askscience/new"},
        fail_500={"/comments/b2"},
    )  # fmt: skip
    with serve(data) as running:
        yield running


def _env(fake: FakeReddit, tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        praw_client_id=CLIENT_ID, praw_client_secret=CLIENT_SECRET,
        praw_user_agent="thresher-tests/1.0", praw_oauth_url=fake.url,
        praw_reddit_url=fake.url, HOME=str(tmp_path),
    )  # fmt: skip
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thresher", "reddit", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _raw(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_collects_threads_waits_out_faults_and_resumes(fake: FakeReddit, tmp_path: Path) -> None:
    out = tmp_path / "coll"
    env = _env(fake, tmp_path)
    run = _run(["r/AskScience", "-o", str(out), "--limit", "2"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "collected 2 new submissions and 2 new comments from r/askscience" in run.stderr
    assert "1 rate-limit waits" in run.stderr
    # the 429 was waited out for its retry-after second before the listing was asked again
    listing = fake.requests("/r/askscience/new")
    assert [r[3] for r in listing] == [0, 200] and listing[1][0] - listing[0][0] >= 1.0
    # the 500 was retried by prawcore
    assert [r[3] for r in fake.requests("/comments/b2")] == [0, 200]
    subs = _raw(out / "raw" / "RS_api-00001.jsonl.gz")
    assert sorted(s["id"] for s in subs) == ["b2", "b3"]  # newest first, limit 2
    assert len(_raw(out / "raw" / "RC_api-00001.jsonl.gz")) == 2
    docs = {d.title: d for d in read_documents([out / "documents"])}
    assert set(docs) == {"How do magnets work?", "Why do cats purr?"}

    # the next run, with a higher limit: only b1 is new; known submissions are not fetched
    comments_asked = len(fake.requests("/comments/"))
    again = _run(["askscience", "-o", str(out), "--limit", "3"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "collected 1 new submissions and 5 new comments" in again.stderr
    assert "2 already collected" in again.stderr
    assert [r[2] for r in fake.requests("/comments/")[comments_asked:]] == ["/comments/b1"]
    assert len(fake.requests("/api/morechildren")) == 1  # the "more comments" stub of b1
    coms = _raw(out / "raw" / "RC_api-00002.jsonl.gz")
    assert sorted(c["id"] for c in coms) == ["d1", "d2", "d3", "d4", "d9"]
    assert all(c["replies"] == "" for c in coms)
    docs = {d.title: d for d in read_documents([out / "documents"])}
    sea = docs["Why is the sea salty?"]
    assert sea.fetched_at is not None and sea.fetched_at.endswith("Z")  # the collection time
    assert "[deleted]" not in sea.text and "Please read the rules." not in sea.text
    assert "Sodium and chloride, mostly." in sea.text
    with sqlite3.connect(out / "state.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone() == (3,)
        assert db.execute("SELECT COUNT(*) FROM comments").fetchone() == (7,)
    # the API's threads are the dumps' threads: sft gives the best live top-level answer
    sft = subprocess.run(
        [sys.executable, "-m", "thresher", "sft", str(out / "documents"), "-o",
         str(tmp_path / "sft.jsonl"), "--format", "messages"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert sft.returncode == 0, sft.stderr
    lines = [json.loads(x) for x in (tmp_path / "sft.jsonl" / "part-00000.jsonl").open()]
    by_thread = {x["meta"]["thread"]: x for x in lines}
    sea_turns = [m["content"] for m in by_thread["t3_b1"]["messages"]]
    assert sea_turns[1] == "Rivers carry dissolved minerals into the sea."
    assert (
        sea_turns[2] == "Which minerals, mostly?" and sea_turns[3] == "Sodium and chloride, mostly."
    )


def test_a_third_run_with_nothing_new_fetches_no_comments(fake: FakeReddit, tmp_path: Path) -> None:
    out = tmp_path / "coll"
    env = _env(fake, tmp_path)
    assert _run(["askscience", "-o", str(out)], env, tmp_path).returncode == 0
    before = len(fake.requests("/comments/"))
    run = _run(["askscience", "-o", str(out)], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "collected 0 new submissions and 0 new comments" in run.stderr
    assert len(fake.requests("/comments/")) == before
    assert len(list(read_documents([out / "documents"]))) == 3


def test_missing_or_refused_credentials_are_one_line(fake: FakeReddit, tmp_path: Path) -> None:
    out = tmp_path / "coll"
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path, praw_client_secret=None),
               tmp_path)  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "thresher: error: Reddit credentials: client_secret is missing; set praw_client_id, "
        "praw_client_secret and praw_user_agent (or a praw.ini site)"
    )
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path, praw_client_id=None), tmp_path)
    assert run.returncode == 2 and "client_id is missing" in run.stderr
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path, praw_client_secret="bad"),
               tmp_path)  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        "thresher: error: Reddit refused the credentials (HTTP 401)"
    )


def test_credentials_from_praw_ini_and_an_unknown_subreddit(
    fake: FakeReddit, tmp_path: Path
) -> None:
    (tmp_path / "praw.ini").write_text(
        f"[mine]\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n"
        "user_agent=thresher-tests/1.0\n"
    )
    env = _env(fake, tmp_path, praw_client_id=None, praw_client_secret=None,
               PRAW_ALLOW_ENDPOINT_OVERRIDE="1")  # fmt: skip
    out = tmp_path / "coll"
    run = _run(["nosuchsub", "askscience", "-o", str(out), "--site", "mine"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "no such subreddit" in run.stderr and "1 failed" in run.stderr
    assert len(list(read_documents([out / "documents"]))) == 3


def test_a_folder_that_is_not_a_collection_is_refused(fake: FakeReddit, tmp_path: Path) -> None:
    out = tmp_path / "other"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path), tmp_path)
    assert run.returncode == 2 and "not a Reddit collection" in run.stderr
    assert not fake.log


def test_only_link_posts_archive_but_make_no_threads(fake: FakeReddit, tmp_path: Path) -> None:
    fake.listings["askscience"] = [post("l1", "A picture", "", link="https://i.example/x.jpg")]
    out = tmp_path / "coll"
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    assert "collected 1 new submissions" in run.stderr and "no threads yet" in run.stderr
    assert [s["id"] for s in _raw(out / "raw" / "RS_api-00001.jsonl.gz")] == ["l1"]
    again = _run(["askscience", "-o", str(out), "--link-posts"], _env(fake, tmp_path), tmp_path)
    assert again.returncode == 0, again.stderr
    [doc] = list(read_documents([out / "documents"]))
    assert doc.title == "A picture" and doc.metadata["link"] == "https://i.example/x.jpg"


def test_a_used_up_rate_limit_window_spaces_the_next_request(
    fake: FakeReddit, tmp_path: Path
) -> None:
    fake.fail_429.clear()
    fake.fail_500.clear()
    fake.exhaust.add("/r/askscience/new")  # x-ratelimit-remaining 0, reset in 2 s
    out = tmp_path / "coll"
    run = _run(["askscience", "-o", str(out), "--limit", "1"], _env(fake, tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    listing, comments = fake.requests("/r/askscience/new")[0], fake.requests("/comments/")[0]
    assert comments[0] - listing[0] >= 1.9  # prawcore waited for the window to reset
    assert "0 rate-limit waits" in run.stderr


def test_a_killed_run_resumes_without_collecting_twice(fake: FakeReddit, tmp_path: Path) -> None:
    fake.fail_429.clear()
    fake.fail_500.clear()
    fake.stall["/comments/b2"] = 30.0  # the run is killed while it waits for b2
    out = tmp_path / "coll"
    proc = subprocess.Popen(
        [sys.executable, "-m", "thresher", "reddit", "askscience", "-o", str(out)],
        env=_env(fake, tmp_path), cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while fake.stall:  # until b2 is being answered slowly (b3 is done by then)
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait()
    assert [s["id"] for s in _raw(out / "raw" / "RS_api-00001.jsonl.gz")] == ["b3"]
    asked = len(fake.requests("/comments/b3"))
    run = _run(["askscience", "-o", str(out)], _env(fake, tmp_path), tmp_path)
    assert run.returncode == 0, run.stderr
    assert "collected 2 new submissions" in run.stderr and "1 already collected" in run.stderr
    assert len(fake.requests("/comments/b3")) == asked  # not fetched again
    coms = _raw(out / "raw" / "RC_api-00002.jsonl.gz")
    assert "f1" not in {c["id"] for c in coms}
    assert len(list(read_documents([out / "documents"]))) == 3
