"""Quality filters with the published defaults: Gopher quality and repetition (Rae et al. 2021),
C4 (Raffel et al. 2020), FineWeb (Penedo et al. 2024) and a length bound.

Words are whitespace tokens with surrounding punctuation stripped (no NLP tokenizer: that is
what makes these filters cheap); Chinese, Japanese and Thai are counted by characters and
lengths are in Latin-equivalent characters (:mod:`thresher.refine.segment`), so the
language-neutral rules (length, Gopher, FineWeb) run on every language and C4's English line
rules on English only. Each filter drops with a reason that names the rule, and counts the
languages it ran on (``ran on LANG``) and skipped (``not applied: LANG``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from thresher.document import Document
from thresher.pipeline.base import Filter, Step
from thresher.refine.config import (
    C4Config,
    FineWebConfig,
    GopherQualityConfig,
    GopherRepetitionConfig,
    LengthConfig,
)
from thresher.refine.segment import mostly_wide, weighted_length, word_count
from thresher.stats import StepStats

#: ASCII and common Unicode punctuation stripped from the ends of a token to get a word.
PUNCT = string.punctuation + "«»“”„‘’‚…–—‐‑·•¡¿、。，：；！？（）【】《》「」『』"
_ALPHA = re.compile(r"[^\W\d_]")
_BULLETS = ("•", "‣", "◦", "⁃", "●", "▪", "▸", "►", "-", "*", "–", "—")
_ELLIPSIS = ("...", "…")
_PARAGRAPH_SPLIT = re.compile(r"\n{2,}")
#: rolling-hash multiplier for word n-grams (odd, so multiplication mod 2^64 is a bijection)
_MULT = np.uint64(0x9E3779B97F4A7C15)


_last_text: str | None = None
_last_words: list[str] = []


def words_of(text: str) -> list[str]:
    """Whitespace tokens with punctuation stripped from both ends; empty ones left out.

    The last result is remembered (keyed by the string object itself), since several filters
    in a row ask for the words of the same text.
    """
    global _last_text, _last_words
    if text is _last_text:
        return _last_words
    words = [t.strip(PUNCT) for t in text.split()]
    if "" in words:  # tokens that were punctuation only
        words = [w for w in words if w]
    _last_text, _last_words = text, words
    return words


RAN_ON = "ran on "
NOT_APPLIED = "not applied: "


def languages_ran(counters: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Documents per language a filter ran on, and per language it skipped, from its counters."""
    ran = {k[len(RAN_ON) :]: n for k, n in counters.items() if k.startswith(RAN_ON)}
    skipped = {k[len(NOT_APPLIED) :]: n for k, n in counters.items() if k.startswith(NOT_APPLIED)}
    return ran, skipped


