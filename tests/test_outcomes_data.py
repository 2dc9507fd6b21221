"""Outcomes as data (issue 17 item 1): PEG-3 and the response per muscle are saved with the draft, signed under
content version 6, locked in the database once signed, and caught by verify when changed behind the app's back."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from test_report_support import START, add_patient, save_session, session_draft, setup_clinic, sign

from tpi_notes.domain.outcomes import PriorResponse, peg, peg_of, response_class, scale_score
from tpi_notes.domain.signing import OUTCOMES_CONTENT_VERSION, record_content, record_sha256
from tpi_notes.services import drafts, integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.sessions import get_session


def _two_visits(ctx: AppContext) -> tuple[int, int, int]:
    """A signed first visit and a second one (a draft) recording PEG and the response to the first."""
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    earlier = START - timedelta(weeks=8)
    first = save_session(ctx, patient.id, doctor, 2, scales=(peg(8, 7, 7, earlier, doctor),),
                         performed_start=earlier, performed_end=earlier + timedelta(minutes=20),
                         timeout_at=earlier + timedelta(minutes=2))
    sign(ctx, first, doctor)
    sites = get_session(ctx, first).sites
    later = START
    responses = (PriorResponse(first, sites[0].muscle_id, sites[0].side, 70, 8, True),
                 PriorResponse(first, sites[1].muscle_id, sites[1].side, 20, 1, False))
    draft = replace(session_draft(ctx, patient.id, doctor, 2), performed_start=later,
                    performed_end=later + timedelta(minutes=20), timeout_at=later + timedelta(minutes=2),
                    scales=(peg(4, 3, 4, later, doctor),), prior_responses=responses)
    second = drafts.save_draft(ctx, draft).id
    assert second is not None
    return doctor, first, second


def test_peg_score_is_the_mean_to_one_decimal_and_needs_all_three() -> None:
    assert scale_score("peg", (4, 3, 4)) == 3.7
    assert scale_score("peg", (5, 5, 6)) == 5.3
    assert scale_score("peg", (4, None, 4)) is None
    assert scale_score("ndi", (1,) * 10) == 20  # percent of the answered sections' maximum
    assert response_class(70, 8) == "good" and response_class(70, 3) == "partial"
    assert response_class(35, 1) == "partial" and response_class(20, 12) == "none"
    assert response_class(None, None) == "not_recorded"


def test_peg_and_responses_are_saved_read_back_and_signed(ctx: AppContext) -> None:
    doctor, first, second = _two_visits(ctx)
    record = get_session(ctx, second)
    score = peg_of(record.scales)
    assert score is not None and score.items == (4, 3, 4) and score.score == 3.7
    assert score.measured_by_id == doctor and score.measured_by.startswith("Amelia") or score.measured_by
    assert [(r.relief_pct, r.duration_weeks, r.lasting) for r in record.prior_responses] in (
        [(70, 8, True), (20, 1, False)], [(20, 1, False), (70, 8, True)])
    sign(ctx, second, doctor)
    signed = get_session(ctx, second)
    assert signed.content_version == OUTCOMES_CONTENT_VERSION == 6
    content = record_content(signed)
    assert content["outcomes"]["scales"][0]["items"] == [4, 3, 4]
    assert {r["relief_pct"] for r in content["outcomes"]["prior_response"]} == {70, 20}
    # a response is part of what is signed: a different relief is a different hash
    other = replace(signed, prior_responses=tuple(replace(r, relief_pct=90) for r in signed.prior_responses))
    assert record_sha256(other) != signed.content_sha256 == record_sha256(signed)
    assert integrity.verify_database(ctx).ok


def test_signed_outcomes_are_locked_and_a_change_behind_the_apps_back_is_caught(ctx: AppContext,
                                                                                  db_path: Path) -> None:
    doctor, _first, second = _two_visits(ctx)
    sign(ctx, second, doctor)
    conn = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="signed and locked"):
            conn.execute("UPDATE prior_response SET relief_pct = 95 WHERE session_id = ?", (second,))
        with pytest.raises(sqlite3.IntegrityError, match="signed and locked"):
            conn.execute("DELETE FROM session_scale WHERE session_id = ?", (second,))
        conn.execute("DROP TRIGGER trg_session_scale_update_locked")
        conn.execute("UPDATE session_scale SET items = '[1, 1, 1]', score = 1.0 WHERE session_id = ?", (second,))
        conn.commit()
    finally:
        conn.close()
    report = integrity.verify_database(ctx)
    assert [sid for sid, _mrn, _why in report.tampered] == [second]
    assert "trg_session_scale_update_locked" in report.missing_locks


def test_the_recovery_journal_keeps_peg_and_responses() -> None:
    """A crash before Save loses neither (domain/draft_json.py is what the journal writes)."""
    import json

    from tpi_notes.domain.draft import SessionDraft
    from tpi_notes.domain.draft_json import draft_from_dict, draft_to_dict

    draft = SessionDraft(patient_id=1, performed_start=START, atlas_version="2",
                         scales=(peg(6, 5, 4, START, 3),), prior_responses=(PriorResponse(9, "upper_trapezius", "L",
                                                                                            60, 7, True),))
    back = draft_from_dict(json.loads(json.dumps(draft_to_dict(draft))))
    assert back.scales == draft.scales and back.prior_responses == draft.prior_responses
