"""A refine run killed half-way resumes on the next run and ends with the same corpus."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from thresher.store import read_documents, verify

from .helpers import LIGHT_REFINE_YAML, SENTENCES, write_jsonl

CONFIG = (
    LIGHT_REFINE_YAML
    + """\
output:
  formats: [jsonl.gz, parquet]
"""
)


def _letters(n: int) -> str:
    """A number spelled in letters: digits would all normalise to 0 and dedup away."""
    return str(n).translate(str.maketrans("0123456789", "abcdefghij"))


def _inputs(root: Path, shards: int = 4, per_shard: int = 3000) -> Path:
    folder = root / "in"
    langs = sorted(SENTENCES)
    for s in range(shards):
        records = []
        for i in range(per_shard):
            lang = langs[(s + i) % len(langs)]
            sentence = SENTENCES[lang][i % 3]
            records.append(
                {
                    "id": f"s{s}-{i}",
                    "text": f"Shared menu line\n{sentence}\nunique {_letters(s)} {_letters(i)}",
                }
            )
        write_jsonl(folder / f"shard-{s}.jsonl", records)
    return folder


def _refine_cmd(inp: Path, out: Path, cfg: Path) -> list[str]:
    return [sys.executable, "-m", "thresher", "refine", str(inp), "-o", str(out), "-c", str(cfg)]


def _docs(out: Path) -> list[tuple[str, str, str | None]]:
    return sorted((d.id or "", d.text, d.language) for d in read_documents([out]))


def test_kill_then_resume_gives_the_same_corpus(tmp_path: Path) -> None:
    inp = _inputs(tmp_path)
    cfg = tmp_path / "refine.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    killed = tmp_path / "killed"
    marker = killed / ".refine-work" / "out" / "00000.done.json"
    proc = subprocess.Popen(
        _refine_cmd(inp, killed, cfg), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert marker.exists(), "the run ended before its first shard was done"
    assert not (killed / "manifest.json").exists(), "the run finished before it was killed"
    resumed = subprocess.run(_refine_cmd(inp, killed, cfg), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert verify(killed).ok
    assert not (killed / ".refine-work").exists()

    clean = tmp_path / "clean"
    subprocess.run(_refine_cmd(inp, clean, cfg), check=True, capture_output=True)
    assert _docs(killed) == _docs(clean)
    listed = sorted(p.relative_to(killed).as_posix() for p in killed.rglob("part-*"))
    assert listed == sorted(p.relative_to(clean).as_posix() for p in clean.rglob("part-*"))
    # the resumed run wrote only the shards the killed one had not finished
    written = int(re.findall(r"refine: done (\d+)", resumed.stderr)[-1])
    total = sum(1 for _ in read_documents([clean]))
    assert 0 < written < total

    again = subprocess.run(_refine_cmd(inp, killed, cfg), capture_output=True, text=True)
    assert again.returncode == 0 and "nothing to do" in again.stdout