def _top(counts: dict[str, int], k: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{lang} {n}" for lang, n in items[:k])
    return text + (f" +{len(items) - k} more" if len(items) > k else "")


def coverage_lines(stats: Iterable[StepStats]) -> list[str]:
    """One line per language-aware step: the languages it ran on and those it skipped."""
    lines: list[str] = []
    for st in stats:
        ran, skipped = languages_ran(st.counters)
        if not ran and not skipped:
            continue
        where = f"ran on {_top(ran)}" if ran else "ran on no document"
        if skipped:
            where += f"; not applied to {_top(skipped)}"
        lines.append(f"{st.name}: {where}")
    return lines


def coverage_summary(stats: Iterable[StepStats]) -> str:
    """One line: which filters ran on every language seen, which on some (and which)."""
    everywhere: list[str] = []
    some: list[str] = []
    for st in stats:
        ran, skipped = languages_ran(st.counters)
        if skipped:
            some.append(f"{st.name} on {', '.join(sorted(ran)) or 'none'}")
        elif ran:
            everywhere.append(st.name)
    parts = [f"{', '.join(everywhere)} on every language"] if everywhere else []
    return "; ".join(parts + some)


class LanguageGated(Filter):
    """A filter that applies only to documents in some languages (``None``: all), counting the
    documents of each language it ran on and skipped."""

    def __init__(self, languages: list[str] | None) -> None:
        super().__init__()
        self.languages = set(languages) if languages else None

    def skips(self, doc: Document) -> bool:
        """True (and counted) when the document's language is not one this filter is for."""
        lang = doc.language
        if self.languages is None or lang is None or lang in self.languages:
            self.stats.counters[RAN_ON + (lang or "unknown")] += 1
            return False
        self.stats.counters[NOT_APPLIED + lang] += 1
        return True

    def process(self, doc: Document) -> Document | str:
        if self.skips(doc):
            return doc
        reason = self.reject(doc)
        return doc if reason is None else reason


class LengthFilter(LanguageGated):
    """Drops documents shorter (or longer) than the configured bounds; the main minimum is in
    Latin-equivalent characters, so a short Chinese page goes as a short English one does."""

    name: ClassVar[str] = "length"

    def __init__(self, config: LengthConfig | None = None) -> None:
        super().__init__(None)
        self.config = config or LengthConfig()

    def reject(self, doc: Document) -> str | None:
        c = self.config
        text = doc.text
        n = len(text)
        if n < c.min_chars:
            return f"fewer than {c.min_chars} chars"
        if c.max_chars is not None and n > c.max_chars:
            return f"more than {c.max_chars} chars"
        if n < c.min_length and weighted_length(text, c.wide_weight) < c.min_length:
            return f"shorter than {c.min_length:g} (Latin-equivalent chars)"
        if c.min_words and len(text.split()) < c.min_words:
            return f"fewer than {c.min_words} words"
        return None


class GopherQuality(LanguageGated):
    """Gopher's quality rules: word count and length, symbols, bullets, ellipses, letters,
    stop words."""

    name: ClassVar[str] = "gopher_quality"

    def __init__(self, config: GopherQualityConfig | None = None) -> None:
        self.config = config or GopherQualityConfig()
        super().__init__(self.config.languages)
        #: the stop words as written, lowercase, capitalised and uppercase
        self.stop_forms = frozenset(
            form
            for w in self.config.stop_words
            for form in (w, w.lower(), w.capitalize(), w.upper())
        )
        langs = self.config.stop_words_languages
        self.stop_languages = None if langs is None else frozenset(langs)

    def reject(self, doc: Document) -> str | None:
        c = self.config
        text = doc.text
        words = words_of(text)
        n = word_count(text, words)
        if n < c.min_doc_words:
            return "gopher: too few words"
        if n > c.max_doc_words:
            return "gopher: too many words"
        if words and not mostly_wide(text):  # word length means little in Han or Hangul
            mean = sum(map(len, words)) / len(words)
            if mean < c.min_avg_word_length:
                return "gopher: words too short"
            if mean > c.max_avg_word_length:
                return "gopher: words too long"
        if text.count("#") / n > c.max_symbol_word_ratio:
            return "gopher: too many #"
        if (text.count("...") + text.count("…")) / n > c.max_symbol_word_ratio:
            return "gopher: too many ellipses"
        lines = [line for line in text.split("\n") if line.strip()]
        if lines:
            bullets = sum(1 for line in lines if line.lstrip().startswith(_BULLETS))
            if bullets / len(lines) > c.max_bullet_lines_ratio:
                return "gopher: too many bullet lines"
            ellipses = sum(1 for line in lines if line.rstrip().endswith(_ELLIPSIS))
            if ellipses / len(lines) > c.max_ellipsis_lines_ratio:
                return "gopher: too many lines ending in an ellipsis"
        if words:
            search = _ALPHA.search
            no_letter = sum(1 for w in words if not w.isalpha() and not search(w))
            if (len(words) - no_letter) / len(words) < c.max_non_alpha_words_ratio:
                return "gopher: too few words with a letter"
        if c.min_stop_words and (
            self.stop_languages is None or doc.language in self.stop_languages
        ):
            found = self.stop_forms.intersection(words)
            # too few distinct forms found: count their occurrences
            if len(found) < c.min_stop_words and (
                sum(words.count(w) for w in found) < c.min_stop_words
            ):
                return "gopher: too few stop words"
        return None


def _duplicates(items: list[str]) -> tuple[int, int]:
    """Number of items that repeat an earlier one, and their characters."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """A 64-bit rolling hash of every run of ``n`` consecutive word ids."""
    m = len(ids) - n + 1
    h = ids[:m].copy()
    for k in range(1, n):
        h = h * _MULT + ids[k : k + m]
    return h


def _runs(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort order of ``h`` and a mask of the positions (in that order) that start a run
    of equal values; ``order[mask]`` are first occurrences, ``order[~mask]`` repeats."""
    order = np.argsort(h, kind="stable")
    hs = h[order]
    first = np.empty(len(hs), dtype=bool)
    first[0] = True
    np.not_equal(hs[1:], hs[:-1], out=first[1:])
    return order, first


def dup_ngram_char_fraction(ids: np.ndarray, lens: np.ndarray, n: int, total: int) -> float:
    """Fraction of word characters covered by n-grams that repeat an earlier n-gram."""
    if len(ids) < n or total == 0:
        return 0.0
    order, first = _runs(ngram_hashes(ids, n))
    starts = order[~first]
    if len(starts) == 0:
        return 0.0
    delta = np.zeros(len(ids) + 1, dtype=np.int32)
    np.add.at(delta, starts, 1)
    np.add.at(delta, starts + n, -1)
    covered = np.cumsum(delta[:-1]) > 0
    return float(lens[covered].sum()) / total


def top_ngram_stats(ids: np.ndarray, lens: np.ndarray, n: int, total: int) -> tuple[float, int]:
    """Fraction of word characters in all occurrences of the most frequent repeated n-gram,
    and how often that n-gram occurs.

    Among n-grams tied for most frequent, the longest counts: the result depends on the text
    only, never on hash values (word ids are per-process string hashes)."""
    if len(ids) < n or total == 0:
        return 0.0, 0
    order, first = _runs(ngram_hashes(ids, n))
    run_starts = np.flatnonzero(first)
    if len(run_starts) == len(order):
        return 0.0, 1  # every n-gram is unique
    ends = np.empty_like(run_starts)
    ends[:-1] = run_starts[1:]
    ends[-1] = len(order)
    counts = ends - run_starts
    best = int(counts.max())
    starts = order[run_starts[counts == best]]  # first occurrence of each tied n-gram
    csum = np.concatenate(([0], np.cumsum(lens)))
    chars = int((csum[starts + n] - csum[starts]).max())
    return chars * best / total, best


def top_ngram_char_fraction(ids: np.ndarray, lens: np.ndarray, n: int, total: int) -> float:
    """Fraction of word characters in all occurrences of the most frequent repeated n-gram."""
    return top_ngram_stats(ids, lens, n, total)[0]


class GopherRepetition(LanguageGated):
    """Gopher's repetition rules: duplicate lines and paragraphs, top n-grams, duplicated
    n-grams."""

    name: ClassVar[str] = "gopher_repetition"

    def __init__(self, config: GopherRepetitionConfig | None = None) -> None:
        self.config = config or GopherRepetitionConfig()
        super().__init__(self.config.languages)
        self.top = sorted(self.config.top_ngrams.items())
        self.dup = sorted(self.config.dup_ngrams.items())

    def reject(self, doc: Document) -> str | None:
        c = self.config
        text = doc.text
        total_chars = len(text)
        if total_chars == 0:
            return None
        if "\n\n" in text:
            paragraphs = [p for p in (p.strip() for p in _PARAGRAPH_SPLIT.split(text)) if p]
        else:
            paragraphs = []
        if len(paragraphs) > 1:
            n_dup, chars = _duplicates(paragraphs)
            if n_dup / len(paragraphs) > c.dup_para_frac:
                return "gopher: duplicate paragraphs"
            if chars / total_chars > c.dup_para_char_frac:
                return "gopher: duplicate paragraph characters"
        lines = [line for line in (x.strip() for x in text.split("\n")) if line]
        if len(lines) > 1:
            n_dup, chars = _duplicates(lines)
            if n_dup / len(lines) > c.dup_line_frac:
                return "gopher: duplicate lines"
            if chars / total_chars > c.dup_line_char_frac:
                return "gopher: duplicate line characters"
        words = words_of(text)
        if len(words) < 2:
            return None
        if len(set(words)) == len(words):
            return None  # no word repeats: no n-gram can
        n_words = len(words)
        # word ids: Python's (cached, 64-bit) string hashes; equal words, equal ids
        ids = np.fromiter(map(hash, words), dtype=np.int64, count=n_words).view(np.uint64)
        lens = np.fromiter(map(len, words), dtype=np.int64, count=n_words)
        total = int(lens.sum())
        # An (n+1)-gram occurs at most as often as the most frequent n-gram: with that count
        # and the longest run of n+1 words, a larger n that cannot pass its limit is skipped.
        csum: np.ndarray | None = None
        bound_count = 0
        for n, limit in self.top:
            if bound_count:
                if csum is None:
                    csum = np.concatenate(([0], np.cumsum(lens)))
                longest = int((csum[n:] - csum[:-n]).max()) if n_words >= n else 0
                if bound_count < 2 or bound_count * longest / total <= limit:
                    continue
            frac, count = top_ngram_stats(ids, lens, n, total)
            if frac > limit:
                return f"gopher: top {n}-gram"
            bound_count = count if not bound_count else min(bound_count, count)
        if self.dup:
            # covered(n+1) is a subset of covered(n): once a fraction is under every remaining
            # limit, no larger n can fail.
            for i, (n, limit) in enumerate(self.dup):
                frac = dup_ngram_char_fraction(ids, lens, n, total)
                if frac > limit:
                    return f"gopher: duplicated {n}-grams"
                if frac <= min(lim for _, lim in self.dup[i:]):
                    break
        return None


_C4_END = (".", "?", "!", '"')
_C4_POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)]*(?=\s|$)")


