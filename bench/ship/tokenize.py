"""Tokenize benchmark: ``thresher tokenize`` against datatrove's ``DocumentTokenizer`` (plus its
``DocumentTokenizerMerger`` for the global shuffle thresher also does) and a plain
``tokenizers`` batch-encode loop, on the same corpus with the same tokenizer, one core each
(``RAYON_RS_NUM_CPUS=1``: the tokenizer's own threads held to one).

The corpus: documents of about 2.7 KB, windows of sentences of the reference texts shipped
with thresher (en, de, es, fr), split into language/bucket folders of ``part-*.jsonl.gz`` as
refine writes them; the tokenizer: a byte-level BPE of 8,000 ids trained on the same texts.

    python bench/ship/tokenize.py --docs 20000 [--datatrove-python /tmp/dttok-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
REFERENCE = ROOT / "src" / "thresher" / "demo" / "reference"

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer, DocumentTokenizerMerger
corpus, tok, work = sys.argv[1:4]
LocalPipelineExecutor(pipeline=[
    JsonlReader(corpus, glob_pattern="*/*/*.jsonl.gz"),
    DocumentTokenizer(f"{work}/tok", tok, eos_token="</s>", local_working_dir=f"{work}/tmp",
                      batch_size=512, seed=0),
], tasks=1, workers=1, logging_dir=f"{work}/logs").run()
LocalPipelineExecutor(pipeline=[
    DocumentTokenizerMerger(f"{work}/tok", f"{work}/merged", save_filename="all",
                            max_tokens_per_file=1 << 27, seed=0),
], tasks=1, workers=1, logging_dir=f"{work}/logs2").run()
"""


def make_corpus(out: Path, docs: int, seed: int = 1) -> list[str]:
    """Write the corpus and return its texts."""
    from thresher.document import Document
    from thresher.store.manifest import write_manifest
    from thresher.store.writers import CorpusWriter

    rng = random.Random(seed)
    sentences = {
        p.stem: [s for s in re.split(r"(?<=[.!?])\s+", p.read_text()) if len(s) > 20]
        for p in sorted(REFERENCE.glob("*.txt"))
    }
    langs = sorted(sentences)
    writer = CorpusWriter(out, formats=("jsonl.gz",), part_bytes=8 << 20)
    texts = []
    for i in range(docs):
        lang = langs[i % len(langs)]
        pool, text = sentences[lang], []
        while sum(len(s) + 1 for s in text) < 2700:
            start = rng.randrange(len(pool))
            text += pool[start : start + rng.randint(1, 6)]
        body = " ".join(text)
        texts.append(body)
        bucket = rng.choice(["head", "middle", "tail"])
        writer.write(Document(id=f"d{i}", text=body, language=lang, bucket=bucket))
    writer.close()
    write_manifest(out, kind="refine", parts=writer.parts)
    return texts


def train_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=8000,
        special_tokens=["</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train([str(p) for p in sorted(REFERENCE.glob("*.txt"))], trainer)
    tok.save(str(path))


def plain(corpus: Path, tokenizer: Path, out: Path) -> None:
    """The floor: read every part, batch-encode, write one array of ids with EOS after each
    document (no shuffle, no shards, no manifest)."""
    import gzip

    import numpy as np
    import orjson
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    eos = tok.token_to_id("</s>")
    with open(out, "wb") as f:
        for part in sorted(corpus.glob("*/*/*.jsonl.gz")):
            with gzip.open(part) as lines:
                texts = [orjson.loads(line)["text"] for line in lines]
            for i in range(0, len(texts), 512):
                ids: list[int] = []
                for enc in tok.encode_batch_fast(texts[i : i + 512], add_special_tokens=False):
                    ids.extend(enc.ids)
                    ids.append(eos)
                np.asarray(ids, dtype=np.uint16).tofile(f)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, all threads) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{cmd[:3]} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=2, help="runs of each tool; the best counts")
    ap.add_argument("--datatrove-python", default="/tmp/dttok-venv/bin/python")
    ap.add_argument("--out", default=str(HERE.with_name("results-tokenize.json")))
    ap.add_argument(
        "--plain", nargs=3, metavar=("CORPUS", "TOKENIZER", "OUT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.plain:
        plain(*(Path(p) for p in args.plain))
        return
    work = Path(tempfile.mkdtemp(prefix="bench-tokenize-"))
    corpus, tokenizer = work / "corpus", work / "tokenizer.json"
    texts = make_corpus(corpus, args.docs)
    train_tokenizer(tokenizer)
    env = {**os.environ, "RAYON_RS_NUM_CPUS": "1", "PYTHONPATH": f"{ROOT / 'src'}"}
    tools = {
        "thresher tokenize": lambda out: [
            sys.executable, "-m", "thresher", "tokenize", str(corpus), "-o", str(out),
            "--tokenizer", str(tokenizer), "--workers", "1",
        ],
        "tokenizers batch loop": lambda out: [
            sys.executable, str(HERE), "--plain", str(corpus), str(tokenizer), str(out),
        ],
    }  # fmt: skip
    if Path(args.datatrove_python).is_file():
        script = work / "datatrove_tokenize.py"
        script.write_text(DATATROVE)
        tools["datatrove DocumentTokenizer + Merger"] = lambda out: [
            args.datatrove_python, str(script), str(corpus), str(tokenizer), str(out),
        ]  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    for name, cmd in tools.items():
        best: tuple[float, float] | None = None
        for r in range(args.repeats):
            wall, cpu = timed(cmd(work / f"out-{len(results)}-{r}"), env)
            best = (wall, cpu) if best is None or cpu < best[1] else best
        assert best is not None
        results[name] = {"wall_s": round(best[0], 2), "cpu_s": round(best[1], 2)}
    manifest = json.loads((work / "out-0-0" / "manifest.json").read_text())
    tokens = manifest["tokens"]["total"]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    for r in results.values():
        r["docs_per_cpu_s"] = round(args.docs / r["cpu_s"])
        r["tokens_per_cpu_s"] = round(tokens / r["cpu_s"])
        r["mb_per_cpu_s"] = round(megabytes / r["cpu_s"], 2)
    report = {
        "docs": args.docs,
        "tokens": tokens,
        "text_mb": round(megabytes, 1),
        "cpu": os.cpu_count(),
        "results": results,
    }
    dt = work / f"out-{len(results) - 1}-0" / "merged"
    if dt.is_dir():  # the same tokens on both sides: datatrove's merged files hold as many
        report["datatrove_tokens"] = sum(p.stat().st_size for p in dt.glob("*.ds")) // 2
    print(json.dumps(report, indent=2))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
