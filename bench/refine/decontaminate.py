"""Decontamination benchmark: thresher's step against a plain-Python n-gram check and
datatrove's ``NGramsDecontFilter`` on the same documents and benchmark, one process each.

    python bench/refine/decontaminate.py --docs 20000 --items 10000 \\
        --datatrove-python /tmp/dtdecont-venv/bin/python

Documents and benchmark items are sentences of words drawn (Zipf) from the vocabulary of the
reference texts shipped with thresher (English, German, Spanish, French; accents included), so
no random 13-gram repeats by chance; 2 % of documents get a 20-word passage of an item (case
and punctuation changed), another 2 % only 8-word pieces of one (near misses). Every tool
reports the CPU seconds of its check alone (index built before), and the driver how many of
the planted passages each found and how many near misses it wrongly dropped.

- thresher: ``Decontaminate`` (NFKC, lower case, words of letters/digits/marks, 13-gram
  hashes in numpy, batches of 256 documents);
- python: the same normalisation with ``re``/``unicodedata``, every 13-gram joined into a
  string and looked up in a ``set`` (a straightforward implementation);
- datatrove 0.10.1 (own venv): ``NGramsDecontFilter(n_grams=13)``, its index file written with
  its own tokenizer (spaCy, blank English) and hash (xxhash64) from the same items, since its
  indexer reads benchmarks only through lighteval.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "src" / "thresher" / "demo" / "reference"
N = 13


def _vocabulary() -> list[str]:
    found: dict[str, None] = {}
    for f in sorted(REFERENCE.glob("*.txt")):
        for w in re.findall(r"[^\W\d_]+", f.read_text(encoding="utf-8")):
            found.setdefault(w.lower(), None)
    return list(found)


def _sentence(rng: random.Random, vocab: list[str], weights: list[float]) -> str:
    ws = rng.choices(vocab, weights, k=rng.randint(8, 25))
    return " ".join(ws).capitalize() + rng.choice([".", ".", ".", "!", "?", ";"])


def make_input(work: Path, docs: int, items: int, seed: int = 5) -> dict[str, list[str]]:
    """Write ``docs.jsonl`` and ``bench.jsonl``; return the ids planted and near misses."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    weights = [1 / (r + 1) for r in range(len(vocab))]
    bench = []
    for i in range(items):
        question = " ".join(_sentence(rng, vocab, weights) for _ in range(rng.randint(2, 4)))
        bench.append({"id": i, "question": question, "answer": _sentence(rng, vocab, weights)})
    planted, near = [], []
    with open(work / "docs.jsonl", "w", encoding="utf-8") as f:
        for d in range(docs):
            sentences = [_sentence(rng, vocab, weights) for _ in range(rng.randint(15, 35))]
            doc_id = f"d{d}"
            if d % 50 == 0 or d % 50 == 25:
                words = bench[rng.randrange(items)]["question"].split()
                while len(words) < 30:
                    words = bench[rng.randrange(items)]["question"].split()
                if d % 50 == 0:
                    passage = " ".join(words[3:23]).upper().replace(".", ",")
                    planted.append(doc_id)
                else:
                    passage = " ".join(words[0:8]) + " zzz " + " ".join(words[9:17])
                    near.append(doc_id)
                sentences.insert(rng.randrange(len(sentences)), passage)
            f.write(json.dumps({"id": doc_id, "text": " ".join(sentences)}) + "\n")
    with open(work / "bench.jsonl", "w", encoding="utf-8") as f:
        for item in bench:
            f.write(json.dumps(item) + "\n")
    return {"planted": planted, "near": near}


