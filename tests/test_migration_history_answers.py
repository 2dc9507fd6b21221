"""Migration 0010 (issue 13 item 2): an existing clinic upgrades with its history honestly migrated — a stored
False or an empty allergy list (indistinguishable from "never asked") becomes unknown, a recorded positive stays
a "yes" stamped "migrated" at the patient's last change — and every signed note verifies after the upgrade,
those signed as content version 2 (before history answers existed) included."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from alembic import command
from older_demo import build_demo_before_0017
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine

from tpi_notes.db.migrate import alembic_config, current_revision, head_revision, prepare_database
from tpi_notes.domain.signing import record_sha256
from tpi_notes.services import documents, integrity
from tpi_notes.services.context import open_clinic
from tpi_notes.services.sessions import get_session


def _as_content_version_2(path: Path, session_id: int) -> None:
    """Re-sign a session as the app signed before 0010: its context without answers, hashed as version 2
    (the lock trigger is set aside for this and put back as it was)."""
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    record = get_session(ctx, session_id)
    ctx.close()
    context = dict(record.signed_context, patient={k: v for k, v in record.signed_context["patient"].items()
                                                     if k != "history"})
    digest = record_sha256(replace(record, signed_context=context, content_version=2))
    conn = sqlite3.connect(path)
    name = "trg_procedure_session_update_locked"
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE procedure_session SET signed_context = ?, content_version = 2, content_sha256 = ? "
                 "WHERE id = ?", (json.dumps(context), digest, session_id))
    conn.execute(trigger)
    conn.commit()
    conn.close()


def _downgrade_to_0009(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    engine.dispose()


def test_an_existing_clinic_upgrades_with_unknown_answers_and_its_signed_notes_verify(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    build_demo_before_0017(ctx, patients=40, sessions=120, seed=5)
    ctx.close()
    conn = sqlite3.connect(path)
    signed = [r[0] for r in conn.execute("SELECT id FROM procedure_session WHERE status = 'signed' ORDER BY id")]
    conn.close()
    old_signing = signed[0]
    _as_content_version_2(path, old_signing)
    _downgrade_to_0009(path)  # the clinic as the release before 0010 left it
    conn = sqlite3.connect(path)
    assert "history" not in [c[1] for c in conn.execute("PRAGMA table_info(patient)")]
    conn.execute("UPDATE patient SET anticoagulant = 'None' WHERE id = 2")  # typed before it was normalised
    conn.execute("UPDATE patient SET allergies = '[]', anticoagulant = '', bleeding_disorder = 0, diabetes = 0, "
                 "insulin = 0, pregnant = 0, breastfeeding = 0, immunosuppressed = 0, implanted_device = 0 "
                 "WHERE id = 1")
    conn.execute("UPDATE patient SET allergies = '[\"latex\"]', diabetes = 1 WHERE id = 3")
    before = {r[0]: r[1:] for r in conn.execute("SELECT id, allergies, diabetes, pregnant, updated_at FROM patient")}
    conn.commit()
    conn.close()

    engine, backup = prepare_database(f"sqlite:///{path}")  # the start-up upgrade (with its backup copy)
    assert current_revision(engine) == head_revision() and backup is not None
    engine.dispose()

    conn = sqlite3.connect(path)
    history = {pid: json.loads(raw) for pid, raw in conn.execute("SELECT id, history FROM patient")}
    conn.close()
    assert history[1] == {}  # nothing recorded: every question unknown, none a "no"
    assert history[2]["anticoagulant"]["state"] == "no"  # "None" was an answer someone gave
    assert history[3]["allergies"] == {"state": "yes", "recorded_by": "migrated",
                                       "recorded_at": before[3][3].replace(" ", "T")[:19]}
    assert history[3]["diabetes"]["state"] == "yes"
    for pid, (allergies, diabetes, pregnant, _at) in before.items():
        assert all(a["state"] in ("yes", "no") for a in history[pid].values())  # never an invented "no" ...
        assert ("allergies" in history[pid]) == (json.loads(allergies) != [])  # ... empty lists are unknown
        assert ("diabetes" in history[pid]) == bool(diabetes) and ("pregnant" in history[pid]) == bool(pregnant)

    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        report = integrity.verify_database(ctx)
        assert integrity.tampered_session_ids(ctx) == set(), report
        assert get_session(ctx, old_signing).content_version == 2
        assert all(integrity.session_is_intact(ctx, sid) for sid in signed)
        # the version-2 note asserted no negative: it prints what it knew, never an invented "no"
        from test_report_support import flat, pdf_pages

        record = get_session(ctx, old_signing)
        text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, old_signing))))
        listed = record.signed_context["patient"]["allergies"]
        assert ("Allergies " + (", ".join(listed) if listed else "Not recorded")) in text
        assert "No known allergies" not in text and "ALTERED" not in text
    finally:
        ctx.close()
