"""Time and peak memory of ``thresher diff`` on two synthetic corpora of N documents (10 %
removed, 10 % changed, 10 % added), at two partition sizes. Run:
``python bench/ship/diff_bench.py [N]``; prints one JSON line per run."""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from thresher.document import Document
from thresher.ship.diff import diff
from thresher.store import CorpusWriter, write_manifest


def corpus(out: Path, ids: range, edited: range) -> None:
    with CorpusWriter(out, formats=["parquet"]) as w:
        for i in ids:
            text = f"document {i} " * 20 + ("edited" if i in edited else "")
            w.write(Document(id=f"d{i}", text=text, language="en" if i % 3 else "de", bucket="all"))
    write_manifest(out, kind="refine", parts=w.parts)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        corpus(a, range(n), range(0))
        corpus(b, range(n // 10, n + n // 10), range(n // 10, n // 5))
        for per in (n // 10, n):
            tracemalloc.start()
            t = time.perf_counter()
            r = diff(a, b, partition_docs=per, work_dir=tmp)
            seconds = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(json.dumps({"documents": n, "partition_docs": per, "seconds": round(seconds, 1),
                              "peak_mb": round(peak / 1e6, 1), "added": r.added,
                              "removed": r.removed, "changed": r.changed}))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
