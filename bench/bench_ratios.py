"""Each app figure against the bare floor of its own stack, run side by side (issue 19).

Every pair runs interleaved, app then baseline, for ``ROUNDS`` rounds (fewer for the long ones), and the row
gives both medians, the ratio and its goal: on a shared machine both sides of a round see the same load. The
floors are bench/baselines/. The note is printed as a draft (rendered) and signed (since signing stores a PAdES-signed PDF,
that is what a signed print returns).
"""

from __future__ import annotations

import io
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from acting import BENCH
from baselines import bare_document, bare_save, read_and_hash
from bench_documents import _clinic, _ten_site_session
from bench_startup import CHILD as APP_STARTUP
from bench_startup import time_to_paint
from pypdf import PdfReader

from tpi_notes.domain.export_csv import CSV_HEADER
from tpi_notes.services import documents, drafts, integrity
from tpi_notes.services.context import open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.services.demo_data import DEMO_PASSWORD
from tpi_notes.services.signing import sign_session

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ROUNDS = 5


def _pair(app: Callable[[], object], base: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Medians (seconds) of ``app`` and ``base`` run A B A B …; each callable returns None (wall time taken
    here) or its own figure in seconds (CPU time of a child, for instance)."""
    a, b = [], []
    for _ in range(rounds):
        for action, into in ((app, a), (base, b)):
            started = time.perf_counter()
            figure = action()
            into.append(figure if isinstance(figure, float) else time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


def _row(what: str, pair: tuple[float, float], goal: float, unit: str = "ms") -> dict:
    scale = 1000 if unit == "ms" else 1
    return {"what": what, "measured": pair[0] * scale, "baseline": pair[1] * scale, "unit": unit, "goal": goal}


def _lines(pdf: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(pdf)).pages for line in (page.extract_text() or "").splitlines()]


def _documents(path: Path, rounds: int) -> list[dict]:
    ctx = open_clinic(str(path), principal=BENCH)
    try:
        sid = _ten_site_session(ctx)
        paths = bare_document.atlas_paths()
        # A draft's note is rendered at every print; a signed one prints the PAdES-signed PDF stored at signing
        # (services/documents.py), so the rendering is timed on the draft and the signed print as well.
        draft_lines = _lines(documents.procedure_note_pdf(ctx, sid))  # also the warm-up
        rendered = _pair(lambda: documents.procedure_note_pdf(ctx, sid),
                         lambda: bare_document.render(draft_lines, paths), rounds)
        draft = drafts.get_draft(ctx, sid)
        sign_session(ctx, sid, draft.physician_id, DEMO_PASSWORD, row_version=draft.row_version or 1)
        note_lines = _lines(documents.procedure_note_pdf(ctx, sid))  # also the warm-up
        sheet_lines = _lines(documents.aftercare_pdf(ctx, sid, "en"))
        note = _pair(lambda: documents.procedure_note_pdf(ctx, sid), lambda: bare_document.render(note_lines, paths),
                     rounds)
        sheet = _pair(lambda: documents.aftercare_pdf(ctx, sid, "en"),
                      lambda: bare_document.render(sheet_lines, paths), rounds)
    finally:
        ctx.close()
    return [_row(f"procedure note PDF rendered (draft), 10 sites ({len(paths)} paths)", rendered, 2.0),
            _row("signed procedure note PDF (its stored PAdES-signed PDF)", note, 2.0),
            _row("aftercare sheet PDF", sheet, 2.0)]


def _startup(db: Path, rounds: int) -> list[dict]:
    app = ["-c", APP_STARTUP, str(db)]
    base = [str(HERE / "baselines" / "bare_window.py")]
    time_to_paint(app), time_to_paint(base)  # warm-up: bytecode compiled (bench_startup.PYCACHE), page cache
    pair = _pair(lambda: time_to_paint(app)[0], lambda: time_to_paint(base)[0], rounds)
    return [_row("start-up to painted main window (vs bare window)", pair, 3.0, "s")]


def _cpu_of(args: list[str]) -> float:
    """The CPU seconds of the export itself in a child process (it prints them last, as JSON): start-up and
    imports are not counted on either side."""
    done = subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True, text=True, timeout=900)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])


def _export(db: Path, tmp: Path, rounds: int) -> list[dict]:
    out = tmp / "ratio-export.csv"
    app = [str(HERE / "bench_export.py"), "--child", str(db), str(out), "0", "0"]  # workers 0: one process
    base = ["-c", f"import json, sys, time; sys.path.insert(0, {str(HERE)!r}); from pathlib import Path; "
                  f"from baselines.bare_export import export; cpu = time.process_time(); "
                  f"export(Path({str(db)!r}), Path({str(out)!r}), {len(CSV_HEADER)}); "
                  f"print(json.dumps({{'cpu': time.process_time() - cpu}}))"]
    pair = _pair(lambda: _cpu_of(app), lambda: _cpu_of(base), rounds)
    out.unlink(missing_ok=True)
    return [_row("CSV export, one process: CPU (vs sqlite3 + csv)", pair, 1.5, "s")]


def _read_through(path: Path) -> None:
    """Read the file once, so that it is in the page cache before either side is timed. Without it the first side
    of the pair, verify, read the clinic from disk and the floor then found it cached: at 1,000,000 sessions (a
    6.5 GB file) verify's first pages took 2.8 times their CPU time, the floor's after them 1.3 times (issue 19)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def _verify(db: Path, rounds: int) -> list[dict]:
    _read_through(db)
    ctx = open_clinic(str(db), principal=BENCH)
    try:
        pair = _pair(lambda: integrity.verify_database(ctx), lambda: read_and_hash.check(db), rounds)
    finally:
        ctx.close()
    return [_row("verify: signed sessions (vs read-and-hash floor)", pair, 2.0, "s")]


def _save(path: Path, rounds: int) -> list[dict]:
    ctx = open_clinic(str(path), principal=BENCH)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.isolation_level = ""  # `with conn` commits
    try:
        draft = drafts.get_draft(ctx, _ten_site_session(ctx, "BENCH-SAVE"))
        rows = bare_save.snapshot(conn, draft.id)
        turn = iter(range(10**6))

        def app() -> None:
            nonlocal draft
            draft = drafts.save_draft(ctx, replace(draft, comments=f"save {next(turn)}"))

        app()  # warm-up
        pair = _pair(app, lambda: bare_save.save(conn, draft.id, rows, next(turn)), rounds if rounds == 1 else max(rounds, 15))
    finally:
        conn.close()
        ctx.close()
    return [_row("save a 10-site session (vs bare sqlite3 writes)", pair, 6.0)]


def run(state: dict) -> list[dict]:
    quick = state.get("quick", False)
    rounds = 1 if quick else ROUNDS
    if quick and not state.get("big_db"):
        docs = state["tmp"] / "clinic-quick.sqlite"
        ctx = open_clinic(str(docs), principal=BENCH)
        try:
            build_demo(ctx, patients=10, sessions=60, seed=7)
        finally:
            ctx.close()
    else:
        docs = _clinic(state)  # a copy of the big clinic (or a small demo one): the bench's own rows go there
    db = Path(state.get("big_db") or docs)
    rows = []
    for step in (lambda: _documents(docs, rounds), lambda: _save(docs, rounds), lambda: _startup(db, rounds),
                 lambda: _export(db, state["tmp"], 1 if quick else 3), lambda: _verify(db, 1)):
        print("  …", file=sys.stderr, flush=True)
        rows += step()
    return rows
