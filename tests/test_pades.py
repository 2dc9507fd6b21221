"""A PAdES-signed procedure note anyone can check (issue 14 item 2): the clinic root made at setup or at the next
administrator sign-in, signer certificates (pending until an administrator's sign-in), the note PDF signed at
signing and printed as stored, the root copy re-wrapped on a password change, and verify catching a certificate
swapped behind the app's back (and, with an anchor, a trail rewritten to match)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from test_report_support import PASSWORD, add_patient, flat, pdf_pages, save_session, setup_clinic, sign
from test_resign_attack import _rechain, _triggers

from tpi_notes.domain import clinic_certificates as certs
from tpi_notes.domain import pdf_signatures
from tpi_notes.domain import signature_keys as keys
from tpi_notes.domain.clinic import ClinicDetails
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import accounts, addenda, documents, drafts, integrity, login, users_admin
from tpi_notes.services.context import AppContext
from tpi_notes.services.signing import sign_session

ADMIN_PASSWORD = "Lantern-orchard-93-quill"
NEW_ADMIN_PASSWORD = "Copper-meadow-17-violin"


def _rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def _admin(ctx: AppContext, username: str = "lgrant", password: str = ADMIN_PASSWORD) -> int:
    ctx.act_as(ALL_PERMISSIONS)
    return users_admin.add_user(ctx, "Lena Grant", "", username, ("admin",), password).id


def _as_doctor(ctx: AppContext, doctor: int) -> None:
    ctx.act_as(Principal.for_user(doctor, "ahart", "Amelia Hart", ("physician",)))


def _signed(ctx: AppContext, doctor: int, mrn: str) -> int:
    patient = add_patient(ctx, mrn=mrn)
    sid = save_session(ctx, patient.id, doctor, 2, syringe=(("lidocaine-1", 8.0),))
    sign(ctx, sid, doctor)
    return sid


def _roots(db: Path) -> list[bytes]:
    return [der for (der,) in _rows(db, "SELECT certificate FROM clinic_root")]


@pytest.fixture
def clinic(ctx: AppContext) -> tuple[AppContext, int, int]:
    """A clinic from before the root (a physician with a key, an administrator), then the administrator signs
    in: the root is made, and the physician's pending certificate issued."""
    doctor = setup_clinic(ctx)
    admin = _admin(ctx)
    login.login(ctx, "lgrant", ADMIN_PASSWORD)
    _as_doctor(ctx, doctor)
    return ctx, doctor, admin


