"""Throughput of ``thresher sft`` and ``thresher chunks`` on generated inputs (one core).

sft: N forum threads as recipe post records (4 posts each, one paginated page in four);
chunks: N Markdown documents of about 880 tokens (headings, lists, code, prose). Each
export runs in this process through its Python API, output to a temporary folder; the
figure is input records (threads or documents) per second, best of ``--repeat`` runs.

    .venv/bin/python bench/ship/bench_exports.py --threads 5000 --docs 2000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from thresher.ship.chunks import export_chunks
from thresher.ship.sft import SftConfig, export_sft

WORDS = re.findall(
    r"\w+",
    "frame wheel chain brake tyre saddle route map steel gear hub spoke rim pedal"
    " tour bag climb descent rain road gravel trail night light pump tube patch lever",
)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def thread_records(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for t in range(n):
        authors = ["asker", "a1", "a2", "asker"]
        for i, author in enumerate(authors):
            page = 10 if (t % 4 == 0 and i >= 2) else 0
            rows.append({
                "id": f"{t}-{i}",
                "url": f"https://b.example/viewtopic.php?t={t}" + (f"&start={page}" * bool(page)),
                "author": author,
                "title": f"Question {t}",
                "text": " ".join(_sentence(rng, 12) for _ in range(3)),
                "metadata": {"recipe": "phpbb", "record_type": "post",
                             "thread": f"b.example/{t}", "page": page, "position": i,
                             "fields": {"score": str(rng.randint(0, 9))}},
            })  # fmt: skip
    return rows


def markdown_docs(n: int, rng: random.Random) -> list[dict[str, Any]]:
    docs = []
    for d in range(n):
        parts = [f"# Document {d}"]
        for s in range(4):
            parts.append(f"## Section {s}")
            parts.append(" ".join(_sentence(rng, 14) for _ in range(8)))
            parts.append("\n".join(f"- {_sentence(rng, 6)}" for _ in range(5)))
            parts.append("```\n" + "\n".join(f"x{i} = {i}" for i in range(6)) + "\n```")
            parts.append(f"See [the {s} notes](https://e.example/{d}/{s}) and ![a](/{d}.png).")
        md = "\n\n".join(parts)
        docs.append({"id": str(d), "url": f"https://e.example/{d}", "text": md, "markdown": md})
    return docs


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=5000)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = ap.parse_args()
    rng = random.Random(1)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        threads = _write(root / "threads.jsonl", thread_records(args.threads, rng))
        docs = _write(root / "docs.jsonl", markdown_docs(args.docs, rng))
        runs = iter(range(10**6))
        for label, cfg in (
            ("sft alpaca, exact + near dedup", SftConfig()),
            ("sft messages, no dedup", SftConfig(format="messages", dedup=False, near_dedup=False)),
            ("sft alpaca + --languages en", SftConfig(languages=["en"])),
        ):
            secs = best(
                lambda c=cfg: export_sft([threads], root / f"s{next(runs)}", c), args.repeat
            )
            results[label] = {"threads": args.threads, "seconds": round(secs, 3),
                              "per_second": round(args.threads / secs)}  # fmt: skip
        for label, (mx, ov, fmt) in (
            ("chunks 256/32 jsonl", (256, 32, "jsonl")),
            ("chunks 512/0 parquet", (512, 0, "parquet")),
        ):
            secs = best(
                lambda m=mx, o=ov, f=fmt: export_chunks(
                    [docs], root / f"c{next(runs)}", max_tokens=m, overlap=o, fmt=f
                ),
                args.repeat,
            )
            results[label] = {"docs": args.docs, "seconds": round(secs, 3),
                              "per_second": round(args.docs / secs)}  # fmt: skip
    for label, r in results.items():
        print(f"{label:34s} {r['per_second']:>8,}/s  ({r['seconds']} s)")
    args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
