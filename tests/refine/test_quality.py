"""Quality filters: a natural page passes every rule; each rule fails on a page made to break it."""

from __future__ import annotations

import pytest

from thresher.document import Document
from thresher.refine.config import (
    C4Config,
    FineWebConfig,
    GopherQualityConfig,
    GopherRepetitionConfig,
    LengthConfig,
)
from thresher.refine.quality import (
    C4Filter,
    FineWebFilter,
    GopherQuality,
    GopherRepetition,
    LengthFilter,
    words_of,
)

GOOD = (
    "The river that runs through the old town was once the main road for trade. "
    "Boats carried salt, wool and timber to the coast, and the merchants built tall houses "
    "along the water.\n"
    "Today most of those houses are shops and small hotels. Visitors walk along the quay in "
    "the evening, and the bridges are lit with warm lights that reflect on the slow current.\n"
    "In spring the town holds a festival with music, food stalls and a race of wooden boats. "
    "Families from the nearby villages come to watch, and the celebrations often last until "
    "late at night."
)


def _doc(text: str, lang: str | None = "en") -> Document:
    return Document(text=text, language=lang)


def _run(step: object, text: str, lang: str | None = "en") -> Document | str:
    return step.process(_doc(text, lang))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "step",
    [GopherRepetition(), GopherQuality(), C4Filter(), FineWebFilter(), LengthFilter()],
    ids=lambda s: s.name,
)
def test_natural_page_passes(step: object) -> None:
    out = _run(step, GOOD)
    assert isinstance(out, Document), out
    assert out.text == GOOD


def test_words_strip_punctuation() -> None:
    assert words_of("«Hello», world... — (yes)! 3.5") == ["Hello", "world", "yes", "3.5"]


# -- Gopher quality ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Too short to be a page with the words it has.", "gopher: too few words"),
        (" ".join(["ab"] * 60) + " the and", "gopher: words too short"),
        (" ".join(["extraordinarily"] * 60) + " the and", "gopher: words too long"),
        (GOOD + "\n" + " ".join(["#tag"] * 30), "gopher: too many #"),
        (GOOD + "\n" + "wait... " * 30, "gopher: too many ellipses"),
        ("\n".join(f"- item number {i} of the list here" for i in range(20)), None),
        (
            " ".join(["river boat salt wool timber coast"] * 12),
            "gopher: too few stop words",
        ),
    ],
)
def test_gopher_quality_rules(text: str, reason: str | None) -> None:
    out = _run(GopherQuality(), text)
    if reason is None:
        assert isinstance(out, str) and out.startswith("gopher")
    else:
        assert out == reason


def test_gopher_quality_bullets_and_non_alpha() -> None:
    bullets = "\n".join(f"• the item {i} with some words to read and see" for i in range(12))
    assert _run(GopherQuality(), bullets) == "gopher: too many bullet lines"
    numbers = GOOD + " " + " ".join(str(i) for i in range(200))
    assert _run(GopherQuality(), numbers) == "gopher: too few words with a letter"
    ellipsis_lines = "\n".join(
        f"The story of the town and the river goes on and on {w}…" for w in "abcdefgh"
    )
    out = _run(GopherQuality(GopherQualityConfig(max_symbol_word_ratio=1)), ellipsis_lines)
    assert out == "gopher: too many lines ending in an ellipsis"


def test_gopher_quality_applies_to_its_languages_only() -> None:
    step = GopherQuality(GopherQualityConfig(languages=["en"]))
    out = _run(step, "Kurzer Text.", "de")
    assert isinstance(out, Document)
    assert step.stats.counters["not applied: de"] == 1
    assert _run(step, "Short text.", "en") == "gopher: too few words"
    assert step.stats.counters["ran on en"] == 1
    assert _run(GopherQuality(), "Kurz.", "de") == "gopher: too few words"


# -- Gopher repetition ---------------------------------------------------------------------------
def test_gopher_repetition_rules() -> None:
    step = GopherRepetition()
    lines = "\n".join(["Buy now", "Buy now", "Buy now", "Other line"])
    assert _run(step, lines) == "gopher: duplicate lines"
    paras = "\n\n".join(["Same paragraph here.", "Same paragraph here.", "Another one."])
    assert _run(step, paras) == "gopher: duplicate paragraphs"
    long_dup = GOOD + "\n" + GOOD.split("\n")[0]
    assert _run(step, long_dup) == "gopher: duplicate line characters"
    spam = GOOD.replace("\n", " ") + " " + "click here " * 40
    assert _run(step, spam) == "gopher: top 2-gram"
    copied = GOOD.replace("\n", " ")
    words = copied.split()
    text = " ".join(words + words[10:40])
    assert _run(step, text) == "gopher: duplicated 5-grams"


