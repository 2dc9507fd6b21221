"""`make bench-1m`: the history, export and verify rows on a 1,000,000-session clinic (issue 19).

The clinic is built once with `tpi-notes demo` (100,000 patients, seed 7) and kept outside the repository, in
``~/.cache/tpi-notes-bench`` (``TPI_NOTES_BENCH_CACHE``), under a name that carries a digest of the migrations
and the demo builder: a schema or demo change builds a new one rather than measuring an old file. How long the
build took is kept beside it (``.json``) and printed with the table. ``--sessions N`` measures another size
(``--build-only`` just builds it, to run in the background first; ``--db FILE`` measures a file built before). The rows are the ones `make bench` prints on
100,000 sessions: history (bench_history), the export's CPU against its bare floor and verify against its
read-and-hash floor (bench_ratios), each measured on the cached file (the audit events of these reads are
appended to it, as a running clinic's would be).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CACHE = Path(os.environ.get("TPI_NOTES_BENCH_CACHE", Path.home() / ".cache" / "tpi-notes-bench"))
BUILT_FROM = ["tpi_notes/db/migrations/versions", "tpi_notes/services/demo.py", "tpi_notes/services/demo_data.py",
              "tpi_notes/services/demo_sessions.py", "tpi_notes/services/demo_outcomes.py",
              "tpi_notes/services/demo_export_rows.py", "tpi_notes/services/demo_workers.py",
              "tpi_notes/db/bulk_writer.py"]


def _digest() -> str:
    """What the cached file depends on: the migrations and the demo builder, as they are in this tree."""
    h = hashlib.sha256()
    for name in BUILT_FROM:
        path = ROOT / name
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            if file.exists():
                h.update(file.name.encode())
                h.update(file.read_bytes())
    return h.hexdigest()[:12]


def clinic(sessions: int) -> tuple[Path, dict]:
    """The cached clinic of ``sessions`` sessions (built now if missing) and its build record."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"clinic-{sessions}-{_digest()}.sqlite"
    record = path.with_suffix(".json")
    if path.exists() and record.exists():
        return path, json.loads(record.read_text())
    partial = path.with_name(f".{path.name}.partial")
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    print(f"… building {path.name} ({sessions:,} sessions; once)", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(partial), "--patients",
                    str(max(sessions // 10, 1)), "--sessions", str(sessions), "--seed", "7"], check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    built = {"sessions": sessions, "build_seconds": round(time.perf_counter() - started, 1),
             "built_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.replace(partial, path)
    record.write_text(json.dumps(built))
    return path, built


def main(argv: list[str]) -> int:
    sessions = int(argv[argv.index("--sessions") + 1]) if "--sessions" in argv else 1_000_000
    if "--db" in argv:  # a clinic built before (by this script under another digest, say): measured as it is
        path = Path(argv[argv.index("--db") + 1])
        record = path.with_suffix(".json")
        built = json.loads(record.read_text()) if record.exists() else {"sessions": sessions, "build_seconds": 0,
                                                                         "built_at": "?"}
    else:
        path, built = clinic(sessions)
    print(f"clinic: {path} ({built['sessions']:,} sessions, built in {built['build_seconds']:,.0f} s on "
          f"{built['built_at']})", flush=True)
    if "--build-only" in argv:
        return 0
    import bench_history
    import bench_ratios
    from run import _table

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tpi-bench-1m-") as tmp:
        os.environ["TPI_NOTES_DATA_DIR"] = str(Path(tmp) / "userdata")
        size = f"{sessions // 1000:,}k" if sessions < 1_000_000 else f"{sessions / 1e6:g}M"
        for step in (lambda: bench_history.run({"big_db": path, "tmp": Path(tmp)}),
                     lambda: bench_ratios._export(path, Path(tmp), 1),
                     lambda: bench_ratios._verify(path, 1)):
            print("  …", file=sys.stderr, flush=True)
            rows += step()
    for row in rows:
        what = row["what"].replace("100k", size)
        row["what"] = what if size in what else f"{what} [{size}]"
    _table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
