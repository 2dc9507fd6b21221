"""The routine note's walk (issue 16): UI actions to chart, sign and print, counted by tests/test_routine_note_walk.py.

The walk drives the real widgets with simulated input; it runs here as the test suite runs it (pytest, in a child
process, offscreen) and writes its counts to a file this module reads back. The budgets are the issue's: a repeat
visit copied forward in 15 actions plus the PIN, a new 6-site visit in 30.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALKS = (("repeat visit (a)", "repeat visit copied forward: UI actions to the print job", 15),
         ("new visit (b)", "new 6-site visit: UI actions to the print job", 30))


def run(state: dict) -> list[dict]:
    counts_file = Path(state["tmp"]) / "walk-counts.json"
    env = {**os.environ, "WALK_COUNTS_FILE": str(counts_file), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_routine_note_walk.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if not counts_file.exists():
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return []
    counts = json.loads(counts_file.read_text(encoding="utf-8"))
    rows = []
    for key, what, budget in WALKS:
        if key in counts:
            found = counts[key]
            typed = f", {found['typed']} typed + PIN {found['pin']}"
            rows.append({"what": f"{what}{typed}", "measured": found["actions"], "unit": "", "budget": budget})
    return rows
