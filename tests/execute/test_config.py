"""The executor settings: the YAML section, the older stage keys, the command-line options,
and one-line errors (a bad value, an unknown key, ray not installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from thresher.config import load_config
from thresher.errors import ConfigError
from thresher.execute import ExecutorConfig, LocalExecutor, make_executor
from thresher.execute.config import legacy_keys, load_executor, parse_bytes
from thresher.execute.ray import RayExecutor
from thresher.refine import RefineConfig


def test_section_with_resources(tmp_path: Path) -> None:
    cfg = tmp_path / "p.yaml"
    cfg.write_text(
        "executor: {kind: ray, workers: 8, address: 'ray://head:10001', "
        "num_cpus_per_task: 2, memory_per_task: 2GiB}\n",
        encoding="utf-8",
    )
    ex = load_config(cfg).executor
    assert (ex.kind, ex.workers, ex.address, ex.num_cpus_per_task) == (
        "ray",
        8,
        "ray://head:10001",
        2,
    )
    assert ex.memory_per_task == 2 * 2**30
    ray = make_executor(ex)
    assert isinstance(ray, RayExecutor) and (ray.memory, ray.num_cpus) == (2 * 2**30, 2)
    assert parse_bytes("1.5GB") == 1_500_000_000 and parse_bytes(1000) == 1000


def test_precedence_options_then_section_then_older_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "p.yaml"
    cfg.write_text("refine: {workers: 3, executor: ray}\n", encoding="utf-8")
    refine = load_config(cfg).refine
    assert load_executor(cfg, legacy=legacy_keys(refine)).model_dump(
        include={"kind", "workers"}
    ) == {
        "kind": "ray",
        "workers": 3,
    }  # the older keys still work
    cfg.write_text("refine: {workers: 3}\nexecutor: {workers: 5}\n", encoding="utf-8")
    refine = load_config(cfg).refine
    assert load_executor(cfg, legacy=legacy_keys(refine)).workers == 5
    assert load_executor(cfg, legacy=legacy_keys(refine), workers=2, kind="local").workers == 2
    assert legacy_keys(RefineConfig()) == {}  # defaults are not "set"
    assert isinstance(make_executor(ExecutorConfig()), LocalExecutor)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("executor: {kind: spark}\n", "p.yaml: executor.kind: Input should be 'local' or 'ray'"),
        ("executor: {wokers: 2}\n", "p.yaml: executor.wokers: unknown key"),
        ("executor: {memory_per_task: lots}\n", "p.yaml: executor.memory_per_task: Value error"),
    ],
)
def test_bad_section_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_executor(cfg)
    assert str(exc.value).startswith(f"{cfg.parent}/{message}") and "\n" not in str(exc.value)


def test_missing_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'thresher\[ray\]'"), RayExecutor(1):
        pass


def test_cli_bad_executor_is_one_line(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "text": "hello"}\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "thresher", "refine", str(docs), "-o", str(tmp_path / "o"),
         "--executor", "spark"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "thresher: error: executor: kind: Input should be 'local' or 'ray'"
    ]
