"""PII redaction covers every field of a document (text, markdown, title, author, nested
metadata, e-mails in the URL) and the documents ``--keep-dropped`` stores, whichever step
dropped them; counts per kind add up over the fields."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from thresher.document import Document
from thresher.refine.pii import PIIRedactor
from thresher.store import read_documents

from .helpers import write_jsonl

EMAIL, PHONE, CARD = "jane.roe@example.org", "+44 20 7946 0958", "4111 1111 1111 1111"
#: every kind of PII that must not survive anywhere in an output file
SECRETS = (EMAIL, "jane.roe%40example.org", "7946 0958", "4111 1111", "203.0.113.45")

CONFIG_YAML = """\
refine:
  dedup: {enabled: false}
  langid: {enabled: false}
  length: {min_length: 0, min_chars: 200}
  gopher_repetition: {enabled: false}
  gopher_quality: {enabled: false}
  c4: {enabled: false}
  fineweb: {enabled: false}
"""


def record(i: int, text: str) -> dict[str, Any]:
    """A document whose every field holds PII: one e-mail, phone and card in each text field."""
    pii = f"{EMAIL}, {PHONE}, card {CARD}"
    return {
        "id": f"doc-{i}",
        "url": f"https://example.org/contact?to=jane.roe%40example.org&cc={EMAIL}&page={i}",
        "title": f"Contact {pii}",
        "author": f"Jane Roe <{EMAIL}>",
        "text": f"{text} Write to {pii}.",
        "markdown": f"# Contact\n\n[mail](mailto:{EMAIL}) or {PHONE}, card {CARD}",
        "metadata": {
            "posts": [
                {"author": f"{EMAIL}", "body": f"ring {PHONE} from 203.0.113.45"},
                {"author": "someone else", "replies": [[f"card {CARD}"]]},
            ],
            "note": f"{pii}",
            "record_id": "4111111111111111",  # an identifier key: left alone
        },
    }


def files(root: Path) -> Path:
    """One long document (kept) and one short one (dropped by the length step, before PII)."""
    long = "A long enough paragraph of ordinary words about the weather and the harbour. " * 3
    return write_jsonl(root / "in" / "docs.jsonl", [record(0, long), record(1, "Short.")])


def refine_cli(root: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    cfg = root / "cfg.yaml"
    cfg.write_text(CONFIG_YAML)
    out = root / ("OUT" + "".join(extra).replace("-", ""))
    cmd = [sys.executable, "-m", "thresher", "refine", "-c", str(cfg), str(files(root))]
    run = subprocess.run([*cmd, "-o", str(out), *extra], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(leaks(root / "in")) == len(SECRETS)  # the leak check sees every secret
    stats = json.loads((out / "stats.json").read_text())
    pii = next(s for s in stats["steps"] if s["name"] == "pii")
    return out, pii["counters"]


def leaks(folder: Path) -> list[str]:
    """Every secret found in any file below ``folder``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for raw in (data, *([_gunzip(data)] if data[:2] == b"\x1f\x8b" else [])):
                found += [f"{path}: {s}" for s in SECRETS if s.encode() in raw]
    return found


def _gunzip(data: bytes) -> bytes:
    import gzip

    return gzip.decompress(data)


def check_redacted(doc: Document) -> None:
    """Every field of the test record redacted, the identifier kept."""
    assert doc.title == "Contact <EMAIL>, <PHONE>, card <CARD_NUMBER>"
    assert doc.author == "Jane Roe <<EMAIL>>"
    assert doc.text.endswith("Write to <EMAIL>, <PHONE>, card <CARD_NUMBER>.")
    assert doc.markdown == "# Contact\n\n[mail](mailto:<EMAIL>) or <PHONE>, card <CARD_NUMBER>"
    assert doc.url is not None and doc.url.startswith(
        "https://example.org/contact?to=%3CEMAIL%3E&cc=%3CEMAIL%3E&page="
    )
    posts = doc.metadata["posts"]
    assert posts[0] == {"author": "<EMAIL>", "body": "ring <PHONE> from <IP_ADDRESS>"}
    assert posts[1]["replies"] == [["card <CARD_NUMBER>"]]
    assert doc.metadata["note"] == "<EMAIL>, <PHONE>, card <CARD_NUMBER>"
    assert doc.metadata["record_id"] == "4111111111111111"


#: per document: e-mails in title, author, text, markdown, url (2), note, posts[0].author;
#: phones in title, text, markdown, note, posts[0].body; cards in title, text, markdown, note,
#: posts[1]; one IP
PER_DOC = {"email": 8, "phone": 5, "card": 5, "ipv4": 1}


@pytest.mark.timeout(120)
def test_refine_cli_redacts_every_field(tmp_path: Path) -> None:
    out, counters = refine_cli(tmp_path)
    docs = list(read_documents([out]))
    assert [d.id for d in docs] == ["doc-0"]
    check_redacted(docs[0])
    assert not (out / "dropped").exists()
    assert leaks(out) == []
    assert counters == {
        **{f"redacted {k}": n for k, n in PER_DOC.items()},
        "documents with PII": 1,
    }


@pytest.mark.timeout(120)
def test_refine_cli_keep_dropped_redacts_dropped_documents(tmp_path: Path) -> None:
    """The short document is dropped by the length step, which runs before PII: it is
    redacted all the same before it is written to OUT/dropped/, and counted apart."""
    out, counters = refine_cli(tmp_path, "--keep-dropped")
    (dropped,) = read_documents([out / "dropped"])
    assert dropped.id == "doc-1" and dropped.metadata["dropped"]["step"] == "length"
    check_redacted(dropped)
    check_redacted(next(iter(read_documents([out]))))
    assert leaks(out) == []
    expected = {f"redacted {k}": n for k, n in PER_DOC.items()}
    expected |= {f"redacted {k} in dropped documents": n for k, n in PER_DOC.items()}
    assert counters == {**expected, "documents with PII": 1, "dropped documents with PII": 1}


def test_url_loses_only_emails() -> None:
    """The URL rule: only e-mail addresses go; a URL without one is returned as it was."""
    step = PIIRedactor()
    doc = Document.from_dict(record(0, "Text."))
    doc.url = "https://example.org/tel/02079460958?id=4111111111111111"
    counts = step.redact_document(doc)
    assert doc.url == "https://example.org/tel/02079460958?id=4111111111111111"
    assert counts["email"] == 6
