"""A group region and its own part on the same side are one muscle (issue 15 build 4, clinical-reference §2.1).

Atlas 1 offers "Lumbar paraspinals (erector spinae)" beside "Iliocostalis lumborum" (and "Scalenes" as a deep
group): an unsigned draft charted on it counts the group and its part once, and the editor warns. A signed
atlas-1 note keeps the codes it was signed with. The relation is data (resources/atlas/muscle-parts.json).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from export_fixtures import csv_rows, export
from rule_helpers import FORMULARY, START, patient, syringe
from test_assess import codes_of, run_lines, scenario
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic, sign

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.coding import derive_codes
from tpi_notes.domain.draft import SessionDraft
from tpi_notes.domain.findings import Finding
from tpi_notes.domain.muscle_parts import GROUP_AND_PART, load_parts
from tpi_notes.domain.rules import rules_for
from tpi_notes.domain.safety import SafetyInput, evaluate
from tpi_notes.domain.session import ExamFinding, Site
from tpi_notes.domain.sites import place_site, with_muscle
from tpi_notes.services import assessment, documents, drafts, integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session

ONE = load_atlas("1")
RULES = rules_for(START.date())


def site1(n: int, muscle_id: str, side: str, technique: str = "injection", view: str = "posterior") -> Site:
    """A site placed as a click on the region's anchor in atlas 1."""
    region = next(r for r in ONE.regions if (r.muscle_id, r.side, r.view) == (muscle_id, side, view))
    placed = place_site(ONE, view, *region.anchor, n, technique)
    assert placed is not None
    if technique == "injection":
        return replace(placed, preparation_label="A", volume_ml=1.0)
    return replace(placed, needles_in=1, needles_out=1)


def draft1(*sites: Site, status: str | None = None, findings: tuple = ()) -> Any:
    d = SessionDraft(patient_id=1, performed_start=START, atlas_version="1", sites=sites,
                     preparations=(syringe(("lidocaine-1", 5.0)),), consent_type="written", timeout_done=True,
                     timeout_at=START, exam_findings=tuple(ExamFinding(s.region_code, True, True) for s in sites))
    if status is None:
        return d

    class Stored:  # a stored session as the note and the exports read it: the draft's fields and a status
        def __getattr__(self, name: str) -> Any:
            return getattr(d, name)

    stored = Stored()
    stored.status = status  # type: ignore[attr-defined]
    stored.findings = findings  # type: ignore[attr-defined]
    return stored


def cpt(d: Any, profile: str = "commercial") -> list[tuple[str, str]]:
    return [(line.code, line.reason) for line in derive_codes(d, FORMULARY, RULES, profile).cpt]


def test_the_relation_is_data_and_names_atlas_1_groups() -> None:
    parts = load_parts()
    assert {"iliocostalis_lumborum", "longissimus_lumborum"} <= parts["lumbar_erector_spinae"]
    assert parts["scalenes"] == {"scalenus_anterior", "scalenus_medius", "scalenus_posterior"}
    names = {r.muscle_id for r in ONE.regions} | {d.muscle_id for r in ONE.regions for d in r.deep}
    assert set(parts) <= names  # every group is an atlas-1 muscle


def test_a_draft_counts_a_group_and_its_part_on_one_side_once() -> None:
    d = draft1(site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "L"),
               site1(3, "lumbar_erector_spinae", "R"))
    [(code, reason)] = cpt(d)
    assert code == "20552", reason  # 2 muscles, not 3 (20553)
    assert reason.startswith("2 muscles (injection): L iliocostalis lumborum, R lumbar paraspinals (erector spinae)")
    assert "L lumbar paraspinals (erector spinae) is the group of L iliocostalis lumborum: counted once" in reason


def test_a_group_on_one_side_and_its_part_on_the_other_are_two_muscles() -> None:
    d = draft1(site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "R"))
    [(code, reason)] = cpt(d)
    assert code == "20552" and reason.startswith("2 muscles (injection): L lumbar paraspinals (erector spinae), "
                                                 "R iliocostalis lumborum →"), reason


def test_the_deep_scalenes_and_a_named_scalene_are_one_muscle() -> None:
    scm = site1(1, "sternocleidomastoid", "L", view="anterior")
    group = with_muscle(scm, next(a for a in ONE.region(scm.region_code).deep if a.muscle_id == "scalenes"))
    named = replace(group, number=2, muscle_id="scalenus_anterior", muscle="Scalenus anterior")
    d = draft1(group, named, site1(3, "upper_trapezius", "L"))
    [(code, reason)] = cpt(d)
    assert code == "20552" and reason.startswith("2 muscles (injection): L scalenus anterior, L upper trapezius"), \
        reason