def test_gopher_repetition_ngram_limits_are_config() -> None:
    copied = GOOD.replace("\n", " ")
    words = copied.split()
    text = " ".join(words + words[10:40])
    loose = GopherRepetition(GopherRepetitionConfig(dup_ngrams={5: 0.9}))
    assert isinstance(_run(loose, text), Document)


# -- C4 ------------------------------------------------------------------------------------------
def test_c4_line_rules_edit_the_text() -> None:
    text = (
        GOOD
        + "\nMenu\nPlease enable JavaScript to view the comments.\n"
        + "This site uses cookies to improve your experience.\n"
        + "As noted before[1], the town grew[citation needed] quickly."
    )
    step = C4Filter()
    out = _run(step, text)
    assert isinstance(out, Document)
    assert out.text == GOOD + "\nAs noted before, the town grew quickly."
    counters = step.stats.counters
    assert counters["c4 lines: no terminal punctuation"] == 1
    assert counters["c4 lines: javascript"] == 1
    assert counters["c4 lines: policy"] == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD + "\nfunction f() { return 1; }", "c4: curly bracket"),
        (GOOD + "\nLorem ipsum dolor sit amet.", "c4: lorem ipsum"),
        ("One sentence here. Two sentences here. Three here.", "c4: too few sentences"),
        ("menu\nhome\nabout", "c4: no line left"),
    ],
)
def test_c4_page_rules(text: str, reason: str) -> None:
    assert _run(C4Filter(), text) == reason


def test_c4_switches() -> None:
    cfg = C4Config(terminal_punct=False, min_sentences=0, curly_bracket=False)
    out = _run(C4Filter(cfg), "a line without a stop {x}\nanother line of words")
    assert isinstance(out, Document)
    assert out.text == "a line without a stop {x}\nanother line of words"


# -- FineWeb -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "\n".join(f"a line of text without an end mark number {w}" for w in "abcdefghij"),
            "fineweb: few lines end in punctuation",
        ),
        (
            GOOD + "\n" + "\n".join(f"Short {w}." for w in "abcdefghij"),
            "fineweb: too many short lines",
        ),
        (GOOD + "\n" + GOOD.split("\n")[0], "fineweb: duplicated line characters"),
        ("\n".join(f"Word {w}." for w in "ab"), "fineweb: too many short lines"),
    ],
)
def test_fineweb_rules(text: str, reason: str) -> None:
    assert _run(FineWebFilter(), text) == reason


def test_fineweb_newline_ratio() -> None:
    text = "\n".join(f"This is line {w} of a list that ends well." for w in "abcdefghij")
    cfg = FineWebConfig(new_line_ratio=0.05)
    assert _run(FineWebFilter(cfg), text) == "fineweb: too many newlines"
    assert isinstance(_run(FineWebFilter(), text), Document)


# -- Length --------------------------------------------------------------------------------------
def test_length_bounds() -> None:
    off = {"min_length": 0}
    assert _run(LengthFilter(LengthConfig(min_chars=100)), "short") == "fewer than 100 chars"
    assert _run(LengthFilter(LengthConfig(max_chars=3, **off)), "long") == "more than 3 chars"
    three = LengthFilter(LengthConfig(min_words=3, **off))
    assert _run(three, "two words") == "fewer than 3 words"
    assert isinstance(_run(LengthFilter(LengthConfig(**off)), "x"), Document)
    assert _run(LengthFilter(), "") == "fewer than 1 chars"


def test_length_counts_wide_characters_thrice() -> None:
    """The issue's 14-character Chinese navigation page goes; 70 Chinese characters (210
    Latin-equivalent) stay, where 70 Latin characters go."""
    step = LengthFilter()
    assert _run(step, "首页 新闻 体育 财经 科技 联系我们", "zh") == (
        "shorter than 200 (Latin-equivalent chars)"
    )
    chinese = "这座城市位于河流的交汇处，自古以来就是重要的商贸中心，" * 3  # 78 characters
    assert isinstance(_run(step, chinese[:70], "zh"), Document)
    assert isinstance(_run(step, "a" * 70, "en"), str)
    assert step.stats.counters["ran on zh"] == 2


def test_repetition_does_not_depend_on_the_hash_seed() -> None:
    """Word ids are string hashes (random per process): a tie for the most frequent 2-gram
    between a short and a long one must be decided the same way under every hash seed."""
    import os
    import subprocess
    import sys

    long_pair = "ccccccccccccccc ddddddddddddddd"
    text = " ".join(f"aa bb filler{w} {long_pair} other{w}" for w in "abcd")
    code = (
        "import sys\n"
        "from thresher.document import Document\n"
        "from thresher.refine.quality import GopherRepetition\n"
        "print(GopherRepetition().reject(Document(text=sys.stdin.read())))\n"
    )
    outs = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        outs.add(done.stdout.strip())
    assert outs == {"gopher: top 2-gram"}
