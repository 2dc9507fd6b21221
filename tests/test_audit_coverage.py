"""Every view, create, change, sign, addendum, print and export is an audit event (product.md §9).

One table: a user action through the services → the event it must leave, with the acting user, the time,
the patient it concerns and a detail where the action has one to give.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS, holding
from test_report_support import PASSWORD, add_patient, save_session, session_draft, setup_clinic

from tpi_notes.domain.audit_query import AuditFilter
from tpi_notes.domain.patient import PatientInput
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import addenda, audit_trail, documents, drafts, integrity, patients, sessions
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.signing import sign_session


@dataclass
class Clinic:
    ctx: AppContext
    db: Path
    tmp: Path
    doctor: int
    patient: int
    draft: int
    signed: int
    template: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The clinic is built once (passwords are slow to hash on purpose); each test gets its own copy."""
    db = tmp_path_factory.mktemp("coverage") / "clinic.sqlite"
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    try:
        doctor = setup_clinic(ctx)
        patient = add_patient(ctx).id
        signed = save_session(ctx, patient, doctor)
        sign_session(ctx, signed, doctor, PASSWORD, row_version=drafts.get_draft(ctx, signed).row_version or 1)
        draft = save_session(ctx, patient, doctor)
        template = drafts.save_template(ctx, "Neck", "", session_draft(ctx, patient, doctor)).id
    finally:
        ctx.close()
    return db, {"doctor": doctor, "patient": patient, "draft": draft, "signed": signed, "template": template}


@pytest.fixture
def clinic(built: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[Clinic]:
    source, ids = built
    db = tmp_path / "clinic.sqlite"
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(db)) as dst:
        src.backup(dst)
    # A real user acts (all roles), so every event must name them.
    principal = Principal.for_user(ids["doctor"], "ahart", "Amelia Hart", ("physician", "nurse", "admin"))
    ctx = open_clinic(str(db), principal=ALL_PERMISSIONS)
    ctx.act_as(holding(ctx, principal))  # the account holds the three roles: access is re-read on every action
    yield Clinic(ctx, db, tmp_path, **ids)
    ctx.close()


def _update_patient(c: Clinic) -> int:
    record = patients.get_patient(c.ctx, c.patient)
    data = PatientInput(**{k: getattr(record, k) for k in PatientInput.__dataclass_fields__})
    patients.update_patient(c.ctx, c.patient, replace(data, phone="555 0100"), record.row_version)
    return c.patient


def _new_session(c: Clinic) -> int:
    drafts.save_draft(c.ctx, session_draft(c.ctx, c.patient, c.doctor))
    return c.patient


def _change_draft(c: Clinic) -> int:
    draft = drafts.get_draft(c.ctx, c.draft)
    drafts.save_draft(c.ctx, replace(draft, pain_after=2))
    return c.patient


def _sign(c: Clinic) -> int:
    sign_session(c.ctx, c.draft, c.doctor, PASSWORD, row_version=drafts.get_draft(c.ctx, c.draft).row_version or 1)
    return c.patient


def _call(action: Callable[[Clinic], object]) -> Callable[[Clinic], int]:
    """An action on the clinic's patient."""
    def run(c: Clinic) -> int:
        action(c)
        return c.patient
    return run


def _nobody(action: Callable[[Clinic], object]) -> Callable[[Clinic], None]:
    """An action that concerns no patient."""
    def run(c: Clinic) -> None:
        action(c)
    return run


