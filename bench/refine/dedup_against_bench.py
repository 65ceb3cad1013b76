"""Cost of the paragraph hashes kept with a corpus and of ``--dedup-against`` on a big OLD.

1. Keeping hashes: ShardHashes over N synthetic documents (10 paragraphs each), against the
   wall time of a dedup-only refine of the same documents.
2. Dedup against an OLD of H hashes (a real small corpus whose hash file is replaced by H
   random sorted hashes plus the paragraphs of half the new documents): refine time and
   peak RSS of the process (and its RSS after imports), without OLD, with OLD at memory_mb 16
   (partitioned merge) and at 1024 (one partition).

Each refine runs in its own subprocess so that its VmHWM is that run's peak.
Usage: python bench/refine/dedup_against_bench.py [--docs 20000] [--old-hashes 10000000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CONFIG = {
    "langid": {"enabled": False},
    "length": {"min_length": 0},
    "gopher_repetition": {"enabled": False},
    "gopher_quality": {"enabled": False},
    "c4": {"enabled": False},
    "fineweb": {"enabled": False},
    "pii": {"enabled": False},
}

CHILD = """
import json, sys, time
from thresher.refine import RefineConfig, refine
cfg = RefineConfig.model_validate(json.loads(sys.argv[3]))
import thresher.refine.steps, thresher.refine.dedup, thresher.store  # imports before the baseline
def hwm():  # VmHWM: this process's peak RSS (ru_maxrss survives exec from the parent)
    line = next(x for x in open("/proc/self/status") if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
before = hwm()
t = time.perf_counter()
r = refine(sys.argv[1], sys.argv[2], cfg)
dt = time.perf_counter() - t
st = next(s for s in r.stats if s.name == "paragraph_dedup")
print(json.dumps({"seconds": dt, "documents": r.documents,
                  "rss_before_mb": before,
                  "peak_rss_mb": hwm(),
                  "dropped": dict(st.dropped)}))
"""


def paragraphs(n: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [" ".join("".join(rng.choices(letters, k=6)) for _ in range(12)) for _ in range(n)]


def run(inp: Path, out: Path, cfg: dict[str, object]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(inp), str(out), json.dumps(cfg)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--old-hashes", type=int, default=10_000_000)
    args = ap.parse_args()
    from thresher.refine.dedup import SKIP, line_hashes
    from thresher.refine.paragraph_hashes import HASHES, ShardHashes
    from thresher.store.writers import sha256_file

    rng = random.Random(1)
    paras = paragraphs(args.docs * 10, rng)
    texts = ["\n".join(paras[10 * i : 10 * i + 10]) for i in range(args.docs)]
    root = Path(tempfile.mkdtemp(prefix="dedup-against-"))
    inp = root / "new.jsonl"
    with open(inp, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"n{i}", "text": t}) + "\n")

    t = time.perf_counter()
    kept = ShardHashes()
    for text in texts:
        kept.add(text)
    kept.save(root / "h.u64")
    keep_s = time.perf_counter() - t

    small = root / "small.jsonl"
    small.write_text(json.dumps({"id": "s", "text": "one lonely paragraph of words"}) + "\n")
    base = run(small, root / "OLD", CONFIG)  # a real corpus, then a big hash file put in
    gen = np.random.default_rng(2)
    half = np.array(
        [h for t in texts[: args.docs // 2] for h in line_hashes(t) if h != SKIP], dtype=np.uint64
    )
    big = np.unique(
        np.concatenate([gen.integers(1, 2**63, args.old_hashes, dtype=np.uint64), half])
    )
    (root / "OLD" / HASHES).write_bytes(big.astype("<u8").tobytes())
    manifest = json.loads((root / "OLD" / "manifest.json").read_text())
    manifest["hashes"].update(
        bytes=(root / "OLD" / HASHES).stat().st_size,
        sha256=sha256_file(root / "OLD" / HASHES),
        count=len(big),
    )
    (root / "OLD" / "manifest.json").write_text(json.dumps(manifest))
    del big, half

    dedup = {"memory_mb": 16}
    plain = run(inp, root / "plain", {**CONFIG, "dedup": dedup})
    against = run(
        inp, root / "against", {**CONFIG, "dedup": {**dedup, "against": [str(root / "OLD")]}}
    )
    whole = run(
        inp,
        root / "whole",
        {**CONFIG, "dedup": {"memory_mb": 1024, "against": [str(root / "OLD")]}},
    )
    result = {
        "docs": args.docs,
        "paragraphs": args.docs * 10,
        "keep_hashes_seconds": round(keep_s, 2),
        "refine_plain": plain,
        "refine_against_memory_mb_16": against,
        "refine_against_memory_mb_1024": whole,
        "old_hashes": manifest["hashes"]["count"],
        "small_corpus": base["documents"],
    }
    print(json.dumps(result, indent=1))
    with open(Path(__file__).with_name("results-dedup-against.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
