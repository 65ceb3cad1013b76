"""Pages whose score moved between two dumps of bench/extract/run.py (``--dump``).

Usage: python bench/extract/diff.py EVAL_DIR OLD.jsonl NEW.jsonl

For every page where the number of ``with`` snippets found (true positives) or ``without``
snippets found (false positives) changed: the deltas, the URL and the snippets that moved, so
that a rule change can be judged page by page, not only by the total F1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _read(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return {(r := json.loads(line))["url"]: r["text"] for line in f}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    tests = args.eval_dir / "tests" if (args.eval_dir / "tests").is_dir() else args.eval_dir
    data = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    old, new = _read(args.old), _read(args.new)
    total_tp = total_fp = 0
    for url, item in data.items():
        if url not in old or url not in new:
            continue
        a, b = old[url], new[url]
        gained = [s for s in item.get("with", []) if (s in b) and s not in a]
        lost = [s for s in item.get("with", []) if (s in a) and s not in b]
        fp_in = [s for s in item.get("without", []) if (s in b) and s not in a]
        fp_out = [s for s in item.get("without", []) if (s in a) and s not in b]
        if not (gained or lost or fp_in or fp_out):
            continue
        d_tp, d_fp = len(gained) - len(lost), len(fp_in) - len(fp_out)
        total_tp += d_tp
        total_fp += d_fp
        print(f"tp {d_tp:+d} fp {d_fp:+d}  {item['file']}  {url}")
        for label, snippets in (("+tp", gained), ("-tp", lost), ("+fp", fp_in), ("-fp", fp_out)):
            for s in snippets:
                print(f"    {label} {s[:100]!r}")
    print(f"total: tp {total_tp:+d} fp {total_fp:+d}")


if __name__ == "__main__":
    main()
