"""Small helpers shared by the refine tests: write document files, read a corpus back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thresher.store import read_documents

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
