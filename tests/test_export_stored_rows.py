"""The CSV export writes signed sessions from rows stored at signing (issue 19): the bytes are exactly those of
the row builder drafts still use (``csv_row`` over ``export_rows.batches``), whatever happened after signing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from export_fixtures import DEMO_SESSIONS, csv_rows, demo_clinic, export
from sqlalchemy import func, select, text
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic, sign

from tpi_notes.db.models import ProcedureSession, SessionExportRow
from tpi_notes.db.repositories import export_rows, reference, stored_export_rows
from tpi_notes.domain.export_csv import CSV_HEADER, CsvWriter
from tpi_notes.domain.export_records import export_record
from tpi_notes.domain.history import HistoryFilter
from tpi_notes.domain.patient import PatientInput
from tpi_notes.services import accounts, addenda, clinic_settings, exports, patients, users_admin
from tpi_notes.services.context import AppContext


def reference_csv(ctx: AppContext, flt: HistoryFilter | None = None) -> bytes:
    """Every session worked out by today's row builder, as the export wrote it before rows were stored."""
    with ctx.read() as s:
        profile = reference.settings(s).estim_payer_profile
        formulary = {item.code: item for item in reference.list_items(s, include_retired=True)}
        writer = CsvWriter()
        out = writer.begin()
        for batch in export_rows.batches(s, flt or HistoryFilter()):
            out += writer.rows([export_record(x, formulary, profile) for x in batch])
    return out + writer.end()


def stored(ctx: AppContext) -> dict[int, tuple[str, str, str, str]]:
    with ctx.read() as s:
        return {sid: rest for sid, *rest in s.execute(select(
            SessionExportRow.session_id, SessionExportRow.format_version, SessionExportRow.payer_profile,
            SessionExportRow.head, SessionExportRow.tail)).all()}


def signed_ids(ctx: AppContext) -> set[int]:
    with ctx.read() as s:
        return set(s.scalars(select(ProcedureSession.id).where(ProcedureSession.status == "signed")))


