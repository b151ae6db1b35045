"""The few statistics the harness reports, kept free of Django so that tests can check them."""

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value that at least `share` (0-1) of the values do not
    exceed. With few samples p95 is the largest one, which is what a reader should see."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def p95(values: Sequence[float]) -> float:
    return percentile(values, 0.95)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 0.99)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator ÷ denominator, or None when either is missing (a scenario that timed out)."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of databases as (smaller, larger) in the order given: A,B,C gives B÷A, C÷A,
    C÷B. Databases are named smallest first on the command line."""
    return [(names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
