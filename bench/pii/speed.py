"""Documents per second of PII redaction on refine benchmark input, languages tagged first.

    python bench/pii/speed.py DOCS.jsonl.gz [--docs 20000] [--module OLD_PII.py]

``DOCS`` is ``bench/refine/make_input.py`` output. Language id runs once before the clock starts
(refine runs it before PII); only ``PIIRedactor.process`` is timed, best of ``--repeat`` runs.
``--module`` times the ``PIIRedactor`` of another file instead (e.g. an older ``pii.py`` from
``git show``), for a before/after figure on the same input.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import time
from collections import Counter

from thresher.document import Document
from thresher.refine.langid import LanguageIdentifier
from thresher.store import read_documents


def load_redactor(module: str | None) -> object:
    """A ``PIIRedactor`` from thresher, or from the file ``module``."""
    if module is None:
        from thresher.refine.pii import PIIRedactor

        return PIIRedactor()
    spec = importlib.util.spec_from_file_location("other_pii", module)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PIIRedactor()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("docs")
    ap.add_argument("--docs", dest="limit", type=int, default=20_000)
    ap.add_argument("--module", default=None, help="time the PIIRedactor of this file")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ident = LanguageIdentifier()
    docs: list[Document] = []
    for doc in read_documents([args.docs]):
        doc.language, doc.language_score = ident.predict(doc.text.replace("\n", " "))
        docs.append(doc)
        if len(docs) >= args.limit:
            break
    langs = Counter(d.language for d in docs)
    best = float("inf")
    redactor = load_redactor(args.module)
    for _ in range(args.repeat):
        batch = copy.deepcopy(docs)
        redactor = load_redactor(args.module)
        process = redactor.process  # type: ignore[attr-defined]
        t0 = time.process_time()
        for doc in batch:
            process(doc)
        best = min(best, time.process_time() - t0)
    counters = dict(sorted(redactor.stats.counters.items()))  # type: ignore[attr-defined]
    print(
        f"{len(docs)} documents ({len(langs)} languages, top {langs.most_common(4)}): "
        f"{best:.2f} CPU s, {len(docs) / best:,.0f} docs/s; {counters}"
    )


if __name__ == "__main__":
    main()
