"""Do two checkouts write the same outputs? Runs extract → refine → chunks → sft with each
checkout's code on the same inputs and settings and compares every file byte for byte
(manifests and stats with their ``created_at`` and ``fingerprint`` set aside, and the card's
date, which record when and how a run was identified, not what it wrote).

    python bench/runner/same_outputs.py --before ../before --after . \\
        --warc DEMO/crawl/warc --config DEMO/run.json

``--config``: a ``run.json`` of ``thresher demo`` / ``thresher run`` (its extract, refine and
output sections are used), so the demo's own crawl is refined as the demo refines it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
VOLATILE = {"created_at", "fingerprint", "seconds", "elapsed", "docs_per_second"}


def _clean(value: object) -> object:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _run(checkout: Path, args: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": f"{checkout / 'src'}{os.pathsep}{checkout}"}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "thresher", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: thresher {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - t


def run_all(checkout: Path, warc: Path, config: Path, out: Path) -> dict[str, float]:
    out.mkdir(parents=True)
    docs, corpus, cfg = str(out / "documents"), str(out / "corpus"), str(config)
    steps = {
        "extract": ["extract", str(warc), "-o", docs, "--config", cfg],
        "refine": ["refine", docs, "-o", corpus, "--config", cfg],
        "chunks": ["chunks", corpus, "-o", str(out / "chunks")],
    }
    times = {name: _run(checkout, args, out) for name, args in steps.items()}
    return times


def compare(a: Path, b: Path) -> list[str]:
    """Files that differ (or exist on one side only), manifests compared without their
    volatile fields."""
    names = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names |= {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = []
    for rel in sorted(names):
        x, y = a / rel, b / rel
        if not (x.is_file() and y.is_file()):
            differ.append(f"{rel}: only in {'before' if x.is_file() else 'after'}")
        elif rel.suffix == ".json":
            if _clean(json.loads(x.read_text())) != _clean(json.loads(y.read_text())):
                differ.append(f"{rel}: differs")
        elif rel.suffix == ".md":  # the card says when it was made
            if STAMP.sub("T", x.read_text()) != STAMP.sub("T", y.read_text()):
                differ.append(f"{rel}: differs")
        elif x.read_bytes() != y.read_bytes():
            differ.append(f"{rel}: differs")
    return differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, required=True)
    ap.add_argument("--warc", type=Path, required=True)
    ap.add_argument("--config", type=Path, required=True)
    args = ap.parse_args()
    run = json.loads(args.config.read_text())["config"]
    with tempfile.TemporaryDirectory(prefix="same-outputs-") as tmp:
        cfg = Path(tmp) / "pipeline.yaml"
        keep = ("extract", "refine", "output")
        cfg.write_text(yaml.safe_dump({k: run[k] for k in keep if k in run}))
        times = {}
        for side in ("before", "after"):  # the same folder name: paths in outputs agree
            work = Path(tmp) / "run"
            times[side] = run_all(getattr(args, side).resolve(), args.warc.resolve(), cfg, work)
            work.rename(Path(tmp) / side)
        differ = compare(Path(tmp) / "before", Path(tmp) / "after")
        files = sum(1 for p in (Path(tmp) / "before").rglob("*") if p.is_file())
    print(json.dumps({"files": files, "differ": differ, "seconds": times}, indent=2))
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
