"""`make bench`: measure tpi-notes against the performance budget of product.md §11 and print a table.

Each bench/bench_*.py module has ``run(state)`` (or ``run()``) returning rows
``{"what", "measured", "unit", "budget"}`` (an absolute budget) or ``{"what", "measured", "baseline", "unit",
"goal"}`` (a ratio to a bare baseline run side by side, bench_ratios.py; issue 19); ``state`` is shared so the
100,000-session clinic is built once. ``--quick``: the ratio rows only, on a small clinic, one round (a smoke run).
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


def _table(rows: list[dict]) -> None:
    """One line per row: the app's figure, the baseline's, the ratio and the goal (a ratio to the baseline, or
    an absolute budget where no floor applies), and the verdict."""
    width = max([len(r["what"]) for r in rows] + [4])
    print(f"\n{'what'.ljust(width)}  {'app':>11}  {'baseline':>11}  {'ratio':>6}  {'goal':>11}  verdict")
    over = 0
    for r in rows:
        unit = r["unit"]
        if "baseline" in r:
            ratio = r["measured"] / r["baseline"] if r["baseline"] else float("inf")
            ok, base, shown, goal = ratio <= r["goal"], f"{r['baseline']:>8.3g} {unit:<2}", f"{ratio:>5.2f}×", \
                f"≤ {r['goal']:g}×"
        elif r.get("budget") is None:  # a figure shown beside its goal row, with no goal of its own
            ok, base, shown, goal = True, "—", "—", "—"
        else:
            ok, base, shown, goal = r["measured"] <= r["budget"], "—", "—", f"≤ {r['budget']:g} {unit}"
        over += not ok
        verdict = "(no goal)" if goal == "—" else "ok" if ok else "OVER GOAL"
        print(f"{r['what'].ljust(width)}  {r['measured']:>8.3g} {unit:<2}  {base:>11}  {shown:>6}  {goal:>11}"
              f"  {verdict}")
    print(f"\n{len(rows) - over} of {len(rows)} within their goals.")


def main(argv: list[str]) -> int:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tpi-bench-") as tmp:
        os.environ["TPI_NOTES_DATA_DIR"] = str(Path(tmp) / "userdata")
        state: dict = {"tmp": Path(tmp), "patients": 10_000, "sessions": 100_000}
        if "--small" in argv:
            state.update(patients=1_000, sessions=10_000)
        selected = [a for a in argv if not a.startswith("--")]
        if "--quick" in argv:  # the ratio rows on a small demo clinic, one round each (a smoke run, not a measure)
            state["quick"], selected = True, ["bench_ratios"]
        for name in _modules(selected):
            module = importlib.import_module(name)
            print(f"… {name}", file=sys.stderr, flush=True)
            result = module.run(state) if inspect.signature(module.run).parameters else module.run()
            rows.extend(result)
    _table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