# (what the user does, the action → the expected (action, entity, detail contains), patient from the action)
ACTIONS: list[tuple[str, Callable[[Clinic], int | None], tuple[str, str, str]]] = [
    ("open a patient", _call(lambda c: patients.get_patient(c.ctx, c.patient)), ("view", "patient", "")),
    ("register a patient", lambda c: add_patient(c.ctx, mrn="P-NEW", family="Newman").id, ("create", "patient", "")),
    ("change a patient", _update_patient, ("change", "patient", "fields: phone")),
    ("open a signed session", _call(lambda c: sessions.get_session(c.ctx, c.signed)), ("view", "session", "")),
    ("open a draft in the editor", _call(lambda c: drafts.get_draft(c.ctx, c.draft)), ("view", "session", "")),
    ("save a new session", _new_session, ("create", "session", "draft saved: 3 sites")),
    ("save a changed draft", _change_draft, ("change", "session", "draft saved")),
    ("copy the last session forward",
     _call(lambda c: drafts.copy_forward(c.ctx, drafts.new_draft(c.ctx, c.patient))), ("view", "session",
                                                                                        "copied forward")),
    ("apply a template", _call(lambda c: drafts.apply_template(c.ctx, c.template, drafts.get_draft(c.ctx, c.draft))),
     ("view", "template", ": 3 sites, 1 syringe")),
    ("save a template", _nobody(lambda c: drafts.save_template(c.ctx, "Low back", "", session_draft(
        c.ctx, c.patient, c.doctor))), ("create", "template", "Low back")),
    ("sign a session", _sign, ("sign", "session", "sha256 ")),
    ("add an addendum", _call(lambda c: addenda.add_addendum(c.ctx, c.signed, "late_entry", "Dizzy at 5 min.",
                                                              c.doctor, PASSWORD)),
     ("addendum", "addendum", "late_entry to session")),
    ("print the procedure note", _call(lambda c: documents.procedure_note_pdf(c.ctx, c.signed)),
     ("print", "session", "procedure note (signed")),
    ("print the aftercare sheet", _call(lambda c: documents.aftercare_pdf(c.ctx, c.draft, "es", True)),
     ("print", "session", "aftercare sheet")),
    ("record the aftercare version on a draft",
     _call(lambda c: documents.set_aftercare_version(c.ctx, c.draft, "test-9")),
     ("change", "session", "aftercare library version test-9")),
    ("look at the audit trail", _nobody(lambda c: audit_trail.list_events(c.ctx, AuditFilter(action="print"))),
     ("view", "audit_trail", "action print")),
    ("export the audit trail", _nobody(lambda c: audit_trail.export_events_csv(c.ctx, AuditFilter(),
                                                                               c.tmp / "trail.csv")),
     ("export", "audit_trail", "trail.csv")),
    ("verify the database",
     _nobody(lambda c: integrity.record_verification(c.ctx, integrity.verify_database(c.ctx))),
     ("verify", "database", "all intact")),
]


@pytest.mark.parametrize(("label", "act", "expected"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_user_action_leaves_its_audit_event(clinic: Clinic, label: str, act: Callable[[Clinic], int | None],
                                                 expected: tuple[str, str, str]) -> None:
    conn = sqlite3.connect(clinic.db)
    before = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    started = datetime.now().replace(microsecond=0)
    patient = act(clinic)
    events = conn.execute("SELECT action, entity, patient_id, user_id, actor, at, detail FROM audit_event"
                          " WHERE id > ? ORDER BY id", (before,)).fetchall()
    conn.close()
    action, entity, detail = expected
    matching = [e for e in events if e[:3] == (action, entity, patient)]
    assert matching, f"{label}: no ({action}, {entity}, patient {patient}) event among {events}"
    _a, _e, _p, user_id, actor, at, text = matching[-1]
    assert (user_id, actor) == (clinic.doctor, "user:ahart"), label
    assert started <= datetime.fromisoformat(at) <= datetime.now() + timedelta(seconds=1), label
    assert detail in text, f"{label}: {detail!r} not in {text!r}"


def test_listing_a_patients_sessions_goes_with_the_audited_patient_view(clinic: Clinic) -> None:
    """The patient view opens the record (audited) and lists its sessions; the list adds no second event."""
    conn = sqlite3.connect(clinic.db)
    before = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    patients.get_patient(clinic.ctx, clinic.patient)
    patients.list_patient_sessions(clinic.ctx, clinic.patient)
    events = conn.execute("SELECT action, entity, patient_id FROM audit_event WHERE id > ?", (before,)).fetchall()
    conn.close()
    assert events == [("view", "patient", clinic.patient)]


def test_an_unchanged_aftercare_version_writes_no_change_event(clinic: Clinic) -> None:
    assert documents.set_aftercare_version(clinic.ctx, clinic.draft, "v1") is True
    conn = sqlite3.connect(clinic.db)
    before = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    assert documents.set_aftercare_version(clinic.ctx, clinic.draft, "v1") is False  # already recorded
    assert documents.set_aftercare_version(clinic.ctx, clinic.signed, "v2") is False  # signed: never changed
    assert conn.execute("SELECT count(*) FROM audit_event WHERE id > ?", (before,)).fetchone()[0] == 0
    conn.close()


def test_a_refused_template_writes_no_event(clinic: Clinic) -> None:
    from tpi_notes.domain.errors import NotFoundError

    conn = sqlite3.connect(clinic.db)
    before = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    with pytest.raises(NotFoundError):
        drafts.apply_template(clinic.ctx, 999, drafts.get_draft(clinic.ctx, clinic.draft))
    events = conn.execute("SELECT action, entity FROM audit_event WHERE id > ?", (before,)).fetchall()
    conn.close()
    assert events == [("view", "session")]  # only the draft opened to apply it