@pytest.fixture
def clinic(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> tuple[AppContext, list[int]]:
    """The demo clinic with a session signed in the app; ``worked`` counts the sessions the export works out."""
    demo_clinic(ctx)
    worked: list[int] = []
    real = exports.export_record

    def counting(session, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        worked.append(session.id)
        return real(session, *args, **kwargs)

    monkeypatch.setattr(exports, "export_record", counting)
    return ctx, worked


def test_signed_rows_are_stored_and_the_export_equals_the_row_builder_after_addenda_and_edits(
        clinic: tuple[AppContext, list[int]], tmp_path) -> None:  # noqa: ANN001
    ctx, worked = clinic
    assert set(stored(ctx)) == signed_ids(ctx), "the demo stores every signed session's row"
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, family="=Ødegård", given="Øyvind", mrn="P-900")
    new = save_session(ctx, patient.id, doctor, 3)
    sign(ctx, new, doctor)
    assert new in stored(ctx), "signing stores the row"
    # After signing: an addendum (here and on a demo note), the patient renamed and re-weighed, the physician's
    # name and credentials changed. The patient columns stay as signed; the names are the users' as they are now.
    addenda.add_addendum(ctx, new, "addendum", "Seen again next day: no bruising.", doctor, PASSWORD)
    with ctx.read() as s:
        demo_sid, demo_doctor = s.execute(text(
            "SELECT id, physician_id FROM procedure_session WHERE status = 'signed' ORDER BY id LIMIT 1")).one()
    accounts.set_password(ctx, demo_doctor, PASSWORD)
    before = stored(ctx)[demo_sid]
    addenda.add_addendum(ctx, demo_sid, "correction", "Site 2 was the left side.", demo_doctor, PASSWORD)
    assert stored(ctx)[demo_sid] != before, "an addendum works the row out again (its addenda count)"
    record = patients.get_patient(ctx, patient.id)
    patients.update_patient(ctx, patient.id, PatientInput(
        mrn="P-901", family_name="Hansen", given_name="Ola", birth_date=record.birth_date, sex=record.sex,
        weight_kg=95.0, history=record.history), record.row_version)
    account = users_admin.get_user(ctx, demo_doctor)
    users_admin.update_user(ctx, demo_doctor, "Renamed Person", "DO, PhD", account.roles, account.active)

    worked.clear()
    written = export(ctx, "csv", tmp_path).read_bytes()
    assert written == reference_csv(ctx)
    assert len(worked) == len(_all_ids(ctx)) - len(signed_ids(ctx)), "only drafts are worked out; signed sessions come from their stored rows"
    rows = {int(r[0]): dict(zip(CSV_HEADER, r, strict=True)) for r in csv_rows(tmp_path / "export.csv")[1:]}
    assert len(rows) == DEMO_SESSIONS + 1
    assert (rows[new]["patient_family_name"], rows[new]["patient_mrn"], rows[new]["addenda"]) == ("'=Ødegård",
                                                                                                   "P-900", "1")
    assert rows[demo_sid]["physician"] == rows[demo_sid]["signed_by"] == "Renamed Person, DO, PhD"


def _all_ids(ctx: AppContext) -> list[tuple[int]]:
    with ctx.read() as s:
        return s.execute(select(ProcedureSession.id)).all()


@pytest.mark.parametrize("change", ["payer profile", "row format"])
def test_a_row_made_under_another_payer_profile_or_format_is_worked_out_again_and_stored_for_the_next(
        clinic: tuple[AppContext, list[int]], tmp_path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:  # noqa: ANN001
    ctx, worked = clinic
    if change == "payer profile":
        settings = clinic_settings.get_settings(ctx)
        other = next(p for p in clinic_settings.payer_profiles(ctx) if p != settings.estim_payer_profile)
        clinic_settings.update_settings(ctx, replace(settings, estim_payer_profile=other))
    else:
        monkeypatch.setattr(stored_export_rows, "row_format", lambda: "2:test")
    every = len(_all_ids(ctx))
    first = export(ctx, "csv", tmp_path, "first.csv").read_bytes()
    assert first == reference_csv(ctx)
    assert len(worked) == every, "no stored row of another profile or format is used"
    now = stored(ctx)
    profile = clinic_settings.get_settings(ctx).estim_payer_profile
    format_now = stored_export_rows.row_format()
    assert {(v[0], v[1]) for v in now.values()} == {(format_now, profile)}, "the export stored what it worked out"
    worked.clear()
    assert export(ctx, "csv", tmp_path, "second.csv").read_bytes() == first
    assert len(worked) == every - len(signed_ids(ctx))


def test_a_stored_row_that_is_wrong_shows_in_the_export(clinic: tuple[AppContext, list[int]], tmp_path) -> None:  # noqa: ANN001
    """The equality above is meaningful: the export writes what is stored, so a stale row would differ."""
    ctx, _worked = clinic
    sid = min(stored(ctx))
    with ctx.transaction() as s:
        s.execute(text("UPDATE session_export_row SET head = replace(head, ',signed,', ',draft,') "
                       "WHERE session_id = :id"), {"id": sid})
        assert s.scalar(select(func.count()).select_from(SessionExportRow)) > 0
    assert export(ctx, "csv", tmp_path).read_bytes() != reference_csv(ctx)


def test_a_row_that_cannot_be_worked_out_never_stops_an_addendum_and_leaves_no_stale_row(
        clinic: tuple[AppContext, list[int]], tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    ctx, _worked = clinic
    with ctx.read() as s:
        sid, doctor = s.execute(text(
            "SELECT id, physician_id FROM procedure_session WHERE status = 'signed' ORDER BY id LIMIT 1")).one()
    accounts.set_password(ctx, doctor, PASSWORD)
    assert sid in stored(ctx)
    real = stored_export_rows.csv_row

    def broken(record):  # noqa: ANN001, ANN202
        raise ValueError("a fault in the row builder")

    monkeypatch.setattr(stored_export_rows, "csv_row", broken)
    addenda.add_addendum(ctx, sid, "addendum", "Called the patient: doing well.", doctor, PASSWORD)
    assert sid not in stored(ctx), "the row made before the addendum is not left to be used"
    monkeypatch.setattr(stored_export_rows, "csv_row", real)
    assert export(ctx, "csv", tmp_path).read_bytes() == reference_csv(ctx)


def test_a_session_signed_without_its_patient_context_is_never_stored(clinic: tuple[AppContext, list[int]],
                                                                      tmp_path) -> None:  # noqa: ANN001
    """Signed before migration 0008 (content version 1): no patient as signed, so its patient columns and doses
    follow the patient's record as it is now, and its row is worked out at every export."""
    ctx, worked = clinic
    with ctx.transaction() as s:
        sid = s.execute(text("SELECT id FROM procedure_session WHERE status = 'draft' AND physician_id IS NOT NULL"
                             " ORDER BY id LIMIT 1")).scalar()
        s.execute(text("UPDATE procedure_session SET status = 'signed', signed_context = NULL, content_version = 1,"
                       " signed_by_id = physician_id, signed_at = performed_end, content_sha256 = 'legacy'"
                       " WHERE id = :id"), {"id": sid})
        assert stored_export_rows.refresh(s, [sid]) == 0
    assert sid not in stored(ctx)
    worked.clear()
    first = export(ctx, "csv", tmp_path, "first.csv").read_bytes()
    assert first == reference_csv(ctx) and sid in worked
    assert sid not in stored(ctx), "the export does not store it either"
    with ctx.read() as s:
        patient_id = s.scalar(select(ProcedureSession.patient_id).where(ProcedureSession.id == sid))
    record = patients.get_patient(ctx, patient_id)
    patients.update_patient(ctx, patient_id, PatientInput(
        mrn=record.mrn, family_name="Renamed", given_name=record.given_name, birth_date=record.birth_date,
        sex=record.sex, weight_kg=record.weight_kg, history=record.history), record.row_version)
    again = export(ctx, "csv", tmp_path, "again.csv").read_bytes()
    assert again == reference_csv(ctx) and b",Renamed," in again
