"""CSV export of 100,000 sessions: budget 10 s, memory flat (product.md §11).

Each export runs in a fresh child process (``python bench_export.py --child …``) so its peak resident memory is
its own: "growth" is the peak during the export minus the resident size just before it (interpreter, imports
and the open database already counted). A CSV export runs in one process (issue 19: signed sessions are written
from their rows stored at signing, db/repositories/stored_export_rows.py); the memory comparison runs 10,000 and
100,000 sessions to show the growth does not depend on the range.

Profile the exporting process: ``python -m cProfile -s tottime bench/bench_export.py --child DB OUT 0 0``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _rss_mb(usage: resource.struct_rusage) -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    return usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. VmHWM belongs to the process image, while ru_maxrss carries over
    the parent's size from fork across exec (the bench runner is large by the time this runs)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _rss_mb(resource.getrusage(resource.RUSAGE_SELF))


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / (1024 * 1024)
    except OSError:
        return _rss_mb(resource.getrusage(resource.RUSAGE_SELF))


def _child(db: str, out: str, workers: str, sessions: str) -> None:
    """One export in this process; prints a JSON line with the figures."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from acting import BENCH

    from tpi_notes.domain.history import HistoryFilter
    from tpi_notes.services.context import open_clinic
    from tpi_notes.services.exports import export_to_file

    ctx = open_clinic(db, principal=BENCH)
    flt = HistoryFilter()
    if int(sessions):
        # The first ``sessions`` sessions by date: whole days from the first to the one holding the last of them.
        from sqlalchemy import text

        query = text("SELECT performed_start FROM procedure_session ORDER BY performed_start LIMIT 1 OFFSET :n")
        with ctx.transaction() as s:
            first, last = (str(s.execute(query, {"n": n}).scalar_one()) for n in (0, int(sessions) - 1))
        flt = HistoryFilter(date_from=date.fromisoformat(first[:10]), date_to=date.fromisoformat(last[:10]))
    before = _current_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    summary = export_to_file(ctx, "csv", Path(out), flt, workers=None if workers == "auto" else int(workers))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ctx.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "sessions": summary.sessions, "bytes": summary.bytes,
                      "growth_mb": _peak_rss_mb() - before,
                      "helper_peak_mb": _rss_mb(resource.getrusage(resource.RUSAGE_CHILDREN))}))


def _export(state: dict, workers: str, sessions: int = 0) -> dict:
    out = state["tmp"] / f"export-{workers}-{sessions}.csv"
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(state["big_db"]), str(out),
                           workers, str(sessions)], check=True, capture_output=True, text=True)
    out.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(state: dict) -> list[dict]:
    timed = _export(state, "auto")
    small = _export(state, "0", state["sessions"] // 10)
    large = _export(state, "0")
    n = f"{timed['sessions']:,}"
    return [
        {"what": f"CSV export, {n} sessions", "measured": timed["seconds"], "unit": "s", "budget": 10.0},
        {"what": f"CSV export, {n}: exporting process memory growth", "measured": timed["growth_mb"],
         "unit": "MB", "budget": 50.0},
        {"what": f"CSV export in one process, {small['sessions']:,}: memory growth", "measured": small["growth_mb"],
         "unit": "MB", "budget": 50.0},
        {"what": f"CSV export in one process, {large['sessions']:,}: memory growth", "measured": large["growth_mb"],
         "unit": "MB", "budget": 50.0},
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(*sys.argv[2:6])
