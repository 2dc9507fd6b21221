"""Coded allergies on paper and in the export: the note prints each allergy as typed with its kind and reaction
(an uncoded one too), the JSON Lines export gives each entry with what it resolves to, and a signed note keeps
the allergies as signed after the patient's list changes."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from export_fixtures import add_session
from test_report_support import flat, pdf_pages

from tpi_notes.domain.allergies import AllergyEntry
from tpi_notes.services import documents, drafts, exports, integrity
from tpi_notes.services import patients as patient_service
from tpi_notes.services.context import AppContext
from tpi_notes.services.demo import build_demo


def _with_allergies(ctx: AppContext, sid: int, *entries: AllergyEntry) -> None:
    draft = drafts.get_draft(ctx, sid)
    record = patient_service.get_patient(ctx, draft.patient_id)
    changed = replace(record, allergies=tuple(e.substance for e in entries), allergy_entries=entries)
    patient_service.update_patient(ctx, record.id, changed, record.row_version)


def test_the_note_prints_each_allergy_with_kind_and_reaction_and_uncoded_text(ctx: AppContext) -> None:
    sid = add_session(ctx, "Doe", "Jane", mrn="AL-1")
    _with_allergies(ctx, sid, AllergyEntry("Kenalog", "allergy", "anaphylaxis"),
                    AllergyEntry("strawberries"), AllergyEntry("codeine", "intolerance", "nausea / vomiting"))
    text = flat(" ".join(pdf_pages(documents.procedure_note_pdf(ctx, sid))))
    assert "Kenalog (allergy, anaphylaxis); strawberries (allergy); codeine (intolerance, nausea / vomiting)" in text


def test_jsonl_exports_each_entry_with_its_resolution(ctx: AppContext) -> None:
    sid = add_session(ctx, "Roe", "Ann", mrn="AL-2")
    _with_allergies(ctx, sid, AllergyEntry("Depo-Medrol", "allergy", "hives / urticaria"),
                    AllergyEntry("chlorhexidine"), AllergyEntry("strawberries"))
    out = io.BytesIO()
    exports.export_sessions(ctx, "jsonl", out)
    [line] = [json.loads(x) for x in out.getvalue().decode().splitlines() if json.loads(x)["session_id"] == sid]
    allergies = line["patient"]["allergies"]
    assert [(a["substance"], a["kind"], a["reaction"]) for a in allergies] == [
        ("Depo-Medrol", "allergy", "hives / urticaria"), ("chlorhexidine", "allergy", ""), ("strawberries", "allergy", "")]
    assert allergies[0]["resolved"] == {"items": ["methylprednisolone-40", "methylprednisolone-80"], "classes": [],
                                        "agents": ["methylprednisolone"], "substance": None}
    assert allergies[1]["resolved"]["substance"] == "chlorhexidine"
    assert allergies[2]["resolved"] == {"items": [], "classes": [], "agents": [], "substance": None}
    assert allergies[0]["recorded_by"] == ctx.actor and allergies[0]["recorded_at"]


def test_the_demo_shows_coded_allergies_and_its_signed_notes_verify(ctx: AppContext) -> None:
    build_demo(ctx, patients=14, sessions=40, seed=11)
    shown = {pid: patient_service.get_patient(ctx, pid).allergy_entries for pid in (3, 5, 7, 9, 12)}
    substances = {e.substance for entries in shown.values() for e in entries}
    assert {"Kenalog", "chlorhexidine", "procaine"} <= substances
    assert any(e.kind == "intolerance" for entries in shown.values() for e in entries)
    assert integrity.tampered_session_ids(ctx) == set()
