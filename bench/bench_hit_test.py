"""Atlas hit-test, one call: budget 50 µs (product.md §11). Random points over both views, pure Python."""

from __future__ import annotations

import random
import time

from tpi_notes.anatomy import ANTERIOR, POSTERIOR, load_atlas

CALLS = 50_000


def run() -> list[dict]:
    atlas = load_atlas()
    rng = random.Random(20552)
    points = [(rng.choice((ANTERIOR, POSTERIOR)), rng.random(), rng.random()) for _ in range(CALLS)]
    # Half the points inside a muscle (the expensive case: a full ray cast), half anywhere.
    regions = atlas.regions
    for i in range(0, CALLS, 2):
        region = regions[i % len(regions)]
        points[i] = (region.view, *region.anchor)
    hit_test = atlas.hit_test
    for view, x, y in points[:1000]:  # warm-up
        hit_test(view, x, y)
    started = time.perf_counter()
    for view, x, y in points:
        hit_test(view, x, y)
    elapsed = time.perf_counter() - started
    return [{"what": "atlas hit-test", "measured": elapsed / CALLS * 1e6, "unit": "µs", "budget": 50.0}]


if __name__ == "__main__":
    for row in run():
        print(row)