def _load(work: Path) -> tuple[list[dict[str, str]], list[str]]:
    with open(work / "docs.jsonl", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    texts = []
    with open(work / "bench.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            texts += [item["question"], item["answer"]]
    return docs, texts


def _report(tool: str, docs: int, dropped: list[str], index_s: float, cpu: float) -> None:
    found = {"tool": tool, "docs": docs, "dropped": dropped, "index_s": round(index_s, 2)}
    print(json.dumps({**found, "check_cpu": round(cpu, 3)}))


def run_thresher(work: Path) -> None:
    from thresher.document import Document
    from thresher.refine.config import DecontaminateConfig
    from thresher.refine.decontaminate import Decontaminate

    records, _ = _load(work)
    docs = [Document(text=r["text"], id=r["id"]) for r in records]
    t0 = time.process_time()
    step = Decontaminate(DecontaminateConfig(benchmarks=[str(work / "bench.jsonl")], ngram=N))
    t1 = time.process_time()
    kept = {d.id for d in step.run(docs)}
    t2 = time.process_time()
    _report("thresher", len(docs), [d.id for d in docs if d.id not in kept], t1 - t0, t2 - t1)


_WORD = re.compile(r"[^\W_]+")


def _python_words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def run_python(work: Path) -> None:
    records, texts = _load(work)
    t0 = time.process_time()
    index: set[str] = set()
    for text in texts:
        ws = _python_words(text)
        index.update(" ".join(ws[i : i + N]) for i in range(len(ws) - N + 1))
    t1 = time.process_time()
    dropped = []
    for r in records:
        ws = _python_words(r["text"])
        if any(" ".join(ws[i : i + N]) in index for i in range(len(ws) - N + 1)):
            dropped.append(r["id"])
    t2 = time.process_time()
    _report("python", len(records), dropped, t1 - t0, t2 - t1)


def run_datatrove(work: Path) -> None:
    import numpy as np
    from datatrove.data import Document
    from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
    from datatrove.utils.text import ngrams, simplify_text

    records, texts = _load(work)
    folder = work / "dt-index"
    folder.mkdir(exist_ok=True)
    t0 = time.process_time()
    flt = NGramsDecontFilter(str(folder), config=NGramsDecontConfig(n_grams=N))
    hashes: set[int] = set()
    for text in texts:  # what its indexer computes for a label without a query
        tokens = flt.tokenizer.word_tokenize(simplify_text(text, flt.config.norm_config))
        hashes.update(map(flt.hash_func, map(" ".join, ngrams(tokens, N))))
    np.array(sorted(hashes), dtype=flt.config.hash_config.np_descr).tofile(
        folder / "bench.index.hashes"
    )
    flt.load_index_hashes()
    t1 = time.process_time()
    dropped = []
    for r in records:
        result = flt.filter(Document(text=r["text"], id=r["id"]))
        if result is not True:
            dropped.append(r["id"])
    t2 = time.process_time()
    _report("datatrove", len(records), dropped, t1 - t0, t2 - t1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--work", default="/tmp/thresher-bench-decontaminate")
    ap.add_argument("--datatrove-python", default="")
    ap.add_argument("--tool", choices=["thresher", "python", "datatrove"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = Path(args.work)
    if args.tool:  # one tool, in its own process
        {"thresher": run_thresher, "python": run_python, "datatrove": run_datatrove}[args.tool](
            work
        )
        return
    sys.path.insert(0, str(HERE.parents[1]))
    from bench.refine.bench import run

    work.mkdir(parents=True, exist_ok=True)
    truth = make_input(work, args.docs, args.items)
    me = [sys.executable, str(Path(__file__).resolve()), "--work", str(work), "--tool"]
    results = [run([*me, "thresher"]), run([*me, "python"])]
    if args.datatrove_python:
        dt = [args.datatrove_python, *me[1:]]
        results.append(run([*dt, "datatrove"]))
    base = next(r for r in results if r["tool"] == "python")
    print(
        f"{args.docs:,} documents, {args.items:,} benchmark items, {N}-grams; "
        f"{len(truth['planted'])} planted passages, {len(truth['near'])} near misses\n"
    )
    print(
        "| tool | index build s | check CPU s | docs per CPU-second (check) | vs plain Python "
        "| planted found | near misses dropped | other drops | peak RSS MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        dropped = set(r["dropped"])  # type: ignore[arg-type]
        rate = args.docs / max(float(r["check_cpu"]), 1e-9)  # type: ignore[arg-type]
        base_rate = args.docs / max(float(base["check_cpu"]), 1e-9)  # type: ignore[arg-type]
        found = len(dropped & set(truth["planted"]))
        wrong = len(dropped & set(truth["near"]))
        other = len(dropped - set(truth["planted"]) - set(truth["near"]))
        print(
            f"| {r['tool']} | {r['index_s']} | {r['check_cpu']} | {rate:,.0f} | "
            f"{rate / base_rate:.{1 if rate >= base_rate else 2}f}× | "
            f"{found}/{len(truth['planted'])} | {wrong} | {other} | "
            f"{r['rss_mb']} |"
        )
    for r in results:
        r["dropped"] = len(r["dropped"])  # type: ignore[arg-type]
    (work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
