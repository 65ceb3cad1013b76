"""A planted quality signal for the annotate → train → score tests: clearly good documents
(lessons: explanations of school topics) and clearly bad ones (advertising and link lists),
in English and German, generated from word lists with a seed; and the stand-in model's
scorer, which rates a page by the words it holds."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

GOOD = {
    "en": [
        "In this lesson students learn how {a} works and why {b} matters for the experiment.",
        "The teacher explains that {a} depends on {b}, and the exercise asks pupils to check it.",
        "First we define {a}; then we show with an example how {b} changes the result.",
        "A worked solution follows: measure {a}, compare it with {b} and write the conclusion.",
    ],
    "de": [
        "In dieser Lektion lernen die Schüler, wie {a} funktioniert und warum {b} wichtig ist.",
        "Die Lehrerin erklärt, dass {a} von {b} abhängt, und die Übung prüft das Ergebnis.",
        "Zuerst definieren wir {a}; dann zeigt ein Beispiel, wie {b} das Ergebnis verändert.",
        "Eine Lösung folgt: miss {a}, vergleiche es mit {b} und schreibe die Erklärung auf.",
    ],
}
TOPICS = {
    "en": [
        "photosynthesis",
        "gravity",
        "fractions",
        "the",
        "equation",
        "cell",
        "division",
        "erosion",
        "the",
        "triangle",
        "evaporation",
        "multiplication",
        "the",
        "food",
        "chain",
        "magnetism",
        "the",
        "water",
        "cycle",
    ],
    "de": [
        "Photosynthese",
        "Schwerkraft",
        "Brüche",
        "die",
        "Gleichung",
        "Zellteilung",
        "Erosion",
        "das",
        "Dreieck",
        "Verdunstung",
        "Multiplikation",
        "die",
        "Nahrungskette",
        "Magnetismus",
        "der",
        "Wasserkreislauf",
    ],
}
BAD = {
    "en": [
        "Buy cheap {a} now!!! Best price deal, click here for {b} discount casino bonus.",
        "Hot offer {a} free shipping limited time, subscribe now, win {b} jackpot today.",
        "Top 10 {a} deals | {b} coupon | login | cart | sign up | newsletter | sale",
    ],
    "de": [
        "Jetzt {a} billig kaufen!!! Bester Preis, hier klicken für {b} Rabatt Casino Bonus.",
        "Heißes Angebot {a} gratis Versand, nur heute, jetzt abonnieren, {b} Jackpot gewinnen.",
        "Top 10 {a} Angebote | {b} Gutschein | Anmelden | Warenkorb | Newsletter | Sale",
    ],
}
PRODUCTS = {
    "en": ["watches", "sneakers", "pills", "loans", "phones", "bags", "sunglasses", "perfume"],
    "de": [
        "Uhren",
        "Turnschuhe",
        "Pillen",
        "Kredite",
        "Handys",
        "Taschen",
        "Sonnenbrillen",
        "Parfüm",
    ],
}
GOOD_MARKS = ("lesson", "explains", "exercise", "solution", "lektion", "erklärt", "übung", "lösung")
BAD_MARKS = ("click", "casino", "jackpot", "coupon", "klicken", "jackpot", "gutschein", "rabatt")


def document(kind: str, lang: str, rng: random.Random, sentences: int = 8) -> str:
    """One generated good or bad document."""
    templates, words = (GOOD, TOPICS) if kind == "good" else (BAD, PRODUCTS)
    return " ".join(
        rng.choice(templates[lang]).format(a=rng.choice(words[lang]), b=rng.choice(words[lang]))
        for _ in range(sentences)
    )


def planted(n: int, seed: int, langs: tuple[str, ...] = ("en", "de")) -> list[dict[str, Any]]:
    """``n`` records, half good and half bad, languages in turn (language set, as refine's
    language id would)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = "good" if i % 2 == 0 else "bad"
        lang = langs[(i // 2) % len(langs)]
        out.append(
            {
                "id": f"{kind}-{seed}-{i}",
                "text": document(kind, lang, rng),
                "language": lang,
                "metadata": {"planted": kind},
            }
        )
    return out


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def scorer(page: str) -> Any:
    """The stand-in model's answer: 4-5 for lessons, 0-1 for advertising, 2 otherwise; every
    third answer in prose with a final "Educational score: N" line, as Llama-style models
    answer."""
    low = page.lower()
    good = sum(low.count(w) for w in GOOD_MARKS)
    bad = sum(low.count(w) for w in BAD_MARKS)
    score = (5 if good > 6 else 4) if good > bad else ((0 if bad > 6 else 1) if bad > good else 2)
    if len(page) % 3 == 0:
        what = "a lesson" if score > 2 else "advertising"
        return f"The extract is {what}.\nEducational score: {score}"
    return {"rationale": "lesson" if score > 2 else "advertising", "score": score}
