"""``--mix en:0.7,de:0.3``: which documents go into the shards so that each language holds
its share of the tokens. Nothing is repeated: the language that has the fewest tokens for its
share is taken whole and the others are cut down to match, each by a seeded random choice of
its documents (the same seed, the same documents)."""

from __future__ import annotations

import math

import numpy as np

from thresher.errors import ConfigError


def parse_mix(spec: str) -> dict[str, float]:
    """``"en:0.7,de:0.3"`` as ``{"en": 0.7, "de": 0.3}``, the weights scaled to sum to 1."""
    weights: dict[str, float] = {}
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        lang, sep, value = item.partition(":")
        lang = lang.strip()
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not sep or not lang or not math.isfinite(weight) or weight <= 0:
            raise ConfigError(f"--mix {spec!r}: write LANG:WEIGHT pairs, as en:0.7,de:0.3")
        if lang in weights:
            raise ConfigError(f"--mix {spec!r}: {lang} is named twice")
        weights[lang] = weight
    if not weights:
        raise ConfigError(f"--mix {spec!r}: write LANG:WEIGHT pairs, as en:0.7,de:0.3")
    total = sum(weights.values())
    return {lang: w / total for lang, w in weights.items()}


def sample_mix(
    languages: np.ndarray,
    lengths: np.ndarray,
    names: list[str],
    weights: dict[str, float],
    seed: int,
) -> np.ndarray:
    """The indices (sorted) of the documents to keep. ``languages[i]`` is document ``i``'s
    index into ``names``, ``lengths[i]`` its tokens. Each language of ``weights`` gets its share
    of a total set by the scarcest one; languages not named are left out."""
    missing = [lang for lang in weights if lang not in names]
    if missing:
        raise ConfigError(
            f"--mix names {', '.join(missing)}, which the corpus does not hold "
            f"(it holds {', '.join(sorted(names)) or 'nothing'})"
        )
    have = {lang: int(lengths[languages == names.index(lang)].sum()) for lang in weights}
    empty = [lang for lang, n in have.items() if n == 0]
    if empty:
        raise ConfigError(f"--mix names {', '.join(empty)}, which has no tokens in the corpus")
    total = min(have[lang] / w for lang, w in weights.items())
    rng = np.random.default_rng([seed, 0x6D6978])  # its own stream, apart from the shuffle
    chosen: list[np.ndarray] = []
    for lang in sorted(weights):
        docs = np.flatnonzero(languages == names.index(lang))
        budget = weights[lang] * total
        if have[lang] <= budget:
            chosen.append(docs)
            continue
        docs = docs[rng.permutation(len(docs))]
        cum = np.cumsum(lengths[docs])
        # take documents in that order up to the budget: the one that crosses it goes in when
        # that lands nearer the budget than stopping short
        n = int(np.searchsorted(cum, budget, side="right"))
        if n < len(docs) and cum[n] - budget < budget - (cum[n - 1] if n else 0):
            n += 1
        chosen.append(docs[:n])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
