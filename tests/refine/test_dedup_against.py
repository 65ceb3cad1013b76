"""refine --dedup-against: the paragraph hashes kept with a corpus, and a later run that drops
what an earlier corpus already holds (in-process and through the CLI)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from thresher.errors import InputError, NothingToDoError, OutputError
from thresher.refine import RefineConfig, refine
from thresher.refine.dedup import SKIP, line_hashes
from thresher.refine.paragraph_hashes import HASHES
from thresher.store import verify

from .helpers import corpus, write_jsonl

#: steps that would drop random-word text are off: only dedup (and a length floor) decide
BASE = {
    "langid": {"enabled": False},
    "length": {"min_length": 0},
    "gopher_repetition": {"enabled": False},
    "gopher_quality": {"enabled": False},
    "c4": {"enabled": False},
    "fineweb": {"enabled": False},
    "pii": {"enabled": False},
}
CONFIG_YAML = "refine:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in BASE.items())


def paragraphs(n: int, seed: int = 3) -> list[str]:
    """``n`` distinct paragraphs of random letters-only words (digits would normalise alike)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [
        " ".join("".join(rng.choice(letters) for _ in range(6)) for _ in range(12))
        for _ in range(n)
    ]


P = paragraphs(100)


def doc(i: int, paras: list[str]) -> dict[str, str]:
    return {"id": f"d{i}", "text": "\n".join(paras), "url": f"https://example.org/{i}"}


def old_and_new(root: Path) -> tuple[Path, Path]:
    """OLD: 10 documents of 3 paragraphs (P0-P29). NEW: 5 copies of OLD documents, 5 with one
    OLD paragraph and two new ones, 5 all new."""
    old = [doc(i, P[3 * i : 3 * i + 3]) for i in range(10)]
    new = [doc(100 + i, P[3 * i : 3 * i + 3]) for i in range(5)]
    new += [doc(200 + i, [P[15 + i], P[30 + 2 * i], P[31 + 2 * i]]) for i in range(5)]
    new += [doc(300 + i, P[50 + 3 * i : 53 + 3 * i]) for i in range(5)]
    return write_jsonl(root / "old.jsonl", old), write_jsonl(root / "new.jsonl", new)


def config(**dedup: object) -> RefineConfig:
    return RefineConfig.model_validate({**BASE, "dedup": dedup})


def hashes_of(texts: list[str]) -> np.ndarray:
    return np.unique(
        np.array([h for t in texts for h in line_hashes(t) if h != SKIP], dtype=np.uint64)
    )


def test_corpus_keeps_its_paragraph_hashes_listed_and_verified(tmp_path: Path) -> None:
    old_in, _ = old_and_new(tmp_path)
    out = tmp_path / "OLD"
    refine(old_in, out, config())
    kept = np.fromfile(out / HASHES, dtype="<u8")
    assert np.array_equal(kept, hashes_of([d.text for d in corpus(out).values()]))
    assert len(kept) == 30
    entry = json.loads((out / "manifest.json").read_text())["hashes"]
    assert entry["path"] == HASHES and entry["count"] == 30 and entry["bytes"] == 240
    assert verify(out).ok
    with open(out / HASHES, "r+b") as f:  # one flipped byte: verify says so
        f.write(b"\xff")
    assert any(HASHES in p for p in verify(out).problems)


def test_dedup_against_drops_what_the_earlier_corpus_holds(tmp_path: Path) -> None:
    old_in, new_in = old_and_new(tmp_path)
    old, new = tmp_path / "OLD", tmp_path / "NEW"
    refine(old_in, old, config())
    result = refine(new_in, new, config(against=[str(old)]))
    docs = corpus(new)
    assert sorted(docs) == [f"d{200 + i}" for i in range(5)] + [f"d{300 + i}" for i in range(5)]
    for i in range(5):  # the OLD paragraph went, the two new ones stayed
        assert docs[f"d{200 + i}"].text == "\n".join([P[30 + 2 * i], P[31 + 2 * i]])
    st = next(s for s in result.stats if s.name == "paragraph_dedup")
    key = str(old.resolve())
    assert st.dropped["in earlier corpus"] == 5
    assert st.counters[f"documents in earlier corpus: {key}"] == 5
    assert st.counters[f"paragraphs in earlier corpus: {key}"] == 5 * 3 + 5
    assert verify(new).ok
    assert refine(new_in, new, config(against=[str(old)])).skipped  # same run: nothing to do
    # the new corpus's own hashes: what it kept, not what the earlier corpus had
    assert len(np.fromfile(new / HASHES, dtype="<u8")) == 5 * 2 + 5 * 3


