"""Benchmark: rendering a summary of N characters of Markdown, cold and from the cache.

    .venv/bin/python bench/markdown_render.py --chars 20000

Shapes: plain prose with emphasis and links, and the shapes markdown-it-py is slowest on
(runs of '[' are quadratic). Results are recorded in bench/RESULTS.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402

from common.markdown import render_markdown  # noqa: E402


def shapes(n: int) -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (n // len(unit) + 1))[:n]
    return {
        "prose": fill("A post went **wrong** and [a link](https://x.com/a) _spread_.\n\n"),
        "emphasis '_a'": fill("_a"),
        "links '[a](b '": fill("[a](b "),
        "brackets '['": fill("["),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--only", default="", help="comma-separated shape names")
    args = parser.parse_args()
    cache.clear()
    print(f"| shape ({args.chars:,} chars) | first render ms | cached render ms |")
    print("|---|---|---|")
    for name, text in shapes(args.chars).items():
        if args.only and name.split()[0] not in args.only.split(","):
            continue
        start = time.perf_counter()
        render_markdown(text)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        render_markdown(text)
        warm = time.perf_counter() - start
        print(f"| {name} | {cold * 1000:.1f} | {warm * 1000:.2f} |", flush=True)


if __name__ == "__main__":
    main()
