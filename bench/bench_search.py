"""Patient search, one keystroke, over 10,000 patients: budget 30 ms (product.md §11)."""

from __future__ import annotations

import statistics
import time

from acting import BENCH

from tpi_notes.services.context import open_clinic
from tpi_notes.services.patients import search_patients

# What a person types, a keystroke at a time: a family name, an MRN, a date of birth.
TYPED = ["g", "ga", "gar", "garc", "s", "sm", "smi", "smit", "1", "10", "100", "1000", "1975", "nguy", "øde"]


def run(state: dict) -> list[dict]:
    ctx = open_clinic(str(state["big_db"]), principal=BENCH)
    try:
        search_patients(ctx, "")
        times = []
        for _ in range(3):
            for text in TYPED:
                started = time.perf_counter()
                search_patients(ctx, text)
                times.append((time.perf_counter() - started) * 1000)
        empty_started = time.perf_counter()
        search_patients(ctx, "")
        empty_ms = (time.perf_counter() - empty_started) * 1000
    finally:
        ctx.close()
    return [
        {"what": "patient search, one keystroke (median)", "measured": statistics.median(times), "unit": "ms",
         "budget": 30.0},
        {"what": "patient search, one keystroke (worst)", "measured": max(times), "unit": "ms", "budget": 30.0},
        {"what": "patient list, empty search (first 500)", "measured": empty_ms, "unit": "ms", "budget": 30.0},
    ]