def test_the_signed_note_pdf_validates_against_the_clinic_root_and_one_changed_byte_fails(
        clinic: tuple[AppContext, int, int], db_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    sid = _signed(ctx, doctor, "P-1")
    [(stored, sha)] = _rows(db_path, "SELECT pdf, sha256 FROM signed_note_pdf WHERE session_id = ?", sid)
    pdf = documents.procedure_note_pdf(ctx, sid)
    assert pdf == stored  # printing gives the PDF as signed, byte for byte
    [check] = pdf_signatures.check_pdf(pdf, _roots(db_path))  # pyHanko's validator, the clinic root trusted
    assert check.ok and "Amelia Hart, MD" in check.signer
    text = flat("\n".join(pdf_pages(pdf)))
    assert "· Ed25519 · PAdES-signed PDF" in text  # the footer, on every page
    # the signed PDF's hash is registered in the audit trail
    assert _rows(db_path, "SELECT count(*) FROM audit_event WHERE entity = 'signed_pdf' AND detail LIKE ?",
                 f"%sha256 {sha}") == [(1,)]
    changed = bytearray(pdf)
    changed[len(pdf) // 3] ^= 0x01  # one byte of the page content
    [bad] = pdf_signatures.check_pdf(bytes(changed), _roots(db_path))
    assert not bad.ok and not bad.intact
    # another clinic's root does not vouch for it
    other = certs.make_root(keys.Ed25519PrivateKey.generate(), "Elsewhere Clinic")
    [untrusted] = pdf_signatures.check_pdf(pdf, [other])
    assert untrusted.intact and not untrusted.trusted and not untrusted.ok


def test_an_addendum_signs_a_new_pdf_and_printing_uses_the_newest(clinic: tuple[AppContext, int, int],
                                                                  db_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    sid = _signed(ctx, doctor, "P-2")
    addenda.add_addendum(ctx, sid, "addendum", "Patient called: no soreness.", doctor, PASSWORD)
    rows = _rows(db_path, "SELECT addendum_id, pdf FROM signed_note_pdf WHERE session_id = ? ORDER BY id", sid)
    assert [r[0] is None for r in rows] == [True, False]
    pdf = documents.procedure_note_pdf(ctx, sid)
    assert pdf == rows[-1][1] and "Patient called: no soreness." in flat("\n".join(pdf_pages(pdf)))
    assert pdf_signatures.check_pdf(pdf, _roots(db_path))[0].ok


def test_a_pending_certificate_is_issued_at_the_next_admin_sign_in_and_the_pending_note_signed_later(
        ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    admin = _admin(ctx)
    ctx.act_as(ALL_PERMISSIONS)
    early = _signed(ctx, doctor, "P-3")  # no root, no certificate yet: signed (v5) all the same
    assert _rows(db_path, "SELECT count(*) FROM signed_note_pdf") == [(0,)]
    assert _rows(db_path, "SELECT signature LIKE 'ed25519:%' FROM procedure_session WHERE id = ?", early) == [(1,)]
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, early))))
    assert "· Ed25519 · PDF signature pending" in text
    assert _rows(db_path, "SELECT count(*) FROM signer_certificate") == [(0,)]
    login.login(ctx, "lgrant", ADMIN_PASSWORD)  # the next administrator sign-in
    [(user_id, der)] = _rows(db_path, "SELECT user_id, certificate FROM signer_certificate")
    [(public,)] = _rows(db_path, "SELECT public_key FROM signer_key WHERE user_id = ?", doctor)
    assert user_id == doctor and certs.facts(der).public_key.hex() == public
    assert certs.issued_by(der, _roots(db_path)[0])
    assert _rows(db_path, "SELECT user_id FROM clinic_root_copy") == [(admin,)]
    # the physician's next signature PAdES-signs the new note and the one left pending
    _as_doctor(ctx, doctor)
    later = _signed(ctx, doctor, "P-4")
    assert {sid for (sid,) in _rows(db_path, "SELECT session_id FROM signed_note_pdf")} == {early, later}
    assert pdf_signatures.check_pdf(documents.procedure_note_pdf(ctx, early), _roots(db_path))[0].ok
    assert integrity.verify_database(ctx).ok


def test_a_note_signed_before_pdf_signatures_says_so(ctx: AppContext, db_path: Path) -> None:
    from tpi_notes.services.demo import build_demo

    build_demo(ctx, patients=5, sessions=20, seed=2)  # the bulk: content version 4, hash-only, no PDF
    [(sid,)] = _rows(db_path, "SELECT id FROM procedure_session WHERE status = 'signed' AND id NOT IN "
                              "(SELECT session_id FROM signed_note_pdf) ORDER BY id LIMIT 1")
    pdf = documents.procedure_note_pdf(ctx, sid)
    assert pdf_signatures.check_pdf(pdf, _roots(db_path)) == []
    text = flat("\n".join(pdf_pages(pdf)))
    assert "· hash-only (before v5) · no PDF signature" in text


def test_a_password_change_rewraps_the_admins_root_copy(clinic: tuple[AppContext, int, int], db_path: Path) -> None:
    ctx, _doctor, admin = clinic
    [(wrapped, salt)] = _rows(db_path, "SELECT wrapped_private_key, salt FROM clinic_root_copy WHERE user_id = ?",
                              admin)
    root_public = certs.facts(_roots(db_path)[0]).public_key
    assert keys.public_bytes(keys.unwrap(wrapped, salt, ADMIN_PASSWORD)) == root_public
    ctx.act_as(Principal.for_user(admin, "lgrant", "Lena Grant", ("admin",)))
    accounts.set_password(ctx, admin, NEW_ADMIN_PASSWORD, current_password=ADMIN_PASSWORD)
    [(wrapped2, salt2)] = _rows(db_path, "SELECT wrapped_private_key, salt FROM clinic_root_copy WHERE user_id = ?",
                                admin)
    assert keys.public_bytes(keys.unwrap(wrapped2, salt2, NEW_ADMIN_PASSWORD)) == root_public  # the same root
    with pytest.raises(keys.KeyUnlockError):
        keys.unwrap(wrapped2, salt2, ADMIN_PASSWORD)


