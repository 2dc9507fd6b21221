"""Signers' Ed25519 keys (issue 14 items 1 and 3): made when a physician's password is set, wrapped by it and
registered in the audit trail; a password change re-wraps the same key, an administrator's reset issues a new one
and old signatures keep verifying; a physician from before keys existed gets one at their first signature. And
everything a signed note prints is signed: renaming the physician, a formulary item or a lot afterwards leaves the
reprinted note as signed, and `verify` passes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from test_report_support import PASSWORD, add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import accounts, addenda, documents, integrity, users_admin
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo

NEW_PASSWORD = "Quiet-river-stone-81"


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def _sql(db: Path, *statements: tuple[str, tuple]) -> None:
    with closing(sqlite3.connect(db)) as conn:
        for sql, args in statements:
            conn.execute(sql, args)
        conn.commit()


def _signed(ctx: AppContext, doctor: int, n_sites: int = 2) -> int:
    patient = add_patient(ctx, mrn=f"P-{n_sites}{doctor}")
    sid = save_session(ctx, patient.id, doctor, n_sites, syringe=(("lidocaine-1", 8.0),))
    sign(ctx, sid, doctor)
    return sid


def _text(ctx: AppContext, sid: int) -> str:
    return flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))


def test_setting_a_physicians_password_makes_a_key_pair_wrapped_by_it(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    [(key_id, public, wrapped, salt, retired)] = _rows(
        db_path, "SELECT id, public_key, wrapped_private_key, salt, retired_at FROM signer_key WHERE user_id = ?", doctor)
    assert retired is None and len(public) == 64 and wrapped.startswith("argon2id$") and len(salt) == 32
    private = keys.unwrap(wrapped, salt, PASSWORD)  # only the password opens it
    assert keys.public_bytes(private).hex() == public
    with pytest.raises(keys.KeyUnlockError):
        keys.unwrap(wrapped, salt, "Another-password-123")
    # the public key itself is in the audit trail, where an anchor covers it
    [(user_id, detail)] = _rows(db_path, "SELECT user_id, detail FROM audit_event WHERE entity = 'signer_key'")
    assert user_id == doctor and public in detail
    raw = private.private_bytes_raw().hex()
    assert all(raw not in str(v) for row in _rows(db_path, "SELECT * FROM signer_key") for v in row)


def test_a_password_change_rewraps_the_same_key_and_signing_goes_on(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    first = _signed(ctx, doctor)
    [(public, wrapped)] = _rows(db_path, "SELECT public_key, wrapped_private_key FROM signer_key")
    ctx.act_as(Principal.for_user(doctor, "ahart", "Amelia Hart", ("physician",)))
    accounts.set_password(ctx, doctor, NEW_PASSWORD, current_password=PASSWORD)
    [(public2, wrapped2, salt2)] = _rows(db_path, "SELECT public_key, wrapped_private_key, salt FROM signer_key")
    assert public2 == public and wrapped2 != wrapped
    assert keys.public_bytes(keys.unwrap(wrapped2, salt2, NEW_PASSWORD)).hex() == public
    with pytest.raises(keys.KeyUnlockError):
        keys.unwrap(wrapped2, salt2, PASSWORD)
    added = addenda.add_addendum(ctx, first, "addendum", "Patient called: no soreness.", doctor, NEW_PASSWORD)
    assert added.text
    assert _rows(db_path, "SELECT signature LIKE 'ed25519:%' FROM addendum") == [(1,)]
    report = integrity.verify_database(ctx)
    assert report.ok and report.hash_only == 0, (report.tampered, report.key_problems)


def test_an_administrators_reset_issues_a_new_key_and_old_signatures_still_verify(
        ctx: AppContext, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doctor = setup_clinic(ctx)
    before = _signed(ctx, doctor)
    users_admin.reset_password(ctx, doctor, NEW_PASSWORD)  # the administrator never knew the old password
    keys_now = _rows(db_path, "SELECT public_key, retired_at IS NOT NULL FROM signer_key ORDER BY id")
    assert [retired for _k, retired in keys_now] == [1, 0] and keys_now[0][0] != keys_now[1][0]
    import test_report_support

    monkeypatch.setattr(test_report_support, "PASSWORD", NEW_PASSWORD)
    after = _signed(ctx, doctor, 3)
    signatures = dict(_rows(db_path, "SELECT id, substr(signature, 9, 64) FROM procedure_session"))
    fingerprints = [keys.fingerprint(bytes.fromhex(k)) for k, _r in keys_now]
    assert [signatures[before], signatures[after]] == fingerprints
    report = integrity.verify_database(ctx)
    assert report.ok and report.sessions_checked == 2, (report.tampered, report.key_problems)
    assert len(_rows(db_path, "SELECT id FROM audit_event WHERE entity = 'signer_key'")) == 2


def test_a_physician_from_before_keys_existed_gets_one_at_the_first_signature(ctx: AppContext,
                                                                              db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    _sql(db_path, ("DELETE FROM signer_key", ()))  # a password set before migration 0014
    sid = _signed(ctx, doctor)
    [(public,)] = _rows(db_path, "SELECT public_key FROM signer_key WHERE user_id = ?", doctor)
    details = [d for (d,) in _rows(db_path, "SELECT detail FROM audit_event WHERE entity = 'signer_key'")]
    assert any(public in d and "first signature" in d for d in details)
    assert integrity.session_is_intact(ctx, sid)
    # the registration from the deleted key is still in the trail; the new key is the one that counts
    report = integrity.verify_database(ctx)
    assert report.tampered == [] and report.key_problems == []


def test_nobody_signs_with_a_wrong_password(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 1)
    from tpi_notes.services.drafts import get_draft
    from tpi_notes.services.signing import sign_session

    with pytest.raises(TpiError):
        sign_session(ctx, sid, doctor, "Not-the-password-99", row_version=get_draft(ctx, sid).row_version or 1)
    assert _rows(db_path, "SELECT status, signature FROM procedure_session") == [("draft", None)]


def test_the_note_says_how_it_was_signed(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    sid = _signed(ctx, doctor)
    [(fp,)] = _rows(db_path, "SELECT substr(signature, 9, 16) FROM procedure_session")
    text = _text(ctx, sid)
    assert f"Ed25519 signature, key {fp}…" in text and "· Ed25519" in text


def test_notes_signed_before_version_5_verify_and_are_marked_hash_only(ctx: AppContext, db_path: Path) -> None:
    build_demo(ctx, patients=5, sessions=30, seed=2)  # the demo signs as before: content version 4, no keys
    report = integrity.verify_database(ctx)
    assert report.ok and report.sessions_checked > 0 and report.hash_only == report.sessions_checked
    [(sid,)] = _rows(db_path, "SELECT id FROM procedure_session WHERE status = 'signed' ORDER BY id LIMIT 1")
    text = _text(ctx, sid)
    assert "Hash-only signature (before v5)" in text and "hash-only (before v5)" in text


# -- item 3: everything printed is signed -----------------------------------------------------------------------

def test_renaming_what_a_signed_note_prints_leaves_the_reprint_as_signed(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    sid = _signed(ctx, doctor)
    before = _text(ctx, sid)
    assert "Amelia Hart, MD" in before and "LID-2611" in before and "2027-06-30" in before
    [(item_name,)] = _rows(db_path, "SELECT name FROM formulary_item WHERE code = 'lidocaine-1'")
    assert item_name in before
    # the physician renamed in the app; the item, its strength and the lot's expiry and NDC behind its back
    users_admin.update_user(ctx, doctor, "Amelia Hart-Okafor", "DO", ("physician",), True)
    _sql(db_path, ("UPDATE formulary_item SET name = 'Xylo 9', strength_label = '9 %', generic = 'xylo' "
                   "WHERE code = 'lidocaine-1'", ()),
         ("UPDATE lot SET expiry = '2031-01-01', ndc = '00000-0000-00' WHERE lot_number = 'LID-2611'", ()))
    after = _text(ctx, sid)
    assert after == before
    assert "Hart-Okafor" not in after and "Xylo" not in after and "2031-01-01" not in after
    assert integrity.verify_database(ctx).ok


def test_the_printed_values_are_under_the_signature(ctx: AppContext, db_path: Path) -> None:
    """Changing them in the signed context (or a finding's source, which the note prints) is caught."""
    doctor = setup_clinic(ctx)
    sid = _signed(ctx, doctor)
    [(printed,)] = _rows(db_path, "SELECT json_extract(signed_context, '$.printed.people.physician') "
                                  "FROM procedure_session")
    assert printed == "Amelia Hart, MD"
    _sql(db_path, ("DROP TRIGGER trg_procedure_session_update_locked", ()),
         ("UPDATE procedure_session SET signed_context = json_set(signed_context, '$.printed.people.physician', "
          "'Someone Else, MD') WHERE id = ?", (sid,)))
    assert not integrity.session_is_intact(ctx, sid)
    assert "ALTERED AFTER SIGNING" in _text(ctx, sid)
