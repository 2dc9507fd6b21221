"""Start-up on the 100,000-session clinic: to the painted main window (≤ 1.5 s), to its filled patient list, and
the memory (≤ 300 MB).

The child starts as `tpi-notes --db FILE` does (``cli.main``), with the login answered at once for a bench user
(the login screen waits for a person, so it is not timed). Since issue 19 the main window is painted *before* the
database layer is imported: **painted** is the end of that first full paint of the main window's frame, its menus
and an empty patient list saying "Opening the clinic database…" (``ui.app.show_start_frame`` returns then; the
child checks that a paint of the window did happen, not a give-up on waiting for one). That is what the bare
window (baselines/bare_window.py) is compared with in bench_ratios. **filled** is the first paint of the same
window after the clinic was opened and the patient list filled: start-up as far as something can be clicked (the
patient page, its body diagram and the atlas, is made just after that paint, or when a patient is chosen first).
What comes after, the event loop and the shutdown, is no part of start-up on either side. Each row is the median
of ``ROUNDS`` starts. The children run with compiled
bytecode, as an installed app does (pip and the bundle ship ``.pyc`` files): with ``PYTHONDONTWRITEBYTECODE`` set,
every start would compile tpi-notes' 90 modules again (0.3 s), which the bare window, all third-party code, never
pays. The bytecode goes to a cache folder outside the repository (``PYCACHE``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 5
"""Starts timed: the rows are medians (a shared two-core machine moves single starts by tens of percent)."""
PYCACHE = Path.home() / ".cache" / "tpi-notes-bench" / "pycache"
DATA_DIR = Path.home() / ".cache" / "tpi-notes-bench" / "data"

CHILD = r"""
import json, os, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])

class Paints(QObject):  # whether the main window was painted; 'filled' at its first paint with the clinic open
    painted = filled = False

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.objectName() == "main_window":
            self.painted = True
            if getattr(obj, "ctx", None) is not None and not self.filled:
                self.filled = True
                QTimer.singleShot(0, filled)  # once the whole window has painted
        return False

def filled():
    rss = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    print("filled", json.dumps({"rss_mb": rss}), flush=True)  # the parent's second clock stops here
    app.quit()

paints = Paints()
app.installEventFilter(paints)

from tpi_notes.ui import app as ui_app

show_start_frame = ui_app.show_start_frame

def timed_frame(*args, **kwargs):
    window = show_start_frame(*args, **kwargs)
    print("painted" if paints.painted else "not painted", flush=True)  # the parent's clock stops here
    return window

def sign_in(ctx):  # the window as a signed-in user sees it (the login screen waits for a person)
    from tpi_notes.domain.permissions import Permission, Principal

    ctx.act_as(Principal("bench:runner", "bench", frozenset(Permission)))
    return True

ui_app.show_start_frame, ui_app.sign_in = timed_frame, sign_in
from tpi_notes.cli import main

sys.exit(main(["--db", sys.argv[1]]))
"""


def child_env() -> dict[str, str]:
    """The environment of a timed child: offscreen, with bytecode compiled once into ``PYCACHE``, and a data
    folder of the bench's own (the window's remembered layout, the recovery journal), not the user's."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPYCACHEPREFIX": str(PYCACHE),
           "TPI_NOTES_DATA_DIR": str(DATA_DIR)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_lines(args: list[str]) -> tuple[dict[str, float], str]:
    """Seconds from starting ``python *args`` to each line it printed, by the line's first word, and its last
    line; an error unless it ended with 0."""
    started = time.perf_counter()
    times: dict[str, float] = {}
    last = ""
    with subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=child_env(), cwd=ROOT) as child:
        assert child.stdout is not None
        for line in child.stdout:
            times.setdefault(line.split(" ", 1)[0].strip(), time.perf_counter() - started)
            last = line
        code = child.wait(timeout=120)
    if code != 0:
        raise RuntimeError(f"python {' '.join(args)} ended with {code}")
    return times, last


def time_to_paint(args: list[str]) -> tuple[float, str]:
    """Seconds from starting ``python *args`` to its ``painted`` line, and its last line."""
    times, last = timed_lines(args)
    if "painted" not in times:
        raise RuntimeError(f"python {' '.join(args)} ended before its first paint")
    return times["painted"], last


def run(state: dict) -> list[dict]:
    painted, filled, rss = [], [], 0.0
    app = ["-c", CHILD, str(state["big_db"])]
    time_to_paint(app)  # warm-up: bytecode compiled, files in the page cache
    for _ in range(ROUNDS):
        times, last = timed_lines(app)
        painted.append(times["painted"])
        filled.append(times["filled"])
        rss = max(rss, json.loads(last.split(" ", 1)[1])["rss_mb"])
    rounds = f"median of {ROUNDS}, best {min(filled):.2f} s"
    return [
        {"what": f"start-up to painted main window (median of {ROUNDS})", "measured": statistics.median(painted),
         "unit": "s", "budget": 1.5},
        {"what": f"start-up to filled patient list ({rounds})", "measured": statistics.median(filled), "unit": "s",
         "budget": 1.5},
        {"what": "resident memory, 100k-session clinic open", "measured": rss, "unit": "MB", "budget": 300.0},
    ]
