"""refine --keep-dropped: dropped documents with the step and reason in DIR/dropped/, with
their own manifest; the corpus itself unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from thresher.refine import RefineConfig, refine
from thresher.store import find_manifests, read_documents, verify
from thresher.store.config import OutputConfig

from .helpers import corpus, write_jsonl
from .test_dedup_against import BASE, CONFIG_YAML, P, doc


def inputs(root: Path) -> list[Path]:
    """Two files: repeated paragraphs (dedup drops), short texts (length drops), kept ones."""
    a = [doc(i, P[3 * i : 3 * i + 3]) for i in range(6)]
    a += [doc(50, [P[0]]), doc(51, [P[1]])]  # only paragraphs seen elsewhere: empty after dedup
    b = [doc(60 + i, [f"tiny {'abcdefgh'[i]}"]) for i in range(4)]  # under 40 characters
    b += [doc(70 + i, P[40 + 3 * i : 43 + 3 * i]) for i in range(4)]
    return [write_jsonl(root / "in" / "a.jsonl", a), write_jsonl(root / "in" / "b.jsonl", b)]


def config() -> RefineConfig:
    return RefineConfig.model_validate(
        {**BASE, "dedup": {"policy": "keep-first"}, "length": {"min_length": 40}}
    )


def part_digests(out: Path) -> list[tuple[str, str]]:
    return [
        (p["path"], p["sha256"]) for p in json.loads((out / "manifest.json").read_text())["parts"]
    ]


def test_dropped_documents_are_kept_with_step_and_reason(tmp_path: Path) -> None:
    out, plain = tmp_path / "OUT", tmp_path / "PLAIN"
    files = inputs(tmp_path)
    result = refine(files, out, config(), OutputConfig(keep_dropped=True), workers=2)
    refine(files, plain, config(), workers=2)
    assert part_digests(out) == part_digests(plain)  # the corpus is byte for byte the same
    dropped = list(read_documents([out / "dropped"]))
    reasons = Counter(
        (d.metadata["dropped"]["step"], d.metadata["dropped"]["reason"]) for d in dropped
    )
    expected = Counter(
        {(s.name, r): n for s in result.stats if s.name != "read" for r, n in s.dropped.items()}
    )
    assert reasons == expected
    assert sum(n for (step, _), n in reasons.items() if step == "length") == 4
    assert sum(n for (step, _), n in reasons.items() if step == "paragraph_dedup") == 2
    assert {d.id for d in dropped} == {"d50", "d51", "d60", "d61", "d62", "d63"}
    # verify covers both manifests; reading the corpus folder leaves the dropped ones out
    assert [m.relative_to(out).as_posix() for m in find_manifests(out)] == [".", "dropped"]
    assert all(verify(m).ok for m in find_manifests(out))
    assert json.loads((out / "dropped" / "manifest.json").read_text())["kind"] == "dropped"
    assert set(corpus(out)) == set(corpus(plain))
    assert len(corpus(out)) == 10
    # a rerun does nothing; another run with --overwrite replaces it all (dropped/ too)
    assert refine(files, out, config(), OutputConfig(keep_dropped=True), workers=2).skipped
    refine(files, out, config(), overwrite=True)
    assert not (out / "dropped").exists()
    assert part_digests(out) == part_digests(plain)


def test_cli_keep_dropped_then_verify(tmp_path: Path) -> None:
    inputs(tmp_path)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(CONFIG_YAML.replace('"min_length": 0', '"min_length": 40'))
    out = tmp_path / "OUT"
    cmd = [sys.executable, "-m", "thresher", "refine", "-c", str(cfg), str(tmp_path / "in")]
    run = subprocess.run([*cmd, "-o", str(out), "--keep-dropped"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (out / "dropped" / "manifest.json").is_file()
    assert f"dropped documents kept in {out}/dropped" in run.stdout
    check = subprocess.run(
        [sys.executable, "-m", "thresher", "verify", str(out)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "dropped/manifest.json: 1 parts, 6 documents" in check.stdout.replace("\n", "")
    again = subprocess.run([*cmd, "-o", str(out), "--keep-dropped"], capture_output=True, text=True)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    # a corpus folder given as input: its dropped documents are not read back
    out2 = tmp_path / "OUT2"
    run = subprocess.run([*cmd[:-1], str(out), "-o", str(out2)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(corpus(out2)) == len(corpus(out))