def test_a_new_admin_gets_a_copy_and_a_reset_physician_a_certificate_at_once(
        clinic: tuple[AppContext, int, int], db_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    login.login(ctx, "lgrant", ADMIN_PASSWORD)  # the administrator signed in holds the root
    second = users_admin.add_user(ctx, "Omar Haddad", "", "ohaddad", ("admin",), NEW_ADMIN_PASSWORD).id
    [(wrapped, salt)] = _rows(db_path, "SELECT wrapped_private_key, salt FROM clinic_root_copy WHERE user_id = ?",
                              second)
    assert keys.public_bytes(keys.unwrap(wrapped, salt, NEW_ADMIN_PASSWORD)) == \
        certs.facts(_roots(db_path)[0]).public_key
    users_admin.reset_password(ctx, doctor, "Sturdy-lighthouse-58-kettle")  # a new key pair ...
    [(public,)] = _rows(db_path, "SELECT public_key FROM signer_key WHERE user_id = ? AND retired_at IS NULL", doctor)
    [(der,)] = _rows(db_path, "SELECT c.certificate FROM signer_certificate c JOIN signer_key k "
                              "ON k.id = c.signer_key_id WHERE k.public_key = ?", public)
    assert certs.facts(der).public_key.hex() == public  # ... certified at once


def test_a_certificate_swapped_in_the_database_is_caught_by_verify_and_by_the_anchor(
        clinic: tuple[AppContext, int, int], db_path: Path, tmp_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    ctx.act_as(ALL_PERMISSIONS)
    anchor = integrity.write_anchor(ctx, tmp_path / "anchor.json")
    # The attacker's own root and a certificate from it for the signer's key (a PDF they sign with their own key
    # would need a certificate of theirs in the database to look like the clinic's).
    [(cert_id, old_der, old_sha, public)] = _rows(
        db_path, "SELECT c.id, c.certificate, c.sha256, k.public_key FROM signer_certificate c "
                 "JOIN signer_key k ON k.id = c.signer_key_id")
    fake_root_key = keys.Ed25519PrivateKey.generate()
    fake_root = certs.make_root(fake_root_key, "Harbor & Pines Pain Clinic")
    forged = certs.issue_signer(fake_root_key, fake_root, bytes.fromhex(public), "Amelia Hart, MD",
                                "Harbor & Pines Pain Clinic")
    new_sha = certs.certificate_sha256(forged)
    [(root_der, root_sha)] = _rows(db_path, "SELECT certificate, sha256 FROM clinic_root")
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("UPDATE signer_certificate SET certificate = ?, sha256 = ? WHERE id = ?", (forged, new_sha,
                                                                                                cert_id))
        conn.execute("UPDATE clinic_root SET certificate = ?, sha256 = ?", (fake_root, certs.certificate_sha256(
            fake_root)))
        conn.commit()
    report = integrity.verify_database(ctx)
    assert not report.ok
    assert any("certificate" in p and "registered" in p for p in report.key_problems), report.key_problems
    # the trail rewritten to register the forged certificates, the chain recomputed: only the anchor sees it
    with closing(sqlite3.connect(db_path)) as conn:
        _triggers(conn)
        for a, b in ((old_sha, new_sha), (root_sha, certs.certificate_sha256(fake_root))):
            conn.execute("UPDATE audit_event SET detail = replace(detail, ?, ?)", (a, b))
        _rechain(conn)
        conn.commit()
    report = integrity.verify_database(ctx)
    assert report.key_problems == [] and report.audit_problems == []
    problems = integrity.check_anchor(ctx, anchor)
    assert problems and "rewritten" in problems[0]
    assert old_der != forged and root_der != fake_root


def test_a_signed_pdf_changed_in_the_database_is_caught_and_not_printed_as_signed(
        clinic: tuple[AppContext, int, int], db_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    sid = _signed(ctx, doctor, "P-6")
    [(pdf_id, pdf)] = _rows(db_path, "SELECT id, pdf FROM signed_note_pdf")
    changed = bytearray(pdf)
    changed[len(pdf) // 3] ^= 0x01
    with closing(sqlite3.connect(db_path)) as conn:
        import hashlib

        conn.execute("UPDATE signed_note_pdf SET pdf = ?, sha256 = ? WHERE id = ?",
                     (bytes(changed), hashlib.sha256(bytes(changed)).hexdigest(), pdf_id))
        conn.commit()
    assert any(f"signed PDF {pdf_id}" in p for p in integrity.verify_database(ctx).key_problems)
    printed = documents.procedure_note_pdf(ctx, sid)
    assert printed != bytes(changed) and pdf_signatures.check_pdf(printed, _roots(db_path)) == []
    assert "NO VALID PDF SIGNATURE" in flat("\n".join(pdf_pages(printed)))


def test_first_run_setup_makes_the_root_and_certifies_a_physician_admin(ctx: AppContext, db_path: Path) -> None:
    details = ClinicDetails(name="Harbor & Pines Pain Clinic", address="10 Harbor Way", phone="(555) 010-2000",
                            after_hours_phone="(555) 010-9999")
    user = login.setup_clinic(ctx, details, "Amelia Hart", "MD", "ahart", ADMIN_PASSWORD, ("physician",))
    [(root_der,)] = _rows(db_path, "SELECT certificate FROM clinic_root")
    assert "Harbor & Pines Pain Clinic root" in certs.facts(root_der).subject
    [(der,)] = _rows(db_path, "SELECT certificate FROM signer_certificate WHERE user_id = ?", user.id)
    assert certs.issued_by(der, root_der)
    [(wrapped, salt)] = _rows(db_path, "SELECT wrapped_private_key, salt FROM clinic_root_copy WHERE user_id = ?",
                              user.id)
    assert keys.public_bytes(keys.unwrap(wrapped, salt, ADMIN_PASSWORD)) == certs.facts(root_der).public_key


def test_the_demo_signs_a_few_showcase_notes_that_check_out_and_leaves_the_bulk_alone(ctx: AppContext,
                                                                                    db_path: Path) -> None:
    from tpi_notes.services import demo_data
    from tpi_notes.services.demo import build_demo
    from tpi_notes.services.demo_pades import SHOWCASE_PDFS

    build_demo(ctx, patients=12, sessions=60, seed=3)
    rows = _rows(db_path, "SELECT session_id, pdf FROM signed_note_pdf")
    assert len(rows) == SHOWCASE_PDFS  # a handful, never one per session
    for sid, stored in rows:
        pdf = documents.procedure_note_pdf(ctx, sid)
        assert pdf == stored
        [check] = pdf_signatures.check_pdf(pdf, _roots(db_path))
        assert check.ok
    # every demo physician holds a certified key the demo password opens; every administrator a root copy
    physicians = [uid for uid, (_u, _n, _c, roles) in enumerate(demo_data.STAFF, start=1) if "physician" in roles]
    for uid in physicians:
        [(wrapped, salt, der)] = _rows(db_path, "SELECT k.wrapped_private_key, k.salt, c.certificate FROM signer_key k"
                                                " JOIN signer_certificate c ON c.signer_key_id = k.id "
                                                "WHERE k.user_id = ?", uid)
        assert certs.facts(der).public_key == keys.public_bytes(keys.unwrap(wrapped, salt, demo_data.DEMO_PASSWORD))
    admins = [uid for uid, (_u, _n, _c, roles) in enumerate(demo_data.STAFF, start=1) if "admin" in roles]
    assert sorted(u for (u,) in _rows(db_path, "SELECT user_id FROM clinic_root_copy")) == admins
    assert integrity.verify_database(ctx).ok


def test_a_pending_note_altered_meanwhile_is_never_pdf_signed(ctx: AppContext, db_path: Path) -> None:
    doctor = setup_clinic(ctx)
    _admin(ctx)
    ctx.act_as(ALL_PERMISSIONS)
    altered = _signed(ctx, doctor, "P-7")  # pending: no root yet
    with closing(sqlite3.connect(db_path)) as conn:  # changed behind the app's back
        _triggers(conn)
        conn.execute("UPDATE procedure_session SET indication = 'Something else' WHERE id = ?", (altered,))
        conn.commit()
    login.login(ctx, "lgrant", ADMIN_PASSWORD)
    _as_doctor(ctx, doctor)
    later = _signed(ctx, doctor, "P-8")
    assert [sid for (sid,) in _rows(db_path, "SELECT session_id FROM signed_note_pdf")] == [later]
    assert "ALTERED AFTER SIGNING" in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, altered))))