class C4Filter(LanguageGated):
    """C4's rules: keep lines that end in terminal punctuation and have 3+ words, drop lines
    with 'javascript' or cookie/policy notices, drop pages with 'lorem ipsum', a curly
    bracket, or fewer than 5 sentences."""

    name: ClassVar[str] = "c4"

    def __init__(self, config: C4Config | None = None) -> None:
        self.config = config or C4Config()
        super().__init__(self.config.languages)

    def process(self, doc: Document) -> Document | str:
        if self.skips(doc):
            return doc
        c = self.config
        text = doc.text
        if c.curly_bracket and "{" in text:
            return "c4: curly bracket"
        lower_text = text.lower()
        if c.lorem_ipsum and "lorem ipsum" in lower_text:
            return "c4: lorem ipsum"
        check_js = c.javascript and "javascript" in lower_text
        check_policy = c.policy and any(p in lower_text for p in _C4_POLICY)
        check_cite = c.citations and "[" in text
        kept: list[str] = []
        count = self.stats.count
        for raw in text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if check_cite:
                line = _CITATION.sub("", line)
            if c.terminal_punct and not line.endswith(_C4_END):
                count("c4 lines: no terminal punctuation")
                continue
            words = line.split()
            if len(words) < c.min_words_per_line:
                count("c4 lines: too few words")
                continue
            if max(map(len, words)) > c.max_word_length:
                count("c4 lines: word too long")
                continue
            if check_js or check_policy:
                lower = line.lower()
                if check_js and "javascript" in lower:
                    count("c4 lines: javascript")
                    continue
                if check_policy and any(p in lower for p in _C4_POLICY):
                    count("c4 lines: policy")
                    continue
            kept.append(line)
        if not kept:
            return "c4: no line left"
        new_text = "\n".join(kept)
        if c.min_sentences and len(_SENTENCE_END.findall(new_text)) < c.min_sentences:
            return "c4: too few sentences"
        doc.text = new_text
        return doc


