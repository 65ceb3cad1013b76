"""Recipes written by the model (``thresher recipe suggest``): sample pages go to the model with
the recipe format; its recipe is loaded by the one recipe loader and run on those pages; what
fails (no page type, no record, a field empty everywhere) is sent back, a bounded number of
times. Pay for the model once, then run the cheap recipe on a million pages."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from thresher.config_file import read_yaml
from thresher.errors import ConfigError, InputError, ThresherError
from thresher.extract.decode import decode_html
from thresher.extract.recipes.loader import BUILTIN, parse_recipe
from thresher.extract.recipes.model import Recipe
from thresher.llm.answers import BadAnswer, find_json
from thresher.llm.asking import Asker, Truncated
from thresher.llm.chunks import split_tokens
from thresher.llm.client import ChatClient, RequestTimeout
from thresher.llm.config import LLMConfig

#: the attributes kept in the HTML shown to the model (what selectors and fields use)
KEEP_ATTRS = frozenset(
    {"id", "class", "href", "src", "datetime", "itemprop", "itemtype", "rel", "role", "title"}
)
DROP_TAGS = ["script", "style", "noscript", "svg", "iframe", "template", "link", "meta"]
SYSTEM = """You write recipes for thresher recipe, a web scraper. A recipe is a JSON object: \
page types (matched by a regular expression on the URL and/or a CSS selector that must be on \
the page), on each page type the CSS selector of one record's element (records.each) and of \
each field inside it (relative to the record element; attr reads an attribute, all: true a \
list), and the links to follow. Every record needs its text field (records.text_field, \
default "text"). Use only selectors that occur in the sample pages. Answer with the recipe as \
one JSON object and nothing else.

The recipe's JSON Schema:
{schema}

An example recipe (phpBB forums):
{example}"""
#: reads http(s) URLs: URL → (the URL after redirects, the body)
Fetch = Callable[[list[str]], dict[str, tuple[str, bytes]]]
DEFAULT_ASK = (
    "Find the repeated records of these pages (posts, products, articles, table rows) "
    "and the fields each record has."
)


@dataclass
class Sample:
    """One sample page: what the user named, the URL it is matched as, its HTML."""

    origin: str
    url: str
    html: str


@dataclass
class Suggestion:
    """A recipe that passed on the samples, its data as written, and what it found."""

    recipe: Recipe
    data: dict[str, Any]
    found: list[str]
    counts: Counter[str] = field(default_factory=Counter)


class SuggestFailed(ThresherError):
    """The model gave no recipe that works on the sample pages."""


def read_samples(sources: list[str], fetch: Fetch | None = None) -> list[Sample]:
    """The sample pages: local HTML files, and http(s) URLs read by ``fetch`` (the command
    passes :func:`thresher.crawl.fetch_pages`: robots.txt, the honest User-Agent, the
    address guard)."""
    samples: list[Sample] = []
    urls = [s for s in sources if re.match(r"https?://", s)]
    if urls and fetch is None:
        raise InputError(f"{urls[0]}: sample URLs need a fetcher; give a local HTML file")
    fetched = fetch(urls) if urls and fetch is not None else {}
    for source in sources:
        if source in fetched:
            url, payload = fetched[source]
            samples.append(Sample(source, url, decode_html(payload)[0]))
            continue
        path = Path(source)
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{source}: no such file") from None
        except OSError as e:
            raise InputError(f"{source}: cannot read: {e.strerror or e}") from None
        samples.append(Sample(source, path.resolve().as_uri(), decode_html(payload)[0]))
    return samples


def clean_html(html: str, max_tokens: int) -> str:
    """The page as the model sees it: no scripts, styles or inline SVG, only the attributes
    selectors use, whitespace collapsed, cut to ``max_tokens`` estimated tokens."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(DROP_TAGS)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in root.traverse():
        attrs = node.attrs
        for name in [a for a in attrs if a not in KEEP_ATTRS]:
            del attrs[name]
    text = re.sub(r">\s+<", "><", root.html or "")
    text = re.sub(r"\s+", " ", text)
    return split_tokens(text, max_tokens, 0)[0]


