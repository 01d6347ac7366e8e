"""Small-cell protection: figures about other organisations' units never single anyone out.

A manager sees exact figures for the organisation's own units. A row about another
organisation ("outside") is protected by three rules (docs/statistics.md):

1. A count below the threshold (SAMPLAN_STATISTICS_SMALL_CELL, default 5) is `Protected`,
   shown as "<5". Zero is below the threshold too: "nobody" is also hidden.
2. A count at or above the threshold is rounded to the nearest multiple of the threshold
   (7 -> 5, 8 -> 10). So no protected cell can be recovered by subtraction: not from a row's
   other cells (invited = answered + no answer), not from an outside total, not from the same
   figure for an overlapping period. A difference of rounded counts is off by up to twice half
   the threshold, which spans every protected value.
3. Totals never mix exact (own) and protected (outside) figures: an own total sums own rows
   only, an outside total is itself rounded, and there is no grand total across both.

A share (k of n) is shown outside only when both k and n - k reach the threshold; a median or
percentile only when it is computed over at least threshold values. Exact own figures and
protected outside ones therefore never meet in one sum.
"""

from __future__ import annotations

from dataclasses import dataclass

from samplan.statistics.tables import Cell, Protected


@dataclass(frozen=True)
class Protection:
    threshold: int

    def count(self, n: int, *, own: bool) -> int | Protected:
        if own:
            return n
        if n < self.threshold:
            return Protected(self.threshold)
        t = self.threshold
        return ((2 * n + t) // (2 * t)) * t  # the nearest multiple of t, halves up

    def share(self, k: int, n: int, *, own: bool) -> Cell:
        """k of n as a whole percentage; None where n is 0."""
        if n == 0:
            return None if own else Protected(self.threshold)
        if not own and (k < self.threshold or n - k < self.threshold):
            return Protected(self.threshold)
        return round(100 * k / n)

    def statistic(self, value: float | None, n: int, *, own: bool) -> Cell:
        """A median or a percentile over n values."""
        if not own and n < self.threshold:
            return Protected(self.threshold)
        return value
