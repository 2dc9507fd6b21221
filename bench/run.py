"""`make bench`: measure tpi-notes against the performance budget of product.md §11 and print a table.

Each bench/bench_*.py module has ``run(state)`` (or ``run()``) returning rows
``{"what", "measured", "unit", "budget"}``; ``state`` is shared so the 100,000-session clinic is built once.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

ORDER = ["bench_demo", "bench_search", "bench_save", "bench_startup", "bench_hit_test"]


def _modules(selected: list[str]) -> list[str]:
    found = sorted(p.stem for p in HERE.glob("bench_*.py"))
    ordered = [m for m in ORDER if m in found] + [m for m in found if m not in ORDER]
    return [m for m in ordered if not selected or any(s in m for s in selected)]


def main(argv: list[str]) -> int:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tpi-bench-") as tmp:
        os.environ["TPI_NOTES_DATA_DIR"] = str(Path(tmp) / "userdata")
        state: dict = {"tmp": Path(tmp), "patients": 10_000, "sessions": 100_000}
        if "--small" in argv:
            state.update(patients=1_000, sessions=10_000)
        for name in _modules([a for a in argv if not a.startswith("--")]):
            module = importlib.import_module(name)
            print(f"… {name}", file=sys.stderr, flush=True)
            result = module.run(state) if inspect.signature(module.run).parameters else module.run()
            rows.extend(result)
    width = max(len(r["what"]) for r in rows) if rows else 10
    print(f"\n{'what'.ljust(width)}  {'measured':>12}  {'budget':>12}  verdict")
    over = 0
    for r in rows:
        ok = r["measured"] <= r["budget"]
        over += not ok
        unit = r["unit"]
        print(f"{r['what'].ljust(width)}  {r['measured']:>9.3g} {unit:<2}  {'≤ ' + format(r['budget'], 'g'):>9} {unit:<2}"
              f"  {'ok' if ok else 'OVER BUDGET'}")
    print(f"\n{len(rows) - over} of {len(rows)} within budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
