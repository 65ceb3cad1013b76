"""Shared by the dataset tests: partner records of another layout, a light config, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.refine.helpers import LIGHT_REFINE_YAML, SENTENCES


def partner_records() -> list[dict[str, Any]]:
    """Nine records in a layout that is not thresher's: ``body``, ``uid``, ``meta.url``."""
    out: list[dict[str, Any]] = []
    for lang, sentences in SENTENCES.items():
        for i, s in enumerate(sentences):
            out.append(
                {
                    "body": s,
                    "uid": f"{lang}-{i}",
                    "headline": f"{lang} {i}",
                    "meta": {"url": f"https://{lang}.example/{i}", "votes": i},
                    "lang_hint": lang,
                }
            )
    return out


def light_config(folder: Path, extra: str = "") -> Path:
    path = folder / "light.yaml"
    path.write_text(LIGHT_REFINE_YAML + extra, encoding="utf-8")
    return path


def thresher(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "thresher", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        timeout=300,
    )


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single ``thresher: error:`` line of a failed run (and no traceback)."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith("thresher: error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]