def test_a_signed_atlas_1_note_keeps_the_codes_it_was_signed_with() -> None:
    sites = (site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "L"),
             site1(3, "lumbar_erector_spinae", "R"))
    # signed before the rule: no group_and_part among its signed findings
    assert cpt(draft1(*sites, status="signed")) == [(
        "20553", "3 muscles (injection): L lumbar paraspinals (erector spinae), L iliocostalis lumborum, "
                 "R lumbar paraspinals (erector spinae) → 20553")]
    assert cpt(draft1(*sites, status="draft"))[0][0] == "20552"
    # signed since: it was signed with the warning, and prints the count it was signed with
    warned = (Finding(GROUP_AND_PART, "warn", "…", "…", subject="L lumbar paraspinals (erector spinae)"),)
    assert cpt(draft1(*sites, status="signed", findings=warned))[0][0] == "20552"


def test_a_group_injected_and_its_part_needled_is_one_service() -> None:
    d = draft1(site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "L", "dry_needling"))
    lines = cpt(d)
    assert [code for code, _ in lines] == ["20552"], lines  # no 20560 for the same erector spinae
    assert "also dry-needled" in lines[0][1]


def test_the_editor_warns_that_the_group_and_its_part_are_one_muscle() -> None:
    d = draft1(site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "L"),
               site1(3, "lumbar_erector_spinae", "R"))
    found = [f for f in evaluate(SafetyInput(patient(), d, FORMULARY, ONE, RULES)) if f.code == "group_and_part"]
    assert [(f.severity, f.subject) for f in found] == [("warn", "L lumbar paraspinals (erector spinae)")]
    assert found[0].message == ("L lumbar paraspinals (erector spinae) and L iliocostalis lumborum are the same "
                                "muscle (the group and its part): it is counted once, as L iliocostalis lumborum.")
    apart = draft1(site1(1, "lumbar_erector_spinae", "L"), site1(2, "iliocostalis_lumborum", "R"))
    assert not [f for f in evaluate(SafetyInput(patient(), apart, FORMULARY, ONE, RULES))
                if f.code == "group_and_part"]


def _atlas_1_line(status: str) -> dict[str, Any]:
    sites = [{"number": n, "region_code": code, "preparation": "A", "volume_ml": 1.0}
             for n, code in enumerate(("post.lumbar_erector_spinae.L", "post.iliocostalis_lumborum.L",
                                       "post.lumbar_erector_spinae.R"), 1)]
    return scenario(status=status, atlas_version="1", sites=sites,
                    exam_findings=[{"region_code": s["region_code"], "taut_band": True, "hypersensitive_spot": True}
                                   for s in sites])


def test_assess_counts_a_draft_once_and_a_signed_note_as_signed(tmp_path: Path,
                                                                capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    since = _atlas_1_line("signed")
    since["findings"] = [{"code": "group_and_part", "severity": "warn", "subject": "L lumbar paraspinals"}]
    code, (draft, signed, signed_since), err = run_lines(tmp_path, capsysbinary,
                                                         [_atlas_1_line("draft"), _atlas_1_line("signed"), since])
    assert code == 0, err
    assert draft["codes"]["cpt"] == ["20552"]
    assert codes_of(draft)["group_and_part"] == "warn"
    assert signed["codes"]["cpt"] == ["20553"]  # signed before the rule: as signed, and the warning says so
    assert "the note was signed counting them as two muscles" in next(
        f["message"] for f in signed["findings"] if f["code"] == "group_and_part")
    assert signed_since["codes"]["cpt"] == ["20552"]  # signed with the warning: counted once, as signed


def test_a_note_signed_now_counts_once_and_keeps_that_count(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient_id = add_patient(ctx).id
    sid = save_session(ctx, patient_id, doctor, 3, atlas_version="1", muscles=[
        ("lumbar_erector_spinae", "posterior", "L"), ("iliocostalis_lumborum", "posterior", "L"),
        ("lumbar_erector_spinae", "posterior", "R")])
    assert "group_and_part" in {f.code for f in assessment.assess(ctx, drafts.get_draft(ctx, sid)).findings}
    sign(ctx, sid, doctor)
    record = get_session(ctx, sid)
    assert "group_and_part" in {f.code for f in record.findings}  # under the signature
    assert integrity.session_is_intact(ctx, sid)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    assert ("2 muscles (injection): L iliocostalis lumborum, R lumbar paraspinals (erector spinae) → 20552; "
            "L lumbar paraspinals (erector spinae) is the group of L iliocostalis lumborum: counted once") in text
    assert "are the same muscle (the group and its part)" in text  # the warning prints with the note's findings


def test_the_csv_muscle_count_is_what_cpt_counts(ctx: AppContext, tmp_path: Path) -> None:
    doctor = setup_clinic(ctx)
    patient_id = add_patient(ctx).id
    muscles = [("lumbar_erector_spinae", "posterior", "L"), ("iliocostalis_lumborum", "posterior", "L"),
               ("lumbar_erector_spinae", "posterior", "R")]
    save_session(ctx, patient_id, doctor, 3, atlas_version="1", muscles=muscles)  # a draft
    header, row = csv_rows(export(ctx, "csv", tmp_path))
    cell = dict(zip(header, row, strict=True))
    assert (cell["muscle_count"], cell["cpt"].split(" ")[0]) == ("2", "20552"), cell
