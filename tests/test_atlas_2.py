"""Atlas 2 (issue 15 item 4): named muscles instead of group regions (clinical-reference §2.1), the same
artwork; new sessions chart on it, and sessions charted on atlas 1 keep drawing, counting and printing with
atlas 1."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pytest
from test_report_support import add_patient, flat, pdf_pages, save_session, session_draft, setup_clinic, sign

from tpi_notes.anatomy import load_atlas, resources_dir
from tpi_notes.domain import safety
from tpi_notes.domain.session import ExamFinding
from tpi_notes.domain.sites import with_muscle
from tpi_notes.domain.templates import merge_into
from tpi_notes.services import documents, drafts, integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.history import muscle_choices
from tpi_notes.services.sessions import get_session

GROUPS = ("lumbar_erector_spinae", "adductors", "medial_hamstrings", "wrist_flexors", "wrist_extensors", "scalenes",
          "suboccipitals", "cervical_multifidi", "thoracic_multifidi", "lumbar_multifidi")
GROUP_WORDS = ("paraspinal", "erector spinae", "adductors", "hamstrings", "wrist/finger", "scalenes", "suboccipitals",
               "multifidi", "/")


def _muscles(version: str) -> dict[str, str]:
    atlas = load_atlas(version)
    names = {r.muscle_id: r.muscle for r in atlas.regions}
    names.update({d.muscle_id: d.muscle for r in atlas.regions for d in r.deep})
    return names


def test_atlas_2_is_atlas_1_with_named_muscles() -> None:
    spec = importlib.util.spec_from_file_location("make_atlas_2", resources_dir() / "atlas" / "make_atlas_2.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.main(["--check"]) == 0  # atlas-2.json is what the generator writes
    one, two = load_atlas("1"), load_atlas("2")
    assert load_atlas().version == "2"
    assert [(r.path, r.anchor, r.view, r.side, r.group) for r in one.regions] == [
        (r.path, r.anchor, r.view, r.side, r.group) for r in two.regions]  # the same artwork and groups
    renamed = {(a.code, b.code) for a, b in zip(one.regions, two.regions, strict=True) if a.code != b.code}
    assert {a.split(".")[1] for a, _b in renamed} == {"lumbar_erector_spinae", "adductors", "medial_hamstrings",
                                                       "wrist_flexors", "wrist_extensors"}
    assert ("post.lumbar_erector_spinae.R", "post.longissimus_lumborum.R") in renamed
    names = _muscles("2")
    assert not set(GROUPS) & set(names)
    assert [n for n in names.values() if any(w in n.lower() for w in GROUP_WORDS)] == []
    assert {"Longissimus (lumbar)", "Iliocostalis lumborum", "Multifidus (lumbar)", "Quadratus lumborum",
            "Scalenus anterior", "Scalenus medius", "Scalenus posterior", "Adductor longus", "Adductor magnus",
            "Semitendinosus", "Semimembranosus", "Flexor carpi radialis", "Extensor carpi radialis longus"} <= set(
        names.values())
    assert {d.muscle_id: d.near_lung for d in two.region("ant.sternocleidomastoid.L").deep} == {
        "scalenus_anterior": True, "scalenus_medius": True, "scalenus_posterior": True}


def test_a_new_session_charts_named_muscles_and_counts_them(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    assert drafts.new_draft(ctx, patient.id).atlas_version == "2"
    atlas = load_atlas("2")
    draft = session_draft(ctx, patient.id, doctor, 3, muscles=[
        ("sternocleidomastoid", "anterior", "L"), ("longissimus_lumborum", "posterior", "L"),
        ("iliocostalis_lumborum", "posterior", "L")])
    scalene = with_muscle(draft.sites[0], next(d for d in atlas.region("ant.sternocleidomastoid.L").deep
                                               if d.muscle_id == "scalenus_anterior"))
    draft = replace(draft, sites=(scalene, *draft.sites[1:]), exam_findings=tuple(
        ExamFinding(s.region_code, taut_band=True, referred_pain=True, muscle_id=s.muscle_id, side=s.side)
        for s in (scalene, *draft.sites[1:])))
    saved = drafts.save_draft(ctx, draft)
    sign(ctx, saved.id, doctor)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, saved.id))))
    exam = text[text.index("Examination: trigger point criteria"):text.index("Sites (")]
    for row in ("Scalenus anterior (L)", "Longissimus (lumbar) (L)", "Iliocostalis lumborum (L)"):
        assert f"{row} Yes No Yes No No 2 of 3" in exam, exam
    assert "3 muscles (injection): L scalenus anterior, L longissimus (lumbar), L iliocostalis lumborum → 20553" in text
    assert "paraspinal" not in text.lower()


def test_a_session_charted_on_atlas_1_draws_counts_and_prints_as_signed(ctx: AppContext,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    muscles = [("lumbar_erector_spinae", "posterior", "L"), ("iliocostalis_lumborum", "posterior", "L"),
               ("lumbar_erector_spinae", "posterior", "R")]
    sid = save_session(ctx, patient.id, doctor, 3, muscles=muscles, atlas_version="1")
    with monkeypatch.context() as older_app:  # signed before a group and its part counted once (no such warning)
        older_app.setattr(safety, "group_part_findings", lambda *_a, **_k: [])
        sign(ctx, sid, doctor)
    record = get_session(ctx, sid)
    assert record.atlas_version == "1" and integrity.session_is_intact(ctx, sid)
    text = flat("\n".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    assert "Lumbar paraspinals (erector spinae)" in text  # its own atlas's names, as signed
    assert ("3 muscles (injection): L lumbar paraspinals (erector spinae), L iliocostalis lumborum, "
            "R lumbar paraspinals (erector spinae) → 20553") in text  # counted as it was signed
    assert dict(muscle_choices())["lumbar_erector_spinae"] == "Lumbar paraspinals (erector spinae)"  # filterable


def test_reusing_an_atlas_1_session_puts_its_sites_on_atlas_2(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    old = session_draft(ctx, patient.id, doctor, 2, atlas_version="1", muscles=[
        ("sternocleidomastoid", "anterior", "L"), ("lumbar_erector_spinae", "posterior", "R")])
    one = load_atlas("1")
    scalenes = with_muscle(old.sites[0], next(d for d in one.region(old.sites[0].region_code).deep
                                              if d.muscle_id == "scalenes"))
    new = drafts.new_draft(ctx, patient.id)
    merged = merge_into(new, list(old.preparations), [scalenes, old.sites[1]], load_atlas("2"), replace_existing=True)
    assert [(s.region_code, s.muscle_id, s.side) for s in merged.sites] == [
        ("ant.sternocleidomastoid.L", "sternocleidomastoid", "L"),  # atlas 2 names three scalenes: choose again
        ("post.longissimus_lumborum.R", "longissimus_lumborum", "R")]
