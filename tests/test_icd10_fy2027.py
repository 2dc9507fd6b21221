"""The FY2027 ICD-10-CM set ships (issue 15 item 7 follow-up): FY2026 as shipped with CMS's FY2027 order addenda
applied (resources/icd10/fy2027-order-addenda.txt), valid 2026-10-01 to 2027-09-30. A session is checked and
searched against the set valid on its date, so a code added in FY2027 is accepted only from 2026-10-01, a code
that became a header in FY2027 is refused from then on, and a revised title reads as revised.

The codes here are real FY2027 changes (from the CMS addenda): M67.A01 plantar fasciitis, right foot, is new;
D69.1 qualitative platelet defects was billable and is a header with D69.11/D69.19 under it; L02.232 carbuncle
of back now reads "except buttock and flank"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from test_report_support import add_patient, session_draft, setup_clinic

from tpi_notes.cli import main
from tpi_notes.db.models import AuditEvent
from tpi_notes.domain import icd10
from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.icd10_addenda import AddendaLine, apply_addenda, parse_addenda
from tpi_notes.domain.session import Diagnosis
from tpi_notes.paths import resources_dir
from tpi_notes.services import drafts, icd10_sets
from tpi_notes.services.assessment import assess
from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session

ROOT = Path(__file__).resolve().parents[1]
FY2026_DAY, FY2027_DAY = date(2026, 5, 1), date(2026, 11, 1)


def _spec(version: str) -> dict:
    sets = json.loads((resources_dir() / "icd10" / "code-sets.json").read_text(encoding="utf-8"))["sets"]
    return next(x for x in sets if x["version"] == version)


def _draft(ctx: AppContext, doctor: int, day: date, *codes: str):  # noqa: ANN202
    patient = add_patient(ctx, mrn=f"P27-{day.isoformat()}-{'-'.join(codes)}")
    start = datetime.combine(day, datetime.min.time()).replace(hour=9)
    return replace(session_draft(ctx, patient.id, doctor, 2), performed_start=start,
                   performed_end=start + timedelta(minutes=25), timeout_at=start + timedelta(minutes=2),
                   diagnoses=tuple(Diagnosis(c, "") for c in codes))


# --- the shipped file -------------------------------------------------------------------------------------------

def test_the_addenda_file_is_the_one_recorded_with_its_provenance() -> None:
    spec = _spec("FY2027")
    assert (spec["valid_from"], spec["valid_to"], spec["base"]) == ("2026-10-01", "2027-09-30", "FY2026")
    addenda = spec["addenda"]
    data = (resources_dir() / "icd10" / addenda["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == addenda["sha256"]
    assert len(data) == addenda["characters"] == 42495  # as published: CRLF line ends, kept byte for byte
    assert addenda["provenance"].startswith("CMS FY2027 ICD-10-CM order addenda, as published by CMS")
    assert "load-icd10" in addenda["provenance"]


def test_the_addenda_agree_with_cms_own_count_of_them() -> None:
    """The file ends with CMS's summary (190 codes added, 30 deleted, 4 revised; 63 headers added, 6 deleted):
    every change line is read, none is taken for the summary."""
    lines = parse_addenda((resources_dir() / "icd10" / "fy2027-order-addenda.txt").read_text(encoding="utf-8"))
    count = {}
    for x in lines:
        count[(x.action, x.billable)] = count.get((x.action, x.billable), 0) + 1
    assert count == {("add", True): 190, ("delete", True): 30, ("revise_from", True): 4, ("revise_to", True): 4,
                     ("add", False): 63, ("delete", False): 6}
    first = lines[0]
    assert (first.action, first.code, first.billable, first.long) == (
        "add", "C78.31", True, "Secondary malignant neoplasm of larynx")


# --- the rule, as a pure function ----------------------------------------------------------------------------------

def _line(action: str, flag: int, code: str, title: str) -> str:
    label = {"add": "Add:", "delete": "Delete:", "revise_from": "Revise from:", "revise_to": "Revise to:"}[action]
    return f"{label:<13}{flag} {code:<7} {title[:60]:<60} {title}"


def test_addenda_lines_parse_as_cms_writes_them() -> None:
    text = "\r\n".join([_line("delete", 1, "D691", "Qualitative platelet defects"),
                        _line("add", 0, "D691", "Qualitative platelet defects"),
                        _line("add", 1, "D6911", "Glanzmann thrombasthenia"), "", "Headers", "  63 additions"])
    assert parse_addenda(text) == [
        AddendaLine("delete", "D69.1", True, "Qualitative platelet defects", "Qualitative platelet defects"),
        AddendaLine("add", "D69.1", False, "Qualitative platelet defects", "Qualitative platelet defects"),
        AddendaLine("add", "D69.11", True, "Glanzmann thrombasthenia", "Glanzmann thrombasthenia")]
    with pytest.raises(ValueError, match="line 2"):
        parse_addenda(_line("add", 1, "D6911", "x") + "\nReplace:     1 D6911   x\n")
    with pytest.raises(ValueError, match="no changes"):
        parse_addenda("\r\n\r\n")


def test_apply_addenda_deletes_adds_turns_a_code_into_a_header_and_revises() -> None:
    base = {"D69.1": "Qualitative platelet defects", "L02.232": "Carbuncle of back [any part, except buttock]",
            "S23.420A": "Sprain of sternoclavicular (joint) (ligament), initial encounter", "M54.2": "Cervicalgia"}
    changes = parse_addenda("\n".join([
        _line("delete", 1, "D691", "Qualitative platelet defects"), _line("add", 0, "D691", "Qualitative platelet defects"),
        _line("add", 1, "D6911", "Glanzmann thrombasthenia"),
        _line("revise_from", 1, "L02232", "Carbuncle of back [any part, except buttock]"),
        _line("revise_to", 1, "L02232", "Carbuncle of back [any part, except buttock and flank]"),
        _line("delete", 0, "S23420", "Sprain of sternoclavicular (joint) (ligament)"),
        _line("delete", 1, "S23420A", "Sprain of sternoclavicular (joint) (ligament), initial encounter")]))
    after = apply_addenda(base, changes)
    assert after == {"D69.11": "Glanzmann thrombasthenia", "M54.2": "Cervicalgia",
                     "L02.232": "Carbuncle of back [any part, except buttock and flank]"}
    assert "D69.1" in base and len(base) == 4  # the base is left as it was


@pytest.mark.parametrize("text,problem", [
    (_line("delete", 1, "M7918", "Myalgia, other site"), "deletes M79.18, which the base set does not have"),
    (_line("add", 1, "M542", "Cervicalgia"), "adds M54.2, which the base set already has"),
    (_line("revise_from", 1, "M542", "Neck pain"), "revises M54.2 from a title the base set does not have"),
])
def test_addenda_that_do_not_fit_the_base_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        apply_addenda({"M54.2": "Cervicalgia"}, parse_addenda(text))


def test_a_cms_order_file_with_the_new_qa_codes_loads() -> None:
    """FY2027 opens codes with a letter in second place (QA1: genetic disorders associated with neoplasms):
    CMS's FY2027 order file carries them, and the loader took a code to be a letter and a digit."""
    line = f"{74000:05d} {'QA1790':<7} 1 {'Familial cancer syndrome with pathogenic BRCA1 mutation':<60} Familial"
    assert [(x.code, x.billable) for x in icd10.parse_order_file(line + "\n")] == [("QA1.790", True)]


