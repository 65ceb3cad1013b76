"""The dataset card: ``DIR/README.md`` of a refined corpus in the Hugging Face format.

A YAML header the Hub and ``datasets`` read (languages, licence, size, one config per
language and per language/bucket whose ``data_files`` globs match the parts), then how the
data was made, from what the run left behind: the manifest (inputs, configuration, counts),
``stats.json`` (what every step kept and dropped) and, for a ``thresher run`` root, the
crawl's stats (robots.txt and opt-out decisions). The manifest does not list the card, and
``verify`` ignores it: it is a description beside the data, rewritten by every run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from thresher.atomic import write_text
from thresher.errors import OutputError
from thresher.refine.quality_score import quality_model_card
from thresher.store.manifest import primary_format, read_manifest
from thresher.store.remote import RemoteFolder, is_remote, local_path

CARD = "README.md"
MAX_INPUTS_LISTED = 20

#: Hugging Face's size categories: (upper bound exclusive, label)
_SIZES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)

_FIELDS = (
    ("id", "stable id, the same in every later version of the corpus"),
    ("url", "where the page came from"),
    ("source", "WARC file and record offset, or the input file"),
    ("fetched_at", "capture time, ISO 8601 UTC"),
    ("title, author, date", "metadata where the page had it (null otherwise)"),
    ("text", "main content as plain text, paragraphs separated by newlines"),
    ("markdown", "main content as Markdown (when extracted)"),
    ("language, language_score", "fastText lid.176 label and score"),
    ("perplexity, bucket", "5-gram perplexity and head / middle / tail"),
    ("metadata", "links, images, HTTP details, quality signals (a JSON string in Parquet)"),
)

_LIMITS = (
    "Language id is fastText lid.176: short texts and close languages (Croatian, Serbian, "
    "Bosnian; Malay, Indonesian) are often confused.",
    "Perplexity buckets rank documents against a 5-gram model of reference text: they measure "
    "likeness to that text, not truth or quality.",
    "PII redaction is pattern-based (e-mail addresses, phone numbers, IP addresses, card "
    "numbers): names, street addresses and other personal data are not removed.",
    "Paragraph and near-duplicate removal works within this corpus only; overlap with other "
    "corpora (and with evaluation sets) is not checked.",
    "The licence of each page is its site's: the licence above describes the compilation.",
)


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` label for ``n`` documents."""
    for bound, label in _SIZES:
        if n < bound:
            return label
    return "n>1T"


def _glob(folder: str, fmt: str) -> str:
    return f"{folder}/part-*.{fmt}" if folder != "." else f"part-*.{fmt}"


def card_configs(by_folder: dict[str, int], fmt: str) -> list[dict[str, Any]]:
    """The ``configs:`` entries: ``default`` (everything), one per language, one per
    language/bucket folder, each with a ``train`` split whose glob matches its parts."""
    depth = max((f.count("/") + 1 for f in by_folder if f != "."), default=0)
    configs: list[dict[str, Any]] = [
        {
            "config_name": "default",
            "default": True,
            "data_files": [{"split": "train", "path": _glob("/".join(["*"] * depth) or ".", fmt)}],
        }
    ]
    if depth == 0:
        return configs
    languages = sorted({f.split("/", 1)[0] for f in by_folder if f != "."})
    for lang in languages:
        pattern = "/".join([lang, *["*"] * (depth - 1)])
        configs.append(
            {"config_name": lang, "data_files": [{"split": "train", "path": _glob(pattern, fmt)}]}
        )
    if depth > 1:
        for folder in sorted(by_folder):
            if folder == "." or folder.count("/") + 1 != depth:
                continue
            configs.append(
                {
                    "config_name": folder.replace("/", "-"),
                    "data_files": [{"split": "train", "path": _glob(folder, fmt)}],
                }
            )
    return configs


def _header(manifest: dict[str, Any], license_id: str) -> dict[str, Any]:
    counts = manifest.get("counts", {})
    by_folder = counts.get("by_folder", {})
    fmt = primary_format(manifest.get("parts", [])) or "parquet"
    languages = sorted(
        {f.split("/", 1)[0] for f in by_folder if f != "." and f.split("/", 1)[0] != "unknown"}
    )
    header: dict[str, Any] = {}
    if languages:
        header["language"] = languages
    header["license"] = license_id
    header["size_categories"] = [size_category(int(counts.get("documents", 0)))]
    header["task_categories"] = ["text-generation"]
    header["pretty_name"] = "thresher corpus"
    header["tags"] = ["thresher", "web-crawl"]
    header["configs"] = card_configs(by_folder, fmt)
    return header


