"""Build the refine benchmark input: web-like documents of about 2.7 KB from extracted pages.

Documents are windows of consecutive paragraphs of real extracted pages (the trafilatura
evaluation set run through ``thresher extract``), many languages, with the boilerplate lines
real crawls carry (menus, cookie notices, share buttons) on some of them. Windows of the same
page overlap, so most paragraphs get one word repeated at a random place: 10 % of them stay
exact copies for paragraph dedup to find.

    python bench/refine/make_input.py /tmp/bench-src OUT.jsonl.gz --docs 20000
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

from thresher.store import read_documents

BOILERPLATE = [
    "Home | News | Sport | Contact",
    "This website uses cookies to improve your experience.",
    "Share on Facebook  Share on Twitter",
    "All rights reserved.",
    "Subscribe to our newsletter",
    "Read more",
    "Advertisement",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("source", help="folder of extracted documents")
    ap.add_argument("out", help="output .jsonl.gz")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--size", type=int, default=2700, help="target characters per document")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--unique",
        type=float,
        default=0.9,
        help="share of paragraphs made unique (a word of the paragraph repeated at another "
        "place), so paragraph dedup sees web-like duplication, not 20 copies of each page",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pages = []
    for doc in read_documents([args.source]):
        paras = [p for p in doc.text.split("\n") if p.strip()]
        if sum(map(len, paras)) >= 400:
            pages.append((doc.url, paras))
    total = 0
    with gzip.open(Path(args.out), "wt", encoding="utf-8", compresslevel=3) as f:
        for i in range(args.docs):
            url, paras = pages[i % len(pages)]
            start = rng.randrange(len(paras))
            chosen: list[str] = []
            size = 0
            k = start
            while size < args.size and k < start + len(paras):
                p = paras[k % len(paras)]
                words = p.split()
                if len(words) > 3 and rng.random() < args.unique:
                    words.insert(rng.randrange(len(words)), rng.choice(words))
                    p = " ".join(words)
                chosen.append(p)
                size += len(p) + 1
                k += 1
            if rng.random() < 0.4:
                chosen.insert(0, rng.choice(BOILERPLATE))
            if rng.random() < 0.3:
                chosen.append(rng.choice(BOILERPLATE))
            text = "\n".join(chosen)
            total += len(text)
            rec = {"id": f"doc-{i:06d}", "url": f"{url}#w{i}", "text": text}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{args.docs} documents, mean {total / args.docs:.0f} chars, from {len(pages)} pages")


if __name__ == "__main__":
    main()
