"""Reddit dumps as extract inputs: zstd files with a 2 GiB window in, thread documents out."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import zstandard

from thresher.cli import main
from thresher.extract.config import ExtractConfig
from thresher.sources.reddit import grouping
from thresher.sources.reddit.settings import RedditSettings
from thresher.sources.reddit.source import dump_threads
from thresher.stats import StepStats
from thresher.store import read_documents

from .dumps import T0, post, reply, sky_thread, write_zst


def _dumps(tmp_path: Path) -> tuple[Path, Path]:
    posts, comments = sky_thread()
    return (
        write_zst(tmp_path / "RS_2024-01.zst", posts),
        write_zst(tmp_path / "RC_2024-01.zst", comments),
    )


def _stats(out: Path) -> dict[str, Any]:
    return json.loads((out / "stats.json").read_text())["steps"][0]


def test_dumps_become_thread_documents_in_a_subprocess(tmp_path: Path) -> None:
    rs, rc = _dumps(tmp_path)
    assert zstandard.get_frame_parameters(rs.read_bytes()).window_size == 2**31
    with pytest.raises(zstandard.ZstdError, match="too much memory"):  # zstd's default refuses
        zstandard.ZstdDecompressor().decompressobj().decompress(rs.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "extract", str(rs), str(rc), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "dropped: link_post=1" in run.stderr
    [doc] = list(read_documents([out]))
    assert doc.title == "Why is the sky blue?" and doc.author == "alice"
    assert doc.date == "2024-01-01T01:00:00Z" and doc.fetched_at == "2024-01-02T01:00:00Z"
    assert doc.url == "https://www.reddit.com/r/AskScience/comments/a1/x/"
    assert doc.source == f"{rs}#t3_a1"
    lines = doc.text.split("\n")
    assert lines[:2] == ["Why is the sky blue?", "I always wondered why the daytime sky is blue."]
    # gone texts and AutoModerator are not shown; a reply under a deleted comment is
    assert not any(x in doc.text for x in ("[deleted]", "[removed]", "follow the rules"))
    assert "A reply kept under a deleted comment." in lines
    # replies in order of score, each followed by its own replies
    assert (
        lines.index("Thanks! But why is it not violet then?")
        == lines.index("Rayleigh scattering: short wavelengths scatter much more.") + 1
    )
    meta = doc.metadata
    assert meta["record_type"] == "thread_tree" and meta["subreddit"] == "AskScience"
    statuses = {n["id"]: n["status"] for n in meta["tree"]}
    assert statuses == {
        "t3_a1": "ok", "t1_c1": "ok", "t1_c2": "bot", "t1_c3": "ok", "t1_c4": "deleted",
        "t1_c5": "ok", "t1_c6": "removed", "t1_c7": "ok",
    }  # fmt: skip
    assert next(n for n in meta["tree"] if n["id"] == "t1_c6")["text"] == ""
    stats = _stats(out)
    assert stats["counters"]["reddit:comments_indexed"] == 7
    assert stats["counters"]["reddit:comments_deleted"] == 1
    assert stats["counters"]["reddit:comments_bot"] == 1
    # the same inputs again: already complete
    again = subprocess.run(
        [sys.executable, "-m", "thresher", "extract", str(rs), str(rc), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and "already complete" in again.stdout


def test_link_posts_are_kept_when_asked(tmp_path: Path) -> None:
    rs, rc = _dumps(tmp_path)
    out = tmp_path / "out"
    assert main(["extract", str(rs), str(rc), "-o", str(out), "--link-posts"]) == 0
    docs = {d.title: d for d in read_documents([out])}
    assert docs["My cat"].metadata["link"] == "https://i.imgur.com/cat.jpg"
    assert docs["My cat"].text == "My cat"


def test_subreddit_and_date_filters_from_options_and_yaml(tmp_path: Path) -> None:
    day = 86400
    posts = [
        post("p1", "Early question about physics", "Text one.", sub="Physics", at=T0),
        post("p2", "Later question about physics", "Text two.", sub="physics", at=T0 + 10 * day),
        post("p3", "A question about chemistry", "Text three.", sub="chemistry", at=T0 + day),
    ]
    rs = write_zst(tmp_path / "RS_2024-01.zst", posts)
    out = tmp_path / "a"
    args = ["extract", str(rs), "-o", str(out), "--subreddit", "r/physics"]
    assert main([*args, "--since", "2024-01-05"]) == 0
    assert [d.title for d in read_documents([out])] == ["Later question about physics"]
    stats = _stats(out)
    assert stats["dropped"] == {"before_since": 1}
    assert stats["counters"]["reddit_skip:unwanted_lines"] == 1  # chemistry: never parsed
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "extract:\n  reddit:\n    subreddits: [Physics, Chemistry]\n    until: '2024-01-05'\n"
    )
    out_b = tmp_path / "b"
    assert main(["extract", str(rs), "-o", str(out_b), "--config", str(cfg)]) == 0
    titles = sorted(d.title or "" for d in read_documents([out_b]))
    assert titles == ["A question about chemistry", "Early question about physics"]
    assert _stats(out_b)["dropped"] == {"not_before_until": 1}


def test_bad_filter_values_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rs, _ = _dumps(tmp_path)
    assert main(["extract", str(rs), "-o", str(tmp_path / "o"), "--until", "soon"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("thresher: error: --until: 'soon' is not a date") and "\n" not in err
    cfg = tmp_path / "c.yaml"
    cfg.write_text("extract:\n  reddit:\n    subreddit: [x]\n")
    assert main(["extract", str(rs), "-o", str(tmp_path / "o"), "--config", str(cfg)]) == 2
    assert "reddit.subreddit" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_comment_dumps_alone_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rc = _dumps(tmp_path)
    assert main(["extract", str(rc), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "comment dumps need their submission dump" in err and str(rc) in err


def test_truncated_dump_and_bad_lines_are_counted_skips(tmp_path: Path) -> None:
    posts = [post(f"p{i}", f"Question number {i} here", f"Body text {i}.") for i in range(300)]
    rs = write_zst(tmp_path / "RS_2024-01.zst", posts, extra_lines=[b"{not json\n", b"[1, 2]\n"])
    comments = [reply(f"c{i}", f"p{i}", f"An answer to question {i}.") for i in range(300)]
    rc = write_zst(tmp_path / "RC_2024-01.zst", comments)
    whole = rc.read_bytes()
    rc.write_bytes(whole[: len(whole) // 2])  # cut inside the frame
    out = tmp_path / "out"
    assert main(["extract", str(rs), str(rc), "-o", str(out)]) == 0
    docs = list(read_documents([out]))
    assert len(docs) == 300
    with_answer = [d for d in docs if len(d.metadata["tree"]) == 2]
    assert 0 < len(with_answer) < 300  # the comments before the cut are there
    stats = _stats(out)
    assert stats["counters"]["errors"] == 1 and stats["counters"]["error:truncated"] == 1
    assert stats["counters"]["reddit_skip:not_json"] == 1
    assert stats["counters"]["reddit_skip:not_an_object"] == 1


def test_comments_in_a_later_month_and_repeated_posts(tmp_path: Path) -> None:
    late = post(
        "z9", "Asked on the last evening of January", "Does anyone know?", at=T0 + 30 * 86400
    )
    rs1 = write_zst(tmp_path / "RS_2024-01.zst", [late])
    rs2 = write_zst(tmp_path / "RS_2024-02.zst", [late])  # overlapping dumps
    rc2 = write_zst(tmp_path / "RC_2024-02.zst", [reply("k1", "z9", "Yes: answered in February.")])
    gz = tmp_path / "RC_2024-01.jsonl.gz"  # gzip and plain JSONL dumps are read too
    import gzip

    gz.write_bytes(gzip.compress(json.dumps(reply("k0", "z9", "First reply in January.")).encode()))
    out = tmp_path / "out"
    assert main(["extract", str(rs1), str(rs2), str(rc2), str(gz), "-o", str(out)]) == 0
    [doc] = list(read_documents([out]))
    assert {n["id"] for n in doc.metadata["tree"]} == {"t3_z9", "t1_k0", "t1_k1"}
    assert _stats(out)["dropped"] == {"repeated_submission": 1}


def test_grouping_memory_does_not_grow_with_the_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's peak while grouping 4x the comments stays about the same (the comments
    live in SQLite on disk, not in a dict)."""
    monkeypatch.setattr(grouping, "BATCH", 500)

    def peak(n: int) -> int:
        sub = tmp_path / f"n{n}"
        sub.mkdir()
        posts = [post(f"p{i}", f"Question {i}", "Some question text.") for i in range(n // 10)]
        comments = [
            reply(f"c{i}", f"p{i % (n // 10)}", "An answer that is a sentence long. " * 4)
            for i in range(n)
        ]
        rs = write_zst(sub / "RS_x.zst", posts)
        rc = write_zst(sub / "RC_x.zst", comments)
        del posts, comments
        settings = RedditSettings(work_dir=str(sub / "work"))
        tracemalloc.start()
        count = sum(1 for _ in dump_threads([str(rs)], [str(rc)], settings, StepStats("x")))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == n // 10
        assert not any((sub / "work").iterdir())  # the index is removed afterwards
        return top

    small, large = peak(3_000), peak(12_000)
    assert large < small * 1.6, (small, large)
    assert ExtractConfig().reddit.work_dir is None


def test_the_comment_index_lives_in_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The on-disk index is made inside the output's work folder (gone at commit), not in
    the system temp folder, so a killed run leaves nothing behind outside its output."""
    made: list[str] = []
    real_init = grouping.CommentIndex.__init__

    def spy(self: grouping.CommentIndex, work_dir: str | None = None) -> None:
        real_init(self, work_dir)
        made.append(self.dir)

    monkeypatch.setattr(grouping.CommentIndex, "__init__", spy)
    rs, rc = _dumps(tmp_path)
    out = tmp_path / "out"
    assert main(["extract", str(rs), str(rc), "-o", str(out)]) == 0
    assert made and all(Path(d).is_relative_to(out) for d in made), made
    assert not any(Path(d).exists() for d in made)
    assert len(list(read_documents([out]))) >= 1
