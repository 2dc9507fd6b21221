"""The demo makes its sessions in worker processes (issue 19: 100,000 sessions in a minute on two cores), and the
clinic it writes is the same whatever the number of processes: each patient's sessions come from a random stream of
their own (seed, patient) and every id is set from the patient's place, so a worker needs nothing from the others.

Compared with plain sqlite3, every table and column, except what is stamped with the real time of the build: the
audit events' times (and so their chain hashes) and the showcase PDFs, whose PAdES signature carries its signing time.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS

from tpi_notes.services import demo
from tpi_notes.services.context import open_clinic

REAL_TIME = {"audit_event": ("at", "hash", "prev_hash"), "signed_note_pdf": ("pdf", "sha256", "created_at")}


def _dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')
                       if r[1] not in REAL_TIME.get(table, ())]
            try:  # the rowid too: the order rows went in decides the ids SQLite gives
                rows = conn.execute(f'SELECT rowid, {", ".join(columns)} FROM "{table}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # a table WITHOUT ROWID
                rows = sorted(conn.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall(), key=repr)
            if table == "audit_event":  # a showcase PDF's digest changes with its signing time
                rows = [tuple(re.sub(r"sha256 [0-9a-f]{64}", "sha256 …", v) if isinstance(v, str) else v
                              for v in row) for row in rows]
            out[table] = rows
        return out
    finally:
        conn.close()


def _build(path: Path, processes: int) -> demo.DemoSummary:
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        return demo.build_demo(ctx, patients=30, sessions=240, seed=3, processes=processes)
    finally:
        ctx.close()


def test_one_process_and_two_build_the_same_clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_SESSIONS", 40)  # several chunks for each worker
    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    alone, shared = _build(one, 1), _build(two, 2)
    assert shared.processes == 2 and alone.processes == 1
    assert (alone.sessions, alone.sites, alone.signed, alone.addenda) == (
        shared.sessions, shared.sites, shared.signed, shared.addenda)
    first, second = _dump(one), _dump(two)
    assert len(first["procedure_session"]) == 240 and len(first["session_export_row"]) == alone.signed
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    # and the result is a real clinic: every signed hash, stored CSV row and the audit chain check out
    ctx = open_clinic(str(two), principal=ALL_PERMISSIONS)
    try:
        from tpi_notes.services import integrity

        assert integrity.tampered_session_ids(ctx) == set()
    finally:
        ctx.close()


def test_small_demos_stay_in_one_process(tmp_path: Path) -> None:
    ctx = open_clinic(str(tmp_path / "small.sqlite"), principal=ALL_PERMISSIONS)
    try:
        assert demo.build_demo(ctx, patients=20, sessions=120, seed=5).processes == 1
    finally:
        ctx.close()


def test_a_worker_that_fails_fails_the_build_and_leaves_the_file_as_it_was(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in a worker reaches the builder, whose one transaction rolls back: no half-built clinic."""
    made = demo._add_patients

    def one_broken(writer, rng, count):  # noqa: ANN001, ANN202 - the function's own signature
        people = made(writer, rng, count)
        people[-1].profile = "no such profile"  # the worker making this patient's sessions fails on it
        return people

    monkeypatch.setattr(demo, "_add_patients", one_broken)
    monkeypatch.setattr(demo, "CHUNK_SESSIONS", 40)
    path = tmp_path / "broken.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        with pytest.raises(KeyError, match="no such profile"):
            demo.build_demo(ctx, patients=30, sessions=240, seed=3, processes=2)
    finally:
        ctx.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM patient").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM procedure_session").fetchone() == (0,)
    finally:
        conn.close()
