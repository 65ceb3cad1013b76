"""Ctrl-C with the Ray executor: one line and exit 130, no worker traceback; a Ctrl-C while Ray
starts or stops does not cut it in the middle (a half-started instance left to Ray's exit
handler could crash the process after ``thresher: interrupted``)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.extract.test_cli_exits import _archives as write_archives
from tests.extract.test_cli_exits import ctrl_c_once
from thresher.execute import ray as ray_executor
from thresher.execute.ray import RayExecutor, _sigint_held


def test_a_ctrl_c_in_a_held_block_is_raised_once_it_is_done() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), _sigint_held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the signal arrives here: held, not raised mid-block
        done.append(1)
    assert done == [1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with _sigint_held():  # no signal: nothing raised
        done.append(2)
    assert done == [1, 2]


class _FakeRay:
    """Stands in for ``ray``: start-up and shutdown take a while; a Ctrl-C comes meanwhile."""

    def __init__(self, interrupt_in: str) -> None:
        self.interrupt_in = interrupt_in
        self.up = False
        self.shutdowns = 0

    def is_initialized(self) -> bool:
        return self.up

    def _slow(self, step: str) -> None:
        if self.interrupt_in == step:
            os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)

    def init(self, **_kw: Any) -> None:
        self._slow("init")
        self.up = True

    def shutdown(self) -> None:
        self._slow("shutdown")
        self.up = False
        self.shutdowns += 1


@pytest.mark.parametrize("step", ["init", "shutdown"])
def test_a_ctrl_c_while_ray_starts_or_stops_stops_it_whole(
    monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    fake = _FakeRay(step)
    monkeypatch.setattr(ray_executor, "_import_ray", lambda: fake)
    with pytest.raises(KeyboardInterrupt), RayExecutor(2):
        pass
    assert fake.shutdowns == 1 and not fake.up  # started whole, then stopped whole


@pytest.mark.timeout(120)
def test_ctrl_c_on_ray_is_one_line_exit_130_and_no_worker_traceback(tmp_path: Path) -> None:
    """``thresher extract --executor ray``: Ctrl-C (SIGINT to the process group, as a terminal
    sends it) once one task is done and one runs. About 15 s here (Ray starts in ~4 s)."""
    pytest.importorskip("ray")
    write_archives(tmp_path / "in")
    out = tmp_path / "out"
    err = tmp_path / "err.txt"
    args = [sys.executable, "-m", "thresher", "extract", str(tmp_path / "in"), "-o", str(out)]
    code, took = ctrl_c_once(
        [*args, "--workers", "2", "--executor", "ray"], out, err, wait=45,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )  # fmt: skip
    text = err.read_text()
    assert code == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert text.strip().splitlines()[-1] == "thresher: interrupted"
    assert took < 20, took  # the running task is cancelled, Ray stopped: not waited for
    assert not (out / ".documents-work/shards/00000.done.json").exists()
