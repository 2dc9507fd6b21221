"""The re-sign attack: someone holding the database file and the program, but no password, changes a signed
session, recomputes its SHA-256 with the program's own code and writes it back. `verify` catches it, with and
without an audit anchor, because the signature is an Ed25519 signature only the signer's password unlocks and the
signing audit event names the hash that was signed (issue 14 item 1)."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session
from test_report_support import add_patient, save_session, setup_clinic, sign

from tpi_notes.db.repositories import session_records
from tpi_notes.domain.audit import GENESIS_HASH, AuditEntry, chain_hash
from tpi_notes.domain.signing import OUTCOMES_CONTENT_VERSION, record_sha256
from tpi_notes.services import integrity
from tpi_notes.services.context import AppContext


def _triggers(conn: sqlite3.Connection) -> None:
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")


def _resign(ctx: AppContext, db: Path, session_id: int, edit: Callable[[sqlite3.Connection], None]) -> str:
    """Drop the lock triggers, ``edit`` the signed session, recompute its hash with the program's own code and
    write it back; returns the new hash."""
    with closing(sqlite3.connect(db)) as conn:
        _triggers(conn)
        edit(conn)
        conn.commit()
    with Session(ctx.engine) as s:
        record = session_records.load(s, session_id)
        assert record is not None
        digest = record_sha256(record)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE procedure_session SET content_sha256 = ? WHERE id = ?", (digest, session_id))
        conn.commit()
    return digest


def _rechain(conn: sqlite3.Connection) -> None:
    """Every audit event's hash recomputed with the chain's own code, as an attacker who read the source would."""
    previous = GENESIS_HASH
    rows = conn.execute("SELECT id, at, actor, user_id, action, entity, entity_id, patient_id, detail"
                        " FROM audit_event ORDER BY id").fetchall()
    from datetime import datetime

    for eid, at, actor, user_id, action, entity, entity_id, patient_id, detail in rows:
        entry = AuditEntry(at=datetime.fromisoformat(at), actor=actor, user_id=user_id, action=action, entity=entity,
                           entity_id=entity_id, patient_id=patient_id, detail=detail, prev_hash=previous)
        previous = chain_hash(entry)
        conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", (entry.prev_hash, previous, eid))



@pytest.fixture
def signed(ctx: AppContext) -> tuple[AppContext, int]:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2, syringe=(("lidocaine-1", 8.0),))
    sign(ctx, session_id, doctor)
    assert integrity.verify_database(ctx).ok
    return ctx, session_id


EDITS: dict[str, Callable[[int], Callable[[sqlite3.Connection], None]]] = {
    "a site's side": lambda sid: lambda c: c.execute(
        "UPDATE site SET side = CASE side WHEN 'L' THEN 'R' ELSE 'L' END WHERE session_id = ? AND number = 1", (sid,)),
    "the indication": lambda sid: lambda c: c.execute(
        "UPDATE procedure_session SET indication = 'Low back pain' WHERE id = ?", (sid,)),
    "a syringe's volume": lambda sid: lambda c: c.execute(
        "UPDATE preparation_component SET volume_ml = 18 WHERE preparation_id IN"
        " (SELECT id FROM preparation WHERE session_id = ?)", (sid,)),
    "a diagnosis": lambda sid: lambda c: c.execute(
        "UPDATE session_diagnosis SET code = 'M54.5', display = 'Low back pain' WHERE session_id = ?", (sid,)),
    "the patient's weight as signed": lambda sid: lambda c: c.execute(
        "UPDATE procedure_session SET signed_context = json_set(signed_context, '$.patient.weight_kg', 120.0)"
        " WHERE id = ?", (sid,)),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_a_changed_session_with_its_hash_recomputed_is_caught(signed: tuple[AppContext, int], db_path: Path,
                                                              what: str) -> None:
    ctx, sid = signed
    _resign(ctx, db_path, sid, EDITS[what](sid))
    # the hash alone now matches: the old check is fooled
    report = integrity.verify_database(ctx)
    assert not report.ok
    assert [t[0] for t in report.tampered] == [sid], report.tampered
    reason = report.tampered[0][2]
    assert "signing audit event" in reason or "signature" in reason, reason
    assert not integrity.session_is_intact(ctx, sid)
    assert integrity.tampered_session_ids(ctx) == {sid}


def test_the_audit_event_rewritten_and_the_chain_recomputed_is_still_caught_by_the_signature(
        signed: tuple[AppContext, int], db_path: Path, tmp_path: Path) -> None:
    """The attacker also writes the new hash into the signing audit event and rechains the trail: without an
    anchor only the Ed25519 signature (made with a key the attacker cannot unwrap) catches it; with one, the anchor
    catches the rewritten trail too."""
    ctx, sid = signed
    anchor = integrity.write_anchor(ctx, tmp_path / "anchor.json")
    new = _resign(ctx, db_path, sid, EDITS["the indication"](sid))
    with closing(sqlite3.connect(db_path)) as conn:
        detail = conn.execute("SELECT detail FROM audit_event WHERE action = 'sign'").fetchone()[0]
        old = detail.split("sha256 ")[1][:64]
        conn.execute("UPDATE audit_event SET detail = replace(detail, ?, ?) WHERE action = 'sign'", (old, new))
        _rechain(conn)
        conn.commit()
    report = integrity.verify_database(ctx)
    assert report.audit_problems == []  # the chain itself checks out
    assert [t[0] for t in report.tampered] == [sid]
    assert "signature" in report.tampered[0][2]
    assert integrity.check_anchor(ctx, anchor)  # and the anchor sees the rewrite


def test_a_signature_made_with_the_attackers_own_key_is_caught(signed: tuple[AppContext, int], db_path: Path,
                                                               tmp_path: Path) -> None:
    """A swapped public key: the attacker makes a key pair, puts its public key in place of the signer's, re-signs
    the changed content with it and rewrites the trail to match. Caught without the anchor when the trail is left
    alone (the key's registration event names the real key), and with the anchor when it is rewritten."""
    ctx, sid = signed
    anchor = integrity.write_anchor(ctx, tmp_path / "anchor.json")
    new = _resign(ctx, db_path, sid, EDITS["the indication"](sid))
    mine = Ed25519PrivateKey.generate()
    public_hex = mine.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    from tpi_notes.domain import signature_keys as keys

    with closing(sqlite3.connect(db_path)) as conn:
        _triggers(conn)
        key_id, old_public = conn.execute("SELECT id, public_key FROM signer_key").fetchone()
        sig, signer, at, version = conn.execute(
            "SELECT signature, signed_by_id, signed_at, content_version FROM procedure_session WHERE id = ?",
            (sid,)).fetchone()
        from datetime import datetime

        payload = keys.session_payload(sid, version, new, signer, datetime.fromisoformat(at))
        forged = keys.signature_text(keys.fingerprint(bytes.fromhex(public_hex)), mine.sign(payload))
        conn.execute("UPDATE signer_key SET public_key = ? WHERE id = ?", (public_hex, key_id))
        conn.execute("UPDATE procedure_session SET signature = ? WHERE id = ?", (forged, sid))
        conn.commit()
    first = integrity.verify_database(ctx)
    assert [t[0] for t in first.tampered] == [sid]
    assert first.key_problems, "the swapped key itself is named"
    # now the trail too: the sign event and the key's registration rewritten, the chain recomputed
    old_fp, new_fp = keys.fingerprint(bytes.fromhex(old_public)), keys.fingerprint(bytes.fromhex(public_hex))
    with closing(sqlite3.connect(db_path)) as conn:
        detail = conn.execute("SELECT detail FROM audit_event WHERE action = 'sign'").fetchone()[0]
        old = detail.split("sha256 ")[1][:64]
        for a, b in ((old, new), (old_public, public_hex), (old_fp, new_fp)):
            conn.execute("UPDATE audit_event SET detail = replace(detail, ?, ?)", (a, b))
        _rechain(conn)
        conn.commit()
    report = integrity.verify_database(ctx)
    # a perfect forgery of the whole file (the dropped lock triggers aside, which it could put back) ...
    assert (report.tampered, report.key_problems, report.audit_problems) == ([], [], [])
    problems = integrity.check_anchor(ctx, anchor)
    assert problems and "rewritten" in problems[0]  # ... is caught by the anchor kept outside it


def test_dropping_the_signature_and_falling_back_to_a_hash_only_version_is_caught(
        signed: tuple[AppContext, int], db_path: Path) -> None:
    ctx, sid = signed

    def downgrade(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE procedure_session SET signature = NULL, content_version = 4,"
                     " signed_context = json_remove(signed_context, '$.printed'), indication = 'Other' WHERE id = ?",
                     (sid,))

    _resign(ctx, db_path, sid, downgrade)
    report = integrity.verify_database(ctx)
    assert [t[0] for t in report.tampered] == [sid]


def test_the_signature_is_an_ed25519_signature_under_the_signers_registered_key(
        signed: tuple[AppContext, int], db_path: Path) -> None:
    ctx, sid = signed
    with closing(sqlite3.connect(db_path)) as conn:
        sig, sha, version = conn.execute("SELECT signature, content_sha256, content_version FROM procedure_session"
                                         " WHERE id = ?", (sid,)).fetchone()
        public, wrapped = conn.execute("SELECT public_key, wrapped_private_key FROM signer_key").fetchone()
        registered = conn.execute("SELECT detail FROM audit_event WHERE entity = 'signer_key'").fetchall()
        sign_detail = conn.execute("SELECT detail FROM audit_event WHERE action = 'sign'").fetchone()[0]
    assert version == OUTCOMES_CONTENT_VERSION and sig.startswith("ed25519:")  # 6 since issue 17
    assert base64.b64decode(sig.rsplit(":", 1)[1]) and len(base64.b64decode(sig.rsplit(":", 1)[1])) == 64
    assert public not in wrapped and "PRIVATE" not in wrapped
    assert len(registered) == 1 and public in registered[0][0]
    assert f"sha256 {sha}" in sign_detail
    json.dumps(sig)  # plain text


def test_the_verify_command_reports_the_resigned_session(signed: tuple[AppContext, int], db_path: Path) -> None:
    import os
    import subprocess
    import sys

    ctx, sid = signed
    _resign(ctx, db_path, sid, EDITS["a site's side"](sid))
    main = Path(__file__).resolve().parents[1] / "main.py"
    result = subprocess.run([sys.executable, str(main), "verify", "--db", str(db_path)], capture_output=True,
                            text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"TAMPERED session {sid} (patient MRN P-100): its content hash is not the one signed" in result.stdout
    assert "hash-only" not in result.stdout  # signed at version 5: an Ed25519 signature, not a bare hash


def test_a_changed_addendum_with_its_hash_recomputed_is_caught(signed: tuple[AppContext, int], db_path: Path) -> None:
    from test_report_support import PASSWORD

    from tpi_notes.domain.addenda import addendum_content_sha256
    from tpi_notes.services import addenda

    ctx, sid = signed
    with closing(sqlite3.connect(db_path)) as conn:
        doctor, session_sha = conn.execute("SELECT signed_by_id, content_sha256 FROM procedure_session").fetchone()
    added = addenda.add_addendum(ctx, sid, "correction", "Site 2 was the left trapezius.", doctor, PASSWORD)
    assert integrity.verify_database(ctx).ok
    forged = "Site 2 was the right trapezius."
    digest = addendum_content_sha256(sid, session_sha, "correction", forged, doctor, added.created_at)
    with closing(sqlite3.connect(db_path)) as conn:
        _triggers(conn)
        conn.execute("UPDATE addendum SET text = ?, content_sha256 = ?", (forged, digest))
        conn.commit()
    report = integrity.verify_database(ctx)
    assert [t[0] for t in report.tampered] == [sid]
    assert report.tampered[0][2].startswith("correction ") and "not the one signed" in report.tampered[0][2]
    assert not integrity.session_is_intact(ctx, sid)