def test_an_addendum_by_a_pending_signer_is_never_hidden_behind_the_older_signed_pdf(
        clinic: tuple[AppContext, int, int], db_path: Path) -> None:
    ctx, doctor, _admin_id = clinic
    sid = _signed(ctx, doctor, "P-9")
    ctx.act_as(ALL_PERMISSIONS)  # no administrator holds the root: the new physician's certificate is pending
    other = users_admin.add_user(ctx, "Rafael Ortiz", "DO", "rortiz", ("physician",), NEW_ADMIN_PASSWORD).id
    addenda.add_addendum(ctx, sid, "addendum", "Seen again: tender point resolved.", other, NEW_ADMIN_PASSWORD)
    [(stored,)] = _rows(db_path, "SELECT pdf FROM signed_note_pdf WHERE session_id = ?", sid)
    pdf = documents.procedure_note_pdf(ctx, sid)
    assert pdf != stored  # the signed PDF lacks the addendum: the note is rendered from the record instead
    text = flat("\n".join(pdf_pages(pdf)))
    assert "Seen again: tender point resolved." in text and "· Ed25519 · PDF signature pending" in text
    # once the administrator's sign-in certifies that physician, their next signature signs the note with it
    login.login(ctx, "lgrant", ADMIN_PASSWORD)
    ctx.act_as(Principal.for_user(other, "rortiz", "Rafael Ortiz", ("physician",)))
    patient = add_patient(ctx, mrn="P-10")
    later = save_session(ctx, patient.id, other, 2, syringe=(("lidocaine-1", 8.0),))
    sign_session(ctx, later, other, NEW_ADMIN_PASSWORD, row_version=drafts.get_draft(ctx, later).row_version or 1)
    newest = documents.procedure_note_pdf(ctx, sid)
    assert "Seen again: tender point resolved." in flat("\n".join(pdf_pages(newest)))
    [check] = pdf_signatures.check_pdf(newest, _roots(db_path))
    assert check.ok and "Rafael Ortiz, DO" in check.signer