def _table(head: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        text = f"{v:,}" if isinstance(v, int) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def _contents(by_folder: dict[str, int]) -> str:
    per_lang: dict[str, dict[str, int]] = defaultdict(dict)
    for folder, n in by_folder.items():
        lang, _, bucket = folder.partition("/")
        per_lang[lang][bucket or "all"] = per_lang[lang].get(bucket or "all", 0) + n
    buckets = sorted({b for per in per_lang.values() for b in per}, key=_bucket_order)
    rows = [
        [lang, *(per.get(b, 0) for b in buckets), sum(per.values())]
        for lang, per in sorted(per_lang.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    return _table(["language", *buckets, "documents"], rows)


def _bucket_cutoffs(applied: dict[str, Any] | None) -> str:
    """The perplexity cut-offs the run applied per language, and the languages it did not
    bucket with why (the manifest's ``buckets``); empty for a corpus without buckets."""
    from thresher.refine.buckets import cutoff_rows

    rows = cutoff_rows(applied or {})
    if not rows:
        return ""
    head = ["language", "head: perplexity below", "tail: perplexity from", "cut-offs"]
    return "### Perplexity cut-offs applied\n\n" + _table(head, rows) + "\n"


def _bucket_order(name: str) -> tuple[int, str]:
    order = {"head": 0, "middle": 1, "tail": 2}
    return (order.get(name, 3), name)


def _steps(stats: list[dict[str, Any]]) -> str:
    rows = []
    for s in stats:
        dropped = s.get("dropped", {})
        reasons = ", ".join(
            f"{k}: {v:,}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1])
        )
        rows.append([s.get("name", "?"), s.get("seen", 0), s.get("kept", 0), sum(dropped.values()),
                     reasons or "-"])  # fmt: skip
    return _table(["step", "seen", "kept", "dropped", "why"], rows)


#: the limit that replaces the last words of the dedup one when benchmarks were checked
_DECONTAMINATED = (
    "Paragraph and near-duplicate removal works within this corpus only; overlap with other "
    "corpora is not checked. Overlap with evaluation sets was checked only against the "
    "benchmarks listed above, by exact n-grams of normalised words: paraphrases, "
    "translations and passages shorter than the n-gram are not found."
)


def _decontamination(manifest: dict[str, Any], stats: list[dict[str, Any]]) -> str:
    """The benchmarks the run checked, with their SHA-256 and the documents that shared an
    n-gram with each; empty when it checked none."""
    from thresher.refine.decontaminate import summary

    found = summary(manifest.get("config"), stats)
    if found is None:
        return ""
    n, rows = found["ngram"], found["rows"]
    done = (
        "dropped"
        if found["mode"] == "drop"
        else f"kept with {found['spans']:,} shared spans replaced by a placeholder"
    )
    return "\n".join([
        "### Decontamination\n",
        f"Every document was checked against {len(rows)} evaluation "
        f"benchmark{'s' if len(rows) != 1 else ''} for shared {n}-grams of normalised words "
        "(Unicode NFKC, case-folded, punctuation removed, as GPT-3 and Dolma do). "
        f"{found['documents']:,} of {found['seen']:,} documents shared one and were {done}.\n",
        _table(["benchmark", f"documents sharing a {n}-gram", "SHA-256"],
               [[f"`{name}`", hits, f"`{digest}`"] for name, hits, digest in rows]),
        "",
    ])  # fmt: skip


def _opt_outs(crawl: dict[str, Any] | None) -> str:
    if crawl is None:
        return (
            "The documents were not crawled by this run (no crawl stats beside the corpus): "
            "the opt-outs honoured are those of whoever collected the inputs."
        )
    run = crawl.get("this_run", crawl)
    total = crawl.get("total", {})
    skipped = total.get("skipped_by_reason") or run.get("skipped_by_reason") or {}
    lines = [
        f"Crawled as `{crawl.get('user_agent', '?')}`, obeying robots.txt and TDM reservations "
        "(tdmrep.json, `tdm-reservation` headers and meta tags)."
    ]
    rows = [[reason, n] for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1])]
    rows += [[f"opt-out: {k}", v] for k, v in sorted((run.get("opt_out") or {}).items())]
    if rows:
        lines.append("")
        lines.append(_table(["pages not fetched or not kept", "count"], rows))
    else:
        lines.append("No page was skipped for robots.txt or an opt-out.")
    return "\n".join(lines)


def render_card(
    manifest: dict[str, Any],
    stats: list[dict[str, Any]],
    *,
    license_id: str = "other",
    crawl: dict[str, Any] | None = None,
    name: str = "corpus",
) -> str:
    """The card's text for a corpus manifest, its step stats and (optional) crawl stats."""
    counts = manifest.get("counts", {})
    by_folder = counts.get("by_folder", {})
    n = int(counts.get("documents", 0))
    header = yaml.safe_dump(_header(manifest, license_id), sort_keys=False, allow_unicode=True)
    inputs = [str(i) for i in manifest.get("inputs", [])]
    listed = "\n".join(f"- `{i}`" for i in inputs[:MAX_INPUTS_LISTED])
    if len(inputs) > MAX_INPUTS_LISTED:
        listed += f"\n- … and {len(inputs) - MAX_INPUTS_LISTED:,} more (see `manifest.json`)"
    config = yaml.safe_dump(manifest.get("config") or {}, sort_keys=False, allow_unicode=True)
    fmt = primary_format(manifest.get("parts", [])) or "parquet"
    loader = "parquet" if fmt == "parquet" else "json"
    example = next((c for c in card_configs(by_folder, fmt) if c["config_name"] != "default"), None)
    pattern = (example or card_configs(by_folder, fmt)[0])["data_files"][0]["path"]
    decontamination = _decontamination(manifest, stats)
    limits = [_DECONTAMINATED if decontamination and "evaluation sets" in line else line
              for line in _LIMITS]  # fmt: skip
    parts = [
        f"---\n{header}---\n",
        f"# {name}\n",
        f"{n:,} documents in {_parts_line(manifest.get('parts', []))}, made by thresher "
        f"{manifest.get('thresher_version', '?')} on {manifest.get('created_at', '?')}: web pages "
        "crawled (or read from web archives), their main content extracted, then refined the "
        "way CCNet does (paragraph dedup, language id, quality filters, perplexity buckets).\n",
        "## Contents\n",
        _contents(by_folder) if by_folder else "No documents.",
        "",
        "Parts are laid out as `<language>/<bucket>/part-NNNNN.<format>`; each config above "
        "selects a language or a language/bucket folder. `head` holds the documents closest to "
        "the reference text of their language, `tail` the furthest.\n",
        _bucket_cutoffs(manifest.get("buckets")),
        quality_model_card(manifest.get("config") or {}),
        "## Loading\n",
        "```python\nfrom datasets import load_dataset\n\n"
        f'ds = load_dataset("{loader}", data_files="{pattern}", split="train")\n```\n',
        "## Fields\n",
        _table(["field", "meaning"], [[f"`{a}`", b] for a, b in _FIELDS]),
        "",
        "## How the data was made\n",
        "### Inputs\n",
        listed or "(none recorded)",
        "",
        "### Steps: what each kept and dropped\n",
        _steps(stats) if stats else "No step statistics were recorded.",
        "",
        decontamination,
        "### Opt-outs honoured\n",
        _opt_outs(crawl),
        "",
        "### Configuration\n",
        f"```yaml\n{config}```\n",
        "## Known limits\n",
        "\n".join(f"- {line}" for line in limits),
        "",
        "Every part is listed in `manifest.json` with its SHA-256 and document count; "
        "`thresher verify DIR` checks them.\n",
    ]
    return "\n".join(parts)


def tokens_table(by_folder: dict[str, dict[str, int]]) -> str:
    """Tokens (without EOS) per language and bucket, as the manifest of a tokenize run
    counts them, with each language's total."""
    per_lang: dict[str, dict[str, int]] = defaultdict(dict)
    docs: dict[str, int] = defaultdict(int)
    for folder, v in by_folder.items():
        lang, _, bucket = folder.partition("/")
        per_lang[lang][bucket or "all"] = per_lang[lang].get(bucket or "all", 0) + v["tokens"]
        docs[lang] += v["documents"]
    buckets = sorted({b for per in per_lang.values() for b in per}, key=_bucket_order)
    rows = [
        [lang, *(per.get(b, 0) for b in buckets), sum(per.values()), docs[lang]]
        for lang, per in sorted(per_lang.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    return _table(["language", *(f"{b} tokens" for b in buckets), "tokens", "documents"], rows)


def render_tokens_card(
    manifest: dict[str, Any], stats: list[dict[str, Any]], *, license_id: str = "other",
    name: str = "tokens",
) -> str:  # fmt: skip
    """The card of a ``thresher tokenize`` folder: tokens per language and bucket, the
    tokenizer and the shard layout, how to load the shards with numpy."""
    info = manifest.get("tokens", {})
    config = manifest.get("config") or {}
    by_folder = info.get("by_folder", {})
    languages = sorted({f.split("/", 1)[0] for f in by_folder} - {"unknown"})
    header: dict[str, Any] = {"language": languages} if languages else {}
    header |= {
        "license": license_id,
        "size_categories": [size_category(int(info.get("documents", 0)))],
        "task_categories": ["text-generation"],
        "pretty_name": "thresher tokenized shards",
        "tags": ["thresher", "tokenized"],
    }
    megatron = info.get("format") == "megatron"
    suffixes = (".bin", ".idx") if megatron else (".tokens", ".offsets.npy")
    shards = sum(1 for p in manifest.get("parts", []) if p["path"].endswith(suffixes[0]))
    if megatron:
        layout = (
            "Megatron-LM indexed datasets: `part-NNNNN.bin` (token ids) and `part-NNNNN.idx` "
            "(MMapIndexedDataset index): give the prefixes `part-NNNNN` to Megatron's "
            "`--data-path`."
        )
    else:
        layout = (
            f"`part-NNNNN.tokens`: raw little-endian `{info.get('dtype')}` token ids; "
            "`part-NNNNN.offsets.npy`: `int64` offsets of its documents (document `i` is "
            "`tokens[offsets[i]:offsets[i + 1]]`, its EOS last)."
        )
    mix = info.get("mix") or {}
    mix_rows = [[lang, f"{v['target']:.3f}", f"{v['share']:.3f}"] for lang, v in mix.items()]
    inputs = "\n".join(f"- `{i}`" for i in manifest.get("inputs", [])) or "(none recorded)"
    settings = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    parts = [
        f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n",
        f"# {name}\n",
        f"{int(info.get('total', 0)):,} tokens ({int(info.get('text_tokens', 0)):,} of text, one "
        f"EOS id {info.get('eos_id')} after each of {int(info.get('documents', 0)):,} "
        f"documents) in {shards:,} shards of at most {int(info.get('shard_tokens', 0)):,} "
        f"tokens, shuffled with seed {info.get('seed')}; made by thresher "
        f"{manifest.get('thresher_version', '?')} on {manifest.get('created_at', '?')}.\n",
        "## Tokens per language and bucket\n",
        tokens_table(by_folder) if by_folder else "No tokens.",
        "",
    ]
    if mix_rows:
        parts += ["### Language mix (token shares)\n",
                  _table(["language", "asked", "written"], mix_rows), ""]  # fmt: skip
    parts += [
        "## Layout\n",
        layout + "\n",
        f"Vocabulary of {int(info.get('vocab_size', 0)):,} ids; tokenizer SHA-256 "
        f"`{info.get('tokenizer_sha256', '?')}`.\n",
        "## How the data was made\n",
        "### Inputs\n",
        inputs,
        "",
        "### Steps: what each kept and dropped\n",
        _steps(stats) if stats else "No step statistics were recorded.",
        "",
        "### Configuration\n",
        f"```yaml\n{settings}```\n",
        "Every shard file is listed in `manifest.json` with its SHA-256 and document count; "
        "`thresher verify DIR` checks them.\n",
    ]
    return "\n".join(parts)


def _parts_line(parts: list[dict[str, Any]]) -> str:
    formats = sorted({p["path"].rsplit("/", 1)[-1].split(".", 1)[-1] for p in parts})
    primary = primary_format(parts)
    n = sum(1 for p in parts if p["path"].endswith(f".{primary}"))
    return f"{n:,} parts (each in {', '.join(formats) or 'no format'})"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def find_crawl_stats(corpus_dir: Path) -> dict[str, Any] | None:
    """The crawl stats of a ``thresher run`` root holding this corpus (``ROOT/crawl/``)."""
    return _read_json(corpus_dir.parent / "crawl" / "crawl-stats.json")


def write_card(
    corpus_dir: str | Path,
    *,
    license_id: str = "other",
    crawl: dict[str, Any] | None = None,
) -> str:
    """Write ``README.md`` beside the manifest of a corpus (local folder or object-store URL)
    and return where it went. ``crawl`` defaults to the crawl stats of a run root."""
    if is_remote(corpus_dir):
        folder = RemoteFolder(str(corpus_dir))
        manifest = folder.manifest() or {}
        stats = [s.to_dict() for s in folder.stats()]
        name = folder.url.rsplit("/", 1)[-1]
        if manifest.get("kind") == "tokens":
            text = render_tokens_card(manifest, stats, license_id=license_id, name=name)
        else:
            text = render_card(manifest, stats, license_id=license_id, crawl=crawl, name=name)
        try:
            folder.fs.pipe_file(folder.key(CARD), text.encode())
        except (OSError, ValueError) as e:
            raise OutputError(f"{folder.url}/{CARD}: cannot write: {e}") from None
        return f"{folder.url}/{CARD}"
    root = local_path(corpus_dir)
    manifest = read_manifest(root)
    stats = (_read_json(root / "stats.json") or {}).get("steps", [])
    if manifest.get("kind") == "tokens":
        text = render_tokens_card(manifest, stats, license_id=license_id, name=root.resolve().name)
        write_text(root / CARD, text)
        return str(root / CARD)
    if crawl is None:
        crawl = find_crawl_stats(root)
    name = root.resolve().name
    if name == "corpus" and (root / ".." / "crawl").is_dir():  # a run root's corpus
        name = root.resolve().parent.name
    text = render_card(manifest, stats, license_id=license_id, crawl=crawl, name=name)
    write_text(root / CARD, text)
    return str(root / CARD)