# --- the shipped FY2027 set in use ----------------------------------------------------------------------------------

def test_fy2027_ships_after_fy2026() -> None:
    assert [(c.version, c.valid_from, c.valid_to) for c in icd10.shipped_sets()] == [
        ("FY2026", date(2025, 10, 1), date(2026, 9, 30)), ("FY2027", date(2026, 10, 1), date(2027, 9, 30))]
    assert icd10.set_for(FY2027_DAY).version == "FY2027" and icd10.set_for(FY2026_DAY).version == "FY2026"


def test_a_code_added_in_fy2027_is_found_only_from_2026_10_01() -> None:
    assert icd10.lookup("M67.A01", FY2027_DAY) == Diagnosis("M67.A01", "Plantar fasciitis, right foot")
    assert icd10.lookup("M67A01", date(2026, 10, 1)) is not None
    assert icd10.lookup("M67.A01", date(2026, 9, 30)) is None and icd10.lookup("M67.A01", FY2026_DAY) is None
    assert sorted(d.code for d in icd10.search("plantar fasciitis", day=FY2027_DAY)) == [
        "M67.A01", "M67.A02", "M67.A09"]
    assert icd10.search("plantar fasciitis", day=FY2026_DAY) == []
    assert icd10.lookup("M67.A0", FY2027_DAY) is None  # a header of the new codes, not a claim diagnosis
    assert sorted(d.code for d in icd10.search("QA179", day=FY2027_DAY)) == ["QA1.790", "QA1.791", "QA1.792",
                                                                           "QA1.798"]