def test_migration_0018_goes_down_and_up_and_the_notes_still_verify(clinic: tuple[AppContext, int, int],
                                                                     db_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from tpi_notes.db.migrate import alembic_config

    ctx, doctor, _admin_id = clinic
    sid = _signed(ctx, doctor, "P-11")
    ctx.engine.dispose()
    engine = create_engine(f"sqlite:///{db_path}")
    cfg = alembic_config()
    try:
        for target in ("0017", "head"):
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                cfg.attributes["connection"] = conn
                (command.downgrade if target == "0017" else command.upgrade)(cfg, target)
            if target == "0017":
                tables = {name for (name,) in _rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
                assert not tables & {"clinic_root", "clinic_root_copy", "signer_certificate", "signed_note_pdf"}
    finally:
        engine.dispose()
    ctx.act_as(ALL_PERMISSIONS)
    assert integrity.verify_database(ctx).ok  # the Ed25519 signatures and hashes are untouched
    assert "· Ed25519 · PDF signature pending" in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))


def test_a_pdf_that_cannot_be_signed_never_blocks_the_clinical_signature(clinic: tuple[AppContext, int, int],
                                                                          db_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, doctor, _admin_id = clinic

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise pdf_signatures.PdfSignatureError("pyHanko is not installed (pyhanko)")

    working = pdf_signatures.sign_pdf
    monkeypatch.setattr(pdf_signatures, "sign_pdf", broken)
    sid = _signed(ctx, doctor, "P-12")
    assert _rows(db_path, "SELECT status, signature LIKE 'ed25519:%' FROM procedure_session WHERE id = ?",
                 sid) == [("signed", 1)]
    assert _rows(db_path, "SELECT count(*) FROM signed_note_pdf") == [(0,)]
    assert "· Ed25519 · PDF signature pending" in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    monkeypatch.setattr(pdf_signatures, "sign_pdf", working)
    _signed(ctx, doctor, "P-13")  # the next signature signs it as well
    assert {s for (s,) in _rows(db_path, "SELECT session_id FROM signed_note_pdf")} >= {sid}