def test_keep_first_and_two_earlier_corpora_say_which_matched(tmp_path: Path) -> None:
    a_in = write_jsonl(tmp_path / "a.jsonl", [doc(1, P[0:3])])
    b_in = write_jsonl(tmp_path / "b.jsonl", [doc(2, P[3:6])])
    new_in = write_jsonl(
        tmp_path / "n.jsonl", [doc(10, P[0:3]), doc(11, P[3:6]), doc(12, [P[4], P[90]])]
    )
    a, b, new = tmp_path / "A", tmp_path / "B", tmp_path / "N"
    refine(a_in, a, config())
    refine(b_in, b, config())
    result = refine(new_in, new, config(policy="keep-first", against=[str(a), str(b)]))
    assert {k: d.text for k, d in corpus(new).items()} == {"d12": P[90]}
    st = next(s for s in result.stats if s.name == "paragraph_dedup")
    ka, kb = str(a.resolve()), str(b.resolve())
    assert st.counters[f"documents in earlier corpus: {ka}"] == 1
    assert st.counters[f"documents in earlier corpus: {kb}"] == 1
    assert st.counters[f"paragraphs in earlier corpus: {kb}"] == 4


def test_another_earlier_corpus_is_another_run(tmp_path: Path) -> None:
    old_in, new_in = old_and_new(tmp_path)
    old, other, new = tmp_path / "OLD", tmp_path / "OTHER", tmp_path / "NEW"
    refine(old_in, old, config())
    refine(new_in, other, config())
    refine(new_in, new, config(against=[str(old)]))
    with pytest.raises(OutputError):
        refine(new_in, new, config(against=[str(other)]))
    # every paragraph of NEW is in OTHER: nothing kept is exit 1 with why, no empty corpus
    # is written, and the earlier corpus stays as it was (a failed run replaces nothing)
    before = (new / "manifest.json").read_bytes()
    with pytest.raises(NothingToDoError, match=r"every one dropped \(paragraph_dedup: in earlier"):
        refine(new_in, new, config(against=[str(other)]), overwrite=True)
    assert (new / "manifest.json").read_bytes() == before
    assert verify(new).ok and not (new / ".refine-work").exists()


def test_bad_earlier_corpus_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    old_in, new_in = old_and_new(tmp_path)
    old = tmp_path / "OLD"
    refine(old_in, old, config())
    (tmp_path / "empty").mkdir()
    for bad, words in [
        (tmp_path / "empty", "not a corpus folder"),
        (tmp_path / "missing", "not a corpus folder"),
        (tmp_path / "NEW", "output folder itself"),
    ]:
        with pytest.raises(InputError, match=words):
            refine(new_in, tmp_path / "NEW", config(against=[str(bad)]))
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["hashes"]  # a corpus made by an older version
    (old / "manifest.json").write_text(json.dumps(manifest))
    (old / HASHES).unlink()
    with pytest.raises(InputError, match="no paragraph hashes"):
        refine(new_in, tmp_path / "NEW", config(against=[str(old)]))
    assert not (tmp_path / "NEW").exists()


