"""The quality_model step against datatrove's fastText filter, on the same input in the same run.

Both tools get a classifier trained on the same texts (prose vs boilerplate of the trafilatura
evaluation pages: positive = a page's paragraphs, negative = its menus and link lists; see
bench/classifier/compare.py) and score the same DOCS documents (those texts cycled, mean about
2.8 KB), one process, one core each:

* thresher: ``train-quality --positive --negative`` (scikit-learn), then read JSONL →
  ``quality_model`` step (threshold 0.5) → JSONL;
* datatrove 0.10.1: fastText's supervised trainer (the ``fasttext-numpy2-wheel`` it depends on),
  then ``JsonlReader → FastTextClassifierFilter(keep_labels=[("good", 0.5)]) → JsonlWriter``
  in a LocalPipelineExecutor with one task, in its own virtualenv (datatrove is never a
  thresher dependency)::

      python3 -m venv /tmp/dtquality-venv
      /tmp/dtquality-venv/bin/pip install "datatrove[processing]==0.10.1"

Usage: python bench/refine/quality_step.py EVAL_DIR [--docs 5000] [--datatrove-python PY]
Prints one JSON line per tool: documents, kept, seconds, docs/s and docs per CPU-second, and
the agreement of the two tools' decisions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "classifier"))
from compare import page_sets

DATATROVE = r"""
import json, os, sys, tempfile, time
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="hf-"))
pos, neg, src, out, work = sys.argv[1:6]
import fasttext
train = os.path.join(work, "train.txt")
with open(train, "w") as f:
    for path, label in ((pos, "good"), (neg, "bad")):
        for line in open(path):
            f.write(f"__label__{label} " + " ".join(json.loads(line)["text"].split()) + "\n")
t0 = time.perf_counter()
model = fasttext.train_supervised(train, epoch=25, lr=0.5, wordNgrams=2, dim=50, bucket=2**20,
                                  minCount=1, verbose=0, thread=1)
train_s = time.perf_counter() - t0
model.save_model(os.path.join(work, "quality.bin"))
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import FastTextClassifierFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
pipeline = [
    JsonlReader(os.path.dirname(src), glob_pattern=os.path.basename(src)),
    FastTextClassifierFilter(os.path.join(work, "quality.bin"), keep_labels=[("good", 0.5)]),
    JsonlWriter(out, output_filename="kept.jsonl.gz"),
]
t0, c0 = time.perf_counter(), time.process_time()
LocalPipelineExecutor(pipeline, tasks=1, workers=1, logging_dir=os.path.join(work, "logs")).run()
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
import gzip
kept = [json.loads(l)["id"] for l in gzip.open(os.path.join(out, "kept.jsonl.gz"), "rt")]
print(json.dumps({"train_s": train_s, "seconds": seconds, "cpu": cpu, "kept_ids": kept}))
"""


def write_jsonl(path: Path, texts: list[str], prefix: str) -> Path:
    with path.open("w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"{prefix}{i}", "text": t}) + "\n")
    return path


def run_thresher(pos: Path, neg: Path, src: Path, work: Path) -> dict[str, Any]:
    from thresher.refine.quality_score import QualityScore
    from thresher.refine.quality_train import labelled_set, train_quality
    from thresher.store import read_documents
    from thresher.store.writers import CorpusWriter

    t0 = time.perf_counter()
    report = train_quality(labelled_set([pos], [neg]), work / "model")
    train_s = time.perf_counter() - t0
    step = QualityScore(str(work / "model"), threshold=0.5)
    t0, c0 = time.perf_counter(), time.process_time()
    writer = CorpusWriter(work / "out", formats=("jsonl.gz",), partition=())
    kept = []
    for doc in step.run(read_documents(src)):
        writer.write(doc)
        kept.append(doc.id)
    writer.close()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    docs = step.stats.seen
    scored = [d for d in read_documents(src)]  # the step alone, on documents in memory
    alone = QualityScore(str(work / "model"), threshold=0.5)
    c1 = time.process_time()
    for _ in alone.run(scored):
        pass
    step_cpu = time.process_time() - c1
    return {
        "tool": "thresher quality_model", "documents": docs, "kept": len(kept),
        "train_s": round(train_s, 2), "held_out": report.metrics,
        "seconds": round(seconds, 2), "docs_per_s": round(docs / seconds),
        "docs_per_cpu_s": round(docs / cpu), "step_alone_docs_per_cpu_s": round(docs / step_cpu),
        "kept_ids": kept,
    }  # fmt: skip


def run_datatrove(py: str, pos: Path, neg: Path, src: Path, work: Path, docs: int) -> dict:
    script = work / "dt.py"
    script.write_text(DATATROVE)
    (work / "dt").mkdir()
    done = subprocess.run(
        [py, str(script), str(pos), str(neg), str(src), str(work / "dt-out"), str(work / "dt")],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        sys.exit("datatrove failed:\n" + "\n".join(done.stderr.splitlines()[-15:]))
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "tool": "datatrove FastTextClassifierFilter", "documents": docs,
        "kept": len(got["kept_ids"]), "train_s": round(got["train_s"], 2),
        "seconds": round(got["seconds"], 2), "docs_per_s": round(docs / got["seconds"]),
        "docs_per_cpu_s": round(docs / got["cpu"]), "kept_ids": got["kept_ids"],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--datatrove-python")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    prose, boiler = page_sets(args.eval_dir)
    cut_p, cut_b = int(len(prose) * 0.6), int(len(boiler) * 0.6)
    everything = prose + boiler
    texts = [everything[i % len(everything)] for i in range(args.docs)]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        pos = write_jsonl(work / "pos.jsonl", prose[:cut_p], "p")
        neg = write_jsonl(work / "neg.jsonl", boiler[:cut_b], "n")
        src = write_jsonl(work / "input.jsonl", texts, "d")
        (work / "t").mkdir()
        rows.append(run_thresher(pos, neg, src, work / "t"))
        if args.datatrove_python:
            rows.append(run_datatrove(args.datatrove_python, pos, neg, src, work, args.docs))
    truth = {f"d{i}" for i in range(args.docs) if (i % len(everything)) < len(prose)}
    for row in rows:
        kept = set(row.pop("kept_ids"))
        row["accuracy_vs_page_part"] = round(
            sum((f"d{i}" in kept) == (f"d{i}" in truth) for i in range(args.docs)) / args.docs, 4
        )
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
