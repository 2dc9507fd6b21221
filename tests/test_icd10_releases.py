"""ICD-10-CM as versioned data (issue 15 item 7): a CMS order file loads as a release with its version and dates
(audited), diagnoses are checked and searched in the set valid on the session's date, the version is stored with
the session and printed on its note, and a date outside every loaded set is a warning.

The order file here is made up for the test: M79.T1 is NOT a real ICD-10-CM code; it stands for a code that
exists only in the new year's release."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from test_report_support import add_patient, flat, pdf_pages, session_draft, setup_clinic, sign

from tpi_notes.cli import main
from tpi_notes.db.models import AuditEvent
from tpi_notes.domain import icd10
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.permissions import PermissionDenied
from tpi_notes.domain.session import Diagnosis
from tpi_notes.services import documents, drafts, icd10_sets, integrity
from tpi_notes.services.assessment import assess
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.sessions import get_session

NEW_ONLY = "M79.T1"  # test-only: in the loaded release, in no shipped set
ROWS = [  # (code without dot, billable, short, long), as CMS writes them
    ("M79", False, "Oth and unsp soft tissue disorders, not elsewhere classified",
     "Other and unspecified soft tissue disorders, not elsewhere classified"),
    ("M7918", True, "Myalgia, other site", "Myalgia, other site"),
    ("M79T1", True, "Test-only myalgia code", "Test-only myalgia code of the new release"),
    ("M542", True, "Cervicalgia", "Cervicalgia"),
]


def order_file(rows: list[tuple[str, bool, str, str]] = ROWS) -> bytes:
    """A CMS order file: order number (5), code (7, no dot), billable flag, short title (60), long title."""
    lines = [f"{n:05d} {code:<7} {int(billable)} {short:<60} {long}"
             for n, (code, billable, short, long) in enumerate(rows, start=1)]
    return ("\n".join(lines) + "\n").encode()


def _draft(ctx: AppContext, doctor: int, day: date, *codes: str):  # noqa: ANN202
    """A complete draft of ``day`` with the diagnoses ``codes``."""
    patient = add_patient(ctx, mrn=f"P-{day.isoformat()}-{len(codes)}")
    start = datetime.combine(day, datetime.min.time()).replace(hour=9)
    draft = session_draft(ctx, patient.id, doctor, 2)
    return replace(draft, performed_start=start, performed_end=start + timedelta(minutes=25),
                           timeout_at=start + timedelta(minutes=2), diagnoses=tuple(Diagnosis(c, "") for c in codes))


def test_the_order_file_parses_as_cms_writes_it() -> None:
    lines = icd10.parse_order_file(order_file().decode())
    assert [(x.order, x.code, x.billable) for x in lines] == [(1, "M79", False), (2, "M79.18", True),
                                                            (3, NEW_ONLY, True), (4, "M54.2", True)]
    assert lines[2].short == "Test-only myalgia code" and lines[2].long == "Test-only myalgia code of the new release"
    with pytest.raises(ValueError, match="line 1"):
        icd10.parse_order_file("M79.18 Myalgia, other site\n")


def test_a_code_of_the_new_release_is_accepted_only_in_its_year(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    loaded = icd10_sets.load_release(ctx, order_file(), version="FY2027", valid_from=date(2026, 10, 1),
                                     file_name="icd10cm_order_2027.txt")
    assert (loaded.valid_from, loaded.valid_to) == (date(2026, 10, 1), date(2027, 9, 30))  # the fiscal year
    assert [(c.version, c.valid_from, c.valid_to) for c in icd10_sets.code_sets(ctx)] == [
        ("FY2026", date(2025, 10, 1), date(2026, 9, 30)), ("FY2027", date(2026, 10, 1), date(2027, 9, 30))]
    with ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "load_icd10")).one()
    assert "FY2027 valid 2026-10-01 to 2027-09-30: 4 codes (3 billable) from icd10cm_order_2027.txt" in event.detail

    in_2027 = _draft(ctx, doctor, date(2026, 11, 2), NEW_ONLY, "M54.2")
    saved = drafts.save_draft(ctx, in_2027)
    assert [(d.code, d.display) for d in saved.diagnoses] == [(NEW_ONLY, "Test-only myalgia code of the new release"),
                                                              ("M54.2", "Cervicalgia")]
    assert get_session(ctx, saved.id).icd10_version == "FY2027"

    in_2026 = _draft(ctx, doctor, date(2026, 9, 30), NEW_ONLY)
    with pytest.raises(ValidationError) as refused:  # the last day of FY2026: the new code does not exist yet
        drafts.save_draft(ctx, in_2026)
    assert "diagnoses" in refused.value.errors
    old_code = _draft(ctx, doctor, date(2026, 10, 1), "G89.4")  # in FY2026's set, not in this FY2027 file
    with pytest.raises(ValidationError):
        drafts.save_draft(ctx, old_code)
    assert icd10.lookup("G89.4", date(2026, 9, 30), icd10_sets.code_sets(ctx)) is not None

    found = icd10.search("myalgia", day=date(2026, 11, 2), sets=icd10_sets.code_sets(ctx))
    assert [d.code for d in found] == ["M79.18", NEW_ONLY]
    assert NEW_ONLY not in [d.code for d in icd10.search("M79", day=date(2026, 9, 1), sets=icd10_sets.code_sets(ctx))]
    with pytest.raises(ValidationError, match="already loaded"):
        icd10_sets.load_release(ctx, order_file(), version="FY2027", valid_from=date(2026, 10, 1))


def test_a_date_outside_every_loaded_set_is_a_warning(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    draft = _draft(ctx, doctor, date(2027, 11, 2), "M79.18")
    codes = [f.code for f in assess(ctx, draft).findings]
    assert codes.count(icd10.SET_NOT_VALID) == 1  # FY2028 not loaded: FY2026 and FY2027 (to 2027-09-30) ship
    warning = next(f for f in assess(ctx, draft).findings if f.code == icd10.SET_NOT_VALID)
    assert warning.severity == "warn" and "checked against FY2027" in warning.message
    in_2026 = replace(draft, performed_start=datetime(2026, 3, 2, 9), performed_end=datetime(2026, 3, 2, 9, 25),
                      timeout_at=datetime(2026, 3, 2, 9, 2))
    assert icd10.SET_NOT_VALID not in [f.code for f in assess(ctx, in_2026).findings]
    icd10_sets.load_release(ctx, order_file(), version="FY2028", valid_from=date(2027, 10, 1))
    assert icd10.SET_NOT_VALID not in [f.code for f in assess(ctx, draft).findings]


def test_the_note_prints_the_code_set_and_the_signature_covers_it(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    icd10_sets.load_release(ctx, order_file(), version="FY2027", valid_from=date(2026, 10, 1))
    draft = _draft(ctx, doctor, date(2026, 11, 2), "M79.18", "M54.2")
    saved = drafts.save_draft(ctx, draft)
    sign(ctx, saved.id, doctor)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, saved.id))))
    assert "Diagnoses (ICD-10-CM FY2027) M79.18" in text
    assert "ICD-10-CM (FY2027 code set): M79.18, M54.2" in text
    assert integrity.session_is_intact(ctx, saved.id)
    in_2026 = _draft(ctx, doctor, date(2026, 5, 4), "M79.18")
    older = drafts.save_draft(ctx, in_2026)
    assert "Diagnoses (ICD-10-CM FY2026)" in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, older.id))))


def test_the_command_line_loads_a_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "clinic.sqlite"
    open_clinic(str(db)).close()
    release = tmp_path / "icd10cm_order_2027.txt"
    release.write_bytes(order_file())
    assert main(["load-icd10", "--db", str(db), "--version", "FY2027", "--from", "2026-10-01", str(release)]) == 0
    assert capsys.readouterr().out.strip() == "Loaded ICD-10-CM FY2027, valid 2026-10-01 to 2027-09-30."
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not an order file\n")
    assert main(["load-icd10", "--db", str(db), "--version", "FY2028", "--from", "2027-10-01", str(junk)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tpi-notes: This is not a CMS ICD-10-CM order file: line 1") and err.count("\n") == 1
    ctx = open_clinic(str(db))
    try:
        assert [c.version for c in icd10_sets.code_sets(ctx)] == ["FY2026", "FY2027"]
        with pytest.raises(PermissionDenied):  # the app's own action is an administrator's (formulary rights)
            icd10_sets.load_release(ctx, order_file(), version="FY2028", valid_from=date(2027, 10, 1))
    finally:
        ctx.close()