def test_cli_dedup_against_and_one_line_error(tmp_path: Path) -> None:
    old_in, new_in = old_and_new(tmp_path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(CONFIG_YAML)
    cli = [sys.executable, "-m", "thresher", "refine", "-c", str(cfg)]
    run = subprocess.run([*cli, str(old_in), "-o", str(tmp_path / "OLD")], capture_output=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [*cli, str(new_in), "-o", str(tmp_path / "NEW"), "--dedup-against", str(tmp_path / "OLD")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "10 documents written" in run.stdout
    assert "in earlier corpus: 5" in run.stdout
    assert f"{(tmp_path / 'OLD').resolve()}: held 5 documents entirely" in run.stdout
    run = subprocess.run(
        [*cli, str(new_in), "-o", str(tmp_path / "X"), "--dedup-against", str(old_in)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.strip().startswith("thresher: error:") and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "X").exists()


@pytest.mark.parametrize("policy", ["ccnet", "keep-first"])
def test_hash_partitions_give_the_same_result(
    tmp_path: Path, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OLD's hashes read partition by partition (8 of them) drop the same paragraphs, and the
    kept hashes merged by partition are the same file."""
    old_in, new_in = old_and_new(tmp_path)
    old = tmp_path / "OLD"
    refine(old_in, old, config())
    refine(new_in, tmp_path / "one", config(policy=policy, against=[str(old)]))
    import thresher.refine.dedup as dedup
    import thresher.refine.paragraph_hashes as kept

    monkeypatch.setattr(dedup, "_partition_bits", lambda entries, memory_mb: 3)
    monkeypatch.setattr(kept, "_partition_bits", lambda entries, memory_mb: 3)
    result = refine(new_in, tmp_path / "many", config(policy=policy, against=[str(old)]))
    st = next(s for s in result.stats if s.name == "paragraph_dedup")
    assert st.counters["hash partitions"] == 8
    one, many = corpus(tmp_path / "one"), corpus(tmp_path / "many")
    assert {k: d.text for k, d in one.items()} == {k: d.text for k, d in many.items()}
    assert (tmp_path / "one" / HASHES).read_bytes() == (tmp_path / "many" / HASHES).read_bytes()


def test_a_pipeline_outside_refine_dedups_against_too(tmp_path: Path) -> None:
    from thresher.document import Document
    from thresher.pipeline.base import Pipeline
    from thresher.refine.config import DedupConfig
    from thresher.refine.dedup import ParagraphDedup

    old_in, _ = old_and_new(tmp_path)
    refine(old_in, tmp_path / "OLD", config())
    step = ParagraphDedup(DedupConfig(against=[str(tmp_path / "OLD")]))
    docs = [Document(text="\n".join([P[0], P[95]]), id="a"), Document(text=P[1], id="b")]
    out = list(Pipeline([step]).run(docs))
    assert [(d.id, d.text) for d in out] == [("a", P[95])]
    assert step.stats.dropped["in earlier corpus"] == 1


def test_a_finalise_that_failed_is_done_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the dropped documents were committed, before the hashes and the manifest:
    the next run finishes the same output."""
    from thresher.refine import finalise as fin
    from thresher.store.config import OutputConfig

    old_in, new_in = old_and_new(tmp_path)
    files = [old_in, new_in]
    output = OutputConfig(keep_dropped=True)
    refine(files, tmp_path / "ref", config(), output)

    def boom(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fin, "merge_hashes", boom)
    with pytest.raises(KeyboardInterrupt):
        refine(files, tmp_path / "OUT", config(), output)
    assert (tmp_path / "OUT" / "dropped" / "manifest.json").is_file()
    assert not (tmp_path / "OUT" / "manifest.json").exists()
    monkeypatch.undo()
    result = refine(files, tmp_path / "OUT", config(), output)
    assert not result.skipped
    for rel in ("", "dropped"):
        ref = json.loads((tmp_path / "ref" / rel / "manifest.json").read_text())["parts"]
        got = json.loads((tmp_path / "OUT" / rel / "manifest.json").read_text())["parts"]
        assert [p["sha256"] for p in got] == [p["sha256"] for p in ref]
        assert verify(tmp_path / "OUT" / rel).ok
    assert (tmp_path / "OUT" / HASHES).read_bytes() == (tmp_path / "ref" / HASHES).read_bytes()
