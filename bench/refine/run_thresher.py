"""thresher's side: the same steps as the datatrove run (language id → Gopher repetition →
Gopher quality → C4 → FineWeb → JSONL), one worker; ``--full`` runs the default pipeline
(paragraph dedup and PII redaction too, C4 for English only).

    python bench/refine/run_thresher.py INPUT.jsonl.gz OUTDIR [--full]
Prints one JSON line: documents kept, seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from thresher.refine import RefineConfig, refine
from thresher.store.config import OutputConfig

SAME_AS_DATATROVE = {
    "dedup": {"enabled": False},
    "langid": {"threshold": 0.5},
    "gopher_repetition": {"languages": None},
    "length": {"min_length": 0},
    "gopher_quality": {"languages": None, "stop_words_languages": None},
    "c4": {"languages": None},
    "fineweb": {"languages": None},
    "pii": {"enabled": False},
}


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    full = "--full" in sys.argv[3:]
    shutil.rmtree(out, ignore_errors=True)
    config = RefineConfig() if full else RefineConfig.model_validate(SAME_AS_DATATROVE)
    t0 = time.perf_counter()
    result = refine([src], out, config, OutputConfig(formats=["jsonl"]), workers=1)
    seconds = time.perf_counter() - t0
    steps = {s.name: {"seen": s.seen, "kept": s.kept} for s in result.stats}
    print(
        json.dumps(
            {
                "tool": "thresher-full" if full else "thresher",
                "kept": result.documents,
                "seconds": round(seconds, 3),
                "steps": steps,
            }
        )
    )


if __name__ == "__main__":
    main()
