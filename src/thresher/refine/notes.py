"""What a refine run tells its user along the way: the phase it is in (from its first second,
the dedup scan and the calibration included), a resume, a missing language model once per
language, and why a run that keeps nothing kept nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from thresher.progress import phase, slow_phase
from thresher.stats import StepStats

__all__ = ["nothing_kept", "phase", "slow_phase", "top_reasons", "warn_missing_models"]

log = logging.getLogger("thresher.refine.lm")

#: drop reasons named in one message; the rest are counted as "+N more"
TOP_REASONS = 3


def top_reasons(counts: Mapping[str, int], n: int = TOP_REASONS, sep: str = " ") -> str:
    """``reason count, ...`` for the ``n`` largest, then ``+K more`` when reasons were left
    out (a message never cuts the list silently)."""
    ranked = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k}{sep}{v:,}" for k, v in ranked[:n])
    rest = len(ranked) - n
    return f"{shown} (+{rest} more)" if rest > 0 else shown


def nothing_kept(inputs: Iterable[str], stats: list[StepStats]) -> str:
    """Why a run wrote no document: nothing could be read (the read drops and the first
    problem of a file: an encoding, a missing field), or every document was dropped (by
    which step and why)."""
    where = ", ".join(inputs)
    read = next((s for s in stats if s.name == "read"), None)
    errors = sorted(k.split(": ", 1)[1] for k in (read.counters if read else {}) if
                    k.startswith("error: "))  # fmt: skip
    detail = f"; {'; '.join(errors[:TOP_REASONS])}" if errors else ""
    if len(errors) > TOP_REASONS:
        detail += f" (+{len(errors) - TOP_REASONS} more)"
    if read is None or not read.kept:
        drops = top_reasons(read.dropped) if read is not None and read.dropped else "no records"
        return f"{where}: no document could be read ({drops}{detail})"
    by_step = {
        f"{s.name}: {reason}": n
        for s in stats
        if s.name not in ("read", "write")
        for reason, n in s.dropped.items()
    }
    return (
        f"{where}: no document kept: {read.kept:,} read, every one dropped "
        f"({top_reasons(by_step) or 'no reason recorded'})"
    )


def warn_missing_models(langs: Iterable[str], lm_dir: Any, warned: set[str]) -> None:
    """Warn once per language (``warned`` holds those already said in this run) that it has
    no model in ``lm_dir``: its documents get no perplexity and go to bucket ``all``."""
    for lang in sorted(set(langs) - warned):
        warned.add(lang)
        log.warning("no language model for %r in %s: no perplexity, bucket 'all'", lang, lm_dir)
