"""Readable labels for the counters, steps and reasons the report shows (raw keys otherwise)."""

from __future__ import annotations

import re

_STEPS = {
    "read": "Read",
    "extract": "Extracted",
    "paragraph_dedup": "Paragraph dedup",
    "langid": "Language id",
    "length": "Length filter",
    "gopher_repetition": "Gopher repetition filter",
    "gopher_quality": "Gopher quality filter",
    "c4": "C4 filters",
    "fineweb": "FineWeb filters",
    "classifier": "Reference-page classifier",
    "perplexity": "Perplexity scoring",
    "buckets": "Perplexity buckets",
    "minhash": "Near-duplicate removal (MinHash)",
    "decontaminate": "Decontamination (benchmark n-grams)",
    "pii": "PII redaction",
    "write": "Written to the corpus",
}

_KEYS = {
    "fetched": "Pages fetched",
    "bytes": "Bytes received",
    "elapsed_seconds": "Seconds crawling",
    "hosts": "Hosts",
    "links_seen": "Links seen",
    "out_of_scope": "Links out of scope",
    "pages_per_second": "Pages per second",
    "redirects": "Redirects",
    "rendered": "Pages rendered in a browser",
    "retries": "Retries",
    "revisits": "Revisits (unchanged pages)",
    "robots_fetches": "robots.txt fetches",
    "tdmrep_fetches": "tdmrep.json fetches",
    "urls_queued": "URLs queued",
    "warc_records": "WARC records written",
    "pages": "Pages archived (all runs)",
    "queue": "URLs still queued",
    "responses_by_status": "Responses by HTTP status",
    "errors_by_kind": "Errors by kind",
    "failed_by_reason": "Failed pages by reason",
    "skipped_by_reason": "Skipped pages by reason (robots.txt and rules)",
    "opt_out": "Opt-out decisions (TDM reservations)",
    "tdmrep": "tdmrep.json answers",
    "urls": "URLs by state (all runs)",
    "robots-disallowed": "disallowed by robots.txt",
    "non_200_status": "HTTP status not 200",
    "not_html": "not HTML",
}


def step_label(name: str) -> str:
    """A refine or extract step's name as a person reads it."""
    return _STEPS.get(name, humanize(name))


def key_label(key: str) -> str:
    """A crawl counter, or a reason, as a person reads it."""
    total = key.startswith("total ")
    base = key[len("total ") :] if total else key
    label = _KEYS.get(base) or humanize(base)
    return f"{label} (all runs)" if total and "(all runs)" not in label else label


def humanize(key: str) -> str:
    """``robots_fetches`` → ``Robots fetches``: separators to spaces, first letter up."""
    text = re.sub(r"[_\-]+", " ", key).strip()
    return text[:1].upper() + text[1:] if text else key
