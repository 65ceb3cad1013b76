"""``thresher demo``: the whole flow on the shipped site, with no network needed."""

from __future__ import annotations

import shutil
from pathlib import Path

from thresher.config import PipelineConfig
from thresher.demo.models import train_demo_models
from thresher.demo.server import DemoServer
from thresher.errors import OutputError
from thresher.flow import FlowResult, run_pipeline
from thresher.output import LOCK_NAME, check_folder, lock_folder


def demo_config(base_url: str, out_dir: str | Path) -> PipelineConfig:
    """The demo's pipeline: a fast crawl of the local site (it is ours, so no 1 req/s delay),
    extraction, and refine with normalisation, paragraph dedup and language id."""
    return PipelineConfig.model_validate(
        {
            "crawl": {
                "seeds": [base_url + "/"],
                "allow_private": True,
                "rate": 500.0,
                "per_host": 4,
                "concurrency": 8,
                "max_pages": 500,
            },
            "refine": {"dedup": {"policy": "keep-first"}},
            "output": {"dir": str(out_dir), "formats": ["parquet", "jsonl.gz"]},
        }
    )


MARKER = ".thresher-demo"


def prepare_folder(out_dir: str | Path) -> Path:
    """An empty folder for a demo run. The site gets a new port on every run, so a previous
    demo's output (recognised by its marker file) is replaced rather than resumed; any other
    non-empty folder is left alone and refused."""
    root = check_folder(out_dir)
    children = [c for c in root.iterdir() if c.name != LOCK_NAME]
    if children and not (root / MARKER).is_file():
        raise OutputError(
            f"{root}: folder is not empty and not a previous demo's output; choose another -o"
        )
    for child in children:  # the lock file stays: this run holds it
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (root / MARKER).write_text("output of `thresher demo`; replaced by the next demo run\n")
    return root


def run_demo(out_dir: str | Path = "thresher-demo") -> tuple[FlowResult, DemoServer]:
    """Serve the demo site, run the pipeline on it, stop the site; returns the result and the
    (stopped) server, whose ``requests`` list shows what was fetched."""
    with lock_folder(out_dir):
        prepare_folder(out_dir)
        lm_dir = Path(out_dir) / "models"  # a 5-gram per language, from shipped text
        train_demo_models(lm_dir)
        with DemoServer() as site:
            config = demo_config(site.base_url, out_dir)
            config.refine.lm_dir = str(lm_dir)
            result = run_pipeline(config, out_dir)
    return result, site
