"""``thresher run`` prints the model's line after a run with ``extract.llm``, as ``extract``
does (requests, tokens, cost), and the Common Crawl fetch line when a slice was read."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from thresher.cli.pipeline import print_summary
from thresher.extract.config import ExtractConfig
from thresher.flow import FlowResult
from thresher.stats import StepStats


def _summary(result: FlowResult, config: ExtractConfig | None) -> str:
    console = Console(record=True, width=200)
    print_summary(result, 1.0, console, extract=config)
    return console.export_text()


def test_the_run_summary_has_the_model_line(tmp_path: Path, schema_file: Path) -> None:
    stats = StepStats("extract")
    for key, n in {
        "llm:pages": 3, "llm:records": 2, "llm:failed": 1, "llm:requests": 4,
        "llm:tokens:prompt": 900, "llm:tokens:completion": 120, "llm:cost_micro": 1140,
    }.items():  # fmt: skip
        stats.count(key, n)
    config = ExtractConfig.model_validate(
        {"llm": {"base_url": "http://127.0.0.1:9/v1", "model": "m", "schema": str(schema_file),
                 "price_input": 1.0, "price_output": 2.0}}
    )  # fmt: skip
    result = FlowResult(out_dir=tmp_path, steps=[stats])
    text = _summary(result, config)
    line = next(x for x in text.splitlines() if x.startswith("extract:"))
    assert "2 records from 3 pages" in line and "4 requests" in line
    assert "tokens 900 in / 120 out" in line and "estimated cost 0.0011" in line
    # no model configured, or nothing asked of it: no line
    assert "extract:" not in _summary(result, None)
    assert "extract:" not in _summary(
        FlowResult(out_dir=tmp_path, steps=[StepStats("extract")]), config
    )
