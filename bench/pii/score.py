"""Precision and recall of PII redaction per kind on a labelled set of one-line texts.

Each line of the set is ``{"lang": ..., "text": ..., "pii": [[kind, value], ...]}`` with kinds
``email``, ``phone``, ``ip``, ``card`` and ``iban`` (``lang`` null: no language, as with langid
off); an empty ``pii`` list is a hard negative (dates, versions, ISBNs, order numbers ...).
A found span is a true positive when it equals a labelled value of the same kind (surrounding
spaces ignored); anything else found is a false positive.

    python bench/pii/score.py [bench/pii/labelled.jsonl] [--errors] [--json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from thresher.refine.pii import PIIRedactor

HERE = Path(__file__).resolve().parent
KINDS = ("email", "phone", "ip", "card", "iban")


@dataclass
class Score:
    """True positives, false positives and false negatives of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load(path: Path) -> list[dict[str, object]]:
    """The labelled lines of ``path``."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(rows: list[dict[str, object]], redactor: PIIRedactor | None = None) -> dict[str, Score]:
    """Score the redactor's spans against the labels, per kind."""
    redactor = redactor or PIIRedactor()
    scores = {k: Score() for k in KINDS}
    for row in rows:
        text = str(row["text"])
        lang = row.get("lang")
        expected = [(str(k), str(v).strip()) for k, v in row["pii"]]  # type: ignore[attr-defined]
        found = [
            ("ip" if kind.startswith("ip") else kind, text[s:e].strip())
            for s, e, kind in redactor.find(text, lang if isinstance(lang, str) else None)
        ]
        missing = list(expected)
        for kind, value in found:
            if (kind, value) in missing:
                missing.remove((kind, value))
                scores[kind].tp += 1
            else:
                scores[kind].fp += 1
                scores[kind].errors.append(f"FP {lang} {value!r} in {text!r}")
        for kind, value in missing:
            scores[kind].fn += 1
            scores[kind].errors.append(f"FN {lang} {value!r} in {text!r}")
    return scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("set", nargs="?", default=str(HERE / "labelled.jsonl"))
    ap.add_argument("--errors", action="store_true", help="list every miss and false alarm")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    rows = load(Path(args.set))
    scores = score(rows)
    langs = sorted({str(r["lang"]) for r in rows})
    if args.json:
        figures = {
            k: {"tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": s.precision, "recall": s.recall}
            for k, s in scores.items()
        }
        print(json.dumps(figures))
        return
    print(f"{len(rows)} texts in {len(langs)} languages ({', '.join(langs)})\n")
    print("| kind | labelled | found | correct | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, s in scores.items():
        print(
            f"| {kind} | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | "
            f"{s.precision:.3f} | {s.recall:.3f} |"
        )
    if args.errors:
        for s in scores.values():
            for line in s.errors:
                print(line)


if __name__ == "__main__":
    main()
