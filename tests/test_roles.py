"""What each role may and may not do, enforced in the service layer (product.md §1, §9).

Real users log in with real passwords; every refusal is PermissionDenied and changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from principals import ALL_PERMISSIONS
from test_report_support import PASSWORD, add_patient, save_session, session_draft, setup_clinic

from tpi_notes.domain.clinic import ClinicDetails
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import PermissionDenied, Principal
from tpi_notes.domain.session import Diagnosis
from tpi_notes.services import (
    accounts,
    addenda,
    documents,
    drafts,
    integrity,
    login,
    patients,
    phrases,
    sessions,
    staff,
)
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.demo import build_demo
from tpi_notes.services.signing import sign_session


@dataclass
class Clinic:
    ctx: AppContext
    db: Path
    physician: int
    other_physician: int
    nurse: int
    admin: int
    patient: int
    draft: int
    signed: int

    def as_(self, who: str) -> Principal:
        username = {"physician": "ahart", "other": "rortiz", "nurse": "jsoto", "admin": "lgrant"}[who]
        self.ctx.act_as(ALL_PERMISSIONS)
        login.sign_out(self.ctx)
        return login.login(self.ctx, username, PASSWORD)

    def count(self, sql: str) -> int:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql).fetchone()[0]


def _user(ctx: AppContext, name: str, credentials: str, roles: tuple[str, ...], username: str) -> int:
    member = staff.add_staff(ctx, name, credentials, roles)
    with sqlite3.connect(ctx.database_path) as conn:  # type: ignore[arg-type]
        conn.execute("UPDATE app_user SET username = ? WHERE id = ?", (username, member.id))
    accounts.set_password(ctx, member.id, PASSWORD)
    return member.id


def _build_clinic(ctx: AppContext, db_path: Path) -> tuple[int, ...]:
    physician = setup_clinic(ctx)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE app_user SET username = 'ahart' WHERE id = ?", (physician,))
    other = _user(ctx, "Rafael Ortiz", "DO", ("physician",), "rortiz")
    nurse = _user(ctx, "Julia Soto", "RN", ("nurse",), "jsoto")
    admin = _user(ctx, "Lena Grant", "", ("admin",), "lgrant")
    patient = add_patient(ctx).id
    draft = save_session(ctx, patient, physician)
    signed = save_session(ctx, patient, physician)
    sign_session(ctx, signed, physician, PASSWORD, row_version=drafts.get_draft(ctx, signed).row_version or 1)
    return physician, other, nurse, admin, patient, draft, signed


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, ...]]:
    """The clinic built once (four users with real Argon2 passwords, a draft and a signed session); each test
    gets its own copy of the file, so nothing one test does is seen by another."""
    path = tmp_path_factory.mktemp("roles") / "template.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        ids = _build_clinic(ctx, path)
    finally:
        ctx.close()
    return path, ids


@pytest.fixture
def clinic(clinic_template: tuple[Path, tuple[int, ...]], tmp_path: Path) -> Iterator[Clinic]:
    template, ids = clinic_template
    db_path = tmp_path / "clinic.sqlite"
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(db_path)) as copy:
        source.backup(copy)  # whatever the template's WAL still holds comes along
    ctx = open_clinic(str(db_path), principal=ALL_PERMISSIONS)
    try:
        yield Clinic(ctx, db_path, *ids)
    finally:
        ctx.close()


# -- the matrix: each action, and the roles that may do it ---------------------------------------------------------
def _view_patient(c: Clinic) -> object:
    return patients.get_patient(c.ctx, c.patient)


def _open_session(c: Clinic) -> object:
    return sessions.get_session(c.ctx, c.signed)


def _register_patient(c: Clinic) -> object:
    return add_patient(c.ctx, mrn="P-NEW", family="Newman")


def _update_patient(c: Clinic) -> object:
    record = patients.get_patient(c.ctx, c.patient)
    data = patients.PatientInput(**{k: getattr(record, k) for k in patients.PatientInput.__dataclass_fields__})
    return patients.update_patient(c.ctx, c.patient, replace(data, phone="555 0100"), record.row_version)


def _save_draft(c: Clinic) -> object:
    return drafts.save_draft(c.ctx, session_draft(c.ctx, c.patient, c.physician))


def _print_aftercare(c: Clinic) -> object:
    return documents.aftercare_pdf(c.ctx, c.signed)


def _print_note(c: Clinic) -> object:
    return documents.procedure_note_pdf(c.ctx, c.signed)


def _add_staff(c: Clinic) -> object:
    return staff.add_staff(c.ctx, "New Person", "RN", ("nurse",))


def _unlock_account(c: Clinic) -> object:
    return accounts.reset_failed_attempts(c.ctx, c.other_physician)


def _reset_password(c: Clinic) -> object:
    return accounts.set_password(c.ctx, c.other_physician, "A brand new one 5")


def _verify(c: Clinic) -> object:
    return integrity.verify_database(c.ctx)


def _outcomes_report(c: Clinic) -> object:
    from tpi_notes.services import outcomes_report

    return outcomes_report.outcome_cube(c.ctx, "muscle_group")


def _own_phrase(c: Clinic) -> object:
    return phrases.save_phrase(c.ctx, "indication", "Neck pain for 3 months, limits work.")


def _clinic_phrase(c: Clinic) -> object:
    return phrases.save_phrase(c.ctx, "location", "Exam room 2", clinic=True)


def _favourite(c: Clinic) -> object:
    return phrases.add_favourite(c.ctx, Diagnosis("M79.12", "Myalgia of auxiliary muscles, head and neck"))


ACTIONS: dict[str, tuple[Callable[[Clinic], object], set[str]]] = {
    "view a patient": (_view_patient, {"physician", "nurse", "admin"}),
    "open a session": (_open_session, {"physician", "nurse", "admin"}),
    "register a patient": (_register_patient, {"physician", "nurse"}),
    "update a patient": (_update_patient, {"physician", "nurse"}),
    "save a draft": (_save_draft, {"physician", "nurse"}),
    "print the aftercare sheet": (_print_aftercare, {"physician", "nurse"}),
    "print the procedure note": (_print_note, {"physician", "nurse"}),
    "add a user": (_add_staff, {"admin"}),
    "unlock an account": (_unlock_account, {"admin"}),
    "reset another user's password": (_reset_password, {"admin"}),
    "verify the database": (_verify, {"physician", "admin"}),
    "view the clinic outcomes report": (_outcomes_report, {"physician", "admin"}),  # issue 17
    "keep a phrase of one's own": (_own_phrase, {"physician", "nurse"}),
    "keep a clinic phrase": (_clinic_phrase, {"admin"}),
    "keep an ICD-10-CM favourite": (_favourite, {"physician", "nurse"}),
}
TABLES = ("patient", "procedure_session", "app_user", "site", "phrase", "icd10_favourite")


def _snapshot(c: Clinic) -> tuple[int, ...]:
    return tuple(c.count(f"SELECT count(*) FROM {t}") for t in TABLES) + (
        c.count("SELECT coalesce(sum(row_version), 0) FROM patient"),
        c.count("SELECT coalesce(sum(failed_attempts), 0) FROM app_user"))


@pytest.mark.parametrize("role", ["physician", "nurse", "admin"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_role_may_do_exactly_its_actions(clinic: Clinic, role: str, action: str) -> None:
    run, allowed = ACTIONS[action]
    clinic.as_(role)
    if role in allowed:
        run(clinic)
        return
    before = _snapshot(clinic)
    with pytest.raises(PermissionDenied, match="Not allowed"):
        run(clinic)
    assert _snapshot(clinic) == before


def test_only_the_physician_signs_and_only_their_own_session(clinic: Clinic) -> None:
    version = drafts.get_draft(clinic.ctx, clinic.draft).row_version or 1
    for who in ("nurse", "admin"):
        clinic.as_(who)
        with pytest.raises(PermissionDenied):
            sign_session(clinic.ctx, clinic.draft, clinic.physician, PASSWORD, row_version=version)
    clinic.as_("other")
    with pytest.raises(TpiError, match="own sessions"):
        sign_session(clinic.ctx, clinic.draft, clinic.other_physician, PASSWORD, row_version=version)
    assert clinic.count(f"SELECT status = 'draft' FROM procedure_session WHERE id = {clinic.draft}") == 1
    clinic.as_("physician")
    signed = sign_session(clinic.ctx, clinic.draft, clinic.physician, PASSWORD, row_version=version)
    assert signed.status == "signed" and signed.signed_by_id == clinic.physician


def test_only_a_physician_adds_an_addendum(clinic: Clinic) -> None:
    for who, author in (("nurse", clinic.nurse), ("admin", clinic.admin)):
        clinic.as_(who)
        with pytest.raises(PermissionDenied):
            addenda.add_addendum(clinic.ctx, clinic.signed, "addendum", "Late result.", author, PASSWORD)
    assert clinic.count("SELECT count(*) FROM addendum") == 0
    clinic.as_("physician")
    addenda.add_addendum(clinic.ctx, clinic.signed, "addendum", "Late result.", clinic.physician, PASSWORD)
    assert clinic.count("SELECT count(*) FROM addendum") == 1


def test_an_admin_cannot_edit_clinical_content_even_in_a_draft(clinic: Clinic) -> None:
    clinic.as_("admin")
    draft = drafts.get_draft(clinic.ctx, clinic.draft)  # reading is allowed
    with pytest.raises(PermissionDenied, match="may not create and save draft sessions"):
        drafts.save_draft(clinic.ctx, replace(draft, comments="changed by the office"))
    with pytest.raises(PermissionDenied):
        drafts.new_draft(clinic.ctx, clinic.patient)
    assert clinic.count("SELECT count(*) FROM procedure_session WHERE comments = 'changed by the office'") == 0


def test_a_user_changes_their_own_password_but_not_someone_elses(clinic: Clinic) -> None:
    clinic.as_("nurse")
    accounts.set_password(clinic.ctx, clinic.nurse, "Nurse tulip lantern 1", current_password=PASSWORD)
    with pytest.raises(PermissionDenied):
        accounts.set_password(clinic.ctx, clinic.physician, "Taken over 12345")
    login.sign_out(clinic.ctx)
    assert login.login(clinic.ctx, "jsoto", "Nurse tulip lantern 1").user_id == clinic.nurse


def test_the_command_line_user_reads_and_prints_but_never_charts(clinic: Clinic) -> None:
    cli = open_clinic(str(clinic.db))  # the operating-system user, as `tpi-notes note` runs
    try:
        assert cli.actor.startswith("os:") and cli.user_id is None
        assert documents.procedure_note_pdf(cli, clinic.signed).startswith(b"%PDF")
        assert integrity.verify_database(cli).ok
        for forbidden in (lambda: add_patient(cli, mrn="P-CLI"),
                          lambda: drafts.new_draft(cli, clinic.patient),
                          lambda: staff.add_staff(cli, "Shell User", "", ("admin",))):
            with pytest.raises(PermissionDenied, match="the command line"):
                forbidden()
    finally:
        cli.close()


# -- login -----------------------------------------------------------------------------------------------------------
def test_login_acts_as_the_user_with_their_roles(clinic: Clinic) -> None:
    principal = clinic.as_("nurse")
    assert clinic.ctx.principal == principal
    assert principal.roles == ("nurse",) and clinic.ctx.user_id == clinic.nurse
    assert clinic.ctx.actor == "user:jsoto"
    patients.get_patient(clinic.ctx, clinic.patient)
    assert clinic.count("SELECT user_id FROM audit_event WHERE action = 'view' ORDER BY id DESC LIMIT 1") \
        == clinic.nurse


def test_login_refuses_unknown_names_and_wrong_passwords_alike(clinic: Clinic) -> None:
    login.sign_out(clinic.ctx)
    with pytest.raises(login.LoginRefused) as unknown:
        login.login(clinic.ctx, "nobody", PASSWORD)
    with pytest.raises(login.LoginRefused) as wrong:
        login.login(clinic.ctx, "jsoto", "not the password")
    assert str(unknown.value) == str(wrong.value)
    assert clinic.ctx.user_id is None
    assert clinic.count(f"SELECT failed_attempts FROM app_user WHERE id = {clinic.nurse}") == 1
    assert login.login(clinic.ctx, "  JSoto ", PASSWORD).user_id == clinic.nurse  # case and spaces forgiven
    assert clinic.count(f"SELECT failed_attempts FROM app_user WHERE id = {clinic.nurse}") == 0


def test_five_wrong_passwords_lock_the_account_until_an_admin_unlocks(clinic: Clinic) -> None:
    login.sign_out(clinic.ctx)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(login.LoginRefused):
            login.login(clinic.ctx, "jsoto", "guessing wrong 1")
    with pytest.raises(accounts.AccountLockedError):
        login.login(clinic.ctx, "jsoto", PASSWORD)
    clinic.as_("admin")
    accounts.reset_failed_attempts(clinic.ctx, clinic.nurse)
    assert clinic.as_("nurse").user_id == clinic.nurse


def test_a_deactivated_user_cannot_log_in(clinic: Clinic) -> None:
    with sqlite3.connect(clinic.db) as conn:
        conn.execute(f"UPDATE app_user SET active = 0 WHERE id = {clinic.nurse}")
    login.sign_out(clinic.ctx)
    with pytest.raises(login.LoginRefused):
        login.login(clinic.ctx, "jsoto", PASSWORD)


def test_unlock_after_inactivity_needs_the_same_users_password(clinic: Clinic) -> None:
    clinic.as_("nurse")
    login.lock(clinic.ctx)
    with pytest.raises(accounts.WrongPasswordError):
        login.unlock(clinic.ctx, "wrong password 9")
    login.unlock(clinic.ctx, PASSWORD)
    assert clinic.ctx.user_id == clinic.nurse
    assert clinic.count("SELECT count(*) FROM audit_event WHERE action = 'lock'") == 1


def test_sign_out_returns_to_the_operating_system_user(clinic: Clinic) -> None:
    clinic.as_("physician")
    login.sign_out(clinic.ctx)
    assert clinic.ctx.user_id is None and clinic.ctx.actor.startswith("os:")
    with pytest.raises(PermissionDenied):
        drafts.new_draft(clinic.ctx, clinic.patient)


# -- first run -------------------------------------------------------------------------------------------------------
DETAILS = ClinicDetails("Lakeside Pain Clinic", "1 Lake Rd", "(555) 123-4567", "(555) 123-9999")


def test_first_run_sets_up_the_clinic_and_an_administrator(tmp_path: Path) -> None:
    ctx = open_clinic(str(tmp_path / "new.sqlite"))
    try:
        assert login.needs_setup(ctx)
        member = login.setup_clinic(ctx, DETAILS, "Grace Hopper", "MD", "GHopper", "First admin pass 1",
                                    ("physician",))
        assert member.roles == ("admin", "physician") and member.username == "ghopper"
        assert not login.needs_setup(ctx)
        with pytest.raises(PermissionDenied, match="already set up"):
            login.setup_clinic(ctx, DETAILS, "Mallory", "", "mallory", "Take over lantern 1")
        principal = login.login(ctx, "ghopper", "First admin pass 1")
        assert set(principal.roles) == {"admin", "physician"}
        from tpi_notes.services.clinic import get_clinic_info

        assert get_clinic_info(ctx).name == "Lakeside Pain Clinic"
    finally:
        ctx.close()


def test_first_run_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    ctx = open_clinic(str(tmp_path / "new.sqlite"))
    try:
        with pytest.raises(login.ValidationError) as caught:
            login.setup_clinic(ctx, ClinicDetails("", "", "call us", ""), "", "", "bad name!", "short")
        assert set(caught.value.errors) == {"name", "phone", "full_name", "username", "password"}
        assert login.needs_setup(ctx)
        with sqlite3.connect(tmp_path / "new.sqlite") as conn:
            assert conn.execute("SELECT count(*) FROM app_user").fetchone()[0] == 0
    finally:
        ctx.close()


def test_the_demo_clinic_can_be_logged_into_with_the_published_password(tmp_path: Path) -> None:
    from tpi_notes.services.demo_data import DEMO_PASSWORD

    ctx = open_clinic(str(tmp_path / "demo.sqlite"))
    try:
        build_demo(ctx, patients=5, sessions=5, seed=3)
        assert not login.needs_setup(ctx)
        assert set(login.login(ctx, "lgrant", DEMO_PASSWORD).roles) == {"admin"}
    finally:
        ctx.close()
