from __future__ import annotations

from pathlib import Path

import pytest

from thresher.config import PipelineConfig, load_config, load_section
from thresher.config_file import PIPELINE_SECTIONS
from thresher.crawl.config import CrawlConfig
from thresher.errors import ConfigError
from thresher.refine.config import RefineConfig


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pipeline.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_without_a_file() -> None:
    cfg = PipelineConfig()
    assert cfg.crawl.rate == 1.0 and cfg.crawl.per_host == 1
    assert cfg.refine.langid.threshold == 0.5
    assert cfg.output.part_bytes == 256 * 1024 * 1024


def test_valid_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "crawl:\n  seeds: [http://a.example/]\n  rate: 2\n"))
    assert cfg.crawl.seeds == ["http://a.example/"] and cfg.crawl.rate == 2.0
    assert cfg.extract == PipelineConfig().extract


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "crawl:\n  sedes: [x]\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert str(path) in msg and "crawl.sedes" in msg and "unknown key" in msg
    assert "\n" not in msg


def test_bad_value_names_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "crawl:\n  rate: -1\n"))
    assert "crawl.rate" in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "refine:\n  langid:\n    threshold: high\n"))
    assert "refine.langid.threshold" in str(e.value)


def test_unknown_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="crowl: unknown key"):
        load_config(write(tmp_path, "crowl: {}\n"))


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, "crawl: [unclosed\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == PipelineConfig()


def test_load_section_from_whole_pipeline_or_bare_section(tmp_path: Path) -> None:
    whole = write(tmp_path, "crawl:\n  rate: 3\nrefine: {}\n")
    assert load_section(CrawlConfig, whole, "crawl").rate == 3.0
    bare = tmp_path / "crawl.yaml"
    bare.write_text("rate: 4\n", encoding="utf-8")
    assert load_section(CrawlConfig, bare, "crawl").rate == 4.0
    # command-line overrides win over the file; None means "not given"
    assert load_section(CrawlConfig, bare, "crawl", rate=5.0, per_host=None).rate == 5.0
    assert isinstance(load_section(RefineConfig, None, "refine"), RefineConfig)


def test_load_section_error_names_section(tmp_path: Path) -> None:
    whole = write(tmp_path, "crawl:\n  rate: zero\n")
    with pytest.raises(ConfigError, match=r"crawl\.rate"):
        load_section(CrawlConfig, whole, "crawl")


def test_the_low_config_reader_knows_every_pipeline_section() -> None:
    """A stage tells a pipeline file from its own section by these names (no import of
    :mod:`thresher.config`, which composes every stage): they must be the pipeline's."""
    assert set(PIPELINE_SECTIONS) == set(PipelineConfig.model_fields)
