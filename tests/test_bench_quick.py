"""`bench/run.py --quick` runs every app/baseline pair once on a small clinic and prints the ratio table (issue 19).

A smoke run only: nothing here is timed or compared with a goal (the goals live in `make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_quick_bench_prints_each_pair_with_its_baseline_ratio_and_goal(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TPI_NOTES_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("what"))
    assert header.split() == ["what", "app", "baseline", "ratio", "goal", "verdict"]
    rows = [line for line in lines if "×" in line]
    for name in ("signed procedure note", "aftercare sheet", "save a 10-site session", "start-up",
                 "CSV export", "verify"):
        assert any(line.startswith(name) for line in rows), (name, done.stdout)
    assert all(line.rstrip().endswith(("ok", "OVER GOAL")) for line in rows)
