"""``thresher sft`` end to end: a phpBB-style board in a WARC, ``thresher extract --recipe``,
then ``thresher sft`` in real subprocesses; answer rules, quotes, turns, filters, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ship.board import Topic, board_pages, scored_recipe, write_board
from thresher.extract.recipes import load_recipe
from thresher.ship.sft import SftBuilder, SftConfig
from thresher.ship.threads import Post, Thread, without_quotes

pytestmark = pytest.mark.timeout(120)

LONG_Q = (
    "I have an old steel touring frame from the eighties with downtube shifters and I would"
    " like to fit a modern drivetrain with more gears for loaded touring in the mountains."
)
LONG_A = (
    "Measure the rear dropout spacing first: most frames of that age are 126 mm while modern"
    " hubs want 130 or 135 mm. A steel frame can be cold set to the wider spacing by a shop"
    " without harm, and then a nine speed cassette with a wide range fits well. Keep the"
    " downtube bosses and use friction or indexed bar end shifters, which survive crashes and"
    " are easy to repair on the road. Check the derailleur hanger alignment after the cold"
    " setting, replace the chain and cables, and take the bike for a short ride with bags"
    " before the trip so that any rubbing or skipping shows up at home."
)
GERMAN_Q = "Welche Reifen soll ich für eine lange Reise auf Schotterwegen im Gebirge nehmen?"
GERMAN_A = "Breite Reifen mit mindestens vierzig Millimetern und einem guten Pannenschutz."

TOPICS: dict[int, Topic] = {
    # first reply by another author (the asker's own follow-up before it is not an answer);
    # the reply quotes the question; the asker asks again and carol answers: four turns
    1: Topic(
        "Which bike for touring?",
        [
            [
                ("bob", "I am planning a long tour this summer. Steel or aluminium frame?", {}),
                ("bob", "Edit: my budget is about 800 euros, used bikes are fine.", {}),
                (
                    "alice",
                    "Steel, without a doubt: it can be repaired anywhere.",
                    {"quote": ("bob", "Steel or aluminium frame?")},
                ),
                ("bob", "Thanks! And which tyres would you fit for gravel roads?", {}),
            ],
            [
                ("bob", "Also: would you take a trailer instead of panniers?", {}),
                ("carol", "Panniers: a trailer is heavy and awkward on narrow trails.", {}),
                ("dave", "I agree with carol on the trailer question entirely.", {}),
            ],
        ],
    ),
    # highest score wins, across two pages (page order)
    2: Topic(
        "Truing a wheel",
        [
            [
                ("dan", "How do I true a wheel at home without a truing stand?", {}),
                ("erin", "Use the brake pads as a guide and go slowly.", {"score": 3}),
            ],
            [
                (
                    "fay",
                    "Flip the bike over and use a zip tie on the fork as a pointer.",
                    {"score": 7},
                )
            ],
        ],
    ),
    # the accepted answer beats a higher score
    3: Topic(
        "Chain keeps skipping",
        [
            [
                ("gus", "My chain skips under load on the two smallest cogs. Why?", {}),
                (
                    "hal",
                    "Probably a stretched chain, measure it with a chain checker.",
                    {"score": 9},
                ),
                (
                    "ivy",
                    "Your cassette is worn: replace chain and cassette together.",
                    {"score": 2, "accepted": True},
                ),
            ]
        ],
    ),
    # the list page says 3 replies, but the second page is not in the archive
    4: Topic(
        "Missing page",
        [
            [
                ("jon", "Which saddle is best for long days in the saddle?", {}),
                ("kim", "A leather saddle, once it is broken in after some weeks.", {}),
            ],
            [
                ("lea", "A saddle that fits your sit bones, whatever the material.", {}),
                ("max", "Try several before buying, shops often lend test saddles.", {}),
            ],
        ],
        skip_pages={1},
    ),
    # only page 2 of this thread was archived: the question is missing
    5: Topic(
        "First page missing",
        [
            [("ned", "Where do I buy spare spokes for an old wheel on the road?", {})],
            [("ola", "Any bike shop stocks common lengths, bring one as a sample.", {})],
        ],
        skip_pages={0},
    ),
    # the asker talks to himself: no answer
    6: Topic(
        "Talking alone",
        [
            [
                ("pat", "Does anybody know a good route from Lyon to Turin by bike?", {}),
                ("pat", "Never mind, I found one through the Mont Cenis pass myself.", {}),
            ]
        ],
    ),
    # the only reply copies the question verbatim: empty once the quote is removed
    7: Topic(
        "Only a quote",
        [
            [
                ("quinn", "Is a dynamo hub worth the money for touring at night?", {}),
                ("rae", "Is a dynamo hub worth the money for touring at night?", {}),
            ]
        ],
    ),
    # the question has no author
    8: Topic(
        "Anonymous",
        [
            [
                (None, "Can I ride a tandem alone when my partner is ill for a week?", {}),
                ("sam", "Yes, with the stoker cranks removed it rides quite well.", {}),
            ]
        ],
    ),
    # German: dropped by --languages en
    9: Topic("Reifen", [[("tom", GERMAN_Q, {}), ("uma", GERMAN_A, {})]]),
    # a long question and answer, then an exact copy and a near copy in other threads
    10: Topic("Old frame", [[("vic", LONG_Q, {}), ("wes", LONG_A, {})]]),
    11: Topic("Old frame", [[("vic", LONG_Q, {}), ("wes", LONG_A, {})]]),
    12: Topic("Old frame", [[("vic", LONG_Q, {}), ("xan", LONG_A.replace("home.", "base."), {})]]),
    # too short an answer
    13: Topic(
        "Short",
        [[("yen", "What pressure for 28 mm tyres on a road bike?", {}), ("zoe", "6 bar", {})]],
    ),
}
TOPICS[4].replies = 3


def thresher(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "thresher", *args], capture_output=True, text=True, env=env
    )


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("board")
    warc = write_board(root / "board.warc.gz", TOPICS)
    recipe = scored_recipe(root / "votes.yaml")
    out = root / "docs"
    run = thresher("extract", str(warc), "-o", str(out), "--recipe", str(recipe))
    assert run.returncode == 0, run.stderr
    return out


def _lines(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (out / "part-00000.jsonl").read_text().splitlines()]


def _by_thread(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {line["meta"]["thread"].rsplit("/", 1)[1]: line for line in _lines(out)}


def test_alpaca_answer_rules_quotes_and_skips(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "alpaca"
    run = thresher("sft", str(docs), "-o", str(out))
    assert run.returncode == 0, run.stderr
    lines = _by_thread(out)
    assert sorted(lines, key=int) == ["1", "2", "3", "9", "10"]
    first = lines["1"]
    assert set(first) == {"instruction", "input", "output", "meta"}
    assert first["instruction"] == (
        "Which bike for touring?\n\n"
        "I am planning a long tour this summer. Steel or aluminium frame?"
    )
    # the first reply by another author, not the asker's follow-up, and without the quote
    assert first["output"] == "Steel, without a doubt: it can be repaired anywhere."
    assert first["meta"]["answer_rule"] == "first_reply"
    assert lines["2"]["output"].startswith("Flip the bike over")  # score 7 on page 2
    assert lines["2"]["meta"]["answer_rule"] == "score"
    assert lines["3"]["output"].startswith("Your cassette is worn")  # accepted, score 2
    assert lines["3"]["meta"]["answer_rule"] == "accepted"
    stats = {s["name"]: s for s in json.loads((out / "stats.json").read_text())["steps"]}
    assert stats["sft"]["dropped"] == {
        "missing_posts": 1,
        "missing_first_post": 1,
        "no_answer": 1,
        "empty_answer": 1,
        "question_without_author": 1,
        "duplicate": 1,
        "near_duplicate": 1,
        "short_answer": 1,
    }
    assert stats["sft"]["kept"] == 5 and stats["sft"]["seen"] == 13
    assert stats["sft"]["counters"]["posts_without_author"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sft" and manifest["counts"]["documents"] == 5
    assert [p["path"] for p in manifest["parts"]] == ["part-00000.jsonl"]
    assert thresher("verify", str(out)).returncode == 0
    assert "wrote 5 examples from 13 threads" in run.stdout
    # the same run again does nothing; other settings are refused, --overwrite replaces
    again = thresher("sft", str(docs), "-o", str(out))
    assert again.returncode == 0 and "already complete (5 examples)" in again.stdout
    other = thresher("sft", str(docs), "-o", str(out), "--min-answer-chars", "1")
    assert other.returncode == 2 and "--overwrite" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    replaced = thresher("sft", str(docs), "-o", str(out), "--min-answer-chars", "1", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert "13" in _by_thread(out)  # "6 bar" is long enough now


def test_messages_are_multi_turn(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "messages"
    run = thresher("sft", str(docs), "-o", str(out), "--format", "messages", "--no-meta")
    assert run.returncode == 0, run.stderr
    lines = _lines(out)
    assert all(set(line) == {"messages"} for line in lines)
    turns = next(ln["messages"] for ln in lines if "Which bike" in ln["messages"][0]["content"])
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[1]["content"] == "Steel, without a doubt: it can be repaired anywhere."
    # the asker's two later posts (across the page break) are one user turn; carol answers
    # it; dave's reply to the same turn is not part of the dialogue
    assert turns[2]["content"] == (
        "Thanks! And which tyres would you fit for gravel roads?\n\n"
        "Also: would you take a trailer instead of panniers?"
    )
    assert turns[3]["content"].startswith("Panniers:")
    assert not any("I agree with carol" in t["content"] for t in turns)
    single = next(ln["messages"] for ln in lines if "truing" in ln["messages"][0]["content"])
    assert [t["role"] for t in single] == ["user", "assistant"]


def test_language_and_dedup_filters(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "en"
    run = thresher("sft", str(docs), "-o", str(out), "--languages", "en")
    assert run.returncode == 0, run.stderr
    lines = _by_thread(out)
    assert "9" not in lines and lines["1"]["meta"]["language"] == "en"
    stats = json.loads((out / "stats.json").read_text())["steps"][-1]
    assert stats["dropped"]["language"] == 1
    keep_all = tmp_path / "all"
    run = thresher("sft", str(docs), "-o", str(keep_all), "--no-dedup", "--no-near-dedup")
    assert run.returncode == 0, run.stderr
    assert {"10", "11", "12"} <= set(_by_thread(keep_all))
    exact_only = tmp_path / "exact"
    assert thresher("sft", str(docs), "-o", str(exact_only), "--no-near-dedup").returncode == 0
    assert {"10", "12"} <= set(_by_thread(exact_only)) and "11" not in _by_thread(exact_only)


def test_template(docs: Path, tmp_path: Path) -> None:
    template = tmp_path / "t.txt"
    template.write_text("Forum question ({source}): {title}\n{{literal}}\n{question}\n")
    out = tmp_path / "templated"
    run = thresher("sft", str(docs), "-o", str(out), "--template", str(template))
    assert run.returncode == 0, run.stderr
    first = _by_thread(out)["1"]
    assert first["instruction"] == (
        "Forum question (phpbb-votes): Which bike for touring?\n{literal}\n"
        "I am planning a long tour this summer. Steel or aluminium frame?"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "sharegpt"], "--format 'sharegpt': unknown; choose one of alpaca, messages"),
        (["--template", "{missing}"], "the template references {missing}, which is not a field"),
        (["--template", "{title.upper}"], "references {title.upper}, which is not a field"),
        (["--template", "{title"], "not a str.format template"),
        (["--template", "{}"], "use field names"),
        (["--template", "{title:d}"], "cannot be filled"),
        (["--template", "NOFILE"], "template file not found"),
        (["--buckets", "top"], "--buckets: unknown bucket 'top'"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    docs: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    if args[0] == "--template" and args[1] != "NOFILE":
        path = tmp_path / "t.txt"
        path.write_text(args[1])
        args = ["--template", str(path)]
    elif args[1] == "NOFILE":
        args = ["--template", str(tmp_path / "nope.txt")]
    out = tmp_path / "out"
    run = thresher("sft", str(docs), "-o", str(out), *args)
    assert run.returncode == 2
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("thresher: error: ") and message in err[0]
    assert not out.exists()


def test_inputs_without_threads(tmp_path: Path) -> None:
    plain = tmp_path / "docs.jsonl"
    plain.write_text(json.dumps({"text": "just a page", "url": "https://x.example/"}) + "\n")
    out = tmp_path / "out"
    run = thresher("sft", str(plain), "-o", str(out))
    assert run.returncode == 1
    assert "no forum post records found" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()
    warc = write_board(tmp_path / "b.warc.gz", {1: TOPICS[1]})
    run = thresher("sft", str(warc), "-o", str(out))
    assert run.returncode == 1 and "run `thresher extract` first" in run.stderr
    assert not out.exists()


def test_threads_from_any_source_and_quote_removal() -> None:
    """A source that yields Thread objects (Reddit later) uses the same rules; quotes that
    the source left inline (``>`` lines, "X wrote:", copied lines) are removed."""
    question = Post("How do I stop my brakes squealing in the rain?", "ann", score=None)
    own = Post("Forgot to say: rim brakes, aluminium rims.", "ann", score=50)
    reply = Post(
        "ann wrote:\n> How do I stop my brakes squealing in the rain?\n"
        "How do I stop my brakes squealing in the rain?\n"
        "Toe in the pads a little and clean the rims with alcohol.",
        "ben",
        score=1,
    )
    thread = Thread("reddit/abc", [question, own, reply], title="Squealing brakes")
    assert without_quotes(reply, thread.posts[:2]) == (
        "Toe in the pads a little and clean the rims with alcohol."
    )
    builder = SftBuilder(SftConfig(format="messages"))
    (line,) = list(builder.examples([thread]))
    # the asker's own post has the highest score but is never the answer
    assert line["messages"][1]["content"].startswith("Toe in the pads")
    assert line["meta"]["answer_rule"] == "score"
    no_author = Thread("x", [Post("A question long enough?", "ann"), Post("An answer.", None)])
    assert list(builder.examples([no_author])) == []
    assert builder.stats.dropped["no_answer"] == 1


def test_recipes_name_thread_page_and_position() -> None:
    """Post records know their thread (across paginated pages) and position."""
    cases = {
        "phpbb": ("https://b.example/viewtopic.php?f=2&t=102&start=20", "b.example/102", 20),
        "xenforo": ("https://f.example/threads/which-bike.55/page-3", "f.example/55", 3),
        "vbulletin": ("https://v.example/showthread.php?t=55&page=2", "v.example/55", 2),
        "discourse": ("https://d.example/t/which-bike/12?page=2", "d.example/12", 2),
    }
    for name, (url, thread, page) in cases.items():
        recipe = load_recipe(name)
        assert recipe.thread_key(url) == thread, name
        assert recipe.page_number(url) == page, name
    assert load_recipe("vbulletin").page_number("https://v.example/showthread.php/55/page4") == 4
    fixture = Path(__file__).parents[1] / "extract" / "fixtures" / "phpbb_topic.html"
    posts = load_recipe("phpbb").records(
        fixture.read_bytes(), "https://board.example.org/viewtopic.php?t=102&start=10"
    )
    assert [(p.metadata["thread"], p.metadata["page"], p.metadata["position"]) for p in posts] == [
        ("board.example.org/102", 10, 0),
        ("board.example.org/102", 10, 1),
    ]


def test_crawled_board_to_sft(tmp_path: Path) -> None:
    """The board served on 127.0.0.1, crawled with the phpbb recipe's link rules (topics over
    two pages), then ``thresher extract --recipe`` and ``thresher sft`` in subprocesses."""
    from aiohttp import web

    from tests.crawl.site import SiteServer, fast_config
    from thresher.crawl import crawl

    topics = {t: TOPICS[t] for t in (1, 2, 3)}
    site = SiteServer().start()
    try:
        for path, page in board_pages(topics).items():
            site.routes[path] = lambda r, p=page: web.Response(text=p, content_type="text/html")
        cfg = fast_config(site, seeds=[site.base + "/viewforum.php?f=2"], recipe="phpbb")
        crawl(cfg, tmp_path / "crawl")
    finally:
        site.stop()
    assert "/viewtopic.php?t=2&start=10" in site.paths()  # pagination followed
    docs = tmp_path / "docs"
    warc = str(tmp_path / "crawl" / "warc")
    run = thresher(
        "extract", warc, "-o", str(docs), "--recipe", str(scored_recipe(tmp_path / "r.yaml"))
    )
    assert run.returncode == 0, run.stderr
    out = tmp_path / "sft"
    run = thresher("sft", str(docs), "-o", str(out), "--format", "messages")
    assert run.returncode == 0, run.stderr
    lines = _by_thread(out)
    assert [t["role"] for t in lines["1"]["messages"]] == ["user", "assistant", "user", "assistant"]
    assert lines["2"]["messages"][1]["content"].startswith("Flip the bike over")  # page 2
    assert lines["3"]["meta"]["answer_rule"] == "accepted"
