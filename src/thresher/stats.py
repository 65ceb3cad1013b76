"""Per-step counters: what each step saw, kept and dropped, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepStats:
    """Counts for one step: ``dropped`` maps a reason to a count, ``counters`` holds the rest."""

    name: str
    seen: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] += n

    def merge(self, other: StepStats) -> None:
        self.seen += other.seen
        self.kept += other.kept
        self.dropped.update(other.dropped)
        self.counters.update(other.counters)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seen": self.seen,
            "kept": self.kept,
            "dropped": dict(sorted(self.dropped.items())),
            "counters": dict(sorted(self.counters.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepStats:
        return cls(
            name=data["name"],
            seen=int(data.get("seen", 0)),
            kept=int(data.get("kept", 0)),
            dropped=Counter(data.get("dropped", {})),
            counters=Counter(data.get("counters", {})),
        )


def merge_stats(groups: list[list[StepStats]]) -> list[StepStats]:
    """Merge step stats from several workers, matching steps by position and name."""
    merged: dict[str, StepStats] = {}
    order: list[str] = []
    for group in groups:
        for st in group:
            if st.name not in merged:
                merged[st.name] = StepStats(st.name)
                order.append(st.name)
            merged[st.name].merge(st)
    return [merged[n] for n in order]
