"""The quality numbers notify tells (docs/thanh-vien/chat-luong.md): no I/O, no framework.

The catalogue computes the scores; notify only reads them (``QualitySource``) and words them
in the six-month reminder and the centre's weekly digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LOW_SCORE = 60  # a member below this is named in the centre's digest count
TOP_PROBLEMS = 3


@dataclass(frozen=True)
class MemberQuality:
    """A member's score (None without records) and its problem counts per code."""

    member: str
    score: int | None
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def top(self, n: int = TOP_PROBLEMS) -> list[tuple[str, int]]:
        """The ``n`` most frequent problem codes, with their counts (then by code)."""
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return [(code, count) for code, count in ranked[:n] if count > 0]


@dataclass(frozen=True)
class NetworkQuality:
    """The network's line in the digest: its score, how many members have one, how many of
    them are below ``LOW_SCORE``."""

    score: int | None
    scored: int
    below: int

    def as_json(self) -> dict[str, Any]:
        return {"score": self.score, "scored": self.scored, "below": self.below}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NetworkQuality | None:
        if not data:
            return None
        return cls(score=data.get("score"), scored=data.get("scored", 0), below=data["below"])


def network_of(score: int | None, members: list[MemberQuality]) -> NetworkQuality:
    """The network's line from its score and every member's."""
    scores = [m.score for m in members if m.score is not None]
    return NetworkQuality(
        score=score, scored=len(scores), below=sum(1 for s in scores if s < LOW_SCORE)
    )


def signed(value: int) -> str:
    """``+3``, ``−2``, ``±0``: a week's change as people write it."""
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"−{-value}"
    return "±0"
