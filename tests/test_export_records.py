"""The export mapping as pure functions: lots, line safety, sessions without rules or physician, number cells."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tpi_notes.domain.export_csv import CSV_HEADER, csv_row, number
from tpi_notes.domain.export_fhir import FhirBundleWriter, procedure_resource
from tpi_notes.domain.export_jsonl import JsonLinesWriter
from tpi_notes.domain.export_records import (
    Clinician,
    ExportComponent,
    ExportDiagnosis,
    ExportPatient,
    ExportPreparation,
    ExportSession,
    ExportSite,
    export_record,
    local_iso,
)
from tpi_notes.domain.formulary import load_default_formulary

FORMULARY = {item.code: item for item in load_default_formulary().items}
DOCTOR = Clinician(3, "mchen", "Mei Chen", "MD")
PATIENT = ExportPatient(9, "A-77", "Łukasiewicz", "Zoë", date(1980, 1, 2), "female", 60.0, True, "apixaban",
                        False, False)


def session(**changes: object) -> ExportSession:
    start = datetime(2024, 5, 6, 10, 0)
    site = ExportSite(1, "posterior", 0.4, 0.2, "post.upper_trapezius.L", "upper_trapezius", "Upper trapezius", "L",
                      "injection", "A", 2.0, None)
    values = dict(
        id=41, status="signed", performed_start=start, performed_end=start + timedelta(minutes=20), location="Room 1",
        patient=PATIENT, physician=DOCTOR, assistant=None, signed_by=DOCTOR, signed_at=start + timedelta(hours=1),
        content_sha256="ab" * 32, atlas_version="1", indication="Neck pain", pain_before=7, pain_after=2,
        relief_pct=70, complications="None", follow_up="6 weeks", comments="",
        diagnoses=(ExportDiagnosis("M54.2", "Cervicalgia"),),
        preparations=(ExportPreparation("A", (ExportComponent("lidocaine-1", 4.0, "L-OLD", date(2025, 1, 31)),), 4.0),),
        sites=(site,), findings=(), addenda=())
    values.update(changes)
    return ExportSession(**values)  # type: ignore[arg-type]


def test_an_agent_from_two_lots_is_split_by_the_volume_each_lot_supplied() -> None:
    a = ExportPreparation("A", (ExportComponent("lidocaine-1", 4.0, "L-OLD", date(2025, 1, 31)),), 4.0)
    b = ExportPreparation("B", (ExportComponent("lidocaine-1", 3.0, "L-NEW", date(2026, 6, 30)),
                                ExportComponent("triamcinolone-40", 1.0, "T-1", date(2025, 9, 30))), 4.0)
    base = session().sites[0]
    sites = (base, base._replace(number=2, region_code="post.upper_trapezius.R", side="R", preparation_label="B",
                                 volume_ml=4.0))
    record = export_record(session(preparations=(a, b), sites=sites), FORMULARY, "medicare")
    lines = {(m.item_code, m.lot): m for m in record.medications}
    assert set(lines) == {("lidocaine-1", "L-NEW"), ("lidocaine-1", "L-OLD"), ("triamcinolone-40", "T-1")}
    # 2 mL of A = 2 mL lidocaine from L-OLD; 4 mL of B = 3 mL lidocaine from L-NEW and 1 mL triamcinolone.
    assert lines["lidocaine-1", "L-OLD"].total_ml == pytest.approx(2.0)
    assert lines["lidocaine-1", "L-NEW"].total_ml == pytest.approx(3.0)
    assert lines["lidocaine-1", "L-OLD"].total_mg + lines["lidocaine-1", "L-NEW"].total_mg == pytest.approx(50.0)
    assert lines["triamcinolone-40", "T-1"].total_mg == pytest.approx(40.0)
    assert lines["lidocaine-1", "L-NEW"].expires == date(2026, 6, 30)
    assert [c.code for c in record.coding.cpt] == ["20552"]


def test_a_note_with_line_separators_stays_on_one_json_line() -> None:
    text = "line one\u2028line two\u2029para\x85next\nnewline"
    record = export_record(session(complications=text), FORMULARY, "medicare")
    data = JsonLinesWriter(UTC).rows([record, record]).decode("utf-8")
    assert len(data.splitlines()) == 2
    assert json.loads(data.splitlines()[0])["complications"] == text


def test_a_session_before_the_first_coding_rules_is_exported_without_codes() -> None:
    old = session(performed_start=datetime(1999, 6, 1, 9, 0), performed_end=None, status="draft", signed_by=None,
                  signed_at=None, content_sha256=None, physician=None)
    record = export_record(old, FORMULARY, "medicare")
    assert record.coding.cpt == () and record.coding.notes
    row = dict(zip(CSV_HEADER, csv_row(record), strict=True))
    assert row["cpt"] == "" and row["physician"] == "" and row["agents"] == "Lidocaine 1 %: 20 mg"
    procedure = procedure_resource(record, FhirBundleWriter("Clinic", datetime(2024, 1, 1)).ids, UTC)
    assert procedure["status"] == "in-progress" and "performer" not in procedure
    assert "coding" not in procedure["code"] and procedure["code"]["text"]
    assert procedure["performedPeriod"] == {"start": "1999-06-01T09:00:00+00:00"}


def test_times_carry_the_clinic_offset() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert local_iso(datetime(2024, 3, 5, 9, 30), eastern) == "2024-03-05T09:30:00-05:00"
    assert local_iso(None) is None


@pytest.mark.parametrize("value,text", [(40.0, "40"), (13.3333, "13.33"), (0.005, "0.01"), (0.0, "0"), (None, "")])
def test_numbers_in_csv_cells(value: float | None, text: str) -> None:
    assert number(value) == text