def test_a_billable_code_that_became_a_header_is_refused_in_fy2027() -> None:
    assert icd10.lookup("D69.1", FY2026_DAY) == Diagnosis("D69.1", "Qualitative platelet defects")
    assert icd10.lookup("D69.1", FY2027_DAY) is None
    assert sorted(d.code for d in icd10.search("D69.1", day=FY2027_DAY)) == ["D69.11", "D69.19"]
    assert [d.code for d in icd10.search("D69.1", day=FY2026_DAY)] == ["D69.1"]
    assert icd10.lookup("S23.420A", FY2026_DAY) is not None and icd10.lookup("S23.420A", FY2027_DAY) is None


def test_a_revised_title_reads_as_revised_in_fy2027_only() -> None:
    assert icd10.lookup("L02.232", FY2026_DAY).display == "Carbuncle of back [any part, except buttock]"
    assert icd10.lookup("L02.232", FY2027_DAY).display == "Carbuncle of back [any part, except buttock and flank]"
    assert icd10.lookup("Z29.14", FY2027_DAY).display == "Encounter for prophylactic rabies immune globulin"
    assert {d.code for d in icd10.search("carbuncle flank", day=FY2027_DAY)} == {"L02.232", "L02.237"}
    assert icd10.search("carbuncle flank", day=FY2026_DAY) == []


def test_the_pain_clinic_codes_carry_over_and_the_set_has_the_size_cms_gives() -> None:
    for code in icd10.COMMON:
        assert icd10.lookup(code, FY2027_DAY) == icd10.lookup(code, FY2026_DAY) is not None
    assert icd10.shipped_code_count("FY2027") - icd10.shipped_code_count("FY2026") == 190 - 30


def test_the_derived_set_is_built_once_per_process() -> None:
    icd10.lookup("M54.2", FY2027_DAY)
    assert icd10.shipped_index_builds() == {"FY2027": 1}
    icd10.search("plantar", day=date(2027, 3, 1))
    assert icd10.shipped_index_builds() == {"FY2027": 1}


def test_the_derived_index_is_what_indexing_the_new_set_afresh_gives() -> None:
    """FY2027 is built by re-indexing only the codes the addenda change; every word must still lead to exactly
    the codes whose FY2027 title has it, and no deleted code may be reached."""
    derived = icd10._shipped_index("FY2027")  # noqa: SLF001 - the index itself is what is checked
    live = {derived.codes[i]: derived.descriptions[i] for i in derived.by_code.values()}
    fresh = icd10._build(list(live), list(live.values()), "FY2027")  # noqa: SLF001

    def by_word(index) -> dict[str, set[str]]:  # noqa: ANN001
        return {word: {index.codes[i] for i in hits} for word, hits in index.postings.items()}

    assert by_word(derived) == by_word(fresh)
    assert derived.vocabulary == fresh.vocabulary
    assert "D69.1" not in live and "S23.420A" not in live and live["M67.A01"] == "Plantar fasciitis, right foot"


