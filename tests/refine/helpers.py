"""Small helpers shared by the refine tests: write document files, read a corpus back."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from thresher.document import Document
from thresher.store import read_documents

#: refine with dedup and langid only (the test texts are short on purpose)
LIGHT_REFINE_YAML = """\
refine:
  length: {min_length: 0}
  gopher_repetition: {enabled: false}
  gopher_quality: {enabled: false}
  c4: {enabled: false}
  fineweb: {enabled: false}
"""


#: Sentences long enough for confident language id, several per language.
SENTENCES = {
    "en": [
        "The committee published its annual report on regional water quality this week.",
        "Farmers in the valley have started planting earlier because spring arrives sooner.",
        "A new library opened downtown with a large collection of children's books.",
    ],
    "de": [
        "Der Ausschuss hat in dieser Woche seinen Jahresbericht zur Wasserqualität veröffentlicht.",
        "Die Bauern im Tal pflanzen früher, weil der Frühling immer zeitiger kommt.",
        "In der Innenstadt wurde eine neue Bibliothek mit vielen Kinderbüchern eröffnet.",
    ],
    "fr": [
        "Le comité a publié cette semaine son rapport annuel sur la qualité de l'eau.",
        "Les agriculteurs de la vallée plantent plus tôt car le printemps arrive plus vite.",
        "Une nouvelle bibliothèque a ouvert ses portes en centre-ville avec beaucoup de livres.",
    ],
}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def corpus(out: Path) -> dict[str, Any]:
    """Documents of a refined folder by id."""
    return {d.id: d for d in read_documents([out])}


def near_duplicate_shards(shards: int = 3, seed: int = 7) -> list[list[Document]]:
    """Shards of 200 distinct documents, 60 of them with 1-3 near copies (1 % of words
    changed) spread over the shards, and two documents without words."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    docs: list[Document] = []

    def edit(text: str, frac: float) -> str:
        words = text.split()
        for i in rng.sample(range(len(words)), int(len(words) * frac)):
            words[i] = rng.choice(vocab)
        return " ".join(words)

    for i in range(200):
        text = " ".join(rng.choice(vocab) for _ in range(300))
        docs.append(Document(text=text, id=f"doc-{i:04d}"))
        for j in range(rng.randint(1, 3) if i < 60 else 0):
            docs.append(Document(text=edit(text, 0.01), id=f"x-copy-{i:04d}-{j}"))
    docs.append(Document(text="", id="empty-1"))
    docs.append(Document(text="...", id="empty-2"))
    rng.shuffle(docs)
    return [docs[i::shards] for i in range(shards)]


def scan_minhash_shards(work: Path, shards: list[list[Document]]) -> Any:
    """The corpus-wide MinHash step with every shard's signatures scanned into ``work``."""
    from thresher.refine.minhash import CorpusMinHashDedup

    step = CorpusMinHashDedup()
    for i, docs in enumerate(shards):
        step.scan_shard(docs, work, i)
    return step