def check_recipe(recipe: Recipe, samples: list[Sample]) -> list[str]:
    """What fails when the recipe runs on the samples: pages no page type matches, page
    types that find no record, fields empty in every record. Empty when it passes."""
    problems: list[str] = []
    filled: dict[tuple[str, str], bool] = {}
    records = 0
    for s in samples:
        pt = recipe.page_type(LexborHTMLParser(s.html), s.url)
        if pt is None:
            problems.append(f"{s.origin}: no page type matches it")
            continue
        if pt.records is None:
            continue
        docs = recipe.records(s.html, s.url)
        if not docs:
            n = len(LexborHTMLParser(s.html).css(pt.records.each))
            problems.append(
                f"{s.origin}: page type {pt.name!r} finds no record (records.each "
                f"{pt.records.each!r} matches {n} element(s)"
                + (f", none with a {pt.records.text_field!r} field)" if n else ")")
            )
        records += len(docs)
        for doc in docs:
            for name, value in doc.metadata["fields"].items():
                key = (pt.name, name)
                filled[key] = filled.get(key, False) or value not in (None, "", [])
    for (pt_name, name), ok in filled.items():
        if not ok:
            problems.append(f"page type {pt_name!r}: field {name!r} is empty in every record")
    if not records and not problems:
        problems.append("no page type has records: give the records of the pages")
    return problems


def _found(recipe: Recipe, samples: list[Sample]) -> list[str]:
    return [f"{s.origin}: {len(recipe.records(s.html, s.url))} records" for s in samples]


def _example() -> str:
    return json.dumps(read_yaml(BUILTIN / "phpbb.yaml"), ensure_ascii=False)


def suggest_recipe(
    samples: list[Sample],
    config: LLMConfig,
    *,
    name: str,
    ask: str | None = None,
    tries: int = 3,
    page_tokens: int = 3000,
) -> Suggestion:
    """A recipe named ``name`` that finds records with every field filled on ``samples``;
    ConfigError with the last try's problems when ``tries`` answers all failed."""
    schema = Recipe.model_json_schema()
    system = SYSTEM.format(schema=json.dumps(schema), example=_example())
    pages = "\n\n".join(
        f"--- page {i + 1}: {s.url}\n{clean_html(s.html, page_tokens)}"
        for i, s in enumerate(samples)
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{ask or DEFAULT_ASK}\n\nSample pages:\n\n{pages}"},
    ]
    counts: Counter[str] = Counter()

    def check(text: str) -> tuple[Recipe, dict[str, Any]]:
        data = find_json(text)
        if not isinstance(data, dict):
            raise BadAnswer("the recipe must be a JSON object")
        data["name"] = name
        try:
            recipe = parse_recipe(data, "recipe")
        except ConfigError as e:
            raise BadAnswer(str(e)) from None
        problems = check_recipe(recipe, samples)
        if problems:
            raise BadAnswer("run on the sample pages: " + "; ".join(problems))
        return recipe, data

    async def run() -> tuple[Recipe, dict[str, Any]]:
        client = ChatClient.from_config(config)
        async with client:
            asker = Asker(client, config)
            return await asker.ask_until_valid(
                messages, schema, check, tries - 1, counts, max_tokens=max(config.max_tokens, 4096)
            )

    try:
        recipe, data = asyncio.run(run())
    except BadAnswer as e:
        raise SuggestFailed(f"no working recipe after {tries} tries; the last: {e}") from None
    except (Truncated, RequestTimeout) as e:
        raise SuggestFailed(f"no recipe: {e}") from None
    return Suggestion(recipe, data, _found(recipe, samples), counts)


def write_recipe(data: dict[str, Any], path: Path, *, note: str = "") -> None:
    """The recipe as YAML (``note`` as a comment above it), written atomically: a failed run
    leaves no file."""
    import yaml

    from thresher.atomic import replacing

    head = "".join(f"# {line}\n" for line in note.splitlines())
    text = head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    with replacing(path) as f:
        f.write(text.encode("utf-8"))
