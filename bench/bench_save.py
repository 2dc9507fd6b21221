"""Saving a 10-site session (validate, assess, write, read back in one transaction): budget 50 ms."""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import replace

from acting import BENCH

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.session import Component, Preparation
from tpi_notes.domain.sites import place_site
from tpi_notes.services import drafts
from tpi_notes.services.context import open_clinic


def run(state: dict) -> list[dict]:
    path = state["tmp"] / "save-bench.sqlite"
    source, target = sqlite3.connect(state["big_db"]), sqlite3.connect(path)
    source.backup(target)  # measure on a copy: the shared clinic stays as the demo made it
    source.close()
    target.close()
    ctx = open_clinic(str(path), principal=BENCH)
    try:
        atlas = load_atlas()
        regions = [r for r in atlas.regions if r.view == "posterior"][:10]
        sites = tuple(replace(place_site(atlas, r.view, *r.anchor, n), preparation_label="A", volume_ml=0.5)
                      for n, r in enumerate(regions, start=1))
        draft = replace(drafts.new_draft(ctx, 1), sites=sites,
                        preparations=(Preparation("A", (Component("lidocaine-1", 10.0),)),))
        draft = drafts.save_draft(ctx, draft)
        times = []
        for i in range(15):
            started = time.perf_counter()
            draft = drafts.save_draft(ctx, replace(draft, comments=f"save {i}"))
            times.append((time.perf_counter() - started) * 1000)
    finally:
        ctx.close()
    return [{"what": "save a 10-site session (median)", "measured": statistics.median(times), "unit": "ms",
             "budget": 50.0}]