def test_a_changed_addenda_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "resources"
    (copy / "icd10").mkdir(parents=True)
    (copy / "icd10" / "code-sets.json").write_bytes((resources_dir() / "icd10" / "code-sets.json").read_bytes())
    text = (resources_dir() / "icd10" / "fy2027-order-addenda.txt").read_bytes()
    (copy / "icd10" / "fy2027-order-addenda.txt").write_bytes(text.replace(b"right foot", b"left foot "))
    monkeypatch.setenv("TPI_NOTES_RESOURCES", str(copy))
    with pytest.raises(ValueError, match="fy2027-order-addenda.txt does not match the SHA-256 recorded"):
        icd10.addenda_lines_of(_spec("FY2027"))


# --- through the services -------------------------------------------------------------------------------------------

def test_m67_a01_is_accepted_for_a_fy2027_session_and_refused_for_fy2026(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    saved = drafts.save_draft(ctx, _draft(ctx, doctor, FY2027_DAY, "M67.A01"))
    assert [(d.code, d.display) for d in saved.diagnoses] == [("M67.A01", "Plantar fasciitis, right foot")]
    assert get_session(ctx, saved.id).icd10_version == "FY2027"
    with pytest.raises(ValidationError) as refused:
        drafts.save_draft(ctx, _draft(ctx, doctor, FY2026_DAY, "M67.A01"))
    assert "diagnoses" in refused.value.errors
    with pytest.raises(ValidationError):  # a header from 2026-10-01
        drafts.save_draft(ctx, _draft(ctx, doctor, FY2027_DAY, "D69.1"))


def test_a_fy2027_session_no_longer_warns_that_no_set_is_valid(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    assert icd10.set_finding(FY2027_DAY) is None and icd10.set_finding(date(2027, 9, 30)) is None
    assert icd10.SET_NOT_VALID not in [f.code for f in assess(ctx, _draft(ctx, doctor, FY2027_DAY, "M79.18")).findings]
    later = icd10.set_finding(date(2027, 10, 1))
    assert later is not None and "checked against FY2027 (2026-10-01 to 2027-09-30)" in later.message


def test_a_loaded_cms_fy2027_order_file_replaces_the_shipped_fy2027(ctx: AppContext) -> None:
    """The provenance says so: when CMS's FY2027 order file is at hand, an administrator loads it as FY2027."""
    order = "\n".join(f"{n:05d} {code:<7} {flag} {title:<60} {title}" for n, (code, flag, title) in enumerate(
        [("M542", 1, "Cervicalgia"), ("M67A01", 1, "Plantar fasciitis, right foot (CMS file)")], start=1))
    icd10_sets.load_release(ctx, (order + "\n").encode(), version="FY2027", valid_from=date(2026, 10, 1))
    sets = icd10_sets.code_sets(ctx)
    assert [(c.version, bool(c.token)) for c in sets] == [("FY2026", False), ("FY2027", True)]
    assert icd10.lookup("M67.A01", FY2027_DAY, sets).display == "Plantar fasciitis, right foot (CMS file)"
    with ctx.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "load_icd10")).one()
    assert event.detail.endswith("; takes the place of the shipped FY2027 (FY2026 with the CMS FY2027 order addenda)")
    with pytest.raises(ValidationError, match="FY2026 ships with the app"):
        icd10_sets.load_release(ctx, (order + "\n").encode(), version="FY2026", valid_from=date(2025, 10, 1))


# --- what a support call and a packager see --------------------------------------------------------------------------

def test_version_lists_fy2027_and_fy2026(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("ICD-10-CM code set:")]
    shown = line.split(":", 1)[1].strip()
    assert shown.startswith("FY2027 (valid 2026-10-01 to 2027-09-30; FY2026 with the CMS FY2027 order addenda, "
                            "sha256 d64c57ef")
    assert "FY2026 (valid 2025-10-01 to 2026-09-30" in shown


def test_the_wheel_and_the_bundle_carry_the_addenda() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import bundle_data
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    patterns = [pattern for pattern, folder in bundle_data.datas() if folder == "tpi_notes/_resources/icd10"]
    assert any(Path(p).match("*.txt") or p.endswith("*.txt") for p in patterns)
    assert '"*.txt"' in (ROOT / "setup.py").read_text(encoding="utf-8")
