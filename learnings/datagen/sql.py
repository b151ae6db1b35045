"""SQL fragments for the load: seeded uniform numbers, weighted choices, intervals."""

import math
import zlib
from collections.abc import Sequence


def salt(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x3FFFFFFF


def u(n: str, name: str) -> str:
    """SQL: a uniform number in [0, 1), fixed by the row number n, the seed and the name."""
    return f"pg_temp.gd_u(({n})::bigint, {salt(name)})"


def lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def pick(u_expr: str, choices: Sequence[tuple[object, float]], cast: str = "text") -> str:
    """SQL: one of the values, drawn with the given weights by the uniform number u_expr."""
    total = sum(w for _, w in choices)
    bounds, acc = [], 0.0
    for _, weight in choices[:-1]:
        acc += weight
        bounds.append(acc / total)
    values = ", ".join(lit(v) for v, _ in choices)
    thresholds = ", ".join(repr(b) for b in bounds)
    return (f"(ARRAY[{values}]::{cast}[])"
            f"[width_bucket({u_expr}, ARRAY[{thresholds}]::float8[]) + 1]")


def one_of(u_expr: str, values: Sequence[str]) -> str:
    return pick(u_expr, [(v, 1) for v in values])


def uuid(tag: str, n: str, seed: int) -> str:
    return f"md5('{seed}:{tag}:' || ({n})::text)::uuid"


def minutes(u_expr: str, most: int) -> str:
    """SQL: an interval from 1 minute to `most` minutes, log-uniform (many short, few long)."""
    return f"(exp({u_expr} * {math.log(most)}) * interval '1 minute')"
