"""What refine says: exit 1 with why when it keeps nothing, progress from its first second,
"resuming: N of M", drop reasons never cut without "+N more", a missing text field listing the
fields found, a non-UTF-8 file named an encoding problem, and how to read a Parquet corpus."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import pytest

from thresher.cli import main
from thresher.errors import NothingToDoError
from thresher.refine import RefineConfig, refine
from thresher.refine.notes import top_reasons

from .helpers import LIGHT_REFINE_YAML, SENTENCES, write_jsonl

pytestmark = pytest.mark.timeout(120)


def _light(tmp_path: Path) -> Path:
    cfg = tmp_path / "light.yaml"
    cfg.write_text(LIGHT_REFINE_YAML, encoding="utf-8")
    return cfg


def _letters(n: int) -> str:
    """A number in letters: digits all normalise to 0, and the paragraphs would dedup away."""
    return str(n).translate(str.maketrans("0123456789", "abcdefghij"))


def _records(n: int, tag: str = "") -> list[dict[str, Any]]:
    """``n`` documents of one distinct paragraph each (en, de, fr in turn)."""
    langs = sorted(SENTENCES)
    return [
        {"id": f"{tag}{i}", "text": f"{SENTENCES[langs[i % 3]][i % 3]} {tag}{_letters(i)}"}
        for i in range(n)
    ]


def test_refine_that_keeps_nothing_exits_1_with_the_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every document too short (default length 200): before, exit 0 and an empty corpus."""
    records = [{"text": f"short text {_letters(i)}"} for i in range(5)]
    write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    assert main(["refine", str(tmp_path / "in.jsonl"), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("thresher: error: ") and "no document kept: 5 read" in err
    assert "every one dropped (length: " in err
    assert not (out / "manifest.json").exists()


def test_top_reasons_never_cut_silently() -> None:
    counts = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    assert top_reasons(counts) == "a 5, b 4, c 3 (+2 more)"
    assert top_reasons({"a": 1, "b": 1}, sep=": ") == "a: 1, b: 1"


def test_summary_lists_more_than_three_reasons_with_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Five read problems: the summary names three and says '+2 more'."""
    lines = [json.dumps(r) for r in _records(6)]
    lines += ["not json", "[1, 2]", json.dumps({"title": "no text"}), "\xff".encode("latin-1")]
    path = tmp_path / "in.jsonl"
    with open(path, "wb") as f:
        for line in lines:
            f.write((line if isinstance(line, bytes) else line.encode()) + b"\n")
        f.write(b"x" * 10 + b"\n")  # one more invalid line
    code = main(["refine", str(path), "-o", str(tmp_path / "out"), "-c", str(_light(tmp_path))])
    assert code == 0
    printed = capsys.readouterr().out
    read = next(line for line in printed.splitlines() if line.strip().startswith("read:"))
    assert "(+1 more)" in read and "invalid_json: 2" in read


def test_progress_from_the_first_second_and_resume_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from thresher.refine import tasks

    for s in range(2):
        write_jsonl(tmp_path / "in" / f"s{s}.jsonl", _records(30, tag=f"s{_letters(s)}-"))
    args = [
        "refine",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "-c",
        str(_light(tmp_path)),
    ]
    real = tasks.final_shard

    def fail_shard_1(task: Any, work: Any, progress: Any = None) -> Any:
        if task.shard == 1:
            raise OSError(28, "No space left on device")
        return real(task, work, progress)

    monkeypatch.setattr(tasks, "final_shard", fail_shard_1)
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[thresher] refine: ")]
    assert lines[0] == "[thresher] refine: paragraph_dedup: scanning 2 shards"
    assert any("refining 2 of 2 shards" in line for line in lines)
    monkeypatch.setattr(tasks, "final_shard", real)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "[thresher] refine: resuming: 1 of 2 shards done" in err
    assert "refining 1 of 2 shards" in err


def test_a_slow_phase_is_announced_a_quick_one_is_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Hashing big inputs is announced after a second; a quick error stays the only line."""
    import io
    import time

    from thresher.progress import Reporter
    from thresher.refine.notes import slow_phase

    stream = io.StringIO()
    with Reporter("refine", stream=stream, force_terminal=False) as rep:
        with slow_phase(rep, "quick", after=0.5):
            pass
        with slow_phase(rep, "hashing inputs", after=0.05):
            time.sleep(0.5)
    assert "quick" not in stream.getvalue()
    assert "[thresher] refine: hashing inputs\n" in stream.getvalue()


def test_text_field_missing_lists_the_fields_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"body": "x", "link": "u", "meta": {"a": 1}}] * 3)
    out = tmp_path / "out"
    assert (
        main(["refine", str(tmp_path / "in.jsonl"), "-o", str(out), "--text-field", "content"]) == 1
    )
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines
    assert err.startswith("thresher: error: ")
    assert "no field 'content'; fields found: body, link, meta" in err
    assert "in.jsonl:1" in err


def test_cp1252_input_is_an_encoding_problem_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    good = json.dumps({"text": "plain ascii first line"}).encode()
    bad = json.dumps({"text": "café crème"}, ensure_ascii=False).encode("cp1252")
    path.write_bytes(bad + b"\n" + bad + b"\n")
    with pytest.raises(NothingToDoError) as err:
        refine([path], tmp_path / "out", RefineConfig())
    message = str(err.value)
    assert "not_utf8 2" in message and "latin.jsonl:1: not UTF-8" in message
    assert "invalid_json" not in message
    path.write_bytes(good + b"\n" + bad + b"\n")  # one good line: counted, not fatal
    off = {"enabled": False}
    cfg = RefineConfig.model_validate(
        {
            "length": {"min_length": 0},
            "langid": off,
            "gopher_quality": off,
            "fineweb": off,
            "c4": off,
        }
    )
    result = refine([path], tmp_path / "out2", cfg)
    read = next(s for s in result.stats if s.name == "read")
    assert read.dropped["not_utf8"] == 1 and "invalid_json" not in read.dropped
    assert "error: latin.jsonl:2: not UTF-8 text (cp1252 or Latin-1?)" in read.counters


def test_parquet_corpus_reads_with_the_documented_glob(tmp_path: Path) -> None:
    """``pd.read_parquet(DIR)`` cannot work (manifest.json, stats.json, README.md sit beside
    the parts and pyarrow reads every file of a folder as Parquet); the glob docs/refine.md
    shows reads every document, and not the dropped ones."""
    import pandas as pd

    from thresher.store.config import OutputConfig

    write_jsonl(tmp_path / "in.jsonl", [*_records(40), {"text": "x"}])
    off = {"enabled": False}
    cfg = RefineConfig.model_validate(
        {"length": {"min_length": 5}, "gopher_quality": off, "gopher_repetition": off, "c4": off,
         "fineweb": off}
    )  # fmt: skip
    out = tmp_path / "corpus"
    output = OutputConfig(formats=["parquet", "jsonl.gz"], keep_dropped=True)
    result = refine([tmp_path / "in.jsonl"], out, cfg, output)
    assert result.documents > 0 and (out / "dropped").is_dir()
    df = pd.read_parquet(sorted(glob.glob(f"{out}/*/*/part-*.parquet")))
    assert len(df) == result.documents
    assert {"id", "text", "language", "bucket"} <= set(df.columns)
    with pytest.raises(Exception, match=r"[Pp]arquet"):
        pd.read_parquet(out)
