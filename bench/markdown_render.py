"""Benchmark: rendering a summary of N characters of Markdown, cold and from the cache.

    .venv/bin/python bench/markdown_render.py --chars 20000 --runs 5

Shapes: plain prose with emphasis and links, and the shapes markdown-it-py is slowest on
(runs of '[' and '![' are quadratic in the parser). The floor, measured in the same run, is
the same number of characters of plain words without any Markdown; each shape is reported as
a median and as a ratio to that floor. Results are recorded in bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402

from common.markdown import _render, render_markdown  # noqa: E402


def shapes(n: int) -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (n // len(unit) + 1))[:n]
    return {
        "floor: plain words": fill("plain words only "),
        "prose": fill("A post went **wrong** and [a link](https://x.com/a) _spread_.\n\n"),
        "emphasis '_a'": fill("_a"),
        "links '[a](b '": fill("[a](b "),
        "brackets '['": fill("["),
        "images '!['": fill("!["),
    }


def median_ms(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _render(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = shapes(args.chars)
    floor = median_ms(texts["floor: plain words"], args.runs)
    print(f"| shape ({args.chars:,} chars) | render, median ms | ÷ floor | cached view ms |")
    print("|---|---|---|---|")
    for name, text in texts.items():
        cold = floor if name.startswith("floor") else median_ms(text, args.runs)
        cache.clear()
        render_markdown(text)
        start = time.perf_counter()
        render_markdown(text)
        warm = (time.perf_counter() - start) * 1000
        print(f"| {name} | {cold:.1f} | {cold / floor:.1f} | {warm:.2f} |", flush=True)


if __name__ == "__main__":
    main()
