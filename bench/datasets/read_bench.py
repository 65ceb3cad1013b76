"""How fast documents are read from inputs of another layout (issue 11, datasets).

Writes N partner records (``body``, ``uid``, ``meta.url``, two more fields, ~1 KB of text
each) as thresher-layout JSONL, partner JSONL, CSV, Parquet, a ``save_to_disk`` folder and a
folder of Parquet data files, then times ``DocumentReader`` over each (records to Document
objects, nothing written), and, as the peer, ``datasets`` streaming the same JSONL / Parquet
on its own, row by row as usually iterated (rows as dicts, no documents). Each case runs in
its own process (median of ``--rounds``), which reports its peak RSS.

    python bench/datasets/read_bench.py [--docs 200000] [--rounds 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

TEXT = (
    "the committee published its annual report on regional water quality this week farmers "
    "in valley have started planting earlier because spring arrives sooner library opened"
)
WORDS = TEXT.split(" ")


def records(n: int) -> Iterable[dict[str, Any]]:
    rng = random.Random(11)
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(160))
        yield {
            "uid": f"p{i}",
            "body": body,
            "meta": {"url": f"https://partner.example/{i}", "votes": i % 97},
            "headline": f"headline {i}",
            "lang_hint": "en",
        }


def write_inputs(root: Path, n: int) -> dict[str, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import datasets

    rows = list(records(n))
    native = root / "native.jsonl"
    with open(native, "w") as f:
        for r in rows:
            doc = {"id": r["uid"], "url": r["meta"]["url"], "text": r["body"]}
            f.write(json.dumps({**doc, "metadata": {"votes": r["meta"]["votes"]}}) + "\n")
    partner = root / "partner.jsonl"
    with open(partner, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    table = root / "partner.csv"
    with open(table, "w", newline="") as f:
        w = csv.DictWriter(f, ["uid", "body", "meta.url", "headline", "lang_hint"])
        w.writeheader()
        for r in rows:
            flat = {k: v for k, v in r.items() if k != "meta"}
            w.writerow({**flat, "meta.url": r["meta"]["url"]})
    parquet = root / "partner.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=8192)
    data = root / "files" / "data"
    data.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(rows), data / "train-00000-of-00001.parquet", row_group_size=8192
    )
    datasets.Dataset.from_list(rows).save_to_disk(str(root / "saved"))
    return {
        "native": str(native),
        "partner": str(partner),
        "csv": str(table),
        "parquet": str(parquet),
        "saved": f"hf:{root / 'saved'}",
        "files": f"hf:{root / 'files'}",
    }


def timed(fn: Callable[[], int], rounds: int) -> dict[str, float]:
    walls: list[float] = []
    count = 0
    for _ in range(rounds):
        t = time.perf_counter()
        count = fn()
        walls.append(time.perf_counter() - t)
    wall = statistics.median(walls)
    return {"docs": count, "seconds": round(wall, 3), "docs_per_s": round(count / wall)}


def cases(inputs: dict[str, str]) -> dict[str, Callable[[], int]]:
    import datasets
    from thresher.store import DocumentReader
    from thresher.store.mapping import FieldMap

    mapping = FieldMap(text="body", id="uid", url="meta.url")

    def reader(path: str, fields: FieldMap | None) -> Callable[[], int]:
        return lambda: sum(1 for _ in DocumentReader([path], fields=fields))

    def peer(builder: str, path: str) -> Callable[[], int]:
        def run() -> int:
            ds = datasets.load_dataset(builder, data_files=path, split="train", streaming=True)
            return sum(1 for _ in ds)

        return run

    return {
        "thresher JSONL, thresher layout (no mapping)": reader(inputs["native"], None),
        "thresher JSONL, partner layout, mapped": reader(inputs["partner"], mapping),
        "thresher CSV, mapped": reader(inputs["csv"], mapping),
        "thresher Parquet, mapped": reader(inputs["parquet"], mapping),
        "thresher hf: save_to_disk folder, mapped": reader(inputs["saved"], mapping),
        "thresher hf: folder of Parquet files, mapped": reader(inputs["files"], mapping),
        "datasets streaming JSONL (rows only)": peer("json", inputs["partner"]),
        "datasets streaming Parquet (rows only)": peer("parquet", inputs["parquet"]),
    }


def run_case(name: str, inputs: dict[str, str], rounds: int) -> dict[str, float]:
    """One case in this process (started by main): its timing and this process's peak RSS."""
    result = timed(cases(inputs)[name], rounds)
    result["peak_rss_mib"] = round(peak_rss_kib() / 1024)
    return result


def peak_rss_kib() -> int:
    """This process's own peak RSS: VmHWM starts afresh at exec, while ``ru_maxrss`` keeps
    the parent's (which held every input in memory while writing them)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.case:
        print(json.dumps(run_case(args.case, json.loads(args.inputs), args.rounds)))
        return
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HF_HOME"] = str(Path(tmp) / "hf-home")
        inputs = write_inputs(Path(tmp), args.docs)
        for name in cases(inputs):  # each case in its own process: its own peak memory
            child = [sys.executable, __file__, "--case", name, "--inputs", json.dumps(inputs)]
            proc = subprocess.run(
                [*child, "--rounds", str(args.rounds)], capture_output=True, text=True, check=True
            )
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = results[name]
            print(
                f"{name:48s} {r['docs']:>8} docs {r['seconds']:>7.2f} s "
                f"{r['docs_per_s']:>8} docs/s {r['peak_rss_mib']:>6} MiB"
            )
    if args.json:
        out = {"docs": args.docs, "rounds": args.rounds, "results": results}
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
