"""The exam is per muscle and side (issue 15 item 3): the trigger-point criteria of a billed deep alternative
(scalenes reached through the sternocleidomastoid, quadratus lumborum through the lumbar paraspinals) print under
that muscle, every billed muscle needs two of the three core criteria (a twitch or jump sign does not count), and
an existing clinic's region-keyed findings migrate to the muscle without losing anything, its signed notes
verifying and printing."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from principals import ALL_PERMISSIONS
from sqlalchemy import create_engine
from test_report_support import add_patient, flat, pdf_pages, save_session, session_draft, setup_clinic, sign

from tpi_notes.anatomy import load_atlas
from tpi_notes.db.migrate import alembic_config, current_revision, head_revision, prepare_database
from tpi_notes.domain.session import ExamFinding
from tpi_notes.domain.sites import with_muscle
from tpi_notes.services import documents, drafts, integrity
from tpi_notes.services.context import AppContext, open_clinic
from tpi_notes.services.sessions import get_session
from tpi_notes.services.signing import NotReadyToSign

SCALENES = "Scalenes (anterior/middle/posterior) (L)"
QL = "Quadratus lumborum (R)"
DEEP = [("sternocleidomastoid", "anterior", "L"), ("lumbar_erector_spinae", "posterior", "R")]


def _deep_draft(ctx: AppContext, patient_id: int, doctor: int, **fields):  # noqa: ANN003, ANN202
    """Site 1 the scalenes through the left sternocleidomastoid, site 2 quadratus lumborum through the right
    lumbar paraspinals; each region-keyed finding has all three core criteria (as the old editor saved them)."""
    atlas = load_atlas("1")  # the group regions and deep groups of atlas 1, as charted before atlas 2
    draft = session_draft(ctx, patient_id, doctor, 2, muscles=DEEP, atlas_version="1")
    sites = []
    for site, deep_id in zip(draft.sites, ("scalenes", "quadratus_lumborum"), strict=True):
        deep = next(d for d in atlas.region(site.region_code).deep if d.muscle_id == deep_id)
        sites.append(with_muscle(site, deep))
    return replace(draft, sites=tuple(sites), **fields)


def _exam_text(pdf: bytes) -> str:
    text = flat("\n".join(pdf_pages(pdf)))
    start = text.index("Examination: trigger point criteria per muscle")
    return text[start:text.index("Sites (", start)]


def test_deep_alternatives_print_their_own_criteria(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    saved = drafts.save_draft(ctx, _deep_draft(ctx, patient.id, doctor))
    sign(ctx, saved.id, doctor)
    assert integrity.session_is_intact(ctx, saved.id)
    exam = _exam_text(documents.procedure_note_pdf(ctx, saved.id))
    assert SCALENES in exam and QL in exam
    assert "Sternocleidomastoid" not in exam and "Lumbar paraspinals" not in exam
    assert exam.count("3 of 3") == 2


def test_a_surface_muscle_and_its_deep_alternative_keep_their_own_findings(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = _deep_draft(ctx, patient.id, doctor)
    scm = replace(draft.sites[0], number=3, muscle_id="sternocleidomastoid", muscle="Sternocleidomastoid")
    region = scm.region_code
    draft = replace(draft, sites=(*draft.sites, scm), exam_findings=(
        ExamFinding(region, taut_band=True, hypersensitive_spot=True, muscle_id="scalenes", side="L"),
        ExamFinding(draft.sites[1].region_code, taut_band=True, referred_pain=True,
                    muscle_id="quadratus_lumborum", side="R"),
        ExamFinding(region, referred_pain=True, twitch=True, jump_sign=True, muscle_id="sternocleidomastoid",
                    side="L")))
    saved = drafts.save_draft(ctx, draft)
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, saved.id, doctor)
    assert [m.field for m in refused.value.missing] == ["exam_findings[sternocleidomastoid.L]"]
    assert "Sternocleidomastoid (L): record at least two of the three core" in refused.value.missing[0].message
    exam = _exam_text(documents.procedure_note_pdf(ctx, saved.id))
    assert f"{SCALENES} Yes Yes No No No 2 of 3" in exam
    assert "Sternocleidomastoid (L) No No Yes Yes Yes 1 of 3" in exam


def test_one_core_criterion_and_a_twitch_cannot_be_signed(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    draft = session_draft(ctx, patient.id, doctor, 2)
    draft = replace(draft, exam_findings=tuple(ExamFinding(s.region_code, taut_band=True, twitch=True)
                                               for s in draft.sites))
    saved = drafts.save_draft(ctx, draft)
    with pytest.raises(NotReadyToSign) as refused:
        sign(ctx, saved.id, doctor)
    missing = [m for m in refused.value.missing if m.field.startswith("exam_findings")]
    assert [m.field for m in missing] == ["exam_findings[upper_trapezius.R]", "exam_findings[upper_trapezius.L]"]
    assert all("twitch or jump sign does not count" in m.message for m in missing)
    assert "Core criteria" in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, saved.id))))
    assert "1 of 3" in _exam_text(documents.procedure_note_pdf(ctx, saved.id))


def _region_keyed(path: Path, session_id: int) -> None:
    """A draft as the app stored it before 0016: findings by surface region only (and no ICD-10-CM version,
    0017)."""
    conn = sqlite3.connect(path)
    raw = conn.execute("SELECT exam_findings FROM procedure_session WHERE id = ?", (session_id,)).fetchone()[0]
    old = [{k: v for k, v in f.items() if k not in ("muscle_id", "side", "jump_sign")} for f in json.loads(raw)]
    conn.execute("UPDATE procedure_session SET exam_findings = ?, icd10_version = NULL WHERE id = ?",
                 (json.dumps(old), session_id))
    conn.commit()
    conn.close()


def test_an_existing_clinic_keeps_its_findings_under_the_muscle_treated(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    signed = drafts.save_draft(ctx, _deep_draft(ctx, patient.id, doctor)).id
    ctx.close()
    _region_keyed(path, signed)  # signed region-keyed, as every note signed before 0016 was
    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    sign(ctx, signed, doctor)
    assert get_session(ctx, signed).exam_findings[0].muscle_id == ""
    draft = drafts.save_draft(ctx, _deep_draft(ctx, patient.id, doctor, exam_findings=(
        ExamFinding("ant.sternocleidomastoid.L", taut_band=True, referred_pain=True, twitch=True),
        ExamFinding("post.lumbar_erector_spinae.R", hypersensitive_spot=True)))).id
    plain = save_session(ctx, patient.id, doctor, 2)
    ctx.close()
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    engine.dispose()
    conn = sqlite3.connect(path)
    before = {sid: json.loads(raw) for sid, raw in conn.execute("SELECT id, exam_findings FROM procedure_session")}
    conn.close()
    assert all("muscle_id" not in f for f in before[draft] + before[signed])  # region-keyed, as before 0016

    engine, _backup = prepare_database(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision()
    engine.dispose()

    conn = sqlite3.connect(path)
    after = {sid: json.loads(raw) for sid, raw in conn.execute("SELECT id, exam_findings FROM procedure_session")}
    conn.close()
    assert [(f["muscle_id"], f["side"]) for f in after[draft]] == [("scalenes", "L"), ("quadratus_lumborum", "R")]
    for old, new in zip(before[draft], after[draft], strict=True):  # nothing recorded is lost
        assert {k: new[k] for k in old} == old
    assert [(f["muscle_id"], f["side"]) for f in after[plain]] == [("upper_trapezius", "R"), ("upper_trapezius", "L")]
    assert after[signed] == before[signed]  # a signed note keeps what its hash covers

    ctx = open_clinic(str(path), principal=ALL_PERMISSIONS)
    try:
        assert integrity.tampered_session_ids(ctx) == set()
        assert integrity.session_is_intact(ctx, signed)
        for sid in (signed, draft):
            exam = _exam_text(documents.procedure_note_pdf(ctx, sid))
            assert SCALENES in exam and QL in exam and "Sternocleidomastoid" not in exam, exam
        assert "ALTERED" not in flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, signed))))
        kept = drafts.get_draft(ctx, draft).exam_findings
        assert [(f.muscle_id, f.taut_band, f.referred_pain, f.twitch, f.hypersensitive_spot) for f in kept] == [
            ("scalenes", True, True, True, False), ("quadratus_lumborum", False, False, False, True)]
    finally:
        ctx.close()
