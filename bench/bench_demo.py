"""`tpi-notes demo` with 10,000 patients and 100,000 sessions: budget 60 s (product.md §11)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(state: dict) -> list[dict]:
    path = state["tmp"] / "clinic-big.sqlite"
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(path), "--patients",
                    str(state["patients"]), "--sessions", str(state["sessions"]), "--seed", "7"], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    state["big_db"] = path
    label = f"demo {state['patients']:,} patients / {state['sessions']:,} sessions"
    return [{"what": label, "measured": seconds, "unit": "s", "budget": 60.0}]