#: line ends FineWeb counts as punctuation, with the CJK, Arabic and Devanagari full stops and
#: question marks, closing CJK quotes and guillemets added
_FW_END = (
    ".", "'", '"', "!", "?", "”", "’", "…", ")", ":", ";",
    "。", "！", "？", "．", "」", "』", "）", "»", "؟", "۔", "।", "॥",
)  # fmt: skip


class FineWebFilter(LanguageGated):
    """FineWeb's rules: enough lines ending in punctuation, few duplicated-line characters,
    not mostly short lines, not too many newlines per word."""

    name: ClassVar[str] = "fineweb"

    def __init__(self, config: FineWebConfig | None = None) -> None:
        self.config = config or FineWebConfig()
        super().__init__(self.config.languages)

    def reject(self, doc: Document) -> str | None:
        c = self.config
        text = doc.text
        lines = [line for line in (x.strip() for x in text.split("\n")) if line]
        if not lines:
            return "fineweb: empty"
        n = len(lines)
        ratio = sum(1 for line in lines if line.endswith(_FW_END)) / n
        if ratio < c.line_punct_thr and not (ratio == 0 and c.line_punct_exclude_zero):
            return "fineweb: few lines end in punctuation"
        short = c.short_line_length
        if text.isascii():
            n_short = sum(1 for line in lines if len(line) <= short)
        else:  # a line of 10 Chinese characters says as much as 30 Latin ones
            n_short = sum(
                1 for line in lines if len(line) <= short and weighted_length(line) <= short
            )
        if n_short / n > c.short_line_thr:
            return "fineweb: too many short lines"
        chars = sum(map(len, lines))
        _, dup_chars = _duplicates(lines)
        if chars and dup_chars / chars > c.char_duplicates_ratio:
            return "fineweb: duplicated line characters"
        words = word_count(text, text.split())
        if words and text.count("\n") / words > c.new_line_ratio:
            return "fineweb: too many newlines"
        return None


def quality_steps(
    gopher_repetition: GopherRepetitionConfig,
    gopher_quality: GopherQualityConfig,
    c4: C4Config,
    fineweb: FineWebConfig,
) -> list[Step]:
    """The enabled quality filters in their usual order (repetition first, as Gopher)."""
    steps: list[Step] = []
    if gopher_repetition.enabled:
        steps.append(GopherRepetition(gopher_repetition))
    if gopher_quality.enabled:
        steps.append(GopherQuality(gopher_quality))
    if c4.enabled:
        steps.append(C4Filter(c4))
    if fineweb.enabled:
        steps.append(FineWebFilter(fineweb))
    return steps


__all__ = [
    "NOT_APPLIED",
    "RAN_ON",
    "C4Filter",
    "FineWebFilter",
    "GopherQuality",
    "GopherRepetition",
    "LengthFilter",
    "coverage_lines",
    "coverage_summary",
    "languages_ran",
    "quality_steps",
    "words_of",
]
