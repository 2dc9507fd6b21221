"""`tpi-notes demo` with 10,000 patients and 100,000 sessions: budget 60 s (product.md §11).

Two rows: the wall time, which is the budget, and the CPU time the build took, which is what the code costs: on a
shared two-core machine the wall time moves with whatever else runs (the load average is printed beside it)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(state: dict) -> list[dict]:
    path = state["tmp"] / "clinic-big.sqlite"
    load = os.getloadavg()[0]
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(path), "--patients",
                    str(state["patients"]), "--sessions", str(state["sessions"]), "--seed", "7"], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    state["big_db"] = path
    label = f"demo {state['patients']:,} patients / {state['sessions']:,} sessions"
    return [{"what": f"{label} (load {load:.1f})", "measured": seconds, "unit": "s", "budget": 60.0},
            {"what": f"{label}, CPU", "measured": cpu, "unit": "s", "budget": 60.0}]
